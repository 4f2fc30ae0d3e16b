"""The text edits fixes are made of, built from a file's source and its syntax tree; the
applier (`fixes/apply.py`) applies them, checks the result parses and re-lints it.

Expression-level edits keep the user's spelling (`th.float16` -> `th.bfloat16`, the quote
style of a string, the layout of a call's arguments). Statement-level edits, for the
structural (unsafe) fixes, unwrap a `with`, drop a `with` item, a decorator or whole
statements. Each builder returns None when the code is laid out in a way the edit cannot
handle exactly (statements sharing a line, multi-line strings that dedenting would
change, ...): then the finding is reported without a fix rather than with a risky one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ..context import Context
from ..data.dtypes import BF16_STRING_FOR
from ..findings import Applicability, Edit, Fix, Position
from ..names import string_value

# -- expression-level edits -------------------------------------------------------------


def attr_start(ctx: Context, func: ast.Attribute) -> Position:
    """Where the attribute name of `x.attr` starts (it is the last token of the node)."""
    end = ctx.end(func)
    return Position(end.line, end.col - len(func.attr))


def method_span(ctx: Context, call: ast.Call) -> tuple[Position, Position]:
    """`model.half()` -> the span of `half()`: the most specific part of a method call."""
    assert isinstance(call.func, ast.Attribute)
    return attr_start(ctx, call.func), ctx.end(call)


def past_closing_parens(ctx: Context, start: Position, limit: Position) -> tuple[Position, Position]:
    """From `start` (an expression's `ast` end) towards `limit`, over whitespace, comments,
    line continuations and `)`: (the position after the last `)`, or `start` when there is
    none; the position of the first other character). The `ast` end of a parenthesised
    expression lies inside its parentheses: `f((x))`, `(x.half)()`."""
    line, col = start.line, start.col
    after = start
    while (line, col) < (limit.line, limit.col):
        text = ctx.lines[line - 1] if line <= len(ctx.lines) else ""
        char = text[col - 1] if col <= len(text) else "#"  # past a line's end: go on with the next
        if char == "#":
            line, col = line + 1, 1
            continue
        if char == ")":
            after = Position(line, col + 1)
        elif not (char.isspace() or char == "\\"):
            break
        col += 1
    return after, Position(line, col)


def method_call_edits(ctx: Context, call: ast.Call, method: str, arguments: str) -> tuple[Edit, ...]:
    """`x.half()` -> `x.to(torch.bfloat16)`: the method's name and arguments replaced, in one
    edit from the name to the call's end; in two where parentheses close around the method
    before its arguments (`(x.half)()` -> `(x.to)(torch.bfloat16)`), so that they stay."""
    assert isinstance(call.func, ast.Attribute)
    start, end = method_span(ctx, call)
    name_end = ctx.end(call.func)
    closed, opening = past_closing_parens(ctx, name_end, end)
    if closed == name_end:
        return (Edit(start, end, f"{method}({arguments})"),)
    return Edit(start, name_end, method), Edit(opening, end, f"({arguments})")


def torch_name(ctx: Context, at: ast.AST) -> tuple[str, tuple[str, ...]] | None:
    """How a fix at `at` spells `torch`, and the import to add when nothing binds it there
    yet; None when no spelling would hold the module there (a fix would raise NameError or
    UnboundLocalError, so none is offered)."""
    found = ctx.names.module_name_at("torch", at)
    if found is None:
        return None
    return found.local, (() if found.imported else ("torch",))


def torch_spelling(ctx: Context, at: ast.AST) -> str:
    """`torch_name` for messages: the file's alias where one reaches, else `torch`."""
    found = torch_name(ctx, at)
    return "torch" if found is None else found[0]


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
    if value is None or value not in BF16_STRING_FOR:
        return None
    start, end = ctx.start(node), ctx.end(node)
    if start.line != end.line:
        return None
    text = ctx.lines[start.line - 1][start.col - 1 : end.col - 1]
    if text not in (f"'{value}'", f'"{value}"'):
        return None  # prefixed, escaped or concatenated: leave it to a human
    new = BF16_STRING_FOR[value]
    return Fix(Applicability.SAFE, f'Use "{new}"', (Edit(start, end, text.replace(value, new, 1)),))


def insert_keyword_fix(ctx: Context, call: ast.Call, keyword_text: str, title: str, imports: tuple[str, ...]) -> Fix:
    """Append `keyword_text` to a call's arguments, following its layout.

    One-line calls get `, kw=...`; exploded calls (closing paren on its own line) get a
    new line with the last argument's indentation and a trailing comma if they use one.
    """
    end = ctx.end(call)
    close = Position(end.line, end.col - 1)  # the `)`
    args: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    if not args:
        return Fix(Applicability.SAFE, title, (Edit(close, close, keyword_text),), imports)
    last = max(args, key=lambda a: (a.end_lineno or 0, a.end_col_offset or 0))
    last_end, _ = past_closing_parens(ctx, ctx.end(last), close)  # `f((x))`: after its `)`
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


# -- statement-level edits --------------------------------------------------------------


def _line(ctx: Context, number: int) -> str:
    return ctx.lines[number - 1] if 0 < number <= len(ctx.lines) else ""


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def starts_its_line(ctx: Context, node: ast.AST) -> bool:
    return _line(ctx, node.lineno)[: ctx.start(node).col - 1].strip() == ""  # type: ignore[attr-defined]


def ends_its_line(ctx: Context, node: ast.AST) -> bool:
    end = ctx.end(node)
    rest = _line(ctx, end.line)[end.col - 1 :].strip()
    return rest == "" or rest.startswith("#")


def has_multiline_string(node: ast.AST) -> bool:
    """Dedenting would change the value of a string literal that spans lines."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.JoinedStr) and sub.lineno != sub.end_lineno:
            return True
        if isinstance(sub, ast.Constant) and sub.lineno != sub.end_lineno and isinstance(sub.value, (str, bytes)):
            return True
    return False


def whole_lines(first: int, last: int) -> tuple[Position, Position]:
    return Position(first, 1), Position(last + 1, 1)


def unwrap_with(ctx: Context, node: ast.With | ast.AsyncWith) -> Edit | None:
    """Replace a one-item `with` by its body, dedented one level (comments kept)."""
    header_end = max(ctx.end(item.optional_vars or item.context_expr).line for item in node.items)
    return replace_by_block(ctx, node, node.body, header_end + 1)


def replace_by_block(ctx: Context, node: ast.stmt, body: list[ast.stmt], keep_from: int) -> Edit | None:
    """Replace the compound statement `node` (all its lines) by `body`, one of its blocks,
    re-indented to `node`'s level. Comment lines from line `keep_from` on are kept."""
    body_first, body_last = body[0], body[-1]
    last_line = node.end_lineno or node.lineno
    if body_first.lineno < keep_from or not starts_its_line(ctx, node) or not ends_its_line(ctx, node):
        return None
    if any(has_multiline_string(stmt) for stmt in body):
        return None
    outer = _indent(_line(ctx, node.lineno))
    inner = _indent(_line(ctx, body_first.lineno))
    if not inner.startswith(outer) or len(inner) == len(outer):
        return None
    depth = len(inner) - len(outer)
    out: list[str] = []
    for number in range(keep_from, (body_last.end_lineno or body_last.lineno) + 1):
        text = _line(ctx, number)
        if number < body_first.lineno and text.strip() and not text.strip().startswith("#"):
            continue  # the rest of the header, such as a closing `):`
        if not text.strip():
            out.append("")
        elif text.startswith(outer) and text[len(outer) : len(outer) + depth].strip() == "":
            out.append(outer + text[len(outer) + depth :])
        else:
            out.append(text)  # a comment indented less than the block: keep it as it is
    start = Position(node.lineno, 1)
    end = Position(last_line, len(_line(ctx, last_line)) + 1)
    return Edit(start, end, ctx.newline.join(out))


def remove_with_item(ctx: Context, node: ast.With | ast.AsyncWith, index: int) -> Edit | None:
    """Drop one item of a multi-item `with` (with its comma), keeping the others."""
    items = node.items
    if len(items) < 2 or items[index].optional_vars is not None:
        return None
    if index < len(items) - 1:
        return Edit(ctx.start(items[index].context_expr), ctx.start(items[index + 1].context_expr), "")
    previous = items[index - 1]
    return Edit(ctx.end(previous.optional_vars or previous.context_expr), ctx.end(items[index].context_expr), "")


def remove_decorator(ctx: Context, decorator: ast.expr) -> Edit | None:
    start = ctx.start(decorator)
    if _line(ctx, decorator.lineno)[: start.col - 1].strip() != "@" or not ends_its_line(ctx, decorator):
        return None
    return Edit(*whole_lines(decorator.lineno, decorator.end_lineno or decorator.lineno), "")


def remove_statements(ctx: Context, doomed: Iterable[ast.stmt], blocks: dict[int, list[ast.stmt]]) -> list[Edit] | None:
    """Delete whole statements; a block left empty gets a `pass` so it still parses.

    `blocks` maps id(statement) to the statement list it belongs to."""
    doomed = list(doomed)
    ids = {id(s) for s in doomed}
    edits: list[Edit] = []
    for stmt in doomed:
        if not starts_its_line(ctx, stmt) or not ends_its_line(ctx, stmt):
            return None
        block = blocks.get(id(stmt))
        if block is None:
            return None
        last = stmt.end_lineno or stmt.lineno
        survivors = [s for s in block if id(s) not in ids]
        if not survivors and stmt is block[-1]:
            indent = _indent(_line(ctx, stmt.lineno))
            edits.append(Edit(*whole_lines(stmt.lineno, last), f"{indent}pass{ctx.newline}"))
        else:
            edits.append(Edit(*whole_lines(stmt.lineno, last), ""))
    return edits


def statement_blocks(root: ast.AST) -> dict[int, list[ast.stmt]]:
    """id(statement) -> the list (body, orelse, ...) that holds it, for a subtree."""
    blocks: dict[int, list[ast.stmt]] = {}
    for node in ast.walk(root):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                for stmt in value:
                    if isinstance(stmt, ast.stmt):
                        blocks[id(stmt)] = value
    return blocks


def parents_of(root: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(root):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


# Expressions whose source can stand before `.method()` as it is.
_ATOMIC = (
    ast.Name,
    ast.Attribute,
    ast.Call,
    ast.Subscript,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.JoinedStr,
)


def receiver_text(ctx: Context, node: ast.expr) -> str | None:
    """The source of `node` written so that `.method()` after it applies to all of it:
    `opt_a if use_a else opt_b` -> `(opt_a if use_a else opt_b)`; None for what cannot be a
    receiver at all (`*opts`)."""
    if isinstance(node, ast.Starred):
        return None
    text = ctx.source(node)
    if not text:
        return None
    atomic = isinstance(node, _ATOMIC) or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))
    return text if atomic and "\n" not in text else f"({text})"
