"""The parts of conditionals, as rules that judge a whole chain see them: the branches and
conditions of `a if x else b if y else c`, and of an `if` / `elif` / `else` statement."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..context import Context


def walk_within(node: ast.AST, stop: tuple[type[ast.AST], ...]) -> Iterator[ast.AST]:
    """Every node under `node` (itself included), not descending into `stop` types: the
    code that runs as part of a statement, not nested definitions (or nested `if`s)."""
    if isinstance(node, stop):
        return
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, stop):
                todo.append(child)


def ifexp_leaves(node: ast.expr, leaves: list[ast.expr], tests: list[ast.expr]) -> None:
    """The branches and conditions of a (nested) conditional expression: `a if x else b if y else c`
    gives leaves [a, b, c] and tests [x, y]."""
    if isinstance(node, ast.IfExp):
        tests.append(node.test)
        ifexp_leaves(node.body, leaves, tests)
        ifexp_leaves(node.orelse, leaves, tests)
    else:
        leaves.append(node)


def conditional_parts(ctx: Context, node: ast.IfExp) -> tuple[list[ast.expr], list[ast.expr]] | None:
    """(branches, conditions) of a chain of conditional expressions, judged once at its
    outermost `IfExp`; None for an inner link of a chain (the outer one speaks for it)."""
    parent = ctx.parent
    if isinstance(parent, ast.IfExp) and node is not parent.test:
        return None
    leaves: list[ast.expr] = []
    tests: list[ast.expr] = []
    ifexp_leaves(node, leaves, tests)
    return leaves, tests


def is_elif(ctx: Context, node: ast.If) -> bool:
    """Is this `if` the `elif` of the statement above it (judged with that statement's chain)?"""
    parent = ctx.parent
    return isinstance(parent, ast.If) and len(parent.orelse) == 1 and parent.orelse[0] is node


def if_chain(node: ast.If) -> tuple[list[ast.expr], list[list[ast.stmt]], ast.If]:
    """(conditions, bodies, last link) of an `if` / `elif` chain: one condition and one body
    per `if` and `elif`; the last link's `orelse` is the chain's `else` block (maybe empty)."""
    tests: list[ast.expr] = []
    bodies: list[list[ast.stmt]] = []
    current = node
    while True:
        tests.append(current.test)
        bodies.append(current.body)
        if len(current.orelse) == 1 and isinstance(current.orelse[0], ast.If):
            current = current.orelse[0]
            continue
        return tests, bodies, current
