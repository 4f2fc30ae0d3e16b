"""`path:line:col: CODE [*] message`: one line a finding, ruff's default look."""

from __future__ import annotations

from ..findings import Finding
from .colour import paint


def line(finding: Finding, colour: bool = False) -> str:
    marker = f" {paint(finding.fix_marker, 'cyan', colour)}" if finding.fix_marker else ""
    cell = f"cell {finding.cell}:" if finding.cell else ""
    where = paint(f"{finding.path}:{cell}{finding.start.line}:{finding.start.col}:", "bold", colour)
    return f"{where} {paint(finding.code, 'red', colour)}{marker} {finding.message}"


def render(findings: list[Finding], colour: bool = False) -> str:
    return "".join(line(f, colour) + "\n" for f in findings)
