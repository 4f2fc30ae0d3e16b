"""BLY106: PEFT adapters that PEFT upcasts to FP32 (policy: "No Mixed Precision")."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data import adapters
from ...facts import AdapterFacts
from ...findings import Applicability, Edit, Fix
from ...fixes.edits import insert_keyword_fix, method_span
from ...names import dotted_text, has_star_kwargs, keyword
from .._literals import literal
from .._values import words
from ..base import Report, Rule

_FLAG = f"{adapters.PARAMETER}=False"

# What a call produces, for the methods called on its result.
_PEFT_MODEL = "peft model"
_MIXED_MODEL = "mixed model"


class Fp32AdapterWeights(Rule):
    code = "BLY106"
    name = "fp32-adapter-weights"
    summary = (
        "A PEFT adapter created or loaded without `autocast_adapter_dtype=False` (`get_peft_model`, "
        "`PeftModel*(...)`, `PeftModel*.from_pretrained`, `.load_adapter`, `.add_adapter`, `XLoraModel(...)`): PEFT "
        "upcasts it to FP32."
    )
    policy = (
        "Enforcement: No Mixed Precision: All computations in BF16 (except teacher). Precision by Component: "
        "Learning/Training: BF16."
    )
    why = (
        "PEFT's entry points take `autocast_adapter_dtype=True` by default and then cast BF16 and FP16 adapter "
        "weights to FP32 (peft 0.21.2, a LoRA on a BF16 Llama: 8 of 8 adapter weights float32 by default, 8 of 8 "
        "bfloat16 with `autocast_adapter_dtype=False`). The base model computes in BF16 and the adapter in FP32, "
        "which is mixed precision, and the trained adapter is stored in FP32. `inject_adapter_in_model`, the "
        "`PeftMixedModel(...)` constructor, `get_peft_model(..., mixed=True)` and config objects (`LoraConfig`) "
        "take no such flag and are not flagged; a call passing `**kwargs` may carry the flag and is not flagged "
        "either. `AutoPeftModel*.from_pretrained` is flagged without a fix: it hands every keyword to the base "
        "model's loader as well, so the flag cannot be passed there."
    )
    example = (
        "import torch\n"
        "from peft import LoraConfig, get_peft_model\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        'base = AutoModelForCausalLM.from_pretrained("blyan/student-v18", torch_dtype=torch.bfloat16)\n'
        'config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"])\n'
        "model = get_peft_model(base, config)\n"
    )
    fixed = (
        "import torch\n"
        "from peft import LoraConfig, get_peft_model\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        'base = AutoModelForCausalLM.from_pretrained("blyan/student-v18", torch_dtype=torch.bfloat16)\n'
        'config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"])\n'
        "model = get_peft_model(base, config, autocast_adapter_dtype=False)\n"
    )
    fix_safety = (
        "Safe: `autocast_adapter_dtype=False` is added to the call (following its layout), or replaces "
        "`autocast_adapter_dtype=True`; the adapter then keeps the base model's dtype. A value that is not a "
        "literal is reported without a fix, and so is `AutoPeftModel*.from_pretrained`: load the base model with "
        "`torch_dtype=torch.bfloat16` and the adapter with `PeftModel.from_pretrained(base, path, "
        "autocast_adapter_dtype=False)`."
    )
    watches = adapters.GET_PEFT_MODEL | adapters.PEFT_MODEL_CLASSES | adapters.TUNER_CONSTRUCTORS
    methods = adapters.ADAPTER_METHODS | {adapters.LOAD_METHOD}
    # Every entry point is spelled with one of these (`get_peft_model`, `PeftModel`, `load_adapter`).
    strings = frozenset({"peft", "Peft", "adapter", "XLora"})

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        entry = _entry_point(ctx, node)
        if entry is None:
            return
        spelled, fixable = entry
        remedy = f"pass `{_FLAG}`" if fixable else _AUTO_REMEDY
        flag = keyword(node, adapters.PARAMETER)
        callee = _peft_name(ctx, node.func) or spelled
        facts = AdapterFacts(callee, ctx.resolve(flag.value if flag is not None else None), fixable)
        if flag is None:
            if has_star_kwargs(node):
                return  # the flag may be among them
            fix = insert_keyword_fix(ctx, node, _FLAG, f"Add `{_FLAG}`", ()) if fixable else None
            yield _report(ctx, node, f"`{spelled}(...)` without `{_FLAG}` upcasts", remedy, fix, facts)
            return
        value = literal(ctx, flag.value)
        if value is False:
            return
        written = f"`{spelled}(..., {adapters.PARAMETER}={ctx.source(flag.value)})`"
        if value is True:
            edit = Edit(ctx.start(flag.value), ctx.end(flag.value), "False")
            fix = Fix(Applicability.SAFE, f"Use `{_FLAG}`", (edit,)) if fixable else None
            yield _report(ctx, node, f"{written} upcasts", remedy, fix, facts)
        else:  # a switch decided at run time: the policy wants BF16 adapters on every run
            yield _report(ctx, node, f"{written} upcasts, whenever the value is true,", remedy, None, facts)


_AUTO_REMEDY = (
    "load the base model with `torch_dtype=torch.bfloat16` and the adapter with "
    f"`PeftModel.from_pretrained(base, ..., {_FLAG})` (AutoPeftModel hands every keyword to the base model's "
    "loader too, so the flag cannot be passed here)"
)


def _report(ctx: Context, node: ast.Call, does: str, remedy: str, fix: Fix | None, facts: AdapterFacts) -> Report:
    message = (
        f"{does} the adapter weights to FP32, so the adapter trains and is saved in FP32 beside a BF16 model; "
        f"the policy forbids mixed precision: {remedy}"
    )
    if isinstance(node.func, ast.Attribute):
        start, end = method_span(ctx, node)
        return Report(start, end, message, fix=fix, facts=facts)
    return ctx.report(node, message, fix=fix, facts=facts)


def _entry_point(ctx: Context, node: ast.Call) -> tuple[str, bool] | None:
    """(how the call is spelled, whether the flag can be added) when `node` is a PEFT entry
    point that takes `autocast_adapter_dtype`; None otherwise."""
    func = node.func
    spelled = dotted_text(func) or ctx.source(func)
    qualified = _peft_name(ctx, func)
    if qualified in adapters.GET_PEFT_MODEL:
        return None if _is_mixed(ctx, node) else (spelled, True)
    if qualified in adapters.PEFT_MODEL_CLASSES or qualified in adapters.TUNER_CONSTRUCTORS:
        return spelled, True
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == adapters.LOAD_METHOD:
        owner = _peft_name(ctx, func.value)
        if owner in adapters.PEFT_MODEL_CLASSES:
            return spelled, True
        if owner in adapters.AUTO_PEFT_CLASSES:
            return spelled, False
        return None
    if func.attr in adapters.ADAPTER_METHODS:
        held = _holds(ctx, func.value)
        if held == _PEFT_MODEL or (held == _MIXED_MODEL and func.attr in adapters.MIXED_ADAPTER_METHODS):
            return spelled, True
    return None


def _peft_name(ctx: Context, node: ast.expr) -> str | None:
    """The qualified name of a PEFT function or class; an unimported bare `get_peft_model` or
    `PeftModel` (a snippet without its imports) counts as PEFT's."""
    qualified = ctx.qualified(node)
    if qualified is not None:
        return qualified
    known = adapters.FUNCTION_NAMES | adapters.CLASS_NAMES
    if isinstance(node, ast.Name) and node.id in known and ctx.names.lookup(node) is None:
        return f"peft.{node.id}"
    return None


