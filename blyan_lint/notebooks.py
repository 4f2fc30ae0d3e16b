"""Jupyter notebooks (`.ipynb`): the code cells checked as one module, fixes written back.

The code cells are joined into one Python text (so `import torch` in cell 1 is seen in
cell 3), each followed by a marker comment line, and checked by the ordinary pipeline;
findings are then mapped back to `cell N:line:col`, where N counts every cell of the
notebook from 1 (ruff's numbering, and the position in the JSON's `cells` array).
IPython syntax is not Python: a cell starting with a cell magic (`%%bash`, `%%time`) is
skipped, and in a cell that does not parse as it is, line magics (`%pip ...`), shell
escapes (`!ls`, `x = !ls`) and help queries (`obj?`) become `pass` placeholders.

Fixes run on the joined text and each changed cell's `source` is written back by
replacing exactly that JSON value in the file's text: outputs, metadata, key order,
indentation and escaping of everything else stay byte for byte. Plain `json`: the
format needs no more (nbformat would rewrite the whole file in its own style).
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .config import Settings
from .engine import check_python
from .findings import Edit, Finding, Fix, Position, unreadable
from .fixes.apply import FixError, FixResult, fix_text
from .fixes.source_io import FileFix
from .pyversion import syntax_error_message
from .rules.base import Rule

SUFFIX = ".ipynb"
_MARKER = "# blyan-lint: end of cell {}"
_MARKER_RE = re.compile(r"^# blyan-lint: end of cell (\d+)$")
_PLACEHOLDER = "pass  # blyan-lint: IPython line {}"
_PLACEHOLDER_RE = re.compile(r"^(\s*)pass  # blyan-lint: IPython line (\d+)$")
# IPython-only lines: magics, shell escapes, `x = !cmd` / `x = %cmd`, help queries `obj?`.
_IPYTHON_LINE = re.compile(r"^\s*(?:[%!?]|[\w.]+\s*=\s*[%!]|[\w.\[\]()]+\?\??\s*$)")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_PARSE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # IPython runs top-level await


class NotebookError(ValueError):
    """The file is not a notebook this checker can read (reported as BLY000)."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based, counting every cell of the notebook
    source: str  # as in the file
    is_list: bool  # `source` stored as a list of lines (the usual form) or one string


@dataclass(frozen=True)
class Joined:
    """The code cells as one Python text, and where each of its lines came from."""

    text: str
    origin: tuple[tuple[int, int], ...]  # joined line (0-based index) -> (cell, line in cell)
    magics: tuple[str, ...]  # the IPython lines the placeholders stand for, by number
    cells: tuple[Cell, ...]  # the cells that were joined


def load(text: str) -> tuple[dict, list[Cell]] | None:
    """The notebook and its code cells; None when its kernel is not Python."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a notebook: invalid JSON at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and "worksheets" in nb:
            raise NotebookError("nbformat 3 notebook: convert it with `jupyter nbconvert --to notebook`")
        raise NotebookError("not a notebook: no `cells` list")
    if not _is_python(nb.get("metadata")):
        return None
    cells = []
    for index, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            cells.append(Cell(index, "".join(source), True))
        elif isinstance(source, str):
            cells.append(Cell(index, source, False))
        else:
            raise NotebookError(f"not a notebook: cell {index} has a source that is not text")
    return nb, cells


def _is_python(metadata: object) -> bool:
    if not isinstance(metadata, dict):
        return True
    for key in ("language_info", "kernelspec"):
        info = metadata.get(key)
        if isinstance(info, dict):
            language = info.get("name" if key == "language_info" else "language")
            if isinstance(language, str):
                return language.lower() == "python"
    return True


def _parses(text: str) -> bool:
    try:
        _parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(text, "<notebook>", "exec", _PARSE_FLAGS)  # type: ignore[no-any-return]


def _lines(source: str) -> list[str]:
    """Lines as Python's tokenizer sees them (not str.splitlines, which also splits at \\f, \\u2028...)."""
    lines = _NEWLINE.split(source)
    return lines[:-1] if lines and lines[-1] == "" else lines


