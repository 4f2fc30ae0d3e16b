"""`confirm`'s outputs: a terminal table, and the static JSON/SARIF with verdicts merged in
(`runtime` on each JSON finding, `properties.runtime` on each SARIF result)."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from typing import Any

from ..findings import Finding
from ..report import FORMATS
from .evidence import Verdict

MARKS = {"confirmed": "CONFIRMED", "refuted": "REFUTED", "unresolved": "UNRESOLVED"}


def _place(finding: Finding) -> str:
    return f"{os.path.relpath(finding.path)}:{finding.start.line}:{finding.start.col}"


def table(findings: list[Finding], verdicts: dict[int, Verdict], device: str) -> str:
    """One row per model-related finding: code, place, verdict, observation."""
    rows = [(i, f) for i, f in enumerate(findings) if i in verdicts]
    if not rows:
        return "No model-related findings to confirm.\n"
    width = shutil.get_terminal_size((160, 20)).columns
    place_width = max(len(_place(f)) for _, f in rows)
    head = f"{'code':7} {'place':{place_width}} {'verdict':10} observation"
    observation_width = max(40, width - len(head) + len("observation"))
    lines = [head, "-" * min(width, len(head) + observation_width - len("observation"))]
    indent = " " * (7 + 1 + place_width + 1 + 10 + 1)
    for index, finding in rows:
        verdict = verdicts[index]
        text = verdict.observation + (" [CPU-simulated]" if verdict.simulated else "")
        wrapped = textwrap.wrap(text, observation_width) or [""]
        lines.append(f"{finding.code:7} {_place(finding):{place_width}} {MARKS[verdict.verdict]:10} {wrapped[0]}")
        lines.extend(indent + more for more in wrapped[1:])
    counts = {v: sum(1 for x in verdicts.values() if x.verdict == v) for v in MARKS}
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    where = "on the CPU (CPU-simulated: not proof)" if device == "cpu" else "on the GPU"
    lines.append(f"\n{len(verdicts)} model-related findings replayed {where}: {summary}.")
    return "\n".join(lines) + "\n"


def json_report(findings: list[Finding], verdicts: dict[int, Verdict], extra: dict[str, Any]) -> str:
    doc = json.loads(FORMATS["json"](findings))
    for index, item in enumerate(doc["findings"]):
        if index in verdicts:
            item["runtime"] = verdicts[index].as_dict()
    doc["runtime"] = extra
    return json.dumps(doc, indent=2) + "\n"


def sarif_report(findings: list[Finding], verdicts: dict[int, Verdict], extra: dict[str, Any]) -> str:
    doc = json.loads(FORMATS["sarif"](findings))
    results = doc["runs"][0]["results"]
    for index, item in enumerate(results):
        if index in verdicts:
            item.setdefault("properties", {})["runtime"] = verdicts[index].as_dict()
    doc["runs"][0].setdefault("properties", {})["runtime"] = extra
    return json.dumps(doc, indent=2) + "\n"
