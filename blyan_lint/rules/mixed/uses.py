"""How the mixed-precision APIs are written and used, for BLY201-BLY203: as a `with` item, a
decorator or a call; under an alias; with which switches (`enabled=`) and arguments."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from ...context import Context
from ...facts import ABSENT, ABSENT_VALUE, LITERAL, Value
from ...names import dotted_text, keyword
from ..base import Report, Rule

POLICY = "Enforcement: No Mixed Precision: All computations in BF16 (except teacher)."


def switched_on(value: object) -> bool:
    """`True` (or a non-zero int, which the libraries read as true)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, int) and value != 0


def call_text(spelled: str, call: ast.Call) -> str:
    return f"{spelled}()" if not call.args and not call.keywords else f"{spelled}(...)"


def usage_of(ctx: Context, node: ast.AST) -> str:
    """How an expression is used: as a `with` item, a decorator, or anything else."""
    parent = ctx.parent
    if isinstance(parent, ast.withitem) and parent.context_expr is node:
        return "context"
    if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(d is node for d in parent.decorator_list):
        return "decorator"
    return "call"


def aka(spelled: str, qualified: str | None) -> str:
    """` (`torch.autocast`)` after an aliased spelling (`ac`), nothing after `th.autocast`."""
    if qualified is None or spelled.rsplit(".", 1)[-1] == qualified.rsplit(".", 1)[-1]:
        return ""
    return f" (`{qualified}`)"


def _is_called(ctx: Context, node: ast.AST) -> bool:
    parent = ctx.parent
    return isinstance(parent, ast.Call) and parent.func is node


def bare_reference(ctx: Context, node: ast.AST, names: frozenset[str]) -> str | None:
    """The qualified name of a bare reference (not called, not inspected) to one of `names`."""
    if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(node.ctx, ast.Load):
        return None
    qualified = ctx.qualified(node)
    if qualified not in names or _is_called(ctx, node) or ctx.is_inspection(node):
        return None
    return qualified


class BareReferenceRule(Rule):
    """A rule that also reports bare references (neither called nor inspected) to the names in
    `referenced` (`@autocast`, `scaler_class = GradScaler`): it writes `reference()`."""

    referenced: ClassVar[frozenset[str]] = frozenset()

    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._bare(node, ctx)

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._bare(node, ctx)

    def _bare(self, node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[Report]:
        qualified = bare_reference(ctx, node, self.referenced)
        if qualified is not None:
            yield from self.reference(node, ctx, dotted_text(node) or qualified, qualified)

    def reference(self, node: ast.Attribute | ast.Name, ctx: Context, spelled: str, qualified: str) -> Iterator[Report]:
        """The finding for a bare reference to `qualified`, written `spelled` there."""
        return iter(())


def call_argument(ctx: Context, call: ast.Call | None, position: int | None, name: str) -> Value:
    """A call's argument by keyword or position, resolved; absent when not given."""
    if call is None:
        return ABSENT_VALUE
    kw = keyword(call, name)
    if kw is not None:
        return ctx.resolve(kw.value)
    given = position is not None and len(call.args) > position
    if given and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):  # type: ignore[operator]
        return ctx.resolve(call.args[position])  # type: ignore[index]
    return ABSENT_VALUE


def switch_state(value: Value, default: bool | None) -> bool | None:
    """An `enabled=` switch as resolved: True / False, the default when absent, None when unseen."""
    if value.status == ABSENT:
        return default
    if value.status == LITERAL and isinstance(value.value, (bool, int)):
        return switched_on(value.value)
    return None
