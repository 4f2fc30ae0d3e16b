"""The replay subprocess: one per module (and per process environment), never per finding.

    python -m blyan_lint.runtime.worker JOB.json RESULT.json

Imports the analysed module from its own source, rewritten with probes and recipes
(`replay_source`), and runs each finding's replay in each environment it asks for, under
the instrumentation. Whatever the user's code does (raise, run out of memory, hang past the
time limit), the result is JSON for that finding; the harness never shows a traceback.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import tempfile
import time
import traceback
import types
from types import FrameType
from typing import Any, NoReturn

from .models import set_offline
from .replay_source import ProbeSpec, RecipeSpec, recipe_name, rewrite

# Keyword values that switch a mixed-precision construct off, for the run "without" it.
NEUTRAL_KEYWORDS = {
    "fp16": False,
    "bf16": False,
    "fp16_full_eval": False,
    "bf16_full_eval": False,
    "mixed_precision": "no",
    "precision": "bf16-true",
    "enabled": False,
}
BATCH_NAMES = ("batch", "inputs", "sample", "example", "features")
LOADER_NAMES = ("loader", "dataloader", "data", "batches", "train_loader", "eval_loader")
DATASET_NAMES = ("dataset", "train_dataset", "eval_dataset", "ds")
STEP_NAMES = ("steps", "n", "num_steps", "max_steps", "epochs", "n_steps")


class ReplayTimeout(Exception):
    pass


class State:
    """Per-run probe log and switches, shared with the probe function in the module."""

    def __init__(self) -> None:
        self.probes: dict[int, list[dict[str, Any]]] = {}
        self.live: dict[int, dict[str, Any]] = {}
        self.neutral: int | None = None
        self.device = "cpu"

    def reset(self, neutral: int | None) -> None:
        self.probes, self.live, self.neutral = {}, {}, neutral


STATE = State()


def probe(pid: int, kind: str, value: Any) -> Any:
    import torch

    from .observe import snapshot, summarize

    log = STATE.probes.setdefault(pid, [])
    if len([p for p in log if p["kind"] == kind]) < 4:
        try:
            log.append({"kind": kind, "value": summarize(value)})
        except Exception as exc:
            log.append({"kind": kind, "value": {"kind": "error", "error": repr(exc)}})
    if kind == "receiver" and isinstance(value, torch.nn.Module) and pid not in STATE.live:
        STATE.live[pid] = {"object": value, "snapshot": snapshot(value)}
    if STATE.neutral == pid:
        return neutralize(kind, value)
    return value


def neutralize(kind: str, value: Any) -> Any:
    if kind.startswith("keyword:"):
        name = kind.split(":", 1)[1]
        return NEUTRAL_KEYWORDS.get(name, value)
    if hasattr(value, "_enabled"):  # torch.autocast, GradScaler: the same object, switched off
        value._enabled = False
    return value


def standard_input(name: str, annotation: str) -> Any:
    """Arguments a replay supplies: a batch of token ids, a one-batch loader, one step."""
    import torch

    lowered = name.lower()
    ids = (torch.arange(16).reshape(2, 8) % 12 + 4).to(STATE.device)
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}
    if lowered in BATCH_NAMES or lowered.endswith("_batch"):
        return batch
    if lowered in LOADER_NAMES or lowered.endswith("loader"):
        return [batch]
    if lowered in DATASET_NAMES or lowered.endswith("dataset"):
        row = {"input_ids": ids[0].cpu(), "attention_mask": torch.ones(8, dtype=torch.long), "labels": ids[0].cpu()}
        return [row, row]
    if annotation == "int" or lowered in STEP_NAMES:
        return 1
    if annotation == "float":
        return 1.0
    if annotation == "str" or annotation == "":
        if any(word in lowered for word in ("dir", "path", "folder", "output")):
            return tempfile.mkdtemp(prefix="blyan-replay-")
        if annotation == "str":
            return "hello world"
    return None


def keep_locals(values: dict[str, Any]) -> dict[str, Any]:
    return {"__blyan_locals__": True, **{k: v for k, v in values.items() if not k.startswith("__blyan")}}


def _user_where(exc: BaseException, user_file: str) -> str | None:
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if os.path.abspath(frame.filename).startswith(os.path.dirname(user_file)):
            return f"{frame.filename}:{frame.lineno}"
    return None


def _error(exc: BaseException, user_file: str) -> dict[str, Any]:
    import torch

    kind = type(exc).__name__
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        kind = "OutOfMemoryError"
    return {
        "type": kind,
        "message": str(exc).strip().splitlines()[0][:300] if str(exc).strip() else kind,
        "where": _user_where(exc, user_file),
    }


def _summarize_result(value: Any) -> Any:
    from .observe import summarize

    if isinstance(value, dict) and value.get("__blyan_locals__"):
        out = {}
        for name, item in value.items():
            if name == "__blyan_locals__":
                continue
            summary = summarize(item)
            if summary["kind"] != "value" or name == "__blyan_return__":
                out[name] = summary
        return {"kind": "locals", "values": out}
    return summarize(value)


def _round_trips() -> dict[int, dict[str, Any]]:
    from .observe import changed_by_round_trip, module_summary

    out = {}
    for pid, live in STATE.live.items():
        model = live["object"]
        changed, total = changed_by_round_trip(live["snapshot"], model)
        out[pid] = {"final": module_summary(model), "changed": changed, "compared": total}
    return out


def _optimizer_followup(result: Any) -> dict[str, Any] | None:
    """An 8-bit optimizer is only 8-bit once it has state: take one step and look."""
    import torch

    from .observe import optimizer_summary

    if not (isinstance(result, dict) and result.get("__blyan_locals__")):
        return None
    models = [v for v in result.values() if isinstance(v, torch.nn.Module)]
    optimizers = [v for v in result.values() if isinstance(v, torch.optim.Optimizer)]
    arguments = [v for v in result.values() if hasattr(v, "optim") and hasattr(v, "output_dir")]
    if not models:
        return None
    model = models[-1]
    if not optimizers and arguments:
        from transformers import Trainer

        optimizers = [Trainer(model=model, args=arguments[-1]).create_optimizer()]
    if not optimizers:
        return None
    optimizer = optimizers[-1]
    batch = standard_input("batch", "")
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    return optimizer_summary(optimizer)


def run_one(
    module: types.ModuleType, code: Any, plan: dict[str, Any], env: str, neutral: bool, job: dict[str, Any]
) -> dict[str, Any]:
    import torch

    from .op_trace import OpTrace
    from .patch_torch import simulate_capability

    recorder = job["_recorder"]
    recorder.events = []
    _reset_singletons()
    STATE.reset(plan["key"] if neutral else None)
    capability = {"cc75": (7, 5)}.get(env)
    if capability is None and env == "gpu" and job["cpu"]:
        capability = (9, 0)  # CPU-simulated: the guards see a policy GPU; nothing runs on one
    simulate_capability(capability)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    target = plan["target"]
    record: dict[str, Any] = {"env": env, "neutral": neutral, "ok": True}
    started = time.perf_counter()
    trace = OpTrace(recorder) if plan["differential"] else None
    signal.alarm(max(1, int(job["timeout"])))
    try:
        if trace is not None:
            trace.__enter__()
        try:
            result = _call(module, code, target, plan, job)
        finally:
            if trace is not None:
                trace.__exit__(None, None, None)
        record["result"] = _summarize_result(result)
        if plan["code"] in ("BLY401",) and not neutral:
            try:
                followup = _optimizer_followup(result)
            except Exception as exc:
                followup = {"kind": "error", "error": _error(exc, job["file"])["message"]}
            if followup is not None:
                record["optimizer"] = followup
        result = None
    except ReplayTimeout:
        record.update(ok=False, error={"type": "TimeoutError", "message": f"time limit of {job['timeout']:.0f} s"})
    except BaseException as exc:  # the user's code failed: that is an observation, not a crash
        record.update(ok=False, error=_error(exc, job["file"]))
    finally:
        signal.alarm(0)
        simulate_capability(None)
    record["seconds"] = round(time.perf_counter() - started, 3)
    record["probes"] = {str(k): v for k, v in STATE.probes.items()}
    record["round_trips"] = {str(k): v for k, v in _round_trips().items()}
    record["events"] = recorder.events
    if trace is not None:
        record["ops"] = dict(trace.counts)
        record["ops_origin"] = dict(trace.by_origin.most_common(200))
    if torch.cuda.is_available():
        record["peak_memory"] = int(torch.cuda.max_memory_allocated())
    STATE.live = {}
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return record


def _reset_singletons() -> None:
    """accelerate keeps one AcceleratorState per process; each replay starts without one."""
    state = sys.modules.get("accelerate.state")
    if state is None:
        return
    for name in ("AcceleratorState", "PartialState", "GradientState"):
        cls = getattr(state, name, None)
        reset = getattr(cls, "_reset_state", None)
        if reset is not None:
            try:
                reset(True) if name == "AcceleratorState" else reset()
            except TypeError:
                reset()


def _call(
    module: types.ModuleType, code: Any, target: dict[str, Any], plan: dict[str, Any], job: dict[str, Any]
) -> Any:
    kind = target["kind"]
    if kind == "module":
        fresh = _new_module(job)
        exec(code, fresh.__dict__)
        return None
    if kind == "unbuildable":
        raise RuntimeError(target["reason"])
    instance = getattr(module, target["cls"])() if target.get("cls") else None
    if kind == "recipe":
        recipe = getattr(module, recipe_name(plan["key"]))
        return recipe(instance) if instance is not None else recipe()
    if kind == "method":
        if target["function"] == "__init__":
            return instance
        return getattr(instance, target["function"])()
    return getattr(module, target["function"])()


def _new_module(job: dict[str, Any]) -> types.ModuleType:
    name = job["module"]
    module = types.ModuleType(name)
    module.__file__ = job["file"]
    module.__package__ = name.rpartition(".")[0] if not job["file"].endswith("__init__.py") else name
    module.__dict__.update({"__blyan_probe__": probe, "__blyan_std__": standard_input, "__blyan_locals__": keep_locals})
    return module


def main(argv: list[str]) -> int:
    job_path, out_path = argv
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    set_offline()
    results: dict[str, Any] = {"runs": {}, "error": None}

    def alarm(signum: int, frame: FrameType | None) -> NoReturn:
        raise ReplayTimeout()

    signal.signal(signal.SIGALRM, alarm)
    try:
        results["runs"] = _replay_module(job)
    except BaseException as exc:  # the module could not be set up: every finding of it is unresolved
        results["error"] = {"type": type(exc).__name__, "message": str(exc).strip()[:300]}
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(results, fh)
    return 0


def _replay_module(job: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    import torch

    from .instrument import install
    from .recorder import Recorder, Redirect

    # Where the standard inputs live: beside the model (the CPU only in a CPU-simulated or hidden run).
    STATE.device = "cuda" if torch.cuda.is_available() else "cpu"  # noqa: BLY301
    sys.path.insert(0, job["sys_path"])
    recorder = Recorder(job["user_roots"])
    install(recorder, Redirect(job["model_map"], job["allow_pickle"]))
    job["_recorder"] = recorder
    with open(job["file"], "rb") as fh:
        source = fh.read()
    probes = [ProbeSpec(p["key"], p["line"], p["col"]) for p in job["plans"]]
    recipes = [
        RecipeSpec(p["key"], p["target"]["def_line"], p["statement_line"], p["statement_end"], not p["differential"])
        for p in job["plans"]
        if p["target"]["kind"] == "recipe"
    ]
    code, located = rewrite(source, job["file"], probes, recipes)
    module = _new_module(job)
    sys.modules[job["module"]] = module
    signal.alarm(max(1, int(job["timeout"])))
    try:
        exec(code, module.__dict__)
    except ReplayTimeout:
        raise TimeoutError(f"importing the module took longer than {job['timeout']:.0f} s") from None
    except BaseException as exc:
        error = _error(exc, job["file"])
        raise RuntimeError(f"importing {job['module']} failed: {error['type']}: {error['message']}") from None
    finally:
        signal.alarm(0)
    runs: dict[str, list[dict[str, Any]]] = {}
    # Findings in one function share its run with every construct on (each probe records its
    # own value in it); only the run without each construct is theirs alone.
    shared: dict[tuple[Any, ...], dict[str, Any]] = {}
    for plan in job["plans"]:
        records = []
        for env in plan["envs"]:
            if (env == "hidden") != (job["process_env"] == "hidden"):
                continue
            target = plan["target"]
            key = (target["kind"], target["function"], target["cls"], env)
            if plan["differential"] and key in shared:
                records.append(dict(shared[key]))
            else:
                record = run_one(module, code, plan, env, False, job)
                if plan["differential"]:
                    shared[key] = record
                records.append(record)
            if plan["differential"]:
                records.append(run_one(module, code, plan, env, True, job))
        for record in records:
            record["located"] = located.get(plan["key"])
        runs[str(plan["key"])] = records
    return runs


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
