"""The traced program's process: `python -m blyan_lint.runtime.trace_child JOB.json OUT.json`.

Runs the user's script as `__main__` under the instrumentation (loads through the model
map, precision events, a sampled op-dtype trace, line coverage of the user's files), stops
it after `max_steps` optimizer steps or model forwards, and writes what it saw as JSON,
whatever the script does (exit, raise, run out of memory).
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from .models import set_offline

if TYPE_CHECKING:
    from .recorder import Recorder

# What `sys.settrace` takes: called per frame event, it returns the tracer for the frame.
TraceFunction = Callable[[FrameType, str, Any], Any]


class StopTracing(BaseException):
    """Raised into the program when --max-steps is reached (BaseException: `except
    Exception` in the user's code does not swallow it)."""


def _coverage(recorder: Recorder, hits: set[tuple[str, int]]) -> TraceFunction:
    def local(frame: FrameType, event: str, arg: Any) -> TraceFunction:
        if event == "line":
            hits.add((frame.f_code.co_filename, frame.f_lineno))
        return local

    def global_trace(frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        if recorder.is_user_file(frame.f_code.co_filename):
            hits.add((frame.f_code.co_filename, frame.f_lineno))
            return local
        return None

    return global_trace


def _step_limit(torch: Any, recorder: Recorder, max_steps: int | None, counter: dict[str, int]) -> None:
    def count(kind: str) -> None:
        counter[kind] += 1
        if max_steps is not None and counter[kind] >= max_steps:
            raise StopTracing(f"stopped after {counter[kind]} {kind}s (--max-steps {max_steps})")

    def after_step(optimizer: Any, args: Any, kwargs: Any) -> None:
        count("optimizer step")

    from torch.optim.optimizer import register_optimizer_step_post_hook

    register_optimizer_step_post_hook(after_step)
    depth = threading.local()

    def pre(module: Any, args: Any) -> None:
        depth.n = getattr(depth, "n", 0) + 1

    def post(module: Any, args: Any, output: Any) -> None:
        depth.n -= 1
        if depth.n == 0 and recorder.where() is not None:
            count("model forward")

    torch.nn.modules.module.register_module_forward_pre_hook(pre)
    torch.nn.modules.module.register_module_forward_hook(post, always_call=True)


def main(argv: list[str]) -> int:
    job_path, out_path = argv[:2]
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    set_offline()
    import torch

    from .instrument import install
    from .op_trace import OpTrace
    from .patch_torch import simulate_capability
    from .recorder import Recorder, Redirect

    recorder = Recorder(job["user_roots"])
    recorder.max_events = 5000
    install(recorder, Redirect(job["model_map"], job["allow_pickle"]))
    if job.get("capability"):
        simulate_capability(tuple(job["capability"]))
    counter = {"optimizer step": 0, "model forward": 0}
    if job.get("max_steps"):
        _step_limit(torch, recorder, job["max_steps"], counter)
    hits: set[tuple[str, int]] = set()
    outcome: dict[str, Any] = {"status": "finished"}
    script = job["program"][0]
    sys.argv = list(job["program"])
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    trace = OpTrace(recorder, job.get("sample_every", 1))
    tracer = _coverage(recorder, hits)
    sys.settrace(tracer)
    threading.settrace(tracer)
    try:
        with trace:
            runpy.run_path(script, run_name="__main__")
    except StopTracing as stop:
        outcome = {"status": "stopped", "message": str(stop)}
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) or done.code is None else 1
        outcome = {"status": "exited", "code": code or 0}
    except BaseException as exc:  # the program's own failure is part of what the trace reports
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if recorder.is_user_file(f.filename)]
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        outcome = {"status": "raised", "type": type(exc).__name__, "message": message, "where": where}
    finally:
        sys.settrace(None)
        threading.settrace(None)
    files = sorted({path for path, _ in hits})
    result: dict[str, Any] = {
        "outcome": outcome,
        "events": recorder.events,
        "ops": dict(trace.counts),
        "ops_origin": dict(trace.by_origin.most_common(300)),
        "lines": {path: sorted(line for p, line in hits if p == path) for path in files},
        "steps": counter,
    }
    if torch.cuda.is_available():
        result["peak_memory"] = int(torch.cuda.max_memory_allocated())
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
