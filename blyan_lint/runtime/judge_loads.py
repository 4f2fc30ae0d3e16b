"""Judges for what a model or tensor is made of: loads and casts (BLY101-103, BLY404),
quantization (BLY401, BLY402), adapters (BLY106), the default dtype (BLY104) and teacher
updates (BLY403)."""

from __future__ import annotations

from typing import Any

from .evidence import (
    CONFIRMED,
    REFUTED,
    UNRESOLVED,
    Evidence,
    Record,
    Verdict,
    by_design,
    cast_probes,
    hist_text,
    model_text,
    non_bf16,
    probes,
    short,
    value_of,
    value_text,
)


def dtype(j: Evidence) -> Verdict:
    """BLY101-103, BLY404: does the model (or tensor) end up non-BF16?"""
    record = j.record("gpu")
    failed = j.failed(record)
    if record is None:
        assert failed is not None
        return failed
    cast = cast_probes(record, j.plan)
    if cast:
        return _cast(j, record, cast[0]["value"])
    loads = j.events(record, "load")
    if loads:
        return _load(j, loads[0])
    if failed:
        return failed
    value = value_of(record, j.plan)
    if value and value.get("kind") == "dtype":
        word = "a non-BF16" if value["value"] != "bfloat16" else "BF16"
        verdict = CONFIRMED if value["value"] != "bfloat16" else REFUTED
        return j.verdict(verdict, f"evaluated to torch.{value['value']} ({word} dtype) {j.env('gpu')}")
    return j.verdict(UNRESOLVED, "the flagged code was not reached by the replay")


def _load(j: Evidence, event: dict[str, Any]) -> Verdict:
    summary = event.get("result") or {}
    if summary.get("kind") == "pipeline":
        summary = summary["model"]
    if summary.get("kind") != "module":
        return j.verdict(UNRESOLVED, f"`{event['api']}` returned {summary.get('class', summary.get('kind'))}")
    where = f"`{event['api']}({event['model_id']!r})` at {short(event['where'])}"
    source = f" (checkpoint {event['path']})" if event.get("path") not in (None, "None") else ""
    wrong = non_bf16(summary["params"])
    design = by_design(summary)
    text = f"{where}{source} loaded {model_text(summary)}"
    if j.plan.code == "BLY404" and (summary.get("quantized") or "int8" in summary["params"]):
        return j.verdict(REFUTED, f"{text}: an INT8 teacher, as the policy allows")
    if sum(wrong.values()) > design:
        return j.verdict(CONFIRMED, text)
    return j.verdict(REFUTED, f"{text}: every parameter is BF16" + (" (or FP32 by design)" if design else ""))


def _cast(j: Evidence, record: Record, after: dict[str, Any]) -> Verdict:
    receivers = probes(record, j.plan, "receiver")
    before = receivers[0]["value"] if receivers else None
    if after.get("kind") == "tensor":
        was = f"a {before['dtype']} tensor" if before and before.get("kind") == "tensor" else "a tensor"
        verdict = CONFIRMED if after["dtype"] != "bfloat16" else REFUTED
        return j.verdict(verdict, f"{was} {list(after['shape'])} became {after['dtype']} at the cast")
    if after.get("kind") != "module":
        return j.verdict(UNRESOLVED, f"the cast returned {value_text(after)}")
    was = f"{hist_text(before['params'])} before" if before and before.get("kind") == "module" else ""
    text = f"parameters {was} -> {hist_text(after['params'])} after the cast"
    if not non_bf16(after["params"]):
        return j.verdict(REFUTED, f"{text}: still BF16")
    trip = record.get("round_trips", {}).get(str(j.plan.key))
    if trip and not non_bf16(trip["final"]["params"]):
        return j.verdict(
            REFUTED,
            f"{text}, undone later in the function: the model ends {hist_text(trip['final']['params'])}; "
            f"the round trip changed {trip['changed']} of {trip['compared']} weights",
        )
    return j.verdict(CONFIRMED, text + (f"; the model ends {hist_text(trip['final']['params'])}" if trip else ""))


def quantized(j: Evidence) -> Verdict:
    record = j.record("gpu")
    if record and record.get("optimizer"):
        optimizer = record["optimizer"]
        if optimizer.get("kind") == "error":
            return j.verdict(UNRESOLVED, f"the optimizer step failed: {optimizer['error']}")
        states = optimizer["state_dtypes"]
        low = {d: n for d, n in states.items() if d in ("uint8", "int8")}
        text = f"`{optimizer['class']}` after one step holds state {hist_text(states)}"
        if not low and optimizer.get("optim_bits") == 8 and optimizer["largest"] < optimizer["min_8bit_size"]:
            return j.verdict(
                UNRESOLVED,
                f"{text}: configured for 8 bits, but bitsandbytes keeps 32-bit state for tensors under "
                f"min_8bit_size={optimizer['min_8bit_size']} elements and this model's largest has "
                f"{optimizer['largest']}; map a real checkpoint to see the 8-bit state",
            )
        return j.verdict(CONFIRMED if low else REFUTED, text)
    loads = j.events(record, "load") if record else []
    if not loads:
        value = value_of(record, j.plan) if record else None
        if value and value.get("kind") == "module" and value.get("quantized"):
            return j.verdict(CONFIRMED, model_text(value))
        return j.stopped(record, "the replay created no quantized model")
    summary = loads[0]["result"]
    text = f"`{loads[0]['api']}` at {short(loads[0]['where'])} loaded {model_text(summary)}"
    low_bit = {d: n for d, n in summary.get("params", {}).items() if d in ("int8", "uint8")}
    if summary.get("quantized") or low_bit:
        return j.verdict(CONFIRMED, text)
    return j.verdict(REFUTED, f"{text}: nothing quantized")


def adapter(j: Evidence) -> Verdict:
    record = j.record("gpu")
    loads = [e for e in (j.events(record, "load") if record else []) if "adapter" in e]
    if not loads:
        return j.stopped(record, "the replay created no adapter")
    weights = loads[0]["adapter"]
    fp32 = weights.get("float32", 0)
    text = f"adapter weights {hist_text(weights)}"
    return j.verdict(CONFIRMED if fp32 else REFUTED, text)


def default_dtype(j: Evidence) -> Verdict:
    record = j.record("gpu")
    events = j.events(record, "set_default_dtype") if record else []
    if not events:
        return j.stopped(record, "set_default_dtype was not reached")
    dtype = events[0]["dtype"].replace("torch.", "")
    verdict = CONFIRMED if dtype != "bfloat16" else REFUTED
    return j.verdict(verdict, f"the default dtype became {dtype} at {short(events[0]['where'])}")


def teacher_update(j: Evidence) -> Verdict:
    record = j.record("gpu")
    value = value_of(record, j.plan) if record else None
    if value and value.get("kind") == "module":
        training = value["training"]
        if j.plan.code == "BLY403" and training:
            text = f"{training} of {value['modules']} modules in training mode; {value['requires_grad']} trainable"
            return j.verdict(CONFIRMED, f"the teacher after the call: {text} parameters")
        return j.verdict(REFUTED, f"the teacher stays frozen: {value['requires_grad']} trainable parameters")
    if value and value.get("kind") == "optimizer":
        return j.verdict(CONFIRMED, f"an optimizer `{value['class']}` over the teacher's parameters")
    return j.stopped(record, "the update was not reached")
