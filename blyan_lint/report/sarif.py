"""SARIF 2.1.0 for code scanning: rules with help, results with scope and fixes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
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


def _notebook_region(f: Finding) -> dict[str, int]:
    """A notebook finding's region in the `.ipynb` file itself (what code scanning shows);
    the cell position goes in the result's properties."""
    from ..notebooks import file_position

    text = _notebook_text(f.path)
    start = file_position(text, f.cell, f.start.line, f.start.col) if f.cell else None
    end = file_position(text, f.cell, f.end.line, f.end.col) if f.cell else None
    if start is None:
        return {"startLine": 1}
    end = end or start
    return _region(start[0], start[1], end[0], end[1])


@lru_cache(maxsize=8)
def _notebook_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _result(f: Finding) -> dict[str, Any]:
    cell = f.cell is not None
    region = _notebook_region(f) if cell else _region(f.start.line, f.start.col, f.end.line, f.end.col)
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": "error",
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path.replace("\\", "/")},
                    "region": region,
                }
            }
        ],
        "properties": {"scope": f.scope.role, "scope_reason": f.scope.reason},
    }
    if f.facts is not None:
        result["properties"]["facts"] = f.facts.to_json()
    if f.suppression is not None:  # SARIF's own field: code scanning shows these as suppressed, not open
        justification = {"justification": f.suppression.reason} if f.suppression.reason else {}
        result["suppressions"] = [{"kind": "inSource", **justification}]
    if f.cell is not None:
        result["properties"] |= {"cell": f.cell, "cell_line": f.start.line, "cell_column": f.start.col}
    # A notebook's fixes edit the cell text, not the file's JSON: `--fix` applies them; none here.
    if f.fix is not None and f.fix.edits and f.cell is None:
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


def render(findings: list[Finding], suppressed: Sequence[Finding] = ()) -> str:
    findings = [*findings, *suppressed]
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
