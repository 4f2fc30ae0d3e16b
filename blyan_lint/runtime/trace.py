"""`blyan-lint trace -- python script.py ARGS`: a real program under instrumentation, then
its events cross-referenced with the static findings of the files it ran:

- `confirmed`: the flagged line ran and an event there shows the claim (a non-BF16 load or
  cast, an effective autocast, an enabled scaler, a quantized load, ...);
- `reached`: the flagged line ran but no event there shows its effect;
- `not reached`: the program never ran the flagged line;
- `runtime-only`: a precision event no static finding points at (for instance a clean BF16
  load whose MoE router the library keeps in FP32).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from ..api import Overrides, check_paths, settings_for
from .confirm import REPO_ROOT
from .evidence import hist_text, non_bf16
from .models import OFFLINE_ENV, ModelMap, check_checkpoint, model_map_from_table, parse_model_map
from .plan import is_model_related

PYTHONS = ("python", "python3")


@dataclass
class TraceOptions:
    model_map: tuple[str, ...] = ()
    allow_pickle: bool = False
    cpu: bool = False
    capability: tuple[int, int] | None = None
    hide_gpu: bool = False
    max_steps: int | None = None
    time_limit: float = 600.0
    sample_every: int = 1


def _script(program: list[str]) -> list[str] | None:
    """[script.py, ARGS...] from `python script.py ARGS` or `script.py ARGS`."""
    first = os.path.basename(program[0])
    if first.startswith(PYTHONS) or os.path.abspath(program[0]) == os.path.abspath(sys.executable):
        program = program[1:]
    if not program or not program[0].endswith(".py") or not os.path.isfile(program[0]):
        return None
    return program


def _map(script: str, options: TraceOptions) -> dict[str, str]:
    settings = settings_for(script, Overrides())
    base = os.path.dirname(settings.source) if settings.source else os.getcwd()
    configured = model_map_from_table(dict(settings.runtime.model_map), base)
    given = parse_model_map(options.model_map, os.getcwd())
    merged = ModelMap(tuple((k, v) for k, v in configured.entries if given.get(k) is None) + given.entries)
    allow_pickle = options.allow_pickle or settings.runtime.allow_pickle
    for _, path in merged.entries:
        check_checkpoint(path, allow_pickle=allow_pickle)
    return dict(merged.entries)


def describe(event: dict[str, Any], cpu: bool = False) -> tuple[str, bool]:
    """(a sentence, whether the event goes against the policy; placement is not judged in a
    CPU-simulated run, where everything is on the CPU)."""
    kind = event["event"]
    if kind in ("load", "pipeline"):
        result = event.get("result") or {}
        model = result.get("model", result) if result.get("kind") == "pipeline" else result
        if model.get("kind") != "module":
            return f"{event['api']}({event['model_id']!r}) -> {model.get('class', '?')}", False
        params = model["params"]
        devices = model.get("devices", {})
        text = f"{event['api']}({event['model_id']!r}): parameters {hist_text(params)}; on {hist_text(devices)}"
        if model.get("quantized"):
            text += "; quantized " + ", ".join(f"{n} {c}" for c, n in model["quantized"].items())
        for item in model.get("fp32_by_design", []):
            text += f"; FP32 by design ({item['attribute']} `{item['pattern']}`)"
        off_gpu = not cpu and any(not d.startswith("cuda") for d in devices)
        bad = bool(non_bf16(params)) or bool(model.get("quantized")) or off_gpu
        return text, bad
    if kind.startswith("module."):
        after = event["after"]["params"]
        return (
            f"{kind[7:]}({', '.join(event['args'])}): {hist_text(event['before']['params'])} -> {hist_text(after)}",
            (bool(non_bf16(after)) or kind in ("module.cpu", "module.train")),
        )
    if kind == "autocast":
        state = "effective" if kind and event["effective"] else "not effective"
        return f"autocast({event['device']}, {event['dtype']}) entered, {state}", bool(event["effective"])
    if kind == "grad_scaler":
        return f"{event['class']}(enabled={event['enabled']}, scale={event['scale']:g})", bool(event["enabled"])
    if kind == "set_default_dtype":
        return f"set_default_dtype({event['dtype']})", "bfloat16" not in event["dtype"]
    if kind.startswith("capability."):
        return f"{kind.split('.', 1)[1]}() -> {event['result']}", False
    return kind, False


def cross_reference(
    findings: list[Any], events: list[dict[str, Any]], lines: dict[str, list[int]], cpu: bool = False
) -> list[dict[str, Any]]:
    by_line: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for event in events:
        where = event.get("where")
        if where:
            path, _, line = where.rpartition(":")
            by_line.setdefault((os.path.realpath(path), int(line)), []).append(event)
    rows = []
    claimed: set[int] = set()
    for finding in findings:
        path = os.path.realpath(finding.path)
        span = range(finding.start.line, finding.end.line + 1)
        ran = any(line in set(lines.get(path, ())) for line in span)
        here = [e for line in span for e in by_line.get((path, line), [])]
        shown = [e for e in here if describe(e, cpu)[1]]
        claimed.update(id(e) for e in here)
        if shown:
            status, observation = "confirmed", describe(shown[0])[0]
        elif ran:
            status = "reached"
            observation = describe(here[0])[0] if here else "the line ran; no precision event there shows its effect"
        else:
            status, observation = "not reached", "the program never ran this line"
        rows.append(
            {
                "code": finding.code,
                "place": _place(path, finding.start.line),
                "status": status,
                "observation": observation,
            }
        )
    for event in events:
        text, bad = describe(event, cpu)
        if (
            bad
            and id(event) not in claimed
            and event.get("where")
            or event["event"] == "load"
            and id(event) not in claimed
            and "fp32_by_design" in (event.get("result") or {})
        ):
            path, _, line = event["where"].rpartition(":")
            rows.append({"code": "-", "place": _place(path, int(line)), "status": "runtime-only", "observation": text})
    return rows


def _place(path: str, line: int) -> str:
    return f"{os.path.relpath(path)}:{line}"


def trace(program: list[str], options: TraceOptions, output_format: str, output_file: str | None) -> int:
    script = _script(program)
    if script is None:
        print(
            f"blyan-lint: error: `{' '.join(program)}` is not `python SCRIPT.py ARGS` with an existing script",
            file=sys.stderr,
        )
        return 2
    model_map = _map(script[0], options)
    roots = sorted({os.path.dirname(os.path.abspath(script[0])), os.getcwd()})
    job = {
        "program": [os.path.abspath(script[0]), *script[1:]],
        "user_roots": roots,
        "model_map": model_map,
        "allow_pickle": options.allow_pickle,
        "capability": list(options.capability) if options.capability else None,
        "max_steps": options.max_steps,
        "sample_every": options.sample_every,
    }
    with tempfile.TemporaryDirectory(prefix="blyan-trace-") as tmp:
        job_path, out_path = os.path.join(tmp, "job.json"), os.path.join(tmp, "out.json")
        with open(job_path, "w", encoding="utf-8") as fh:
            json.dump(job, fh)
        env = dict(os.environ, **OFFLINE_ENV, PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
        if options.hide_gpu or options.cpu:
            env["CUDA_VISIBLE_DEVICES"] = ""
        command = [sys.executable, "-m", "blyan_lint.runtime.trace_child", job_path, out_path]
        try:
            subprocess.run(command, env=env, timeout=options.time_limit, stdout=sys.stderr)
        except subprocess.TimeoutExpired:
            print(f"blyan-lint: trace: the program ran past --time-limit {options.time_limit:g} s", file=sys.stderr)
        if not os.path.isfile(out_path):
            print("blyan-lint: error: the traced program left no trace (it was killed)", file=sys.stderr)
            return 2
        with open(out_path, encoding="utf-8") as fh:
            observed = json.load(fh)
    lines: dict[str, list[int]] = {}  # one name per file: a symlinked checkout shows up under two
    for path, hit in observed["lines"].items():
        lines.setdefault(os.path.realpath(path), []).extend(hit)
    files = sorted(path for path in lines if path.endswith(".py") and os.path.isfile(path))
    _, findings = check_paths(files, Overrides()) if files else ([], [])
    rows = cross_reference([f for f in findings if is_model_related(f)], observed["events"], lines, options.cpu)
    report = {
        "outcome": observed["outcome"],
        "steps": observed["steps"],
        "events": [
            {"event": e["event"], "where": e.get("where"), "observation": describe(e)[0]}
            for e in observed["events"]
            if not e["event"].startswith("capability.")
        ],
        "findings": rows,
        "op_dtypes": _totals(observed["ops"]),
        "peak_gpu_memory": observed.get("peak_memory"),
        "cpu_simulated": options.cpu,
    }
    text = json.dumps(report, indent=2) + "\n" if output_format == "json" else render(report)
    if output_file:
        with open(output_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 1 if any(r["status"] in ("confirmed", "runtime-only") for r in rows) else 0


def _totals(ops: dict[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key, count in ops.items():
        dtype = key.rpartition("|")[2]
        totals[dtype] = totals.get(dtype, 0) + count
    return totals


def render(report: dict[str, Any]) -> str:
    lines = ["Events (file:line of the user's code):"]
    for event in report["events"]:
        where = _place(*event["where"].rsplit(":", 1)) if event["where"] and ":" in event["where"] else "-"
        lines.append(f"  {where}: {event['observation']}")
    outcome = report["outcome"]
    lines.append(
        f"Program: {outcome['status']}"
        + (
            f" ({outcome.get('message') or outcome.get('type', '')})"
            if outcome["status"] in ("stopped", "raised")
            else ""
        )
    )
    lines.append(f"Op result dtypes: {hist_text(report['op_dtypes'])}")
    if report.get("peak_gpu_memory") is not None:
        lines.append(f"Peak GPU memory: {report['peak_gpu_memory'] / 2**20:.1f} MiB")
    lines.append("")
    lines.append(f"{'code':7} {'status':12} {'place':40} observation")
    for row in report["findings"]:
        lines.append(f"{row['code']:7} {row['status']:12} {row['place']:40} {row['observation']}")
    if report["cpu_simulated"]:
        lines.append("(CPU-simulated: measured without a GPU, not proof)")
    return "\n".join(lines) + "\n"
