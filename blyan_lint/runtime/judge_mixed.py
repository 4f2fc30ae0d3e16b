"""Judges for mixed precision (BLY201, BLY203: autocast; BLY202: loss scaling), from
differential op traces: the same replay with the construct and without it (`neutral`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .evidence import (
    CONFIRMED,
    REFUTED,
    UNRESOLVED,
    Evidence,
    Record,
    Verdict,
    error_text,
    hist_text,
    probes,
    short,
)


def differential(j: Evidence) -> Verdict:
    with_it, without = j.record("gpu", False), j.record("gpu", True)
    same_stop = _same_failure(with_it, without)
    for record in (with_it, without):
        failed = None if same_stop else j.failed(record)
        if failed:
            return failed
    assert with_it is not None and without is not None
    autocasts = j.events(with_it, "autocast")
    if autocasts and not any(a["effective"] for a in autocasts):
        first = autocasts[0]
        if j.cpu and first["device"] == "cuda":
            return j.verdict(
                UNRESOLVED,
                f"needs a GPU: torch disabled CUDA autocast at {short(first['where'])} (no CUDA device); "
                "simulating it needs a CUDA build of torch (FakeTensorMode on a fake CUDA device)",
            )
        if not first["enabled"]:
            return j.verdict(REFUTED, f"`autocast(enabled=False)` at {short(first['where'])} changes nothing")
        return j.verdict(
            UNRESOLVED,
            f"needs a GPU: torch disabled {first['device']} autocast at {short(first['where'])} (no CUDA device)",
        )
    verdict = _diff(j, with_it, without)
    if same_stop and verdict.verdict != UNRESOLVED:
        verdict.observation += f"; both runs traced up to the same failure, {error_text(with_it)}"
    return verdict


def _diff(j: Evidence, with_it: Record, without: Record) -> Verdict:
    changed = changed_ops(with_it.get("ops", {}), without.get("ops", {}))
    ops_with = _dtype_totals(with_it.get("ops", {}))
    ops_without = _dtype_totals(without.get("ops", {}))
    total = sum(ops_with.values())
    if not total:
        return j.verdict(UNRESOLVED, "the replay ran no floating-point op to compare")
    if changed:
        listed = ", ".join(f"`{c['op']}` {hist_text(c['without'])} -> {hist_text(c['with'])}" for c in changed[:5])
        origin = _origins(with_it, changed)
        verdict = j.verdict(CONFIRMED, f"{len(changed)} ops change dtype only with the construct: {listed}{origin}")
    else:
        fp32 = ops_with.get("float32", 0)
        verdict = j.verdict(
            REFUTED,
            f"no op changes dtype with the construct ({total} floating ops traced; "
            f"{fp32} FP32 results occur with and without it, by the library's design)",
        )
    verdict.ops_with, verdict.ops_without, verdict.changed_ops = ops_with, ops_without, changed
    return verdict


def scaler(j: Evidence) -> Verdict:
    record = j.record("gpu")
    if record is None:
        return j.stopped(record, "no GradScaler was created by the replay")
    found = [p["value"] for p in probes(record, j.plan) if p["value"].get("kind") == "scaler"]
    events = j.events(record, "grad_scaler")
    created = found[0] if found else (events[0] if events else None)
    if created is None:
        return j.stopped(record, "no GradScaler was created by the replay")
    if created["enabled"]:
        verdict = j.verdict(CONFIRMED, f"`{created['class']}` enabled: it scales the loss by {created['scale']:g}")
        without = j.record("gpu", True)
        if without is not None and without.get("ok"):
            verdict.ops_with = _dtype_totals(record.get("ops", {}))
            verdict.ops_without = _dtype_totals(without.get("ops", {}))
        return verdict
    if j.cpu:
        return j.verdict(UNRESOLVED, "needs a GPU: a CUDA GradScaler disables itself without CUDA")
    return j.verdict(REFUTED, f"`{created['class']}` is disabled: it scales nothing")


def _same_failure(with_it: Record | None, without: Record | None) -> bool:
    """Both runs stopped at the same user line with the same error (not the construct's
    doing): their op traces up to there run the same code and compare like with like."""
    if not with_it or not without or with_it.get("ok") or without.get("ok"):
        return False
    first, second = with_it.get("error") or {}, without.get("error") or {}
    return (
        bool(first.get("where"))
        and (first.get("type"), first.get("where")) == (second.get("type"), second.get("where"))
        and bool(with_it.get("ops"))
        and bool(without.get("ops"))
    )


def _dtype_totals(ops: dict[str, int]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for key, count in ops.items():
        totals[key.rpartition("|")[2]] += count
    return dict(totals)


def changed_ops(with_ops: dict[str, int], without_ops: dict[str, int], tolerance: float = 0.05) -> list[dict[str, Any]]:
    """Ops whose result dtypes differ between the runs: a dtype appears or vanishes, or its
    share shifts by more than `tolerance` (different generation lengths change counts,
    not dtypes, so counts alone never count)."""

    def per_op(ops: dict[str, int]) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for key, count in ops.items():
            op, _, dtype = key.rpartition("|")
            out.setdefault(op, Counter())[dtype] += count
        return out

    with_by, without_by = per_op(with_ops), per_op(without_ops)
    changed: list[dict[str, Any]] = []
    for op in sorted(set(with_by) | set(without_by)):
        a, b = with_by.get(op, Counter()), without_by.get(op, Counter())
        if not a or not b:
            if a and set(a) - {"float32", "bfloat16"} or b and set(b) - {"float32", "bfloat16"}:
                changed.append({"op": op, "with": dict(a), "without": dict(b)})
            continue
        share_a = {d: n / sum(a.values()) for d, n in a.items()}
        share_b = {d: n / sum(b.values()) for d, n in b.items()}
        if set(a) != set(b) or any(abs(share_a.get(d, 0) - share_b.get(d, 0)) > tolerance for d in set(a) | set(b)):
            changed.append({"op": op, "with": dict(a), "without": dict(b)})
    changed.sort(key=lambda c: -sum(c["with"].values()))
    return changed


def _origins(record: Record, changed: list[dict[str, Any]]) -> str:
    """Where the changed ops ran: the user's lines or the library."""
    names = {c["op"] for c in changed}
    where: Counter[str] = Counter()
    for key, count in record.get("ops_origin", {}).items():
        op, dtype, origin = key.split("|", 2)
        if op in names:
            where[short(origin[5:]) if origin.startswith("user:") else origin.split(":", 1)[1]] += count
    if not where:
        return ""
    return " (ops from " + ", ".join(f"{w} x{n}" for w, n in where.most_common(3)) + ")"
