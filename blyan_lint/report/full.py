"""Concise line plus scope, the source lines with a caret, and the fix if there is one."""

from __future__ import annotations

import linecache

from ..findings import Finding
from .colour import paint
from .concise import line


def _source_line(finding: Finding) -> str:
    if finding.cell is not None:
        from ..notebook_cells import cell_line

        return cell_line("".join(linecache.getlines(finding.path)), finding.cell, finding.start.line)
    return linecache.getline(finding.path, finding.start.line).rstrip("\r\n")


def render(findings: list[Finding], colour: bool = False) -> str:
    out: list[str] = []
    for finding in findings:
        out.append(line(finding, colour))
        out.append(f"  scope: {finding.scope.reason}")
        source = _source_line(finding)
        if source and not finding.path.endswith(".safetensors"):
            number = str(finding.start.line)
            out.append(f"  {number} | {source}")
            width = max(1, (finding.end.col - finding.start.col) if finding.end.line == finding.start.line else 1)
            carets = paint("^" * width, "red", colour)
            out.append(f"  {' ' * len(number)} | {' ' * (finding.start.col - 1)}{carets}")
        if finding.fix is not None:
            out.append(f"  fix ({finding.fix.applicability.value}): {finding.fix.title}")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")
