"""A documented, versioned JSON schema, one object per finding (docs/json-output.md).

Schema 2 added `facts`: what the rule saw, typed (see `facts.py`), or null."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import __version__, registry
from ..facts import SCHEMA_VERSION
from ..findings import Finding

SCHEMA = SCHEMA_VERSION


def finding_dict(finding: Finding) -> dict[str, Any]:
    rule = registry.get(finding.code)
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "title": finding.fix.title,
            "edits": [
                {
                    "location": {"row": e.start.line, "column": e.start.col},
                    "end_location": {"row": e.end.line, "column": e.end.col},
                    "content": e.content,
                }
                for e in finding.fix.edits
            ],
            "imports": list(finding.fix.imports),
        }
    return {
        "code": finding.code,
        "name": rule.name if rule else None,
        "message": finding.message,
        "filename": finding.path,
        "cell": finding.cell,  # notebooks: the cell (1-based) that `location` is relative to; else null
        "location": {"row": finding.start.line, "column": finding.start.col},
        "end_location": {"row": finding.end.line, "column": finding.end.col},
        "scope": finding.scope.role,
        "scope_reason": finding.scope.reason,
        "fix": fix,
        "url": f"docs/rules/{finding.code}.md",
        "facts": finding.facts.to_json() if finding.facts is not None else None,
        **_suppression(finding),
    }


def _suppression(finding: Finding) -> dict[str, Any]:
    if finding.suppression is None:
        return {}
    return {"suppression": {"codes": list(finding.suppression.codes), "reason": finding.suppression.reason}}


def render(findings: list[Finding], suppressed: Sequence[Finding] = ()) -> str:
    doc = {
        "schema": SCHEMA,
        "tool": "blyan-lint",
        "version": __version__,
        "findings": [finding_dict(f) for f in findings],
        # Findings a noqa comment silenced, with the codes and the reason written after ` -- `.
        "suppressed": [finding_dict(f) for f in suppressed],
    }
    return json.dumps(doc, indent=2) + "\n"
