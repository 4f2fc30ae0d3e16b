"""`# noqa` handling, identical in CLI and flake8 mode.

flake8 searches its noqa regex in the whole logical line (every physical line of a
multi-line statement joined), and accepts a code when it equals or starts with a listed
code. We do exactly that, with one deliberate difference in the CLI: a blanket `# noqa`
(no codes) does not silence BLY findings, because a policy gate must not be switched
off wholesale. flake8 itself applies blanket noqa before our plugin can object.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from .findings import Finding

# flake8's NOQA_INLINE_REGEXP, verbatim.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]")


def logical_line_texts(text: str, lines: list[str]) -> dict[int, str]:
    """Line number -> the text flake8 searches for noqa on that line."""
    mapping: dict[int, str] = {}
    min_line, max_line = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            min_line = min(min_line, tok.start[0])
            max_line = max(max_line, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[min_line - 1 : max_line])
                for number in range(min_line, max_line + 1):
                    mapping[number] = joined
                min_line, max_line = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


def suppressed_codes(line_text: str) -> tuple[str, ...] | None:
    """None: no noqa. (): a blanket noqa. Otherwise the listed codes."""
    match = NOQA.search(line_text)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return ()
    return tuple(c for c in _SPLIT.split(codes) if c)


def is_suppressed(code: str, codes: tuple[str, ...] | None) -> bool:
    if not codes:  # no noqa, or a blanket one (which does not silence BLY codes here)
        return False
    return code in codes or code.startswith(codes)


def apply_noqa(findings: Iterable[Finding], text: str, lines: list[str], python: bool) -> list[Finding]:
    findings = list(findings)
    if not findings or "noqa" not in text.lower():
        return findings
    mapping = logical_line_texts(text, lines) if python else {}
    kept = []
    for finding in findings:
        line = finding.start.line
        line_text = mapping.get(line) or (lines[line - 1] if 0 < line <= len(lines) else "")
        if not is_suppressed(finding.code, suppressed_codes(line_text)):
            kept.append(finding)
    return kept
