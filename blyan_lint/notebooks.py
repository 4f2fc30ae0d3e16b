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

This module is the pipeline (check, fix, transform); `notebook_cells.py` reads, joins and
splits the cells, `notebook_json.py` edits the file's JSON text and maps positions in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .config import Settings
from .engine import check_python
from .findings import Edit, Finding, Fix, Position, unreadable
from .fixes.apply import FixError, FixResult, fix_text
from .fixes.source_io import FileFix
from .notebook_cells import Joined, NotebookError, join, load, parse, split
from .notebook_json import write_sources
from .pyversion import syntax_error_message
from .rules.base import Rule

SUFFIX = ".ipynb"


def lint_joined(
    path: str, text: str, settings: Settings, rules: Sequence[Rule], prefilter: bool, keep_suppressed: bool = False
) -> list[Finding]:
    data = text.encode("utf-8")
    try:
        tree = parse(text)
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
