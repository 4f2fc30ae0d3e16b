"""Verdicts from what the replays observed (pure Python over the worker's JSON).

`confirmed` needs an observation that shows the claim; `refuted` one that contradicts it
(the model loaded all-BF16, the cast is undone later, a guard raises first, no op changes
dtype with the construct); everything else is `unresolved` with its reason. A wrong
definite verdict is worse than `unresolved`, so each judge says `unresolved` whenever the
observation it needs is missing.
"""

from __future__ import annotations

from collections import Counter
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


def _by_design(summary: dict[str, Any]) -> int:
    return sum(len(item["params"]) for item in summary.get("fp32_by_design", []))


def _model_text(summary: dict[str, Any]) -> str:
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


def _error_text(record: dict[str, Any]) -> str:
    error = record.get("error") or {}
    where = f" at {_short(error['where'])}" if error.get("where") else ""
    return f"{error.get('type', 'error')}: {error.get('message', '')}{where}"


def _short(where: str | None) -> str:
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


def _probes(record: dict[str, Any], plan: Plan, kind_prefix: str = "") -> list[dict[str, Any]]:
    return [p for p in record.get("probes", {}).get(str(plan.key), []) if p["kind"].startswith(kind_prefix)]


def _cast_probes(record: dict[str, Any], plan: Plan) -> list[dict[str, Any]]:
    return [p for p in _probes(record, plan, "call:") if p["kind"].split(":", 1)[1] in CAST_METHODS]


def _value(record: dict[str, Any], plan: Plan) -> dict[str, Any] | None:
    """The flagged expression's value; else what the replayed function returned."""
    found = [p for p in _probes(record, plan) if p["kind"] != "receiver"]
    if found:
        return found[0]["value"]
    result = record.get("result")
    if record.get("ok") and result and result.get("kind") != "locals":
        return result
    return None


def _value_text(value: dict[str, Any] | None) -> str:
    if value is None:
        return "nothing"
    kind = value.get("kind")
    if kind in ("dtype", "device"):
        return f"torch.{value['value']}" if kind == "dtype" else f"device `{value['value']}`"
    if kind == "value":
        return repr(value["value"])
    if kind == "module":
        return _model_text(value)
    if kind == "tensor":
        return f"a {value['dtype']} tensor on {value['device']}"
    return value.get("class", kind)


def _is_cpu(value: dict[str, Any] | None) -> bool | None:
    if value is None:
        return None
    if value.get("kind") in ("device", "value") and isinstance(value.get("value"), str):
        return value["value"].startswith("cpu")
    return None


