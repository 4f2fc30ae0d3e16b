"""BLY1xx: non-BF16 precision (policy: "BF16 for all learning and inference", "No Fallbacks")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from ..context import Context
from ..data import engines
from ..data import names as tables
from ..facts import CastFacts, DefaultDtypeFacts, DtypeFacts, LoadFacts, PrecisionFallbackFacts, Value
from ..findings import Applicability, Edit, Fix, Position
from ..names import dotted_text, has_star_kwargs, keyword, string_value
from ._common import (
    bf16_attr_fix,
    bf16_string_fix,
    conditional_parts,
    dtype_label,
    insert_keyword_fix,
    method_span,
    torch_name,
    walk_within,
)
from ._edits import remove_statements, replace_by_block, statement_blocks
from ._engines import dtype_report, engine_name
from ._loads import dtype_keyword, load_facts, origin_of
from ._values import cast_reason, enclosing_integer_factory, integer_factory, integer_reason, unsafe
from .base import Report, Rule, last_segments

BF16 = tables.BF16
# Every spelling of a non-BF16 dtype, as a name or a string: no BLY101/BLY105 finding without one.
_NON_BF16_WORDS = frozenset(
    {
        *last_segments(q for q, dtype in tables.DTYPE_ATTRS.items() if dtype != BF16),
        *(text for text, dtype in tables.DTYPE_STRINGS.items() if dtype != BF16),
    }
)
# Statement words (`Rule.statement_words`): a dtype object is an attribute of torch
# (`th.half`, `torch.HalfTensor`, `t.half()` for the casts) or imported, which names it;
# a dtype string is quoted. `float` alone (an annotation, a call) selects nothing.
_CAST_WORDS = tuple(f".{method}" for method in tables.CAST_METHODS)
_NON_BF16_STATEMENT_WORDS = (
    *_CAST_WORDS,
    *(f"{quote}{text}{quote}" for text, dtype in tables.DTYPE_STRINGS.items() if dtype != BF16 for quote in "'\""),
)


class NonBf16Dtype(Rule):
    code = "BLY101"
    name = "non-bf16-dtype"
    summary = "A non-BF16 floating dtype used as a value (dtype objects, legacy tensor types, dtype strings)."
    policy = (
        "Core Principle: All models involved in learning and inference MUST use BF16 (bfloat16) precision "
        "to ensure numerical consistency across the distributed network."
    )
    why = (
        "Every node must compute bit-identical results. A tensor or model created in FP16, FP32 or FP64 "
        "rounds differently from BF16, so two nodes running the same step disagree. Comparisons such as "
        "`x.dtype == torch.float16`, `isinstance` checks, `match` patterns and annotations only inspect a "
        "dtype and are not flagged."
    )
    example = "import torch\n\ndef make_buffer(n):\n    return torch.zeros(n, dtype=torch.float16)\n"
    fixed = "import torch\n\ndef make_buffer(n):\n    return torch.zeros(n, dtype=torch.bfloat16)\n"
    fix_safety = (
        "Safe: the dtype is replaced by BF16 in the same spelling and alias (`th.half` -> `th.bfloat16`, "
        '`"fp16"` -> `"bf16"`, `"float16"` -> `"bfloat16"`). Names imported directly '
        "(`from torch import float16 as f16`) and strings built at run time are reported without a fix. The dtype "
        "of integer-valued data (`torch.arange(n, dtype=torch.float32)`, `linspace`, `randint`, ...) is an unsafe "
        "fix, offered only with `--unsafe-fixes`: BF16 holds integers exactly only up to 256, so position 257 "
        "would become 256."
    )
    watches = frozenset(tables.DTYPE_ATTRS)
    methods = frozenset({"getattr"})  # getattr(torch, "float16")
    keywords = tables.DTYPE_KEYWORDS
    strings = _NON_BF16_WORDS
    statement_words = _NON_BF16_STATEMENT_WORDS

    def visit_keyword(self, node: ast.keyword, ctx: Context) -> Iterator[Report]:
        factory = integer_factory(ctx, ctx.parent)
        yield from self._dtype_string(node.value, ctx, "keyword", node.arg, factory)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        is_getattr = isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2
        if is_getattr and ctx.qualified(node.args[0]) == "torch":
            yield from self._dtype_string(node.args[1], ctx, "getattr", None)

    def visit_Dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        for key, value in zip(node.keys, node.values, strict=True):
            key_text = string_value(key)  # type: ignore[arg-type]
            if key_text in tables.DTYPE_KEYWORDS:
                yield from self._dtype_string(value, ctx, "dict entry", key_text)

    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._dtype_object(node, ctx)

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._dtype_object(node, ctx)

    def _dtype_object(self, node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[Report]:
        if not isinstance(node.ctx, ast.Load):
            return
        found = ctx.dtype_attr(node)
        if found is None or found[1] == BF16 or ctx.is_inspection(node):
            return
        qualified, canonical = found
        written = dotted_text(node) or qualified
        replacement = "BFloat16Tensor" if qualified.endswith("Tensor") else "bfloat16"
        if isinstance(node, ast.Attribute):
            target = written.rsplit(".", 1)[0] + "." + replacement  # keep the user's alias
        else:
            target = qualified.rsplit(".", 1)[0] + "." + replacement
        facts = DtypeFacts(canonical, written, "attribute", None, target, ctx.resolve(node))
        fix = bf16_attr_fix(ctx, node, qualified)
        factory = enclosing_integer_factory(ctx)
        fix = unsafe(fix, integer_reason(factory)) if factory else fix
        yield ctx.report(node, self.message(facts), fix=fix, facts=facts)

    def _dtype_string(
        self, value: ast.expr, ctx: Context, where: str, name: str | None, factory: str | None = None
    ) -> Iterator[Report]:
        text = string_value(value)
        fix = None
        if text is not None:
            fix = bf16_string_fix(ctx, value)
            fix = unsafe(fix, integer_reason(factory)) if factory else fix
        else:
            followed = ctx.follow(value)
            text = string_value(followed.value) if followed.via else None  # type: ignore[arg-type]
        canonical = tables.DTYPE_STRINGS.get(text) if text is not None else None
        if text is None or canonical is None or canonical == BF16:
            return
        facts = DtypeFacts(canonical, text, where, name, tables.BF16_STRING_FOR[text], ctx.resolve(value))
        yield ctx.report(value, self.message(facts), fix=fix, facts=facts)

    @staticmethod
    def message(facts: DtypeFacts) -> str:
        label = dtype_label(facts.dtype)
        if facts.where == "attribute":
            return f"`{facts.spelling}` selects {label}; the policy requires BF16: use `{facts.use}`"
        where = {"keyword": f"`{facts.keyword}=`", "getattr": "`getattr(torch, ...)`"}.get(
            facts.where, f'the "{facts.keyword}" entry'
        )
        value = facts.value
        written = f"`{value.source}`{value.note()}" if value.via else f'"{facts.spelling}"'
        return f'{written} passed as {where} selects {label}; the policy requires BF16: use "{facts.use}"'


def _dtype_arg(ctx: Context, node: ast.expr) -> tuple[str, str, str] | None:
    """(what the user wrote, canonical dtype, note) for a dtype argument, following a local
    name: for `dt` bound to `torch.float16` the note reads ` (`dt` is `torch.float16`, line 3)`."""
    canonical = ctx.dtype_value(node)
    if canonical is None:
        return None
    written = dotted_text(node) or ctx.source(node)
    note = ctx.note(ctx.follow(node)) if ctx.dtype_attr(node) is None else ""
    return written, canonical, note


_LEGACY_TYPE_STRINGS = {name: dtype for name, dtype in tables.DTYPE_ATTRS.items() if name.endswith("Tensor")}


class NonBf16Cast(Rule):
    code = "BLY102"
    name = "non-bf16-cast"
    summary = "A cast to a non-BF16 dtype: `.half()`, `.float()`, `.double()`, `.to(<dtype>)`, `.type(<dtype>)`."
    policy = "Precision by Component: Student, Inference and Learning models: BF16. No Mixed Precision."
    why = (
        "Casting a model or tensor away from BF16 changes the numbers every later op produces, and a "
        "`.float()` in the middle of a forward pass is mixed precision by another name. `.to(device)` and "
        "`.to(torch.bfloat16)` are fine."
    )
    example = (
        "import torch\n\n"
        "def prepare(model):\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        '        raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n'
        "    return model.half()\n"
    )
    fixed = (
        "import torch\n\n"
        "def prepare(model):\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        '        raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n'
        "    return model.to(torch.bfloat16)\n"
    )
    fix_safety = (
        "Safe: `.half()`, `.float()` and `.double()` become `.to(torch.bfloat16)` (using the file's alias for "
        "torch, adding `import torch` if needed); the dtype in `.to(...)` / `.type(...)` is replaced by BF16. "
        "This is safe only for a value known to be a model (a loader's result, an `nn.Module` construction or "
        "subclass, a parameter annotated as one, a name that says model and not data). A cast of anything else "
        "(`torch.arange(n).float()`, masks, positions, a tensor of unknown origin) is an unsafe fix, offered only "
        "with `--unsafe-fixes`, with a title that says why: BF16 holds integers exactly only up to 256. A dtype "
        "held in a variable is reported without a fix: fix it where it is bound."
    )
    methods = frozenset({*tables.CAST_METHODS, tables.DEVICE_MOVE_METHOD, tables.TYPE_METHOD})
    supersedes = frozenset({"BLY101"})
    statement_words = _CAST_WORDS  # `.to(x)` and `.type(x)` are flagged only for a dtype, which spells one

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        method = func.attr
        if method in tables.CAST_METHODS:
            if ctx.qualified(func.value) is not None:
                return  # a module function (`np.float`), not a tensor method
            if node.args or any(kw.arg != "memory_format" for kw in node.keywords):
                return
            start, end = method_span(ctx, node)
            torch, imports = torch_name(ctx)
            facts = self._facts(ctx, node, start, method, "", tables.CAST_METHODS[method], None)
            fix = Fix(Applicability.SAFE, self.fix_title(torch), (Edit(start, end, f"to({torch}.bfloat16)"),), imports)
            fix = None if _feeds_numpy(ctx, node) else _cast_fix(ctx, fix, func.value)
            yield Report(start, end, self.message(facts, torch), fix=fix, facts=facts)
        elif method == tables.DEVICE_MOVE_METHOD:
            yield from self._to(node, ctx)
        elif method == tables.TYPE_METHOD and len(node.args) == 1 and not node.keywords:
            yield from self._type(node, ctx)

    def _to(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        candidates = [*node.args]
        dtype_kw = keyword(node, "dtype")
        if dtype_kw is not None:
            candidates.append(dtype_kw.value)
        for arg in candidates:
            found = _dtype_arg(ctx, arg)
            if found is None or found[1] == BF16:
                continue
            if dtype_kw is not None and arg is dtype_kw.value:
                found = (f"dtype={found[0]}", found[1], found[2])
            start, end = method_span(ctx, node)
            yield self._cast_report(ctx, node, start, end, arg, found, "to")
            return

    def _type(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        arg = node.args[0]
        found = _dtype_arg(ctx, arg)
        text = string_value(arg)
        if found is None and text in _LEGACY_TYPE_STRINGS:
            found = (f'"{text}"', _LEGACY_TYPE_STRINGS[text], "")
        if found is None or found[1] == BF16:
            return
        start, end = method_span(ctx, node)
        yield self._cast_report(ctx, node, start, end, arg, found, "type")

    def _cast_report(
        self,
        ctx: Context,
        call: ast.Call,
        start: Position,
        end: Position,
        arg: ast.expr,
        found: tuple[str, str, str],
        method: str,
    ) -> Report:
        written, canonical, _ = found
        qualified = ctx.qualified(arg)
        fix = bf16_attr_fix(ctx, arg, qualified) if qualified else None
        fix = None if _feeds_numpy(ctx, call) else _cast_fix(ctx, fix, call.func.value)  # type: ignore[attr-defined]
        facts = self._facts(ctx, call, start, method, written, canonical, ctx.resolve(arg))
        return Report(
            start, end, self.message(facts, torch_name(ctx)[0]), fix=fix, covers=(ctx.span(arg),), facts=facts
        )

    @staticmethod
    def _facts(
        ctx: Context, call: ast.Call, start: Position, method: str, spelling: str, dtype: str, argument: Value | None
    ) -> CastFacts:
        receiver = call.func.value  # type: ignore[attr-defined]
        return CastFacts(
            method=method,
            spelling=spelling,
            dtype=dtype,
            argument=argument,
            receiver=ctx.source(receiver),
            origin=origin_of(ctx, receiver),
            line=start.line,
            col=start.col,
        )

    @staticmethod
    def message(facts: CastFacts, torch: str) -> str:
        note = facts.argument.note() if facts.argument is not None else ""
        return (
            f"`.{facts.method}({facts.spelling})` casts to {dtype_label(facts.dtype)}{note}; the policy requires "
            f"BF16: use `.to({torch}.bfloat16)`"
        )

    @staticmethod
    def fix_title(torch: str) -> str:
        return f"Use `.to({torch}.bfloat16)`"


def _feeds_numpy(ctx: Context, call: ast.Call) -> bool:
    """`t.float().numpy()`, `np.asarray(t.half())`: NumPy has no bfloat16, so `.to(bfloat16)`
    there would raise; no fix can keep that code's meaning (a human decides)."""
    parent = ctx.parent
    if isinstance(parent, ast.Attribute) and parent.value is call and parent.attr == "numpy":
        return True
    if isinstance(parent, ast.Call) and call in parent.args:
        qualified = ctx.qualified(parent.func) or ""
        return qualified.startswith("numpy.")
    return False


