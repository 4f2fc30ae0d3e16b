"""The consistency result as a table and verdict lines (text) or as the document itself (JSON)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .consistency_compare import NOTHING_COMPARED

COLUMNS = (
    ("rank", "rank"),
    ("host", "host"),
    ("GPU", "gpu_name"),
    ("CC", "capability"),
    ("SMs", "sm_count"),
    ("driver", "driver"),
    ("torch", "torch"),
    ("CUDA", "cuda"),
    ("cuBLAS", "cublas"),
    ("cuDNN", "cudnn"),
    ("NCCL", "nccl"),
)


def combined_hash(hashes: list[Any]) -> str:
    """One digest of a rank's whole ordered hash list, for the table (16 hex digits)."""
    joined = "".join(f"{name}={value}\n" for name, value in hashes)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def as_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def as_text(doc: dict[str, Any]) -> str:
    lines = [_headline(doc), _inputs_line(doc), ""]
    lines += _table(doc["ranks"])
    lines += ["", *_settings_lines(doc["ranks"][0])]
    lines += _batch_lines(doc)
    lines += [""] + [_comparison_line(c) for c in doc["comparisons"]]
    against = doc.get("against")
    if against:
        lines += [_comparison_line(c) for c in against["comparisons"]]
    lines.append(f"verdict: {doc['verdict']}{_verdict_note(doc)}")
    lines += doc.get("notes", [])
    return "\n".join(lines) + "\n"


def _headline(doc: dict[str, Any]) -> str:
    launch = doc.get("launch", {})
    hosts = launch.get("hosts", [])
    backend = "gloo" if doc.get("simulated_on_cpu") else "nccl"
    where = f"{launch.get('world_size', len(doc['ranks']))} rank(s) on {len(hosts)} host(s), {backend}"
    simulated = "; CPU-simulated (--allow-cpu), not proof for GPUs" if doc.get("simulated_on_cpu") else ""
    return f"blyan-lint consistency: {doc['model']['name']}, {where}{simulated}"


def _inputs_line(doc: dict[str, Any]) -> str:
    inputs = doc["inputs"]
    work = f"forward of {inputs['batch']} prompts x {inputs['seq_len']} tokens (seed {inputs['seed']}, no padding)"
    if inputs["steps"]:
        steps = inputs["steps"]
        work += f", then {steps} SGD step{'s' if steps != 1 else ''} (lr {inputs['lr']}) on each rank alone"
    count = len(doc["ranks"][0]["hashes"])
    timing = doc["ranks"][0].get("timings", {})
    took = ", ".join(f"{k} {v:.2f}s" for k, v in timing.items())
    took = f"; rank 0 took {took}" if took else ""
    return f"work: {work}; {count} tensors hashed per rank (SHA-256 of raw bytes){took}"


def _table(records: list[dict[str, Any]]) -> list[str]:
    rows = [[name for name, _ in COLUMNS] + ["hash"]]
    for record in records:
        env = {**record["environment"], "rank": record["rank"]}
        rows.append([_cell(env.get(key)) for _, key in COLUMNS] + [combined_hash(record["hashes"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def _settings_lines(record: dict[str, Any]) -> list[str]:
    settings = record["settings"]
    shown = ", ".join(f"{key}={_cell(value)}" for key, value in settings.items())
    lines = [f"determinism settings (rank 0): {shown}"]
    changes = record.get("strict_changes") or []
    if changes:
        turned = "; ".join(f"{c['setting']} {_cell(c['from'], 'unset')} -> {c['to']}" for c in changes)
        lines.append(f"--strict turned: {turned}")
    return lines


def _batch_lines(doc: dict[str, Any]) -> list[str]:
    records = [r for r in doc["ranks"] if r.get("batch_invariance")]
    if not records:
        return []
    lines = ["", "batch invariance (logits of prompt 0 alone vs in a batch):"]
    first = records[0]["batch_invariance"]
    same_everywhere = all(r["batch_invariance"] == first for r in records)
    for record in records[:1] if same_everywhere else records:
        who = "every rank" if same_everywhere and len(records) > 1 else f"rank {record['rank']}"
        for entry in record["batch_invariance"]:
            size = entry["batch_size"]
            label = f"batch {size}{' (rerun alone)' if size == 1 else ''}"
            if entry["identical"]:
                lines.append(f"  {who}: {label}: bitwise identical")
            else:
                lines.append(
                    f"  {who}: {label}: differs, max abs diff {entry['max_abs_diff']:.6g} "
                    f"({entry['differing_elements']} of {entry['elements']} logits)"
                )
    return lines


def _comparison_line(comparison: dict[str, Any]) -> str:
    line = f"{comparison['subject']} vs {comparison['baseline']}: {comparison['verdict']}"
    if comparison["verdict"] == "diverged":
        line += f" at {comparison['tensor']}"
        diff = comparison.get("max_abs_diff")
        unknown = " (max abs diff unknown: a reference keeps hashes only)"
        line += f" (max abs diff {diff:.6g})" if diff is not None else unknown
    if comparison.get("reasons"):
        line += f" ({'; '.join(comparison['reasons'])})"
    if comparison.get("detail"):
        line += f"; {comparison['detail']}"
    return line


def _verdict_note(doc: dict[str, Any]) -> str:
    notes = []
    if doc["verdict"] == NOTHING_COMPARED:
        notes.append("one rank and no --against: no peer to compare with")
    if doc.get("batch_invariant") is False:
        notes.append("not batch-invariant")
    elif doc.get("batch_invariant"):
        notes.append("batch-invariant")
    return f" ({'; '.join(notes)})" if notes else ""


def _cell(value: object, missing: str = "-") -> str:
    return missing if value is None else str(value)
