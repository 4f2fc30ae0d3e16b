"""Judges for hardware and devices: CPU fallbacks (BLY301), model placement (BLY302), missing
and soft capability guards (BLY303, BLY304) and dtype fallbacks (BLY105), each read from the
replays under a policy GPU, a simulated pre-Ampere GPU and with CUDA hidden."""

from __future__ import annotations

from .evidence import (
    CONFIRMED,
    REFUTED,
    UNRESOLVED,
    Evidence,
    Verdict,
    cast_probes,
    error_text,
    hist_text,
    is_cpu,
    non_bf16,
    short,
    value_of,
    value_text,
)


def cpu_fallback(j: Evidence) -> Verdict:
    record = j.record("hidden")
    value = value_of(record, j.plan) if record else None
    cpu = is_cpu(value)
    if cpu:
        return j.verdict(CONFIRMED, f"{j.env('hidden')} it selected {value_text(value)}")
    if record is not None and not record.get("ok") and value is None:
        return j.verdict(REFUTED, f"{j.env('hidden')} the fallback is never reached: {error_text(record)} first")
    if cpu is False:
        return j.verdict(REFUTED, f"{j.env('hidden')} it still selected {value_text(value)}")
    return j.stopped(record, "the replay showed no device choice")


def soft_check(j: Evidence) -> Verdict:
    located = next((r.get("located") for r in j.records), None)
    if located in ("call", "expr"):  # the `is_bf16_supported()` call itself: does it answer True by emulation?
        record = j.record("cc75")
        if j.cpu:
            return j.verdict(UNRESOLVED, "needs a GPU: BF16 emulation can only be asked of a CUDA device")
        value = value_of(record, j.plan) if record else None
        if value and value.get("kind") == "value" and value["value"] is True:
            return j.verdict(CONFIRMED, f"{j.env('cc75')} `is_bf16_supported()` answered True (emulation)")
        if value and value.get("kind") == "value" and value["value"] is False:
            return j.verdict(REFUTED, f"{j.env('cc75')} `is_bf16_supported()` answered False")
        return j.stopped(record, "the check was not reached")
    passed = []
    raised = []
    for env in ("cc75", "hidden"):
        record = j.record(env)
        if record is None:
            continue
        if record.get("ok"):
            passed.append(f"{j.env(env)} it returned {value_text(record.get('result'))} without raising")
        else:
            raised.append(f"{j.env(env)}: {error_text(record)}")
    if passed:
        return j.verdict(CONFIRMED, "; ".join(passed))
    if raised:
        return j.verdict(REFUTED, "fails fast: " + "; ".join(raised))
    return j.verdict(UNRESOLVED, "no replay ran")


def missing_guard(j: Evidence) -> Verdict:
    record = j.record("cc75")
    if record is None:
        return j.verdict(UNRESOLVED, "no replay ran")
    loads = j.events(record, "load", "pipeline")
    if loads:
        return j.verdict(CONFIRMED, f"{j.env('cc75')} `{loads[0]['api']}` at {short(loads[0]['where'])} ran unguarded")
    if not record.get("ok"):
        text = error_text(record)
        if any(word in text for word in ("8.0", "BF16", "bf16", "Ampere", "capability", "sm_")):
            return j.verdict(REFUTED, f"{j.env('cc75')} the code fails fast: {text}")
        return j.stopped(record, "the replay did not run to the end")  # failed() always answers here
    return j.verdict(UNRESOLVED, "the replay loaded nothing")


def fallback(j: Evidence) -> Verdict:
    """BLY105: which dtype does the conditional pick, where?"""
    picks = {}
    stops = {}
    for env in ("gpu", "cc75", "hidden"):
        record = j.record(env)
        if record is None:
            continue
        loads = j.events(record, "load")
        value = value_of(record, j.plan)
        if value is not None and value.get("kind") == "dtype":
            picks[env] = value["value"]
        elif loads:
            picks[env] = ",".join(sorted(non_bf16(loads[0]["result"].get("params", {})))) or "bfloat16"
        elif not record.get("ok"):
            stops[env] = error_text(record)
    wrong = {env: d for env, d in picks.items() if d != "bfloat16"}
    if wrong:
        text = "; ".join(f"{j.env(env)} it picks torch.{d}" for env, d in wrong.items())
        return j.verdict(CONFIRMED, text)
    if picks and stops and all(env in stops for env in ("cc75", "hidden") if j.record(env)):
        text = "; ".join(f"{j.env(env)} {stop} is raised first" for env, stop in stops.items())
        return j.verdict(REFUTED, f"BF16 {j.env('gpu')}; the fallback is unreachable: {text}")
    if picks and all(d == "bfloat16" for d in picks.values()) and not stops:
        return j.verdict(REFUTED, "BF16 in every environment: " + ", ".join(j.env(e) for e in picks))
    return j.verdict(
        UNRESOLVED, "the replays showed no dtype choice" + (f" ({next(iter(stops.values()))})" if stops else "")
    )


def placement(j: Evidence) -> Verdict:
    record = j.record("gpu")
    loads = j.events(record, "load", "pipeline") if record else []
    cast = cast_probes(record, j.plan) if record else []
    summary = None
    what = ""
    if cast and cast[0]["value"].get("kind") in ("module", "tensor"):
        summary, what = cast[0]["value"], "the move"
    elif loads:
        summary = loads[0]["result"]
        what = f"`{loads[0]['api']}` at {short(loads[0]['where'])}"
        if summary.get("kind") == "pipeline":
            summary = summary["model"]
    if summary is None:
        return j.stopped(record, "the replay placed no model")
    devices = summary.get("devices") or ({summary["device"]: 1} if "device" in summary else {})
    off_gpu = {d: n for d, n in devices.items() if not d.startswith("cuda")}
    if j.cpu:
        return j.verdict(UNRESOLVED, f"needs a GPU: without one every tensor is on the CPU ({what})")
    if off_gpu:
        return j.verdict(CONFIRMED, f"{what}: tensors on {hist_text(devices)}")
    return j.verdict(REFUTED, f"{what}: every tensor on the GPU ({hist_text(devices)})")
