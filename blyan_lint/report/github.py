"""GitHub Actions workflow commands: annotations on the pull request's diff."""

from __future__ import annotations

from .. import registry
from ..findings import Finding


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        rule = registry.get(f.code)
        title = f"{f.code} {rule.name}" if rule else f.code
        out.append(
            f"::error file={_escape(f.path, True)},line={f.start.line},col={f.start.col},"
            f"endLine={f.end.line},endColumn={f.end.col},title={_escape(title, True)}::{_escape(f.message)}\n"
        )
    return "".join(out)