def join(cells: Sequence[Cell]) -> Joined:
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    magics: list[str] = []
    joined_cells = []
    for cell in cells:
        cell_lines = _lines(cell.source)
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            continue  # a cell magic: the body is not Python (%%bash, %%html) or not run as-is
        joined_cells.append(cell)
        if not _parses(cell.source):
            for i, line in enumerate(cell_lines):
                if _IPYTHON_LINE.match(line):
                    indent = line[: len(line) - len(line.lstrip())]
                    cell_lines[i] = indent + _PLACEHOLDER.format(len(magics))
                    magics.append(line)
        for number, line in enumerate(cell_lines, 1):
            lines.append(line)
            origin.append((cell.number, number))
        lines.append(_MARKER.format(cell.number))
        origin.append((cell.number, max(len(cell_lines), 1)))
    text = "\n".join(lines) + ("\n" if lines else "")
    return Joined(text, tuple(origin), tuple(magics), tuple(joined_cells))


def lint_joined(
    path: str, text: str, settings: Settings, rules: Sequence[Rule], prefilter: bool, keep_suppressed: bool = False
) -> list[Finding]:
    data = text.encode("utf-8")
    try:
        tree = _parse(text)
    except SyntaxError as exc:
        return [unreadable(path, syntax_error_message(exc, text), exc.lineno or 1, exc.offset or 1)]
    except RecursionError:  # deeply nested: check_python parses again with room for the depth
        return check_python(path, data, settings, rules, prefilter)
    except (ValueError, MemoryError) as exc:
        return [unreadable(path, f"cannot parse: {exc}")]
    return check_python(path, data, settings, rules, prefilter, tree, keep_suppressed)


def _position(joined: Joined, pos: Position) -> tuple[int, Position]:
    if not joined.origin:
        return 0, pos
    cell, line = joined.origin[min(max(pos.line, 1), len(joined.origin)) - 1]
    return cell, Position(line, pos.col)


def to_cells(joined: Joined, finding: Finding) -> Finding:
    """A finding on the joined text, moved to its cell (edits included)."""
    cell, start = _position(joined, finding.start)
    _, end = _position(joined, finding.end)
    fix = finding.fix
    if fix is not None and fix.edits:
        edits = tuple(Edit(_position(joined, e.start)[1], _position(joined, e.end)[1], e.content) for e in fix.edits)
        fix = Fix(fix.applicability, fix.title, edits, fix.imports)
    return replace(finding, start=start, end=end, fix=fix, cell=cell or None, covers=())


