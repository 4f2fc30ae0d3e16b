"""SARIF 2.1.0 for code scanning: rules with help, results with scope and fixes.

Valid against the official schema with its formats checked (a test validates it): rule
links are absolute, artifact URIs are percent-encoded URI references, and the column unit
is declared (`columnKind`: columns count Unicode code points, as Python strings do).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from .. import __version__, registry
from ..findings import Finding
from ..links import rule_url, rules_index_url

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def artifact_uri(path: str) -> str:
    """A path as a URI reference: relative paths stay relative (to the repository root, as
    code scanning resolves them), absolute ones become `file:` URIs; both percent-encoded."""
    posix = path.replace("\\", "/")
    if os.path.isabs(path) or re.match(r"^[A-Za-z]:/", posix):
        return "file://" + ("" if posix.startswith("/") else "/") + quote(posix, safe="/:")
    return quote(posix, safe="/")


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
        "helpUri": rule_url(code),
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["precision-policy", code[:4] + "xx"], "teacher_scope": rule.applies_to_teacher},
    }


def _notebook_region(f: Finding) -> dict[str, int]:
    """A notebook finding's region in the `.ipynb` file itself (what code scanning shows);
    the cell position goes in the result's properties."""
    from ..notebook_json import file_position

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
                    "artifactLocation": {"uri": artifact_uri(f.path)},
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
                        "artifactLocation": {"uri": artifact_uri(f.path)},
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
                        "informationUri": rules_index_url(),
                        "rules": [_rule(c) for c in codes],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f) for f in findings],
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