def _cast_fix(ctx: Context, fix: Fix | None, receiver: ast.expr) -> Fix | None:
    """A cast's fix is safe only on a value known to be a model (RULES.md "Fix safety")."""
    reason = cast_reason(ctx, receiver)
    return fix if reason is None else unsafe(fix, reason)


class ImplicitDtypeLoad(Rule):
    code = "BLY103"
    name = "implicit-dtype-load"
    summary = (
        'A model loaded with `from_pretrained` / `from_config` without `torch_dtype=` (or with `"auto"`); an '
        'inference engine (`vllm.LLM`, `EngineArgs`, `AsyncEngineArgs`, `sglang.Engine`) without `dtype="bfloat16"`.'
    )
    policy = (
        "Correct Implementation: `AutoModelForCausalLM.from_pretrained(model_name, torch_dtype=torch.bfloat16, "
        "...)  # NO FALLBACKS`"
    )
    why = (
        "Without an explicit dtype, transformers 4 loads FP32 and transformers 5 loads whatever dtype the "
        'checkpoint was saved in; `"auto"` does the same. Either way the precision is decided by a file, not '
        "by the policy. Inference engines load models too: vLLM's `LLM`, `EngineArgs` and `AsyncEngineArgs` and "
        'SGLang\'s `Engine` default to `dtype="auto"`, which serves an FP32 or FP16 checkpoint in FP16. '
        "Tokenizers, processors and configs load no weights and are not flagged; quantized loads (an engine's "
        "`quantization=` too) are BLY401/BLY402's business, and a non-BF16 dtype given is BLY101's."
    )
    example = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        "model = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18",\n'
        '    device_map="auto",\n'
        ")\n"
    )
    fixed = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        "model = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18",\n'
        '    device_map="auto",\n'
        "    torch_dtype=torch.bfloat16,\n"
        ")\n"
    )
    fix_safety = (
        'Safe: `torch_dtype=torch.bfloat16` is added (or `dtype=` replaces `"auto"` when the call already uses '
        "the transformers 5 spelling), following the call's layout; `import torch` is added if missing. An engine "
        'gets `dtype="bfloat16"` (added, or replacing `"auto"`). A call that passes `**kwargs` is not flagged, '
        "since the dtype may be among them."
    )
    methods = tables.LOADER_METHODS
    watches = engines.ENGINES  # vLLM and SGLang load models too (catalog 1.1)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        engine = engine_name(ctx, node)
        if engine is not None:
            report = dtype_report(ctx, node, engine)
            if report is not None:
                yield replace(report, facts=load_facts(ctx, node))
            return
        if not isinstance(func, ast.Attribute) or func.attr not in tables.LOADER_METHODS:
            return
        if has_star_kwargs(node) or any(kw.arg in tables.QUANTIZED_LOAD_KEYWORDS for kw in node.keywords):
            return
        if not ctx.names.is_model_class(func.value):
            return
        torch, imports = torch_name(ctx)
        kw = dtype_keyword(node)
        if kw is not None and string_value(kw.value) != "auto":
            return  # an explicit dtype: BLY101 judges it
        facts = load_facts(ctx, node)
        if kw is not None:
            fix = Fix(
                Applicability.SAFE,
                self.fix_title(facts, torch),
                (Edit(ctx.start(kw.value), ctx.end(kw.value), f"{torch}.bfloat16"),),
                imports,
            )
            yield ctx.report(kw.value, self.message(facts, torch), fix=fix, facts=facts)
            return
        start, end = method_span(ctx, node)
        keyword_text = f"torch_dtype={torch}.bfloat16"
        fix = insert_keyword_fix(ctx, node, keyword_text, self.fix_title(facts, torch), imports)
        yield Report(start, end, self.message(facts, torch), fix=fix, facts=facts)

    @staticmethod
    def message(facts: LoadFacts, torch: str) -> str:
        if facts.dtype == "auto":
            name = facts.dtype_keyword
            return (
                f'`{name}="auto"` lets the checkpoint decide the precision; the policy requires BF16: '
                f"use `{name}={torch}.bfloat16`"
            )
        method = facts.loader.rsplit(".", 1)[-1]
        return (
            f"`{method}()` without `torch_dtype=` loads FP32 (transformers 4) or the checkpoint's dtype "
            f"(transformers 5); the policy requires BF16: pass `torch_dtype={torch}.bfloat16`"
        )

    @staticmethod
    def fix_title(facts: LoadFacts, torch: str) -> str:
        if facts.dtype == "auto":
            return f"Use `{facts.dtype_keyword}={torch}.bfloat16`"
        return "Add `torch_dtype` BF16"