def check_notebook(
    path: str,
    data: bytes,
    settings: Settings,
    rules: Sequence[Rule],
    prefilter: bool = True,
    keep_suppressed: bool = False,
) -> list[Finding]:
    try:
        loaded = load(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return [unreadable(path, f"cannot decode: {exc.reason} at byte {exc.start} (notebooks are UTF-8)")]
    except NotebookError as exc:
        return [unreadable(path, str(exc))]
    if loaded is None:
        return []  # another kernel's language: nothing here runs as Python
    joined = join(loaded[1])
    findings = lint_joined(path, joined.text, settings, rules, prefilter, keep_suppressed)
    return sorted((to_cells(joined, f) for f in findings), key=lambda f: f.sort_key)


def split(joined: Joined, text: str) -> dict[int, str]:
    """The fixed joined text back into cell sources (cell number -> source), IPython lines restored."""
    sources: dict[int, str] = {}
    current: list[str] = []
    expected = iter(c.number for c in joined.cells)
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        marker = _MARKER_RE.match(line)
        if marker is None:
            placeholder = _PLACEHOLDER_RE.match(line)
            if placeholder is not None:
                line = joined.magics[int(placeholder.group(2))]
            current.append(line)
            continue
        number = int(marker.group(1))
        if number != next(expected, None):
            raise FixError("a fix moved a cell boundary; nothing written")
        sources[number] = "\n".join(current)
        current = []
    if current or next(expected, None) is not None:
        raise FixError("a fix moved a cell boundary; nothing written")
    return sources


def fix_notebook(
    path: str,
    data: bytes,
    settings: Settings,
    rules: Sequence[Rule],
    unsafe: bool,
    prefilter: bool = True,
) -> FileFix:
    """Fix the code cells; the outcome's texts are the whole notebook file's."""
    original = data.decode("utf-8-sig")
    loaded = load(original)
    if loaded is None:
        return FileFix(path, original, FixResult(original, (), ()))
    joined = join(loaded[1])
    try:
        result = fix_text(joined.text, lambda text: lint_joined(path, text, settings, rules, prefilter), unsafe)
        before, after = _sources(joined, joined.text), _sources(joined, result.text)
        changes = {c.number: (new, c) for c, old, new in zip(joined.cells, before, after, strict=True) if new != old}
        new_text = write_sources(original, changes)
        reread = load(new_text)
        written = {c.number: c.source for c in reread[1]} if reread else {}
        if any(written.get(number) != new for number, (new, _) in changes.items()):
            raise FixError("the notebook did not read back as written; nothing written")
    except (FixError, NotebookError, KeyError) as exc:
        return FileFix(path, original, FixResult(original, (), ()), str(exc))
    fixed = _rejoin(joined, after)
    applied = tuple(to_cells(joined, f) for f in result.applied)
    remaining = tuple(sorted((to_cells(fixed, f) for f in result.remaining), key=lambda f: f.sort_key))
    return FileFix(path, original, FixResult(new_text, applied, remaining))


def transform(original: str, change: Callable[[Joined], str]) -> str:
    """The notebook text after `change` rewrote its joined code: only changed cells are written."""
    loaded = load(original)
    if loaded is None:
        return original
    joined = join(loaded[1])
    new = change(joined)
    before, after = _sources(joined, joined.text), _sources(joined, new)
    changes = {c.number: (b, c) for c, a, b in zip(joined.cells, before, after, strict=True) if a != b}
    return write_sources(original, changes)


def _sources(joined: Joined, text: str) -> list[str]:
    by_number = split(joined, text)
    return [_with_ending(by_number[c.number], c.source) for c in joined.cells]


def _rejoin(joined: Joined, sources: list[str]) -> Joined:
    return join([replace(c, source=s) for c, s in zip(joined.cells, sources, strict=True)])


def _with_ending(source: str, original: str) -> str:
    """A cell keeps whether its source ended with a newline."""
    return source + "\n" if original.endswith(("\n", "\r")) else source


# --- writing sources back into the JSON text --------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(s: str, i: int) -> int:
    return _WS.match(s, i).end()  # type: ignore[union-attr]


def _members(s: str, i: int) -> list[tuple[str, int, int]]:
    """(key, value start, value end) of the object at s[i]."""
    out = []
    i = _skip(s, i + 1)
    if s[i] == "}":
        return out
    while True:
        key, i = json.decoder.scanstring(s, i + 1)  # type: ignore[attr-defined]
        i = _skip(s, _skip(s, i) + 1)  # past the colon
        _, end = _DECODER.raw_decode(s, i)
        out.append((key, i, end))
        i = _skip(s, end)
        if s[i] == "}":
            return out
        i = _skip(s, i + 1)  # past the comma


def _elements(s: str, i: int) -> list[tuple[int, int]]:
    out = []
    i = _skip(s, i + 1)
    if s[i] == "]":
        return out
    while True:
        _, end = _DECODER.raw_decode(s, i)
        out.append((i, end))
        i = _skip(s, end)
        if s[i] == "]":
            return out
        i = _skip(s, i + 1)


def source_spans(text: str) -> dict[int, tuple[int, int]]:
    """Cell number -> the (start, end) offsets of its `source` value in the file's text."""
    start = _skip(text, 1 if text.startswith("\ufeff") else 0)
    cells = next(((a, b) for key, a, b in _members(text, start) if key == "cells"), None)
    spans: dict[int, tuple[int, int]] = {}
    if cells is None:
        return spans
    for number, (a, _) in enumerate(_elements(text, cells[0]), 1):
        if text[a] == "{":
            source = next(((x, y) for key, x, y in _members(text, a) if key == "source"), None)
            if source is not None:
                spans[number] = source
    return spans


def _encode_source(new: str, cell: Cell, old_value: str) -> str:
    ascii_only = "\\u" in old_value and not any(ord(ch) > 127 for ch in old_value)
    if not cell.is_list:
        return json.dumps(new, ensure_ascii=ascii_only)
    lines = new.splitlines(keepends=True)
    if not lines:
        return "[]"
    # Keep the list's own layout: the whitespace before its first item and before `]`.
    first = re.match(r"\[(\s*)", old_value)
    item_indent = first.group(1) if first and old_value.strip() != "[]" else "\n   "
    closing = re.search(r"(\s*)\]$", old_value)
    close_indent = closing.group(1) if closing and old_value.strip() != "[]" else "\n  "
    items = (",").join(item_indent + json.dumps(line, ensure_ascii=ascii_only) for line in lines)
    return "[" + items + close_indent + "]"


def write_sources(text: str, changes: dict[int, tuple[str, Cell]]) -> str:
    """The notebook text with the changed cells' `source` values replaced, nothing else."""
    spans = source_spans(text)
    edits = []
    for number, (source, cell) in changes.items():
        if source == cell.source:
            continue
        start, end = spans[number]
        edits.append((start, end, _encode_source(source, cell, text[start:end])))
    for start, end, value in sorted(edits, reverse=True):
        text = text[:start] + value + text[end:]
    return text


# --- positions in the file, for SARIF ------------------------------------------------------


def _string_offsets(s: str, i: int) -> list[int]:
    """For the JSON string literal at s[i], the offset in `s` of each decoded character."""
    out = []
    i += 1
    while s[i] != '"':
        if s[i] != "\\":
            out.append(i)
            i += 1
        elif s[i + 1] == "u":
            code = int(s[i + 2 : i + 6], 16)
            width = 12 if 0xD800 <= code < 0xDC00 and s[i + 6 : i + 8] == "\\u" else 6
            out.append(i)
            i += width
        else:
            out.append(i)
            i += 2
    out.append(i)  # the closing quote: where a position at the end of the text lands
    return out


def file_position(text: str, cell: int, line: int, col: int) -> tuple[int, int] | None:
    """(line, column) in the notebook file of a cell position, or None if it is not there."""
    span = source_spans(text).get(cell)
    if span is None:
        return None
    start, end = span
    strings = _elements(text, start) if text[start] == "[" else [(start, end)]
    offsets: list[int] = []
    for a, _ in strings:
        offsets.extend(_string_offsets(text, a)[:-1])
    if strings:
        offsets.append(_string_offsets(text, strings[-1][0])[-1])
    source = "".join(json.loads(text[a:b]) for a, b in strings)
    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
    if not offsets or line - 1 >= len(line_starts):
        return None
    index = min(line_starts[line - 1] + col - 1, len(offsets) - 1)
    offset = offsets[index]
    file_line = text.count("\n", 0, offset) + 1
    return file_line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def cell_line(text: str, cell: int, line: int) -> str:
    """The text of one line of a cell (for the `full` format's source excerpt)."""
    try:
        loaded = load(text)
    except NotebookError:
        return ""
    for c in loaded[1] if loaded else ():
        if c.number == cell:
            lines = _lines(c.source)
            return lines[line - 1] if 0 < line <= len(lines) else ""
    return ""
