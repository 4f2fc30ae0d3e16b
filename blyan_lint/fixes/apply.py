"""Applying fixes: text edits from the checker, in passes, verified after every pass.

Rules attach each fix as exact text edits located by the `ast` positions of the finding,
so everything outside an edit (formatting, comments, line endings, a BOM, the encoding
cookie) is kept byte for byte. The loop applies the non-overlapping edits, adds a missing
`import torch`, re-parses (a fix that would not parse is never kept), re-checks, and
stops when nothing fixable is left. It guarantees: the result parses, a second run changes
nothing, and every applied fix cleared its finding — otherwise `FixError`, file untouched.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import bounds
from ..findings import Applicability, Edit, Finding, Fix, Position
from ..import_sites import conditional_roots

MAX_PASSES = 10
_NEWLINE = re.compile(r"\r\n|\r|\n")


class FixError(Exception):
    """A fix could not be applied safely; the file is left as it was."""


@dataclass(frozen=True)
class FixResult:
    text: str
    applied: tuple[Finding, ...]  # the findings whose fixes were applied, in every pass
    remaining: tuple[Finding, ...]  # findings after the last pass

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def wanted(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or not fix.edits:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE)


def fix_text(
    text: str,
    lint: Callable[[str], list[Finding]],
    unsafe: bool = False,
    findings: list[Finding] | None = None,
) -> FixResult:
    """Fix `text` until nothing fixable is left; `lint` re-checks a candidate text."""
    applied: list[Finding] = []
    current = findings if findings is not None else lint(text)
    for _ in range(MAX_PASSES):
        # per pass: a fix may take the condition away (an unwrapped `with`), and the run must
        # reach what a second run would
        blocked = _blocked(text, current, unsafe)
        fixable = [f for f in current if _applicable(f, unsafe, blocked)]
        if not fixable:
            return FixResult(text, tuple(applied), tuple(current))
        chosen = _non_overlapping(fixable)
        candidate = apply_edits(text, [e for f in chosen for e in _fix_of(f).edits])
        imports = sorted({m for f in chosen for m in _fix_of(f).imports})
        candidate = add_imports(candidate, imports)
        _check_parses(candidate, chosen, text)
        after = lint(candidate)
        _check_cleared(chosen, current, after, text, candidate)
        text, current = candidate, after
        applied.extend(chosen)
    if any(_applicable(f, unsafe, _blocked(text, current, unsafe)) for f in current):
        raise FixError(f"fixes did not converge after {MAX_PASSES} passes")
    return FixResult(text, tuple(applied), tuple(current))


def _blocked(text: str, findings: list[Finding], unsafe: bool) -> set[str]:
    """`conditional_imports(text)`, parsed only when a wanted fix would add an import (the
    rules rarely offer one: most files import torch at the top)."""
    if not any(wanted(f, unsafe) and _fix_of(f).imports for f in findings):
        return set()
    return conditional_imports(text)


def _applicable(finding: Finding, unsafe: bool, blocked: set[str]) -> bool:
    """Wanted, and needs no import of a module the file imports only conditionally."""
    return wanted(finding, unsafe) and not blocked.intersection(_fix_of(finding).imports)


def _fix_of(finding: Finding) -> Fix:
    fix = finding.fix
    assert fix is not None, "only findings with a fix reach the applier"
    return fix


def _non_overlapping(findings: list[Finding]) -> list[Finding]:
    """Fixes whose edits touch no edit already taken; the rest wait for the next pass."""
    taken: list[tuple[Position, Position]] = []
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        spans = [(e.start, e.end) for e in _fix_of(finding).edits]
        if any(_overlaps(a, b) for a in spans for b in taken):
            continue
        taken.extend(spans)
        chosen.append(finding)
    return chosen


def _overlaps(a: tuple[Position, Position], b: tuple[Position, Position]) -> bool:
    if a[0] == a[1] or b[0] == b[1]:  # insertions collide only at the same point or inside
        return (b[0] < a[0] < b[1]) or (a[0] < b[0] < a[1]) or a[0] == b[0]
    return a[0] < b[1] and b[0] < a[1]


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits (1-based line/character positions, end exclusive) to text."""
    offsets = _line_offsets(text)
    # One pass, joining pieces: splicing the string once per edit was quadratic for a file
    # with thousands of fixes. Insertions at one point keep their order.
    ordered = sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]))
    pieces: list[str] = []
    at = 0
    for _, edit in ordered:
        start = _offset(offsets, text, edit.start)
        end = _offset(offsets, text, edit.end)
        pieces.append(text[at:start])
        pieces.append(edit.content)
        at = max(at, end)
    pieces.append(text[at:])
    return "".join(pieces)


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    offsets.extend(m.end() for m in _NEWLINE.finditer(text))
    return offsets