class NonBf16DefaultDtype(Rule):
    code = "BLY104"
    name = "non-bf16-default-dtype"
    summary = "`torch.set_default_dtype(<non-BF16>)` or `torch.set_default_tensor_type(<non-BF16 type>)`."
    policy = "Core Principle: All models involved in learning and inference MUST use BF16."
    why = (
        "The default dtype silently decides the precision of every tensor and module created afterwards "
        "without an explicit dtype, far from the line that set it."
    )
    example = (
        "import torch\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n\n'
        "torch.set_default_dtype(torch.float32)\n"
    )
    fixed = (
        "import torch\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n\n'
        "torch.set_default_dtype(torch.bfloat16)\n"
    )
    fix_safety = (
        "Safe for `set_default_dtype`: the dtype is replaced by BF16. `set_default_tensor_type` also chooses "
        "a device, so it is reported without a fix: use `torch.set_default_dtype(torch.bfloat16)`."
    )
    watches = tables.SET_DEFAULT_DTYPE | tables.SET_DEFAULT_TENSOR_TYPE
    supersedes = frozenset({"BLY101"})

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified is None or len(node.args) != 1:
            return
        arg = node.args[0]
        if qualified in tables.SET_DEFAULT_DTYPE:
            found = _dtype_arg(ctx, arg)
            if found is None or found[1] == BF16:
                return
            arg_qualified = ctx.qualified(arg)
            yield ctx.report(
                node,
                f"`set_default_dtype({found[0]})`{found[2]} makes {dtype_label(found[1])} the default for "
                "every new tensor; the policy requires BF16: use `set_default_dtype(torch.bfloat16)`",
                fix=bf16_attr_fix(ctx, arg, arg_qualified) if arg_qualified else None,
                covers=(ctx.span(arg),),
                facts=DefaultDtypeFacts(qualified, found[1], ctx.resolve(arg)),
            )
        elif qualified in tables.SET_DEFAULT_TENSOR_TYPE:
            found = _dtype_arg(ctx, arg)
            text = string_value(arg)
            if found is None and text in _LEGACY_TYPE_STRINGS:
                found = (f'"{text}"', _LEGACY_TYPE_STRINGS[text], "")
            if found is None or found[1] == BF16:
                return
            yield ctx.report(
                node,
                f"`set_default_tensor_type({found[0]})` makes {dtype_label(found[1])} the default for every new "
                "tensor; the policy requires BF16: use `torch.set_default_dtype(torch.bfloat16)`",
                covers=(ctx.span(arg),),
                facts=DefaultDtypeFacts(qualified, found[1], ctx.resolve(arg)),
            )


