"""Small helpers shared by rule families: spans, fixes and dtype spellings."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..context import Context
from ..data import names as tables
from ..findings import Applicability, Edit, Fix, Position
from ..names import string_value


def attr_start(ctx: Context, func: ast.Attribute) -> Position:
    """Where the attribute name of `x.attr` starts (it is the last token of the node)."""
    end = ctx.end(func)
    return Position(end.line, end.col - len(func.attr))


def method_span(ctx: Context, call: ast.Call) -> tuple[Position, Position]:
    """`model.half()` -> the span of `half()`: the most specific part of a method call."""
    assert isinstance(call.func, ast.Attribute)
    return attr_start(ctx, call.func), ctx.end(call)


def torch_name(ctx: Context) -> tuple[str, tuple[str, ...]]:
    """How this file spells `torch`, and the import to add if it has none."""
    alias = ctx.names.alias_for("torch")
    if alias is not None:
        return alias, ()
    return "torch", ("torch",)


def bf16_attr_fix(ctx: Context, node: ast.AST, spelling: str) -> Fix | None:
    """`th.float16` -> `th.bfloat16`, keeping the user's alias; None when not a plain attribute."""
    if not isinstance(node, ast.Attribute):
        return None
    target = "BFloat16Tensor" if spelling.endswith("Tensor") else "bfloat16"
    start = attr_start(ctx, node)
    return Fix(
        Applicability.SAFE,
        f"Use `{target}`",
        (Edit(start, ctx.end(node), target),),
    )


def bf16_string_fix(ctx: Context, node: ast.AST) -> Fix | None:
    """`"fp16"` -> `"bf16"`, `'float16'` -> `'bfloat16'`, keeping the quote style."""
    value = string_value(node)  # type: ignore[arg-type]
    if value is None or value not in tables.BF16_STRING_FOR:
        return None
    start, end = ctx.start(node), ctx.end(node)
    if start.line != end.line:
        return None
    text = ctx.lines[start.line - 1][start.col - 1 : end.col - 1]
    if text not in (f"'{value}'", f'"{value}"'):
        return None  # prefixed, escaped or concatenated: leave it to a human
    new = tables.BF16_STRING_FOR[value]
    return Fix(Applicability.SAFE, f'Use "{new}"', (Edit(start, end, text.replace(value, new, 1)),))


def insert_keyword_fix(ctx: Context, call: ast.Call, keyword_text: str, title: str, imports: tuple[str, ...]) -> Fix:
    """Append `keyword_text` to a call's arguments, following its layout.

    One-line calls get `, kw=...`; exploded calls (closing paren on its own line) get a
    new line with the last argument's indentation and a trailing comma if they use one.
    """
    end = ctx.end(call)
    close = Position(end.line, end.col - 1)  # the `)`
    args = [*call.args, *call.keywords]
    if not args:
        return Fix(Applicability.SAFE, title, (Edit(close, close, keyword_text),), imports)
    last = max(args, key=lambda a: (a.end_lineno or 0, a.end_col_offset or 0))
    last_end = ctx.end(last)
    between = _text_between(ctx, last_end, close)
    trailing_comma = between.lstrip().startswith(",")
    if close.line > last_end.line:  # exploded: `)` on a later line; a new line per argument
        indent_line = ctx.lines[ctx.start(last).line - 1]
        indent = indent_line[: len(indent_line) - len(indent_line.lstrip())]
        comma_line = last_end.line + (between[: between.index(",")].count("\n") if trailing_comma else 0)
        line_end = Position(comma_line, len(ctx.lines[comma_line - 1]) + 1)  # after any comment
        new_line = ctx.newline + indent + keyword_text + ("," if trailing_comma else "")
        edits = [Edit(line_end, line_end, new_line)]
        if not trailing_comma:
            edits.insert(0, Edit(last_end, last_end, ","))
        return Fix(Applicability.SAFE, title, tuple(edits), imports)
    if trailing_comma:
        return Fix(Applicability.SAFE, title, (Edit(close, close, f" {keyword_text}"),), imports)
    return Fix(Applicability.SAFE, title, (Edit(last_end, last_end, f", {keyword_text}"),), imports)


def _text_between(ctx: Context, start: Position, end: Position) -> str:
    if start.line == end.line:
        return ctx.lines[start.line - 1][start.col - 1 : end.col - 1]
    parts = [ctx.lines[start.line - 1][start.col - 1 :]]
    parts.extend(ctx.lines[start.line : end.line - 1])
    parts.append(ctx.lines[end.line - 1][: end.col - 1])
    return "\n".join(parts)


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


def dtype_label(canonical: str) -> str:
    return tables.DTYPE_LABELS.get(canonical, canonical)
