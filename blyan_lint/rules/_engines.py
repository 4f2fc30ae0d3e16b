"""Inference engines' loaders (vLLM, SGLang): their dtype (BLY103) and their quantized
formats (BLY401/BLY402). Tables in data/engines.py."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..context import Context
from ..data import engines
from ..facts import QuantizationFacts
from ..findings import Applicability, Edit, Fix, Report
from ..names import dotted_text, has_star_kwargs, keyword, string_value
from ._common import insert_keyword_fix

INT8 = "int8"
UNSUPPORTED = "unsupported"


def engine_name(ctx: Context, call: ast.Call) -> str | None:
    qualified = ctx.qualified(call.func)
    return qualified if qualified in engines.ENGINES else None


def dtype_report(ctx: Context, call: ast.Call, engine: str) -> Report | None:
    """BLY103: an engine without `dtype="bfloat16"` (absent or "auto"); a non-BF16 dtype string
    or torch dtype is BLY101's. Quantized engines are BLY401/BLY402's."""
    if has_star_kwargs(call) or keyword(call, engines.QUANTIZATION_KEYWORD) is not None:
        return None
    spelled = dotted_text(call.func) or engine
    kw = keyword(call, engines.DTYPE_KEYWORD)
    serves = 'serves the checkpoint\'s dtype (the default "auto": FP16 for an FP32 or FP16 checkpoint)'
    remedy = 'the policy requires BF16: pass `dtype="bfloat16"`'
    if kw is None:
        fix = insert_keyword_fix(ctx, call, 'dtype="bfloat16"', 'Add `dtype="bfloat16"`', ())
        return ctx.report(call.func, f'`{spelled}` without `dtype="bfloat16"` {serves}; {remedy}', fix=fix)
    is_literal, value, note = ctx.constant(kw.value)
    if not is_literal or value != engines.AUTO:
        return None
    fix = None
    if string_value(kw.value) == engines.AUTO:
        start, end = ctx.start(kw.value), ctx.end(kw.value)
        quote = ctx.lines[start.line - 1][start.col - 1] if start.line == end.line else '"'
        if quote in "'\"":
            fix = Fix(Applicability.SAFE, 'Use `dtype="bfloat16"`', (Edit(start, end, f"{quote}bfloat16{quote}"),))
    message = f"`{spelled}(..., dtype={ctx.source(kw.value)})`{note} {serves}; {remedy}"
    return ctx.report(kw.value, message, fix=fix)


def quantization_reports(ctx: Context, call: ast.Call, engine: str) -> Iterator[tuple[str, Report]]:
    """(kind, report) for `quantization=` and `kv_cache_dtype=` of an engine."""
    spelled = dotted_text(call.func) or engine
    kw = keyword(call, engines.QUANTIZATION_KEYWORD)
    if kw is not None:
        is_literal, value, note = ctx.constant(kw.value)
        if is_literal and isinstance(value, str):
            name = value.strip().lower()
            facts = QuantizationFacts(value, False, "keyword", kw.arg or "", ctx.resolve(kw.value), None)
            written = f"`{spelled}(..., quantization={ctx.source(kw.value)})`{note}"
            if name in engines.INT8_QUANTIZATIONS:
                facts = QuantizationFacts("INT8", True, "keyword", kw.arg or "", ctx.resolve(kw.value), None)
                yield INT8, ctx.report(kw, f"{written} serves the model in INT8; {_TEACHER_ONLY}", facts=facts)
            elif name not in engines.CHECKPOINT_DEFINED_QUANTIZATIONS:
                message = f'{written} serves the model quantized as "{value}"; {_NOWHERE}'
                yield UNSUPPORTED, ctx.report(kw, message, facts=facts)
    kv = keyword(call, engines.KV_CACHE_KEYWORD)
    if kv is not None:
        is_literal, value, note = ctx.constant(kv.value)
        if is_literal and isinstance(value, str) and value.strip().lower().startswith(engines.FP8_KV_PREFIX):
            facts = QuantizationFacts("FP8", False, "keyword", kv.arg or "", ctx.resolve(kv.value), None)
            message = (
                f"`{spelled}(..., kv_cache_dtype={ctx.source(kv.value)})`{note} stores the KV cache in FP8, so "
                f'attention reads FP8 keys and values; {_NOWHERE} (`kv_cache_dtype="auto"` keeps the model\'s BF16)'
            )
            yield UNSUPPORTED, ctx.report(kv, message, facts=facts)


_TEACHER_ONLY = (
    "the policy allows INT8 only in teacher code, marked with `# blyan-lint: teacher`; students, inference and "
    "training use BF16"
)
_NOWHERE = "the policy allows no 4-bit, GPTQ, AWQ or FP8 anywhere, teachers included: use BF16 (INT8 for teachers)"