_CAPABILITY_CHECKS = tables.IS_BF16_SUPPORTED | tables.GET_DEVICE_CAPABILITY
_KNOWN_CONDITION_CALLS = tables.IS_BF16_SUPPORTED | tables.GET_DEVICE_CAPABILITY | tables.CUDA_IS_AVAILABLE


class PrecisionFallback(Rule):
    code = "BLY105"
    name = "precision-fallback"
    summary = "A conditional that picks BF16 on one branch and another dtype on the other."
    policy = "Enforcement: No Fallbacks: code must fail fast if BF16 is not supported."
    why = (
        "A fallback makes the precision depend on the node's hardware: an older GPU quietly computes in "
        "FP16 or FP32 and its results no longer match the network's. The policy wants the node to refuse "
        "to run instead (see BLY303 for the guard). Reported once, at the conditional."
    )
    example = (
        "import torch\n\n"
        "def pick_dtype():\n"
        "    return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16\n"
    )
    fixed = "import torch\n\ndef pick_dtype():\n    return torch.bfloat16\n"
    fix_safety = (
        "Unsafe (opt-in with `--unsafe-fixes`): a conditional expression is replaced by its BF16 branch; an "
        "if/elif/else statement by its BF16 block, re-indented (or removed, when BF16 was chosen before it). "
        "Offered only when every condition calls nothing but capability checks and every branch that goes away "
        "only assigns or returns a dtype; a branch with side effects (logging, loading) means no fix."
    )
    supersedes = frozenset({"BLY101"})
    strings = _NON_BF16_WORDS
    statement_words = _NON_BF16_STATEMENT_WORDS

    def visit_IfExp(self, node: ast.IfExp, ctx: Context) -> Iterator[Report]:
        parts = conditional_parts(ctx, node)
        if parts is None:
            return  # the outermost conditional of a chain reports for the whole chain
        leaves, tests = parts
        picked = [(leaf, ctx.dtype_value(leaf, strings=True)) for leaf in leaves]
        dtypes = {d for _, d in picked if d}
        if BF16 not in dtypes or len(dtypes) < 2:
            return
        others = sorted(dtype_label(d) for d in dtypes if d != BF16)
        fix = None
        bf16_leaf = next(leaf for leaf, d in picked if d == BF16)
        if all(_only_known_calls(ctx, test) for test in tests):
            fix = Fix(
                Applicability.UNSAFE,
                "Keep only the BF16 branch",
                (Edit(ctx.start(node), ctx.end(node), ctx.source(bf16_leaf)),),
            )
        yield ctx.report(
            node,
            f"precision fallback: picks BF16 or {' / '.join(others)} depending on a condition; the policy allows "
            "no fallbacks: use BF16 unconditionally and fail fast on unsupported GPUs",
            fix=fix,
            facts=PrecisionFallbackFacts(
                "expression", tuple(sorted(dtypes)), any(ctx.calls_any(t, _CAPABILITY_CHECKS) for t in tests)
            ),
        )

    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        parent = ctx.parent
        if isinstance(parent, ast.If) and len(parent.orelse) == 1 and parent.orelse[0] is node:
            return  # an elif: its chain was judged at the first `if`
        if not ctx.text_has(node, self.triggers):
            return  # no dtype is spelled anywhere in this `if`: nothing to walk
        branches: list[list[ast.stmt]] = []
        tests: list[ast.expr] = []
        current: ast.If = node
        while True:
            tests.append(current.test)
            branches.append(current.body)
            if len(current.orelse) == 1 and isinstance(current.orelse[0], ast.If):
                current = current.orelse[0]
                continue
            branches.append(current.orelse)
            break
        picks = [_branch_picks(ctx, body) for body in branches]
        capability_test = any(ctx.calls_any(test, _CAPABILITY_CHECKS) for test in tests)
        dtypes = {d for branch in picks for _, d in branch}
        non_bf16 = dtypes - {BF16}
        if not non_bf16 or not (BF16 in dtypes or capability_test):
            return
        covered = tuple(ctx.span(n) for branch in picks for n, _ in branch)
        others = " / ".join(sorted(dtype_label(d) for d in non_bf16))
        yield ctx.report_span(
            node,
            node.test,
            f"precision fallback: this `if` picks {others} instead of BF16 on some GPUs; the policy allows no "
            "fallbacks: use BF16 unconditionally and fail fast on unsupported GPUs",
            covers=covered,
            fix=_collapse_fix(ctx, node, branches, picks, tests),
            facts=PrecisionFallbackFacts("statement", tuple(sorted(dtypes)), capability_test),
        )


