"""`# noqa` handling, identical in CLI and flake8 mode, and BLY001 (unused suppressions).

flake8 searches its noqa regex in the reported line, joined with the other physical lines
of a token that spans several (a triple-quoted string, a backslash continuation), and
accepts a code when it equals or starts with a listed code. We do the same, with two deliberate differences in the CLI:

- a blanket `# noqa` (no codes) does not silence BLY findings, because a policy gate must
  not be switched off wholesale (flake8 itself applies blanket noqa before our plugin can
  object);
- every `# noqa: CODES` on the logical line counts, not only the first, so `x  # noqa  #
  noqa: BLY101` (what `--add-noqa` writes after an existing blanket noqa) silences BLY101.

A directive may carry a reason after ` -- `: `# noqa: BLY101 -- frozen teacher export`.
The reason travels with the suppressed finding into the JSON and SARIF reports.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .findings import Applicability, Edit, Finding, Fix, Position, Suppression

# flake8's NOQA_INLINE_REGEXP, verbatim.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
_REASON = re.compile(r"\s*--\s*(?P<reason>\S.*?)\s*$")
_SPLIT = re.compile(r"[,\s]")
UNUSED = "BLY001"


@dataclass(frozen=True)
class Directive:
    """One `# noqa` in a comment: where it is, its codes (with their columns) and reason."""

    line: int
    start: int  # 0-based column of `#` in the physical line
    end: int  # 0-based column just past the codes (or the reason)
    codes: tuple[tuple[str, int, int], ...]  # (code, start, end) columns; () for a blanket noqa
    reason: str | None


def logical_lines(text: str, lines: list[str]) -> dict[int, tuple[int, int]]:
    """Line number -> the first and last line of the logical line it belongs to."""
    mapping: dict[int, tuple[int, int]] = {}
    min_line, max_line = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            min_line = min(min_line, tok.start[0])
            max_line = max(max_line, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                for number in range(min_line, max_line + 1):
                    mapping[number] = (min_line, max_line)
                min_line, max_line = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


def logical_line_texts(text: str, lines: list[str]) -> dict[int, str]:
    """Line number -> the text flake8 searches for noqa on that line."""
    return {n: "".join(lines[a - 1 : b]) for n, (a, b) in logical_lines(text, lines).items()}


def suppressed_codes(line_text: str) -> tuple[str, ...] | None:
    """None: no noqa. (): only blanket noqa. Otherwise every listed code on the line."""
    found = False
    codes: list[str] = []
    for match in NOQA.finditer(line_text):
        found = True
        if match.group("codes"):
            codes.extend(c for c in _SPLIT.split(match.group("codes")) if c)
    return tuple(codes) if found else None


def is_suppressed(code: str, codes: tuple[str, ...] | None) -> bool:
    if not codes:  # no noqa, or a blanket one (which does not silence BLY codes here)
        return False
    return code in codes or code.startswith(codes)


def directives(text: str) -> list[Directive]:
    """Every `# noqa` inside a real comment (not in a string), in order."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type == tokenize.COMMENT and "noqa" in tok.string.lower():
                out.extend(_parse(tok.string, tok.start[0], tok.start[1]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _parse(comment: str, line: int, offset: int) -> list[Directive]:
    out = []
    for match in NOQA.finditer(comment):
        codes: tuple[tuple[str, int, int], ...] = ()
        end = match.end()
        if match.group("codes"):
            base = match.start("codes")
            codes = tuple(
                (c.group(0), offset + base + c.start(), offset + base + c.end())
                for c in _CODE.finditer(match.group("codes"))
            )
            end = codes[-1][2] - offset
        reason = _REASON.match(comment, match.end())
        if reason is not None and match.group("codes"):
            end = reason.end("reason")
        out.append(
            Directive(line, offset + match.start(), offset + end, codes, reason.group("reason") if reason else None)
        )
    return out


def apply_noqa(
    findings: Iterable[Finding],
    text: str,
    lines: list[str],
    python: bool,
    selected: frozenset[str] | None = None,
    keep_suppressed: bool = False,
    path: str = "",
    has_noqa: bool | None = None,
) -> list[Finding]:
    """The findings no noqa silences. With `keep_suppressed`, the silenced ones too, marked
    with their `suppression`. When `selected` holds BLY001, unused BLY codes are reported.
    `has_noqa`: whether the text holds `noqa` in any case, where the caller knows already."""
    findings = list(findings)
    report_unused = selected is not None and UNUSED in selected
    if not findings and not report_unused:
        return findings
    if not (("noqa" in text.lower()) if has_noqa is None else has_noqa):
        return findings
    if not report_unused and "BLY" not in text:
        return findings  # only a code spelled `BLY...` (as the regex reads it: upper case) silences a finding
    ranges = logical_lines(text, lines) if python else {}
    comments = directives(text) if python else []
    used: set[tuple[int, int, str]] = set()  # (line, column, code) of directive codes that silenced something
    by_line: dict[int, list[Directive]] = {}  # so a finding looks at its own lines' directives only
    for d in comments:
        by_line.setdefault(d.line, []).append(d)
    kept = []
    for finding in findings:
        line = finding.start.line
        first, last = ranges.get(line, (line, line))
        line_text = "".join(lines[first - 1 : last]) if 0 < line <= len(lines) else ""
        codes = suppressed_codes(line_text)
        if not is_suppressed(finding.code, codes):
            kept.append(finding)
            continue
        matching = [d for number in range(first, last + 1) for d in by_line.get(number, ())]
        for d in matching:
            for code, start, _ in d.codes:
                if finding.code == code or finding.code.startswith(code):
                    used.add((d.line, start, code))
        if keep_suppressed:
            reason = next((d.reason for d in matching if d.reason), None)
            kept.append(replace(finding, suppression=Suppression(tuple(c for c in codes or () if c), reason)))
    if report_unused:
        kept.extend(_unused(comments, used, selected or frozenset(), lines, path, ranges))
    return kept


def _unused(
    comments: list[Directive],
    used: set[tuple[int, int, str]],
    selected: frozenset[str],
    lines: list[str],
    path: str,
    ranges: dict[int, tuple[int, int]],
) -> list[Finding]:
    from . import registry

    known = registry.codes()
    out = []
    for d in comments:
        for index, (code, start, end) in enumerate(d.codes):
            if not code.upper().startswith("BLY") or (d.line, start, code) in used:
                continue
            if not any(k.startswith(code) for k in known):
                message = f"`# noqa` names `{code}`, which is not a blyan-lint code: remove it"
            elif any(k.startswith(code) for k in selected if k != UNUSED):
                message = f"unused `# noqa` code `{code}`: no {code} finding on this line is suppressed: remove it"
            else:
                continue  # not checked in this file (deselected): cannot tell whether it is needed
            fix = Fix(Applicability.SAFE, f"Remove `{code}` from the `# noqa`", (_removal(d, index, lines),))
            out.append(Finding(path, Position(d.line, start + 1), Position(d.line, end + 1), UNUSED, message, fix=fix))
    # BLY001 findings obey noqa like any other: naming BLY001 beside a stale code keeps it on purpose.
    kept = []
    for finding in out:
        first, last = ranges.get(finding.start.line, (finding.start.line, finding.start.line))
        if not is_suppressed(UNUSED, suppressed_codes("".join(lines[first - 1 : last]))):
            kept.append(finding)
    return kept


def _removal(d: Directive, index: int, lines: list[str]) -> Edit:
    """The edit removing one code: with its separator, or the whole directive if it is the last."""
    line_text = lines[d.line - 1]
    if len(d.codes) > 1:
        if index + 1 < len(d.codes):
            start, end = d.codes[index][1], d.codes[index + 1][1]
        else:
            start, end = d.codes[index - 1][2], d.codes[index][2]
        return Edit(Position(d.line, start + 1), Position(d.line, end + 1), "")
    if line_text[d.end :].strip():  # words after the directive stay a comment (`why` of `noqa: X why`)
        return Edit(Position(d.line, d.start + 1), Position(d.line, d.end + 1), "#")
    start = len(line_text[: d.start].rstrip())
    return Edit(Position(d.line, start + 1), Position(d.line, d.end + 1), "")
