"""The stages after a file is judged, the same for every kind (Python, notebooks, configs,
checkpoints): the rules' reports become findings where the rule applies in their scope,
then precedence drops what a superseding finding stands for. `# noqa` comes last, from
the caller, which holds the file's text.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Protocol

from .findings import Finding, Position, Report, Scope


class Judge(Protocol):
    """What the stages ask of a rule (`Rule` or `FileRule`)."""

    @property
    def code(self) -> str: ...

    @property
    def applies_to_teacher(self) -> bool: ...

    @property
    def supersedes(self) -> frozenset[str]: ...


def reported_findings(
    path: str, reports: Iterable[tuple[Judge, Scope, Report]], rules: Iterable[Judge]
) -> list[Finding]:
    """The findings these reports stand for: none from a rule that does not apply in the
    scope it reported in (`applies_to_teacher`), then precedence."""
    findings = [
        Finding(path, r.start, r.end, rule.code, r.message, scope, r.fix, r.covers, facts=r.facts)
        for rule, scope, r in reports
        if rule.applies_to_teacher or not scope.is_teacher
    ]
    return apply_precedence(findings, {rule.code: rule.supersedes for rule in rules})


def apply_precedence(findings: list[Finding], supersedes: dict[str, frozenset[str]]) -> list[Finding]:
    """Drop findings that a superseding finding already stands for (BLY105 over BLY101).

    A finding goes when it lies inside a range (`covers`, or else the whole finding) of a
    finding whose code supersedes its code. The ranges are grouped by the code they
    supersede and sorted, so each finding costs a binary search, not a pass over every
    covering finding: a file with thousands of findings stays linear.
    """
    ranges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for c in findings:
        superseded = supersedes.get(c.code)
        if not superseded:
            continue
        for start, end in c.covers or ((c.start, c.end),):
            span = ((start.line, start.col), (end.line, end.col))
            for code in superseded:
                ranges.setdefault(code, []).append(span)
    if not ranges:
        return findings
    lookup = {code: _Containment(spans) for code, spans in ranges.items()}
    kept = []
    for finding in findings:
        containment = lookup.get(finding.code)
        if containment is None or not containment.holds(finding.start, finding.end):
            kept.append(finding)
    return kept


class _Containment:
    """Is a span inside any of these spans? Sorted starts and a running maximum of ends."""

    def __init__(self, spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        spans.sort()
        self.starts = [start for start, _ in spans]
        self.reach: list[tuple[int, int]] = []  # the furthest end among the spans up to here
        furthest = (-1, -1)
        for _, end in spans:
            furthest = max(furthest, end)
            self.reach.append(furthest)

    def holds(self, start: Position, end: Position) -> bool:
        index = bisect.bisect_right(self.starts, (start.line, start.col))
        return index > 0 and self.reach[index - 1] >= (end.line, end.col)