def _is_mixed(ctx: Context, node: ast.Call) -> bool:
    kw = keyword(node, adapters.MIXED_KEYWORD)
    if kw is not None:
        return literal(ctx, kw.value) is True
    if len(node.args) > adapters.MIXED_POSITION:
        return literal(ctx, node.args[adapters.MIXED_POSITION]) is True
    return False


def _holds(ctx: Context, node: ast.expr) -> str | None:
    """What a receiver holds: a PEFT model (made by a PEFT entry point, through local names,
    `self.` attributes and module methods that return the module), a mixed model, or unknown
    (None). Otherwise a name it passed through that says `peft` (`peft_model`, `self.peft_lm`)
    is taken at its word."""
    produced = ctx.names.producer(node)
    value = produced.value
    made = _made_by(ctx, value) if isinstance(value, ast.Call) else None
    if made is not None:
        return made
    if any(adapters.RECEIVER_WORD in words(name) for name in produced.passed_names):
        return _PEFT_MODEL
    return None


def _made_by(ctx: Context, call: ast.Call) -> str | None:
    func = call.func
    qualified = _peft_name(ctx, func)
    if qualified in adapters.MIXED_MODEL_CLASSES:
        return _MIXED_MODEL
    if qualified in adapters.GET_PEFT_MODEL:
        return _MIXED_MODEL if _is_mixed(ctx, call) else _PEFT_MODEL
    if qualified in adapters.PEFT_MODEL_CLASSES:
        return _PEFT_MODEL
    if isinstance(func, ast.Attribute) and func.attr == adapters.LOAD_METHOD:
        owner = _peft_name(ctx, func.value)
        if owner in adapters.PEFT_MODEL_CLASSES or owner in adapters.AUTO_PEFT_CLASSES:
            return _PEFT_MODEL
    return None
