"""What BLY101-BLY105 share: the spellings of non-BF16 dtypes and how a dtype argument reads."""

from __future__ import annotations

import ast

from ...context import Context
from ...data.dtypes import BF16, CAST_METHODS, DTYPE_ATTRS, DTYPE_STRINGS
from ...names import dotted_text
from ..base import last_segments

# Every spelling of a non-BF16 dtype, as a name or a string: no BLY101/BLY105 finding without one.
NON_BF16_WORDS = frozenset(
    {
        *last_segments(q for q, dtype in DTYPE_ATTRS.items() if dtype != BF16),
        *(text for text, dtype in DTYPE_STRINGS.items() if dtype != BF16),
    }
)
# Statement words (`Rule.statement_words`): a dtype object is an attribute of torch
# (`th.half`, `torch.HalfTensor`, `t.half()` for the casts) or imported, which names it;
# a dtype string is quoted. `float` alone (an annotation, a call) selects nothing.
CAST_WORDS = tuple(f".{method}" for method in CAST_METHODS)
NON_BF16_STATEMENT_WORDS = (
    *CAST_WORDS,
    *(f"{quote}{text}{quote}" for text, dtype in DTYPE_STRINGS.items() if dtype != BF16 for quote in "'\""),
)


def dtype_argument(ctx: Context, node: ast.expr) -> tuple[str, str, str] | None:
    """(what the user wrote, canonical dtype, note) for a dtype argument, following a local
    name: for `dt` bound to `torch.float16` the note reads ` (`dt` is `torch.float16`, line 3)`."""
    canonical = ctx.dtype_value(node)
    if canonical is None:
        return None
    written = dotted_text(node) or ctx.source(node)
    note = ctx.note(ctx.follow(node)) if ctx.dtype_attr(node) is None else ""
    return written, canonical, note
