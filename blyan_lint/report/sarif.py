"""SARIF 2.1.0 for code scanning: rules with help, results with scope and fixes."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__, registry
from ..findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _region(start_line: int, start_col: int, end_line: int, end_col: int) -> dict[str, int]:
    return {"startLine": start_line, "startColumn": start_col, "endLine": end_line, "endColumn": end_col}


def _rule(code: str) -> dict[str, Any]:
    rule = registry.get(code)
    assert rule is not None
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": f"{rule.summary}\n\nPolicy: {rule.policy}\n\nFix: {rule.fix_safety}"},
        "helpUri": f"docs/rules/{code}.md",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["precision-policy", code[:4] + "xx"], "teacher_scope": rule.applies_to_teacher},
    }


def _result(f: Finding) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": "error",
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path.replace("\\", "/")},
                    "region": _region(f.start.line, f.start.col, f.end.line, f.end.col),
                }
            }
        ],
        "properties": {"scope": f.scope.role, "scope_reason": f.scope.reason},
    }
    if f.facts is not None:
        result["properties"]["facts"] = f.facts.to_json()
    if f.fix is not None and f.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": f"{f.fix.title} ({f.fix.applicability.value})"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": f.path.replace("\\", "/")},
                        "replacements": [
                            {
                                "deletedRegion": _region(e.start.line, e.start.col, e.end.line, e.end.col),
                                "insertedContent": {"text": e.content},
                            }
                            for e in f.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


def render(findings: list[Finding]) -> str:
    codes = sorted({f.code for f in findings})
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "blyan-lint",
                        "version": __version__,
                        "informationUri": "docs/rules/README.md",
                        "rules": [_rule(c) for c in codes],
                    }
                },
                "results": [_result(f) for f in findings],
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