def _collapse_fix(
    ctx: Context,
    node: ast.If,
    branches: list[list[ast.stmt]],
    picks: list[list[tuple[ast.expr, str]]],
    tests: list[ast.expr],
) -> Fix | None:
    """Keep only the BF16 branch of a fallback `if`, or drop the `if` when BF16 was chosen
    before it. Only when every condition calls nothing but capability checks and every
    branch that goes away merely assigns or returns a dtype (no side effects)."""
    if not all(_only_known_calls(ctx, test) for test in tests):
        return None
    bf16 = [i for i, branch in enumerate(picks) if branch and all(d == BF16 for _, d in branch)]
    if len(bf16) > 1 or any(not _side_effect_free(b) for i, b in enumerate(branches) if i not in bf16):
        return None
    if bf16:
        index = bf16[0]
        kept = branches[index]
        if index < len(tests):  # an `if` / `elif` body starts after its condition
            keep_from = (tests[index].end_lineno or tests[index].lineno) + 1
        else:  # the `else` body starts after the previous branch (its `else:` line is skipped)
            keep_from = (branches[index - 1][-1].end_lineno or 0) + 1
        edit = replace_by_block(ctx, node, kept, keep_from)
        title = "Keep only the BF16 branch"
        edits = (edit,) if edit is not None else None
    else:
        removal = remove_statements(ctx, [node], statement_blocks(ctx.stack[0]))
        title = "Remove the fallback; BF16 was already chosen"
        edits = tuple(removal) if removal is not None else None
    return Fix(Applicability.UNSAFE, title, edits) if edits else None


