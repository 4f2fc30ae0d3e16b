"""What the replays observed, read for a verdict: the `Verdict` record, the words observations
are written in, and `Evidence`, one finding's replay records with the questions every judge
asks of them (pure Python over the worker's JSON).

A wrong definite verdict is worse than `unresolved`, so `Evidence.failed` turns every replay
that did not run to the end into `unresolved` with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .plan import Plan
from .replay_source import CAST_METHODS

CONFIRMED, REFUTED, UNRESOLVED = "confirmed", "refuted", "unresolved"
FLOATING = ("bfloat16", "float16", "float32", "float64", "float8_e4m3fn", "float8_e5m2", "half", "float")
ENV_WORDS = {  # how each replay environment reads in an observation
    "gpu": "on the GPU",
    "cc75": "under a simulated pre-Ampere GPU (CC 7.5)",
    "hidden": "with CUDA hidden",
}

Record = dict[str, Any]  # one replay's JSON, as the worker wrote it


@dataclass
class Verdict:
    verdict: str
    observation: str
    simulated: bool = False  # CPU-simulated: measured without a GPU, never proof
    how: str = ""  # how it was replayed
    ops_with: dict[str, int] = field(default_factory=dict)
    ops_without: dict[str, int] = field(default_factory=dict)
    changed_ops: list[dict[str, Any]] = field(default_factory=list)
    peak_memory: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "observation": self.observation,
            "cpu_simulated": self.simulated,
            "replay": self.how,
        }
        if self.changed_ops:
            out["changed_ops"] = self.changed_ops
        if self.ops_with or self.ops_without:
            out["op_dtypes"] = {"with": self.ops_with, "without": self.ops_without}
        if self.peak_memory is not None:
            out["peak_gpu_memory"] = self.peak_memory
        return out


def hist_text(hist: dict[str, int]) -> str:
    return ", ".join(f"{count} {dtype}" for dtype, count in sorted(hist.items(), key=lambda kv: -kv[1])) or "none"


def non_bf16(hist: dict[str, int]) -> dict[str, int]:
    return {d: n for d, n in hist.items() if d in FLOATING and d != "bfloat16"}


def by_design(summary: dict[str, Any]) -> int:
    return sum(len(item["params"]) for item in summary.get("fp32_by_design", []))


def model_text(summary: dict[str, Any]) -> str:
    text = f"{summary['class']}: parameters {hist_text(summary['params'])}"
    if summary.get("buffers"):
        text += f"; buffers {hist_text(summary['buffers'])}"
    if summary.get("quantized"):
        text += "; quantized layers " + ", ".join(f"{n} {c}" for c, n in summary["quantized"].items())
    if summary.get("devices"):
        text += f"; on {hist_text(summary['devices'])}"
    for item in summary.get("fp32_by_design", []):
        text += f"; FP32 by design ({item['attribute']} `{item['pattern']}`): {len(item['params'])}"
    return text


def error_text(record: Record) -> str:
    error = record.get("error") or {}
    where = f" at {short(error['where'])}" if error.get("where") else ""
    return f"{error.get('type', 'error')}: {error.get('message', '')}{where}"


def short(where: str | None) -> str:
    if not where:
        return "?"
    path, _, line = where.rpartition(":")
    parts = path.replace("\\", "/").split("/")
    return f"{'/'.join(parts[-2:])}:{line}"


def _line(where: str | None) -> int:
    try:
        return int((where or "").rpartition(":")[2])
    except ValueError:
        return -1


def _in_target(event: dict[str, Any], plan: Plan, path: str) -> bool:
    where = event.get("where") or ""
    if not where.startswith(path):
        return False
    if plan.target.kind == "module":
        return True
    return plan.target.def_line <= _line(where) <= plan.target.end_line


def probes(record: Record, plan: Plan, kind_prefix: str = "") -> list[dict[str, Any]]:
    return [p for p in record.get("probes", {}).get(str(plan.key), []) if p["kind"].startswith(kind_prefix)]


def cast_probes(record: Record, plan: Plan) -> list[dict[str, Any]]:
    return [p for p in probes(record, plan, "call:") if p["kind"].split(":", 1)[1] in CAST_METHODS]


def value_of(record: Record, plan: Plan) -> dict[str, Any] | None:
    """The flagged expression's value; else what the replayed function returned."""
    found = [p for p in probes(record, plan) if p["kind"] != "receiver"]
    if found:
        value: dict[str, Any] = found[0]["value"]
        return value
    result: dict[str, Any] | None = record.get("result")
    if record.get("ok") and result and result.get("kind") != "locals":
        return result
    return None


def value_text(value: dict[str, Any] | None) -> str:
    if value is None:
        return "nothing"
    kind = value.get("kind")
    if kind in ("dtype", "device"):
        return f"torch.{value['value']}" if kind == "dtype" else f"device `{value['value']}`"
    if kind == "value":
        return repr(value["value"])
    if kind == "module":
        return model_text(value)
    if kind == "tensor":
        return f"a {value['dtype']} tensor on {value['device']}"
    return str(value.get("class", kind))


def is_cpu(value: dict[str, Any] | None) -> bool | None:
    if value is None:
        return None
    if value.get("kind") in ("device", "value") and isinstance(value.get("value"), str):
        return bool(value["value"].startswith("cpu"))
    return None


class Evidence:
    """One finding's replay records, and the questions every judge asks of them."""

    def __init__(self, plan: Plan, records: list[Record], path: str, cpu: bool, module_error: str | None) -> None:
        self.plan = plan
        self.records = records
        self.path = path
        self.cpu = cpu
        self.module_error = module_error

    def env(self, name: str) -> str:
        if name == "gpu" and self.cpu:
            return "on the CPU (a policy GPU simulated for the guards)"
        return ENV_WORDS[name]

    def verdict(self, verdict: str, observation: str) -> Verdict:
        peaks = [r["peak_memory"] for r in self.records if "peak_memory" in r]
        return Verdict(verdict, observation, self.cpu, self.plan.target.reason, peak_memory=max(peaks, default=None))

    def record(self, env: str, neutral: bool = False) -> Record | None:
        for record in self.records:
            if record["env"] == env and record.get("neutral", False) == neutral:
                return record
        return None

    def events(self, record: Record, *names: str) -> list[dict[str, Any]]:
        return [e for e in record.get("events", []) if e["event"] in names and _in_target(e, self.plan, self.path)]

    def failed(self, record: Record | None) -> Verdict | None:
        """`unresolved` with the reason when the replay did not run to the end; else None."""
        if record is None:
            return self.verdict(UNRESOLVED, "no replay ran for this finding")
        if record.get("ok"):
            return None
        text = error_text(record)
        if "not mapped" in text:
            return self.verdict(UNRESOLVED, f"the replay stopped: {text}")
        if "OutOfMemory" in text:
            return self.verdict(UNRESOLVED, f"out of GPU memory: {text}")
        if "bitsandbytes" in text.lower():
            return self.verdict(UNRESOLVED, f"needs bitsandbytes (a GPU build): {text}")
        return self.verdict(UNRESOLVED, f"the replayed code raised {text}")

    def stopped(self, record: Record | None, otherwise: str) -> Verdict:
        """`failed(record)`, or `unresolved` for `otherwise` when the replay did run."""
        return self.failed(record) or self.verdict(UNRESOLVED, otherwise)
