"""Adopting on a codebase with many findings: `--add-noqa`, the suppressed findings for the
reports, and the hint when a blanket `# noqa` was ignored.

`--add-noqa[=REASON]` does what ruff's does: every line with a finding gets a `# noqa`
naming its codes, merged into a `# noqa: ...` already on the line (its codes kept), so a
second run adds nothing. The comment goes on the reported line, or where a multi-line
string or backslash continuation starting there ends (the line flake8 reads it from).
"""

from __future__ import annotations

import linecache
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .api import Overrides, check_file, rules_for, settings_for
from .discovery import discover
from .findings import UNREADABLE, Edit, Finding, Position
from .kinds import file_kind
from .sources import read_bytes, split_lines
from .suppress import directives, is_suppressed, logical_lines, suppressed_codes

# The fixes modules are imported where edits are made: a check only needs `blanket_hint`.

_SUPPORTED = ("python", "notebook", None)  # None: an explicit file of unknown suffix is checked as Python


@dataclass(frozen=True)
class Added:
    path: str
    count: int  # directives written or extended
    error: str | None = None


def add_directives(text: str, findings: Iterable[Finding], reason: str | None) -> tuple[str, int]:
    """`text` with a `# noqa` for every finding; returns it and how many lines changed."""
    from .fixes.apply import apply_edits

    lines = split_lines(text)
    ranges = logical_lines(text, lines)
    wanted: dict[int, set[str]] = defaultdict(set)
    for finding in findings:
        if finding.code != UNREADABLE:
            line = finding.start.line
            wanted[ranges.get(line, (line, line))[1]].add(finding.code)
    coded = {d.line: d for d in directives(text) if d.codes}  # the last coded noqa of each line
    tail = f" -- {' '.join(reason.split())}" if reason and reason.strip() else ""
    edits = []
    for line, codes in sorted(wanted.items()):
        if not 0 < line <= len(lines):
            continue
        existing = coded.get(line)
        have = tuple(c for c, _, _ in existing.codes) if existing else ()
        missing = sorted(c for c in codes if not is_suppressed(c, have))
        if not missing:
            continue
        if existing is not None:
            at = Position(line, existing.codes[-1][2] + 1)
            extra = tail if existing.reason is None else ""
            edits.append(Edit(at, at, ", " + ", ".join(missing) + extra))
        else:
            at = Position(line, len(lines[line - 1].rstrip()) + 1)
            edits.append(Edit(at, at, f"  # noqa: {', '.join(missing)}{tail}"))
    return apply_edits(text, edits), len(edits)


def add_noqa(paths: list[str], overrides: Overrides, reason: str | None) -> tuple[list[str], list[Added]]:
    files = list(discover(paths, overrides.force_exclude))
    return files, [_add_to_file(path, overrides, reason) for path in files if file_kind(path) in _SUPPORTED]


def _add_to_file(path: str, overrides: Overrides, reason: str | None) -> Added:
    data = read_bytes(path)
    if isinstance(data, str):
        return Added(path, 0, data)
    findings = check_file(path, overrides, data)
    if any(f.code == UNREADABLE for f in findings):
        return Added(path, 0, "cannot be checked (BLY000): nothing added")
    if not findings:
        return Added(path, 0)
    if file_kind(path) == "notebook":
        return _add_to_notebook(path, overrides, reason, data)
    from .fixes.source_io import source_encoding

    encoding = source_encoding(data)
    text = data.decode(encoding)
    bom = text.startswith("\ufeff")
    new_text, count = add_directives(text[1:] if bom else text, findings, reason)
    new_data = (("\ufeff" if bom else "") + new_text).encode(encoding)
    return _write_checked(path, overrides, data, new_data, count)


def _add_to_notebook(path: str, overrides: Overrides, reason: str | None, data: bytes) -> Added:
    from .fixes.apply import FixError
    from .notebook_cells import Joined, NotebookError
    from .notebooks import lint_joined, transform

    settings = settings_for(path, overrides)
    rules = rules_for(path, overrides)
    counted = [0]

    def change(joined: Joined) -> str:
        findings = lint_joined(path, joined.text, settings, rules, overrides.prefilter)
        text, counted[0] = add_directives(joined.text, findings, reason)
        return text

    original = data.decode("utf-8-sig")
    try:
        new_text = transform(original, change)
    except (NotebookError, FixError, ValueError) as exc:
        return Added(path, 0, str(exc))
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    return _write_checked(path, overrides, data, (bom + new_text).encode("utf-8"), counted[0])


def _write_checked(path: str, overrides: Overrides, data: bytes, new_data: bytes, count: int) -> Added:
    """Write only when the new text silences every finding it was meant to (and still parses)."""
    from .fixes.source_io import Changed, replace_if_unchanged

    if new_data == data:
        return Added(path, 0)
    left = [f for f in check_file(path, overrides, new_data) if f.code != "BLY001"]
    if left:
        where = f"{left[0].start.line}:{left[0].start.col} {left[0].code}"
        return Added(path, 0, f"a `# noqa` could not silence {where}; nothing written")
    try:
        replace_if_unchanged(path, data, new_data)
    except Changed:
        return Added(path, 0, "the file changed while the directives were added; nothing written")
    except OSError as exc:
        return Added(path, 0, f"cannot write: {exc.strerror or exc}")
    return Added(path, count)


def suppressed_findings(files: Iterable[str], overrides: Overrides) -> list[Finding]:
    """The findings a `# noqa: CODE` silenced, for the JSON and SARIF reports."""
    out: list[Finding] = []
    for path in files:
        if file_kind(path) not in _SUPPORTED:
            continue
        data = read_bytes(path)
        if isinstance(data, str) or b"noqa" not in data.lower():
            continue
        out.extend(f for f in check_file(path, overrides, data, keep_suppressed=True) if f.suppression is not None)
    return sorted(out, key=lambda f: f.sort_key)


def blanket_hint(findings: Iterable[Finding]) -> str | None:
    """A hint when findings sit on lines whose only `# noqa` is a blanket one."""
    count = 0
    for finding in findings:
        if file_kind(finding.path) not in _SUPPORTED or finding.code == UNREADABLE:
            continue
        if finding.cell is not None:
            from .notebook_cells import cell_line

            text = cell_line("".join(linecache.getlines(finding.path)), finding.cell, finding.start.line)
        else:
            text = linecache.getline(finding.path, finding.start.line)
        if suppressed_codes(text) == ():
            count += 1
    if not count:
        return None
    were = "finding is" if count == 1 else "findings are"
    return (
        f"hint: {count} {were} on a line with a blanket `# noqa`, which does not silence BLY codes: "
        "name the code (`# noqa: BLY101 -- why`), or run `blyan-lint check --add-noqa`."
    )