def _side_effect_free(body: list[ast.stmt]) -> bool:
    """Statements that only bind or return literal values and library names (dtypes)."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Return)) or stmt.value is None:
            return False
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        if any(t is not None and not isinstance(t, ast.Name) for t in targets):
            return False
        if any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)) for n in ast.walk(stmt)):
            return False
    return True


def _branch_picks(ctx: Context, body: list[ast.stmt]) -> list[tuple[ast.expr, str]]:
    """The dtype values a branch chooses: assigned, returned or passed as a dtype keyword."""
    picks: list[tuple[ast.expr, str]] = []
    for stmt in body:
        for node in _walk_no_defs(stmt):
            value: ast.expr | None = None
            strings = False
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)):
                value = node.value
                strings = True
            elif isinstance(node, ast.keyword) and node.arg in tables.DTYPE_KEYWORDS:
                value, strings = node.value, True
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in tables.CAST_METHODS and not node.args:
                    picks.append((node, tables.CAST_METHODS[node.func.attr]))
                elif node.func.attr in tables.BF16_CAST_METHODS:
                    picks.append((node, BF16))
            if value is not None and not isinstance(value, ast.IfExp):
                canonical = ctx.dtype_value(value, strings=strings)
                if canonical is not None:
                    picks.append((value, canonical))
    return picks


# A branch's own picks stop at nested definitions and at nested `if`s: a nested
# conditional is judged on its own, so an outer `if` is not blamed for its choice.
_OWN_SCOPE_ENDS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.If)


def _walk_no_defs(node: ast.AST) -> Iterator[ast.AST]:
    return walk_within(node, _OWN_SCOPE_ENDS)


def _only_known_calls(ctx: Context, node: ast.AST) -> bool:
    return all(ctx.qualified(n.func) in _KNOWN_CONDITION_CALLS for n in ast.walk(node) if isinstance(n, ast.Call))


RULES = (NonBf16Dtype, NonBf16Cast, ImplicitDtypeLoad, NonBf16DefaultDtype, PrecisionFallback)
