"""`path:line:col: CODE [*] message`: one line a finding, ruff's default look."""

from __future__ import annotations

from ..findings import Finding


def line(finding: Finding) -> str:
    marker = f" {finding.fix_marker}" if finding.fix_marker else ""
    cell = f"cell {finding.cell}:" if finding.cell else ""
    return f"{finding.path}:{cell}{finding.start.line}:{finding.start.col}: {finding.code}{marker} {finding.message}"


def render(findings: list[Finding]) -> str:
    return "".join(line(f) + "\n" for f in findings)
