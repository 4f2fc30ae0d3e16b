"""BLY404: a teacher model that is neither INT8 nor BF16 (policy: "EXCEPTION: Teacher Models").

In teacher scope the student-scope precision rules (BLY1xx, BLY2xx) do not apply, so this
rule is what keeps a teacher inside the policy's two precisions: INT8, the one exception,
or BF16, like every other model.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data import engines
from ...data.devices import DEVICE_MOVE_METHOD
from ...data.dtypes import BF16, CAST_METHODS, TYPE_METHOD, dtype_label
from ...data.loaders import LOADER_METHODS, PIPELINE_FACTORIES, PIPELINE_MODEL_KWARGS, QUANTIZATION_CONFIG_KEYWORD
from ...data.quantized_formats import (
    EETQ_CONFIG,
    FOUR_BIT_KEYWORD,
    INT8,
    INT8_KEYWORD,
    QUANTO_CONFIG,
    TORCHAO_CONFIG,
    marker_kind,
)
from ...facts import CastFacts, LoadFacts, TeacherPrecisionFacts
from ...findings import Applicability, Edit, Fix, Report
from ...fixes.edits import (
    bf16_attr_fix,
    bf16_string_fix,
    insert_keyword_fix,
    method_call_edits,
    method_span,
    torch_name,
)
from ...names import dotted_text, has_star_kwargs, keyword, string_value
from .._engines import engine_name
from .._loads import dtype_keyword, load_facts, origin_of
from .._values import is_model
from ..base import Rule, last_segments

_ENGINE_REMEDY = (
    'the policy allows a teacher only in INT8 (the one exception) or BF16: serve it with `dtype="bfloat16"` or '
    'an INT8 format (`quantization="experts_int8"`)'
)
_REMEDY = (
    "the policy allows a teacher only in INT8 (the one exception) or BF16: load it with "
    "`quantization_config=BitsAndBytesConfig(load_in_8bit=True)` or `torch_dtype={torch}.bfloat16`"
)


class TeacherPrecision(Rule):
    code = "BLY404"
    name = "teacher-precision"
    summary = (
        "In teacher scope, a teacher model that is neither INT8 nor BF16: loaded with a non-BF16 dtype, with "
        "neither a dtype nor an INT8 quantization config, or cast with `.half()` / `.float()` / `.double()` / "
        "`.to(<non-BF16>)`."
    )
    policy = (
        "EXCEPTION: Teacher Models: Teacher models are the ONLY exception to the BF16 rule. Precision by "
        "Component: Teacher Models: INT8*. Core Principle: All models involved in learning and inference MUST "
        "use BF16."
    )
    why = (
        "The exception lets a frozen teacher run INT8, nothing else: an FP16 or FP32 teacher is neither the "
        "exception nor BF16, and its scores drift from what the validation thresholds were set for. Teacher "
        "code is outside the student rules (BLY1xx, BLY2xx), so this rule checks it: every model load in "
        "teacher scope must be INT8 (`BitsAndBytesConfig(load_in_8bit=True)`, `load_in_8bit=True`, an INT8 "
        "Quanto/TorchAO/EETQ config) or BF16, and a cast of a model (not of logits or losses cast for a "
        "metric) must not leave BF16. An INT8 load is not flagged whatever `torch_dtype` it also passes (that "
        "sets the modules left unquantized, and INT8 layers compute in FP16 by design). A 4-bit, GPTQ, AWQ or "
        "FP8 teacher is BLY402's alone; a load whose dtype or quantization is decided at run time (a "
        "parameter, `**kwargs`, `pipeline(model_kwargs=...)`) is not judged. Inference engines serving a teacher "
        "(vLLM's `LLM` / `EngineArgs` / `AsyncEngineArgs`, SGLang's `Engine`) are loads too: `dtype=\"bfloat16\"` "
        'or an INT8 `quantization=` (`"experts_int8"`) is compliant, a missing dtype or `"auto"` is not.'
    )
    example = (
        "# blyan-lint: teacher\n"
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "teacher_model = AutoModelForCausalLM.from_pretrained(\n"
        '    "teacher_model_v17", torch_dtype=torch.float16\n'
        ")\n"
    )
    fixed = (
        "# blyan-lint: teacher\n"
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "teacher_model = AutoModelForCausalLM.from_pretrained(\n"
        '    "teacher_model_v17", torch_dtype=torch.bfloat16\n'
        ")\n"
    )
    fix_safety = (
        "Safe: the load's dtype becomes BF16 (the dtype literal is replaced in the same spelling, "
        '`"auto"` becomes `torch.bfloat16`, or `torch_dtype=torch.bfloat16` is added), and a cast of a model '
        "becomes `.to(torch.bfloat16)`; `import torch` is added if needed. Choosing INT8 instead "
        "(`quantization_config=BitsAndBytesConfig(load_in_8bit=True)`) is a human decision. A dtype held in a "
        "variable is reported without a fix."
    )
    applies_to_teacher = True
    watches = PIPELINE_FACTORIES | engines.ENGINES
    methods = frozenset({*LOADER_METHODS, *CAST_METHODS, DEVICE_MOVE_METHOD, TYPE_METHOD})
    # Statement words: not `.to` / `.type`, which it flags only for a dtype (`.half`, `.float`, ...)
    statement_words = (
        *(f".{method}" for method in (*LOADER_METHODS, *CAST_METHODS)),
        *last_segments(PIPELINE_FACTORIES | engines.ENGINES),
    )

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        if not ctx.scope.is_teacher:
            return  # student code: BLY101-BLY103 judge its loads and casts
        engine = engine_name(ctx, node)
        if engine is not None:
            yield from self._engine(node, ctx, engine)
        elif ctx.names.is_load(node):
            yield from self._load(node, ctx)
        elif isinstance(node.func, ast.Attribute):
            yield from self._cast(node, node.func, ctx)

    # -- loads -----------------------------------------------------------------------------
    def _load(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        if has_star_kwargs(node) or _run_time_switch(ctx, node):
            return
        if keyword(node, PIPELINE_MODEL_KWARGS) is not None:
            return  # `pipeline(..., model_kwargs={...})` may carry the dtype or the quantization
        facts = load_facts(ctx, node)
        quantization = _quantization(ctx, node, facts)
        if quantization != "none":
            return  # INT8 is the exception; other formats are BLY402's; unknown is not judged
        spelled = torch_name(ctx, node)
        torch, imports = spelled or ("torch", ())
        remedy = _REMEDY.format(torch=torch)
        kw = dtype_keyword(node)
        if kw is None:
            result = TeacherPrecisionFacts("load", facts.dtype, facts, None)
            start, end = method_span(ctx, node) if isinstance(node.func, ast.Attribute) else ctx.span(node)
            added = None
            if spelled is not None:
                keyword_text = f"torch_dtype={torch}.bfloat16"
                added = insert_keyword_fix(ctx, node, keyword_text, "Add `torch_dtype` BF16", imports)
            message = (
                f"`{_callee(node)}()` loads a teacher with neither a dtype nor an INT8 quantization config: FP32 "
                f"(transformers 4) or the checkpoint's dtype (transformers 5); {remedy}"
            )
            yield Report(start, end, message, fix=added, facts=result)
            return
        followed = ctx.follow(kw.value)  # not through parameter defaults: a caller may pass BF16
        if not followed.known:
            return
        if string_value(followed.value) == "auto":
            dtype = "auto"
            edit = Edit(ctx.start(kw.value), ctx.end(kw.value), f"{torch}.bfloat16")
            fix: Fix | None = None
            if spelled is not None:
                fix = Fix(Applicability.SAFE, f"Use `{kw.arg}={torch}.bfloat16`", (edit,), imports)
            message = f'`{kw.arg}="auto"` lets the checkpoint decide the teacher\'s precision; {remedy}'
        else:
            found = ctx.dtype_value(followed.value, strings=True)
            if found is None or found == BF16:
                return
            dtype = found
            fix = None if followed.via else _literal_fix(ctx, kw.value)
            message = (
                f"`{kw.arg}={ctx.source(kw.value)}`{ctx.note(followed)} loads the teacher in {dtype_label(dtype)}, "
                f"which is neither INT8 nor BF16; {remedy}"
            )
        yield ctx.report(kw.value, message, fix=fix, facts=TeacherPrecisionFacts("load", dtype, facts, None))

    def _engine(self, node: ast.Call, ctx: Context, engine: str) -> Iterator[Report]:
        """vLLM / SGLang serving a teacher: INT8 (`quantization="experts_int8"`) or `dtype="bfloat16"`."""
        if has_star_kwargs(node):
            return
        quantization = keyword(node, engines.QUANTIZATION_KEYWORD)
        if quantization is not None:
            is_literal, value, _ = ctx.constant(quantization.value)
            if not (is_literal and value is None):
                return  # INT8 is the exception; other formats are BLY402's; a run-time value is not judged
        kw = keyword(node, engines.DTYPE_KEYWORD)
        spelled = dotted_text(node.func) or engine
        facts = load_facts(ctx, node)
        remedy = _ENGINE_REMEDY
        if kw is None:
            added = insert_keyword_fix(ctx, node, 'dtype="bfloat16"', 'Add `dtype="bfloat16"`', ())
            message = (
                f'`{spelled}` without `dtype="bfloat16"` serves the teacher in its checkpoint\'s dtype (the default '
                f'"auto": FP16 for an FP32 or FP16 checkpoint); {remedy}'
            )
            yield ctx.report(node.func, message, fix=added, facts=TeacherPrecisionFacts("load", "absent", facts, None))
            return
        followed = ctx.follow(kw.value)
        if not followed.known:
            return
        text = string_value(followed.value)
        dtype = "auto" if text == engines.AUTO else ctx.dtype_value(followed.value, strings=True)
        if dtype is None or dtype == BF16:
            return
        what = (
            "lets the checkpoint decide the teacher's precision"
            if dtype == "auto"
            else (f"serves the teacher in {dtype_label(dtype)}, which is neither INT8 nor BF16")
        )
        fix: Fix | None = None
        if not followed.via and text is not None:
            start, end = ctx.start(kw.value), ctx.end(kw.value)
            quote = ctx.lines[start.line - 1][start.col - 1] if start.line == end.line else ""
            if quote in ("'", '"'):
                fix = Fix(Applicability.SAFE, 'Use `dtype="bfloat16"`', (Edit(start, end, f"{quote}bfloat16{quote}"),))
        message = f"`{spelled}(..., dtype={ctx.source(kw.value)})`{ctx.note(followed)} {what}; {remedy}"
        yield ctx.report(kw.value, message, fix=fix, facts=TeacherPrecisionFacts("load", dtype, facts, None))

    # -- casts -----------------------------------------------------------------------------
    def _cast(self, node: ast.Call, func: ast.Attribute, ctx: Context) -> Iterator[Report]:
        receiver = func.value
        method = func.attr
        if ctx.qualified(receiver) is not None:
            return  # a module function (`np.float`), not a model method
        argument: ast.expr | None = None
        if method in CAST_METHODS:
            if node.args or node.keywords:
                return
            dtype = CAST_METHODS[method]
        elif method in (DEVICE_MOVE_METHOD, TYPE_METHOD):
            dtype_kw = keyword(node, "dtype") if method == DEVICE_MOVE_METHOD else None
            candidates = [*node.args, *([dtype_kw.value] if dtype_kw is not None else [])]
            found = [(arg, ctx.dtype_value(arg)) for arg in candidates]
            argument, dtype = next(((a, d) for a, d in found if d is not None), (None, None))  # type: ignore[assignment]
            if argument is None or dtype is None or dtype == BF16:
                return
        else:
            return
        if not is_model(ctx, receiver):
            return  # logits, losses and other tensors cast for a metric are not the teacher
        torch_spelled = torch_name(ctx, node)
        torch, imports = torch_spelled or ("torch", ())
        start, end = method_span(ctx, node)
        if argument is None:
            edits = method_call_edits(ctx, node, "to", f"{torch}.bfloat16")
            fix: Fix | None = None
            if torch_spelled is not None:
                fix = Fix(Applicability.SAFE, f"Use `.to({torch}.bfloat16)`", edits, imports)
            written = f".{method}()"
        else:
            qualified = ctx.qualified(argument)
            fix = bf16_attr_fix(ctx, argument, qualified) if qualified else None
            written = f".{method}({ctx.source(argument)})"
        spelled = dotted_text(receiver) or "the model"
        cast = CastFacts(
            method=method,
            spelling=ctx.source(argument) if argument is not None else "",
            dtype=dtype,
            argument=ctx.resolve(argument) if argument is not None else None,
            receiver=ctx.source(receiver),
            origin=origin_of(ctx, receiver),
            line=start.line,
            col=start.col,
        )
        message = (
            f"`{written}` casts the teacher model `{spelled}` to {dtype_label(dtype)}, which is neither INT8 nor "
            f"BF16; {_REMEDY.format(torch=torch)}, and do not cast it"
        )
        yield Report(start, end, message, fix=fix, facts=TeacherPrecisionFacts("cast", dtype, cast.origin, cast))


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else (dotted_text(func) or "pipeline")


def _run_time_switch(ctx: Context, node: ast.Call) -> bool:
    """`load_in_8bit=args.int8`: whether the load is INT8 is decided at run time."""
    switches = (INT8_KEYWORD, FOUR_BIT_KEYWORD)
    return any(kw.arg in switches and not ctx.constant(kw.value)[0] for kw in node.keywords)


def _quantization(ctx: Context, node: ast.Call, facts: LoadFacts) -> str:
    """ "none", "int8", or "other" (a format BLY402 reports, or one that cannot be told)."""
    if facts.quantization in ("none", INT8):
        return facts.quantization
    kw = keyword(node, QUANTIZATION_CONFIG_KEYWORD)
    config = ctx.follow(kw.value).value if kw is not None else None
    if not isinstance(config, ast.Call):
        return "other"
    qualified = ctx.qualified(config.func)
    if qualified in EETQ_CONFIG:
        return INT8
    if qualified in QUANTO_CONFIG:
        weights = _argument(config, 0, "weights")
        text = ctx.constant(weights)[1] if weights is not None else "int8"  # Quanto's default
        return INT8 if isinstance(text, str) and _int8_text(text) else "other"
    if qualified in TORCHAO_CONFIG:
        quant_type = _argument(config, 0, "quant_type")
        text = ctx.constant(quant_type)[1] if quant_type is not None else None
        return INT8 if isinstance(text, str) and _int8_text(text) else "other"
    return "other"


def _int8_text(text: str) -> bool:
    found = marker_kind(text)
    return found is not None and found[0] == INT8


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    kw = keyword(call, name)
    if kw is not None:
        return kw.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _literal_fix(ctx: Context, value: ast.expr) -> Fix | None:
    """`torch.float16` -> `torch.bfloat16`, `"fp16"` -> `"bf16"`; None for a dtype held in a name."""
    if string_value(value) is not None:
        return bf16_string_fix(ctx, value)
    qualified = ctx.qualified(value)
    return bf16_attr_fix(ctx, value, qualified) if qualified else None
