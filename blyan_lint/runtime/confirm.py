"""`blyan-lint confirm`: the static findings, each with a verdict from a real replay.

The parent process (this module) never imports torch: it runs the static checks, plans
the replays (`plan`), starts one subprocess per module and process environment
(`worker`), with a time limit, several at a time, and turns what they observed into
verdicts (`judge`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..api import Overrides, check_paths, settings_for
from ..findings import Finding
from .evidence import UNRESOLVED, Verdict
from .judge import Judge
from .models import OFFLINE_ENV, ModelMap, ModelMapError, check_checkpoint, model_map_from_table, parse_model_map
from .plan import ModulePlan, is_model_related, plan_modules

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class ConfirmOptions:
    model_map: tuple[str, ...] = ()  # --model-map ID=PATH, relative to the working directory
    allow_pickle: bool = False
    cpu: bool = False  # --allow-cpu: CPU-simulated
    timeout: float | None = None  # seconds per replay; None: the config's (default 120)
    jobs: int = min(8, os.cpu_count() or 1)
    progress: Callable[[str], None] | None = None


@dataclass
class ConfirmResult:
    findings: list[Finding]
    verdicts: dict[int, Verdict] = field(default_factory=dict)  # index in findings -> verdict
    seconds: float = 0.0
    device: str = "cuda"


def _model_map(path: str, options: ConfirmOptions) -> tuple[ModelMap, bool, float]:
    settings = settings_for(path, Overrides())
    runtime = settings.runtime
    base = os.path.dirname(settings.source) if settings.source else os.getcwd()
    configured = model_map_from_table(dict(runtime.model_map), base)
    given = parse_model_map(options.model_map, os.getcwd())
    merged = ModelMap(tuple((k, v) for k, v in configured.entries if given.get(k) is None) + given.entries)
    timeout = options.timeout if options.timeout is not None else runtime.timeout
    return merged, options.allow_pickle or runtime.allow_pickle, timeout


def _job(module: ModulePlan, process_env: str, options: ConfirmOptions) -> tuple[dict[str, Any], float] | None:
    plans = [p for p in module.plans if any((env == "hidden") == (process_env == "hidden") for env in p.envs)]
    if not plans:
        return None
    model_map, allow_pickle, timeout = _model_map(module.path, options)
    resolved = {}
    for key, path in model_map.entries:
        check_checkpoint(path, allow_pickle=allow_pickle)
        resolved[key] = path
        if key in module.constants:  # a variable of the module names the id: map its value
            resolved[module.constants[key]] = path
        if key in module.aliases:  # a name the load's id was bound through (typed facts)
            resolved[module.aliases[key]] = path
    runs = sum(len(p.envs) * (2 if p.differential else 1) for p in plans)
    job = {
        "module": module.module,
        "file": module.path,
        "sys_path": module.sys_path,
        "user_roots": [module.sys_path],
        "model_map": resolved,
        "allow_pickle": allow_pickle,
        "cpu": options.cpu,
        "process_env": process_env,
        "timeout": timeout,
        "plans": [
            {
                "key": p.key,
                "code": p.code,
                "line": p.line,
                "col": p.col,
                "envs": list(p.envs),
                "differential": p.differential,
                "statement_line": p.statement_line,
                "statement_end": p.statement_end,
                "target": {
                    "kind": p.target.kind,
                    "function": p.target.function,
                    "cls": p.target.cls,
                    "def_line": p.target.def_line,
                    "end_line": p.target.end_line,
                    "reason": p.target.reason,
                },
            }
            for p in plans
        ],
    }
    return job, timeout * (runs + 1) + 60  # the module's import, each run, and the interpreter's start


def _run_job(job: dict[str, Any], limit: float) -> dict[str, Any]:
    """One subprocess; whatever happens to it, a result dict (never an exception)."""
    with tempfile.TemporaryDirectory(prefix="blyan-confirm-") as tmp:
        job_path, out_path = os.path.join(tmp, "job.json"), os.path.join(tmp, "out.json")
        with open(job_path, "w", encoding="utf-8") as fh:
            json.dump(job, fh)
        env = dict(os.environ, **OFFLINE_ENV, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
        env.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if job["process_env"] == "hidden" or job["cpu"]:
            env["CUDA_VISIBLE_DEVICES"] = ""  # hidden in a fresh process, before CUDA initialises
        command = [sys.executable, "-m", "blyan_lint.runtime.worker", job_path, out_path]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=limit, cwd=tmp)
        except subprocess.TimeoutExpired:
            return {
                "error": {"type": "TimeoutError", "message": f"the replay of {job['module']} took over {limit:.0f} s"}
            }
        if os.path.isfile(out_path):
            with open(out_path, encoding="utf-8") as fh:
                result: dict[str, Any] = json.load(fh)
                return result
        tail = (done.stderr or "").strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return {"error": {"type": "crash", "message": f"the replay process died: {tail[0][:300]}"}}


def confirm(paths: list[str], options: ConfirmOptions) -> ConfirmResult:
    started = time.perf_counter()
    _, findings = check_paths(paths, Overrides())
    related = [(i, f) for i, f in enumerate(findings) if is_model_related(f)]
    modules = plan_modules(related)
    result = ConfirmResult(findings, device="cpu" if options.cpu else "cuda")  # noqa: BLY301 (--allow-cpu)
    jobs = []
    for module in modules:
        if module.error:
            continue
        for process_env in ("gpu", "hidden"):
            made = _job(module, process_env, options)
            if made:
                jobs.append((module, made[0], made[1]))
    jobs.sort(key=lambda item: -item[2])  # the longest replays first: they bound the wall time
    outcomes: dict[tuple[str, str], dict[str, Any]] = {}
    total = len(jobs)
    progress = options.progress or (lambda text: None)
    progress(f"replaying {len(related)} findings in {len(modules)} modules ({total} processes)")

    def work(item: tuple[ModulePlan, dict[str, Any], float]) -> tuple[ModulePlan, dict[str, Any], dict[str, Any]]:
        module, job, limit = item
        return module, job, _run_job(job, limit)

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        for count, (module, job, outcome) in enumerate(pool.map(work, jobs), start=1):
            outcomes[(module.path, job["process_env"])] = outcome
            progress(f"[{count}/{total}] {os.path.relpath(module.path)} ({job['process_env']})")
    for module in modules:
        for plan in module.plans:
            records: list[dict[str, Any]] = []
            error = module.error
            for process_env in ("gpu", "hidden"):
                replayed = outcomes.get((module.path, process_env))
                if replayed is None:
                    continue
                if replayed.get("error"):
                    error = f"{replayed['error']['type']}: {replayed['error']['message']}"
                records.extend(replayed.get("runs", {}).get(str(plan.key), []))
            if records:
                error = None if all(r.get("env") for r in records) else error
            judged = Judge(plan, records, module.path, options.cpu, error).run()
            result.verdicts[plan.key] = judged
    result.seconds = time.perf_counter() - started
    return result


def unresolved_all(findings: list[Finding], reason: str) -> dict[int, Verdict]:
    return {i: Verdict(UNRESOLVED, reason) for i, f in enumerate(findings) if is_model_related(f)}


__all__ = ["ConfirmOptions", "ConfirmResult", "ModelMapError", "confirm"]
