"""The literal value of an expression, seen through local bindings (`flag = True` ... `f(x=flag)`).

`UNKNOWN` stands for every value the static pass cannot know (a parameter, a call's
result): rules compare against it with `is`, so `None` stays a value like any other.
"""

from __future__ import annotations

import ast

from ..context import Context

UNKNOWN = object()


def literal(ctx: Context, node: ast.expr | None) -> object:
    """The constant an expression is, through local bindings; `UNKNOWN` otherwise."""
    if node is None:
        return UNKNOWN
    is_literal, value, _ = ctx.constant(node)
    return value if is_literal else UNKNOWN


def is_true_literal(ctx: Context, node: ast.expr | None) -> bool:
    return literal(ctx, node) is True


def string_literal(ctx: Context, node: ast.expr | None) -> str | None:
    value = literal(ctx, node)
    return value if isinstance(value, str) else None


def bound_note(ctx: Context, node: ast.expr) -> str:
    """` (`flag` is `True`, line 3)` when a literal came through a local name."""
    is_literal, _, note = ctx.constant(node)
    return note if is_literal else ""
