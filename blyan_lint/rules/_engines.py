"""Inference engines' loaders (vLLM, SGLang) and their dtype (BLY103). Their quantized formats
(BLY401/BLY402) are judged in `quantization/formats.py`. Tables in data/engines.py."""

from __future__ import annotations

import ast

from ..context import Context
from ..data import engines
from ..findings import Applicability, Edit, Fix, Report
from ..fixes.edits import insert_keyword_fix
from ..names import dotted_text, has_star_kwargs, keyword, string_value


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
        added = insert_keyword_fix(ctx, call, 'dtype="bfloat16"', 'Add `dtype="bfloat16"`', ())
        return ctx.report(call.func, f'`{spelled}` without `dtype="bfloat16"` {serves}; {remedy}', fix=added)
    is_literal, value, note = ctx.constant(kw.value)
    if not is_literal or value != engines.AUTO:
        return None
    fix: Fix | None = None
    if string_value(kw.value) == engines.AUTO:
        start, end = ctx.start(kw.value), ctx.end(kw.value)
        quote = ctx.lines[start.line - 1][start.col - 1] if start.line == end.line else '"'
        if quote in "'\"":
            fix = Fix(Applicability.SAFE, 'Use `dtype="bfloat16"`', (Edit(start, end, f"{quote}bfloat16{quote}"),))
    message = f"`{spelled}(..., dtype={ctx.source(kw.value)})`{note} {serves}; {remedy}"
    return ctx.report(kw.value, message, fix=fix)
