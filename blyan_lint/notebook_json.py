"""A notebook file's JSON text, read and edited in place: where each cell's `source` value
lies, writing changed sources back (nothing else in the file changes, byte for byte), and
the file position of a cell position (for SARIF and flake8)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .notebook_cells import Cell

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(s: str, i: int) -> int:
    return _WS.match(s, i).end()  # type: ignore[union-attr]


def _members(s: str, i: int) -> list[tuple[str, int, int]]:
    """(key, value start, value end) of the object at s[i]."""
    out: list[tuple[str, int, int]] = []
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
    out: list[tuple[int, int]] = []
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


def _string_offsets(s: str, i: int) -> list[int]:
    """For the JSON string literal at s[i], the offset in `s` of each decoded character."""
    out: list[int] = []
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