def _offset(offsets: list[int], text: str, pos: Position) -> int:
    if pos.line - 1 >= len(offsets):
        return len(text)
    return min(offsets[pos.line - 1] + pos.col - 1, len(text))


def newline_of(text: str) -> str:
    match = _NEWLINE.search(text)
    return match.group(0) if match else "\n"


def add_imports(text: str, modules: list[str]) -> str:
    """Add `import m` after the leading imports, for modules a fix writes where no import
    binds them (`torch` in a cast above the file's own `import torch`, or in a file without
    one); one the leading block already imports is not added twice."""
    if not modules:
        return text
    try:
        tree = _parse(text)
    except SyntaxError:
        return text
    line = _import_line(tree)
    leading = {a.name for node in tree.body if isinstance(node, ast.Import) and node.lineno < line for a in node.names}
    missing = [m for m in modules if m not in leading]
    if not missing:
        return text
    nl = newline_of(text)
    block = "".join(f"import {m}{nl}" for m in missing)
    offsets = _line_offsets(text)
    if line - 1 >= len(offsets):
        if text and not text.endswith(("\n", "\r")):
            text += nl
        return text + block
    at = offsets[line - 1]
    return text[:at] + block + text[at:]


def conditional_imports(text: str) -> set[str]:
    """Modules the text imports only conditionally (`import_sites.conditional_roots`): a fix
    needing `import m` there is not applied. The rules offer no such fix; this guards fixes
    built elsewhere (an editor's, a codemod's) and the text as each pass leaves it."""
    try:
        tree = _parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return conditional_roots(tree)


def _import_line(tree: ast.Module) -> int:
    """The line before which new imports go: after the docstring, `__future__` and the
    leading import block."""
    line = 1
    for index, node in enumerate(tree.body):
        is_docstring = index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            line = (node.end_lineno or node.lineno) + 1
            continue
        break
    return line


def _parse(text: str) -> ast.Module:
    return bounds.parse(text)


def _check_parses(candidate: str, chosen: list[Finding], before: str) -> None:
    """The fixed text must compile, not only parse: `*opts.step()` parses as a statement
    but is no valid program. A file that parses but does not compile as it is (`global x`
    after `x` is bound) is reported as such, not blamed on the fix."""
    problem = _compile_error(candidate)
    if problem is None:
        return
    original = _compile_error(before)
    if original is not None:
        raise FixError(f"the file does not compile as it is ({original}); nothing written")
    codes = ", ".join(sorted({f.code for f in chosen}))
    raise FixError(f"a fix for {codes} would not compile ({problem}); nothing written")


def _compile_error(text: str) -> str | None:
    try:
        bounds.compile_check(text)
    except (SyntaxError, ValueError, MemoryError) as exc:
        return str(exc)
    return None


def _check_cleared(
    chosen: list[Finding], current: list[Finding], after: list[Finding], before: str, candidate: str
) -> None:
    """Every applied fix must clear its finding. Positions move when text is inserted, so
    findings are compared by code and the text they span: after the pass, each such key may
    occur only as often as the findings that were not fixed account for. The text is taken
    with its whitespace runs collapsed: a fix that dedents a block changes the continuation
    lines of the findings inside it (which may then read like the one just fixed)."""
    before_offsets, candidate_offsets = _line_offsets(before), _line_offsets(candidate)  # once per text: linear
    fixed = Counter(_key(f, before, before_offsets) for f in chosen)
    had = Counter(_key(f, before, before_offsets) for f in current)
    now = Counter(_key(f, candidate, candidate_offsets) for f in after)
    for key, count in fixed.items():
        if now[key] > had[key] - count:
            code, snippet = key
            raise FixError(f"the fix for {code} at `{snippet}` did not clear its finding; nothing written")


def _key(finding: Finding, text: str, offsets: list[int]) -> tuple[str, str]:
    start, end = _offset(offsets, text, finding.start), _offset(offsets, text, finding.end)
    return finding.code, " ".join(text[start:end].split())