class Judge:
    def __init__(self, plan: Plan, records: list[dict[str, Any]], path: str, cpu: bool, module_error: str | None):
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

    def record(self, env: str, neutral: bool = False) -> dict[str, Any] | None:
        for record in self.records:
            if record["env"] == env and record.get("neutral", False) == neutral:
                return record
        return None

    def events(self, record: dict[str, Any], *names: str) -> list[dict[str, Any]]:
        return [e for e in record.get("events", []) if e["event"] in names and _in_target(e, self.plan, self.path)]

    def failed(self, record: dict[str, Any] | None) -> Verdict | None:
        if record is None:
            return self.verdict(UNRESOLVED, "no replay ran for this finding")
        if record.get("ok"):
            return None
        text = _error_text(record)
        if "not mapped" in text:
            return self.verdict(UNRESOLVED, f"the replay stopped: {text}")
        if "OutOfMemory" in text:
            return self.verdict(UNRESOLVED, f"out of GPU memory: {text}")
        if "bitsandbytes" in text.lower():
            return self.verdict(UNRESOLVED, f"needs bitsandbytes (a GPU build): {text}")
        return self.verdict(UNRESOLVED, f"the replayed code raised {text}")

    def run(self) -> Verdict:
        if self.module_error:
            return self.verdict(UNRESOLVED, self.module_error)
        code = self.plan.code
        method = {
            "BLY301": self.cpu_fallback,
            "BLY302": self.placement,
            "BLY303": self.missing_guard,
            "BLY304": self.soft_check,
            "BLY105": self.fallback,
            "BLY104": self.default_dtype,
            "BLY106": self.adapter,
            "BLY201": self.differential,
            "BLY202": self.scaler,
            "BLY203": self.differential,
            "BLY401": self.quantized,
            "BLY402": self.quantized,
            "BLY403": self.teacher_update,
        }.get(code, self.dtype)
        return method()

    # -- loads and casts -------------------------------------------------------------

    def dtype(self) -> Verdict:
        """BLY101-103, BLY404: does the model (or tensor) end up non-BF16?"""
        record = self.record("gpu")
        failed = self.failed(record)
        cast = _cast_probes(record, self.plan) if record else []
        if cast:
            return self._cast(record, cast[0]["value"])
        loads = self.events(record, "load") if record else []
        if loads:
            return self._load(loads[0])
        if failed:
            return failed
        value = _value(record, self.plan)
        if value and value.get("kind") == "dtype":
            word = "a non-BF16" if value["value"] != "bfloat16" else "BF16"
            verdict = CONFIRMED if value["value"] != "bfloat16" else REFUTED
            return self.verdict(verdict, f"evaluated to torch.{value['value']} ({word} dtype) {self.env('gpu')}")
        return self.verdict(UNRESOLVED, "the flagged code was not reached by the replay")

    def _load(self, event: dict[str, Any]) -> Verdict:
        summary = event.get("result") or {}
        if summary.get("kind") == "pipeline":
            summary = summary["model"]
        if summary.get("kind") != "module":
            return self.verdict(UNRESOLVED, f"`{event['api']}` returned {summary.get('class', summary.get('kind'))}")
        where = f"`{event['api']}({event['model_id']!r})` at {_short(event['where'])}"
        source = f" (checkpoint {event['path']})" if event.get("path") not in (None, "None") else ""
        wrong = non_bf16(summary["params"])
        design = _by_design(summary)
        text = f"{where}{source} loaded {_model_text(summary)}"
        if self.plan.code == "BLY404" and (summary.get("quantized") or "int8" in summary["params"]):
            return self.verdict(REFUTED, f"{text}: an INT8 teacher, as the policy allows")
        if sum(wrong.values()) > design:
            return self.verdict(CONFIRMED, text)
        return self.verdict(REFUTED, f"{text}: every parameter is BF16" + (" (or FP32 by design)" if design else ""))

    def _cast(self, record: dict[str, Any], after: dict[str, Any]) -> Verdict:
        receivers = _probes(record, self.plan, "receiver")
        before = receivers[0]["value"] if receivers else None
        if after.get("kind") == "tensor":
            was = f"a {before['dtype']} tensor" if before and before.get("kind") == "tensor" else "a tensor"
            verdict = CONFIRMED if after["dtype"] != "bfloat16" else REFUTED
            return self.verdict(verdict, f"{was} {list(after['shape'])} became {after['dtype']} at the cast")
        if after.get("kind") != "module":
            return self.verdict(UNRESOLVED, f"the cast returned {_value_text(after)}")
        was = f"{hist_text(before['params'])} before" if before and before.get("kind") == "module" else ""
        text = f"parameters {was} -> {hist_text(after['params'])} after the cast"
        if not non_bf16(after["params"]):
            return self.verdict(REFUTED, f"{text}: still BF16")
        trip = record.get("round_trips", {}).get(str(self.plan.key))
        if trip and not non_bf16(trip["final"]["params"]):
            return self.verdict(
                REFUTED,
                f"{text}, undone later in the function: the model ends {hist_text(trip['final']['params'])}; "
                f"the round trip changed {trip['changed']} of {trip['compared']} weights",
            )
        return self.verdict(
            CONFIRMED, text + (f"; the model ends {hist_text(trip['final']['params'])}" if trip else "")
        )

    # -- CPU mode and guards ---------------------------------------------------------

    def cpu_fallback(self) -> Verdict:
        record = self.record("hidden")
        value = _value(record, self.plan) if record else None
        cpu = _is_cpu(value)
        if cpu:
            return self.verdict(CONFIRMED, f"{self.env('hidden')} it selected {_value_text(value)}")
        if record is not None and not record.get("ok") and value is None:
            return self.verdict(
                REFUTED, f"{self.env('hidden')} the fallback is never reached: {_error_text(record)} first"
            )
        if cpu is False:
            return self.verdict(REFUTED, f"{self.env('hidden')} it still selected {_value_text(value)}")
        return self.failed(record) or self.verdict(UNRESOLVED, "the replay showed no device choice")

    def soft_check(self) -> Verdict:
        located = next((r.get("located") for r in self.records), None)
        if located in ("call", "expr"):  # the `is_bf16_supported()` call itself: does it answer True by emulation?
            record = self.record("cc75")
            if self.cpu:
                return self.verdict(UNRESOLVED, "needs a GPU: BF16 emulation can only be asked of a CUDA device")
            value = _value(record, self.plan) if record else None
            if value and value.get("kind") == "value" and value["value"] is True:
                return self.verdict(CONFIRMED, f"{self.env('cc75')} `is_bf16_supported()` answered True (emulation)")
            if value and value.get("kind") == "value" and value["value"] is False:
                return self.verdict(REFUTED, f"{self.env('cc75')} `is_bf16_supported()` answered False")
            return self.failed(record) or self.verdict(UNRESOLVED, "the check was not reached")
        passed = []
        raised = []
        for env in ("cc75", "hidden"):
            record = self.record(env)
            if record is None:
                continue
            if record.get("ok"):
                passed.append(f"{self.env(env)} it returned {_value_text(record.get('result'))} without raising")
            else:
                raised.append(f"{self.env(env)}: {_error_text(record)}")
        if passed:
            return self.verdict(CONFIRMED, "; ".join(passed))
        if raised:
            return self.verdict(REFUTED, "fails fast: " + "; ".join(raised))
        return self.verdict(UNRESOLVED, "no replay ran")

    def missing_guard(self) -> Verdict:
        record = self.record("cc75")
        if record is None:
            return self.verdict(UNRESOLVED, "no replay ran")
        loads = self.events(record, "load", "pipeline")
        if loads:
            return self.verdict(
                CONFIRMED, f"{self.env('cc75')} `{loads[0]['api']}` at {_short(loads[0]['where'])} ran unguarded"
            )
        if not record.get("ok"):
            text = _error_text(record)
            if any(word in text for word in ("8.0", "BF16", "bf16", "Ampere", "capability", "sm_")):
                return self.verdict(REFUTED, f"{self.env('cc75')} the code fails fast: {text}")
            return self.failed(record)
        return self.verdict(UNRESOLVED, "the replay loaded nothing")

    def fallback(self) -> Verdict:
        """BLY105: which dtype does the conditional pick, where?"""
        picks = {}
        stops = {}
        for env in ("gpu", "cc75", "hidden"):
            record = self.record(env)
            if record is None:
                continue
            loads = self.events(record, "load")
            value = _value(record, self.plan)
            if value is not None and value.get("kind") == "dtype":
                picks[env] = value["value"]
            elif loads:
                picks[env] = ",".join(sorted(non_bf16(loads[0]["result"].get("params", {})))) or "bfloat16"
            elif not record.get("ok"):
                stops[env] = _error_text(record)
        wrong = {env: d for env, d in picks.items() if d != "bfloat16"}
        if wrong:
            text = "; ".join(f"{self.env(env)} it picks torch.{d}" for env, d in wrong.items())
            return self.verdict(CONFIRMED, text)
        if picks and stops and all(env in stops for env in ("cc75", "hidden") if self.record(env)):
            text = "; ".join(f"{self.env(env)} {stop} is raised first" for env, stop in stops.items())
            return self.verdict(REFUTED, f"BF16 {self.env('gpu')}; the fallback is unreachable: {text}")
        if picks and all(d == "bfloat16" for d in picks.values()) and not stops:
            return self.verdict(REFUTED, "BF16 in every environment: " + ", ".join(self.env(e) for e in picks))
        return self.verdict(
            UNRESOLVED, "the replays showed no dtype choice" + (f" ({next(iter(stops.values()))})" if stops else "")
        )

    def placement(self) -> Verdict:
        record = self.record("gpu")
        loads = self.events(record, "load", "pipeline") if record else []
        cast = _cast_probes(record, self.plan) if record else []
        summary = None
        what = ""
        if cast and cast[0]["value"].get("kind") in ("module", "tensor"):
            summary, what = cast[0]["value"], "the move"
        elif loads:
            summary = loads[0]["result"]
            what = f"`{loads[0]['api']}` at {_short(loads[0]['where'])}"
            if summary.get("kind") == "pipeline":
                summary = summary["model"]
        if summary is None:
            return self.failed(record) or self.verdict(UNRESOLVED, "the replay placed no model")
        devices = summary.get("devices") or ({summary["device"]: 1} if "device" in summary else {})
        off_gpu = {d: n for d, n in devices.items() if not d.startswith("cuda")}
        if self.cpu:
            return self.verdict(UNRESOLVED, f"needs a GPU: without one every tensor is on the CPU ({what})")
        if off_gpu:
            return self.verdict(CONFIRMED, f"{what}: tensors on {hist_text(devices)}")
        return self.verdict(REFUTED, f"{what}: every tensor on the GPU ({hist_text(devices)})")

    # -- mixed precision: differential op traces --------------------------------------

    def differential(self) -> Verdict:
        with_it, without = self.record("gpu", False), self.record("gpu", True)
        same_stop = _same_failure(with_it, without)
        for record in (with_it, without):
            failed = None if same_stop else self.failed(record)
            if failed:
                return failed
        assert with_it is not None and without is not None
        autocasts = self.events(with_it, "autocast")
        if autocasts and not any(a["effective"] for a in autocasts):
            first = autocasts[0]
            if self.cpu and first["device"] == "cuda":
                return self.verdict(
                    UNRESOLVED,
                    f"needs a GPU: torch disabled CUDA autocast at {_short(first['where'])} (no CUDA device); "
                    "simulating it needs a CUDA build of torch (FakeTensorMode on a fake CUDA device)",
                )
            if not first["enabled"]:
                return self.verdict(REFUTED, f"`autocast(enabled=False)` at {_short(first['where'])} changes nothing")
            return self.verdict(
                UNRESOLVED,
                f"needs a GPU: torch disabled {first['device']} autocast at {_short(first['where'])} (no CUDA device)",
            )
        verdict = self._diff(with_it, without)
        if same_stop and verdict.verdict != UNRESOLVED:
            verdict.observation += f"; both runs traced up to the same failure, {_error_text(with_it)}"
        return verdict

    def _diff(self, with_it: dict[str, Any], without: dict[str, Any]) -> Verdict:
        changed = changed_ops(with_it.get("ops", {}), without.get("ops", {}))
        ops_with = _dtype_totals(with_it.get("ops", {}))
        ops_without = _dtype_totals(without.get("ops", {}))
        total = sum(ops_with.values())
        if not total:
            return self.verdict(UNRESOLVED, "the replay ran no floating-point op to compare")
        if changed:
            listed = ", ".join(f"`{c['op']}` {hist_text(c['without'])} -> {hist_text(c['with'])}" for c in changed[:5])
            origin = _origins(with_it, changed)
            verdict = self.verdict(
                CONFIRMED, f"{len(changed)} ops change dtype only with the construct: {listed}{origin}"
            )
        else:
            fp32 = ops_with.get("float32", 0)
            verdict = self.verdict(
                REFUTED,
                f"no op changes dtype with the construct ({total} floating ops traced; "
                f"{fp32} FP32 results occur with and without it, by the library's design)",
            )
        verdict.ops_with, verdict.ops_without, verdict.changed_ops = ops_with, ops_without, changed
        return verdict

    def scaler(self) -> Verdict:
        record = self.record("gpu")
        found = [p["value"] for p in _probes(record, self.plan) if p["value"].get("kind") == "scaler"] if record else []
        events = self.events(record, "grad_scaler") if record else []
        scaler = found[0] if found else (events[0] if events else None)
        if scaler is None:
            return self.failed(record) or self.verdict(UNRESOLVED, "no GradScaler was created by the replay")
        if scaler["enabled"]:
            verdict = self.verdict(CONFIRMED, f"`{scaler['class']}` enabled: it scales the loss by {scaler['scale']:g}")
            without = self.record("gpu", True)
            if without is not None and without.get("ok"):
                verdict.ops_with = _dtype_totals(record.get("ops", {}))
                verdict.ops_without = _dtype_totals(without.get("ops", {}))
            return verdict
        if self.cpu:
            return self.verdict(UNRESOLVED, "needs a GPU: a CUDA GradScaler disables itself without CUDA")
        return self.verdict(REFUTED, f"`{scaler['class']}` is disabled: it scales nothing")

    # -- quantization, adapters, teachers --------------------------------------------

    def quantized(self) -> Verdict:
        record = self.record("gpu")
        if record and record.get("optimizer"):
            optimizer = record["optimizer"]
            if optimizer.get("kind") == "error":
                return self.verdict(UNRESOLVED, f"the optimizer step failed: {optimizer['error']}")
            states = optimizer["state_dtypes"]
            low = {d: n for d, n in states.items() if d in ("uint8", "int8")}
            text = f"`{optimizer['class']}` after one step holds state {hist_text(states)}"
            if not low and optimizer.get("optim_bits") == 8 and optimizer["largest"] < optimizer["min_8bit_size"]:
                return self.verdict(
                    UNRESOLVED,
                    f"{text}: configured for 8 bits, but bitsandbytes keeps 32-bit state for tensors under "
                    f"min_8bit_size={optimizer['min_8bit_size']} elements and this model's largest has "
                    f"{optimizer['largest']}; map a real checkpoint to see the 8-bit state",
                )
            return self.verdict(CONFIRMED if low else REFUTED, text)
        loads = self.events(record, "load") if record else []
        if not loads:
            value = _value(record, self.plan) if record else None
            if value and value.get("kind") == "module" and value.get("quantized"):
                return self.verdict(CONFIRMED, _model_text(value))
            return self.failed(record) or self.verdict(UNRESOLVED, "the replay created no quantized model")
        summary = loads[0]["result"]
        text = f"`{loads[0]['api']}` at {_short(loads[0]['where'])} loaded {_model_text(summary)}"
        low_bit = {d: n for d, n in summary.get("params", {}).items() if d in ("int8", "uint8")}
        if summary.get("quantized") or low_bit:
            return self.verdict(CONFIRMED, text)
        return self.verdict(REFUTED, f"{text}: nothing quantized")

    def adapter(self) -> Verdict:
        record = self.record("gpu")
        loads = [e for e in (self.events(record, "load") if record else []) if "adapter" in e]
        if not loads:
            return self.failed(record) or self.verdict(UNRESOLVED, "the replay created no adapter")
        adapter = loads[0]["adapter"]
        fp32 = adapter.get("float32", 0)
        text = f"adapter weights {hist_text(adapter)}"
        return self.verdict(CONFIRMED if fp32 else REFUTED, text)

    def default_dtype(self) -> Verdict:
        record = self.record("gpu")
        events = self.events(record, "set_default_dtype") if record else []
        if not events:
            return self.failed(record) or self.verdict(UNRESOLVED, "set_default_dtype was not reached")
        dtype = events[0]["dtype"].replace("torch.", "")
        verdict = CONFIRMED if dtype != "bfloat16" else REFUTED
        return self.verdict(verdict, f"the default dtype became {dtype} at {_short(events[0]['where'])}")

    def teacher_update(self) -> Verdict:
        record = self.record("gpu")
        value = _value(record, self.plan) if record else None
        if value and value.get("kind") == "module":
            training = value["training"]
            if self.plan.code == "BLY403" and training:
                text = f"{training} of {value['modules']} modules in training mode; {value['requires_grad']} trainable"
                return self.verdict(CONFIRMED, f"the teacher after the call: {text} parameters")
            return self.verdict(REFUTED, f"the teacher stays frozen: {value['requires_grad']} trainable parameters")
        if value and value.get("kind") == "optimizer":
            return self.verdict(CONFIRMED, f"an optimizer `{value['class']}` over the teacher's parameters")
        return self.failed(record) or self.verdict(UNRESOLVED, "the update was not reached")


def _same_failure(with_it: dict[str, Any] | None, without: dict[str, Any] | None) -> bool:
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


def changed_ops(with_ops: dict[str, int], without_ops: dict[str, int], tolerance: float = 0.05) -> list[dict]:
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
    changed = []
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


def _origins(record: dict[str, Any], changed: list[dict]) -> str:
    """Where the changed ops ran: the user's lines or the library."""
    names = {c["op"] for c in changed}
    where: Counter[str] = Counter()
    for key, count in record.get("ops_origin", {}).items():
        op, dtype, origin = key.split("|", 2)
        if op in names:
            where[_short(origin[5:]) if origin.startswith("user:") else origin.split(":", 1)[1]] += count
    if not where:
        return ""
    return " (ops from " + ", ".join(f"{w} x{n}" for w, n in where.most_common(3)) + ")"
