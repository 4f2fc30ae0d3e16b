"""A notebook's code cells: read from its JSON, joined into one Python text that the ordinary
pipeline checks, and the (fixed) joined text split back into cell sources.

Each cell is followed by a marker comment line in the joined text; IPython lines of a cell
that does not parse become `pass` placeholders (see `notebooks.py`).
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .fixes.apply import FixError

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


def load(text: str) -> tuple[dict[str, Any], list[Cell]] | None:
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
        parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def parse(text: str) -> ast.Module:
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
