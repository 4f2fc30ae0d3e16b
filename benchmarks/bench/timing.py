"""Timing commands side by side.

`Timer` times a group of shell commands for issue 5's targets: through hyperfine when it is
on PATH (the runs of one command back to back), else a built-in loop (A B, then B A, ...).
`interleaved` times argument lists in pairs (A B A B ... after one warm-up each) for
issue 16's ratios, where a ratio is the median of the per-pair ratios of wall or CPU time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .processes import ENV, RUNNING, RunResult, kill_group, log, run_once, tail


@dataclass(frozen=True)
class Cmd:
    label: str
    command: str  # run with /bin/sh in the work directory
    ok_codes: tuple[int, ...] = (0, 1)


@dataclass
class Timing:
    label: str
    command: str
    ok_codes: tuple[int, ...]
    times: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    maxrss_kib: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # per run (built-in loop) or hyperfine's mean alone
    error: str | None = None

    @property
    def cpu_time(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def failed(self) -> bool:
        return self.error is not None or not self.times or any(c not in self.ok_codes for c in self.exit_codes)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)


@dataclass
class Ratio:
    value: float
    method: str  # "pairwise median" or "ratio of medians"
    low: float | None = None
    high: float | None = None
    cpu: float | None = None  # the same ratio of CPU time (user + system)

    def text(self) -> str:
        spread = f" (pairs {self.low:.2f}-{self.high:.2f})" if self.low is not None and self.high is not None else ""
        return f"{self.value:.2f}x{spread}"


def ratio(a: Timing, b: Timing, interleaved: bool) -> Ratio:
    """a's time / b's time: per pair when the runs were interleaved, else of the medians."""
    cpu = a.cpu_time / b.cpu_time if a.cpu_time and b.cpu_time else None
    if interleaved and len(a.times) == len(b.times) and a.times:
        pairs = [x / y for x, y in zip(a.times, b.times, strict=True) if y > 0]
        return Ratio(statistics.median(pairs), "median of pairwise ratios", min(pairs), max(pairs), cpu)
    return Ratio(a.median / b.median, "ratio of medians", cpu=cpu)


@dataclass
class Group:
    key: str
    title: str
    timings: list[Timing]
    method: str
    interleaved: bool
    prepare: str | None = None
    note: str = ""
    repo: str = ""  # the repository's state while the group ran


class Timer:
    def __init__(self, work: Path, use_hyperfine: bool, timeout: float) -> None:
        self.work, self.use_hyperfine, self.timeout = work, use_hyperfine, timeout
        self.logs = work / "logs"
        self.logs.mkdir(exist_ok=True)

    def time(
        self,
        key: str,
        title: str,
        cmds: Sequence[Cmd],
        runs: int,
        warmup: int,
        prepare: str | None = None,
        note: str = "",
    ) -> Group:
        log(f"timing {title}: {runs} run(s) + {warmup} warm-up of {len(cmds)} command(s)")
        if self.use_hyperfine:
            timings = self._hyperfine(key, cmds, runs, warmup, prepare)
            group = Group(key, title, timings, "hyperfine (runs of one command back to back)", False, prepare, note)
        else:
            timings = self._builtin(cmds, runs, warmup, prepare)
            group = Group(key, title, timings, "built-in loop (A/B runs interleaved)", True, prepare, note)
        for t in timings:
            if t.failed and t.error is None:
                diagnosis = run_once(t.command, self.work, self.timeout)
                t.error = f"exit codes {t.exit_codes}; a re-run exited {diagnosis.exit_code}: {tail(diagnosis.stderr)}"
            status = f"FAILED: {t.error}" if t.failed else f"median {t.median:.3f} s"
            log(f"  {t.label}: {status}")
        return group

    def _prepare(self, prepare: str | None) -> None:
        if prepare:
            subprocess.run(["/bin/sh", "-c", prepare], cwd=self.work, env=ENV, check=True)

    def _builtin(self, cmds: Sequence[Cmd], runs: int, warmup: int, prepare: str | None) -> list[Timing]:
        timings = [Timing(c.label, c.command, c.ok_codes) for c in cmds]
        for round_no in range(warmup + runs):
            # ABAB... then BABA...: drift in machine load hits both sides alike.
            order = list(zip(cmds, timings, strict=True))
            if round_no % 2:
                order.reverse()
            for cmd, timing in order:
                if timing.error:
                    continue
                self._prepare(prepare)
                result = run_once(cmd.command, self.work, self.timeout)
                if result.timed_out:
                    timing.error = f"timed out after {self.timeout:.0f} s"
                    continue
                if result.exit_code not in cmd.ok_codes:
                    timing.error = f"exit {result.exit_code}: {tail(result.stderr)}"
                    continue
                if round_no >= warmup:
                    timing.times.append(result.seconds)
                    timing.exit_codes.append(result.exit_code)
                    timing.maxrss_kib.append(result.maxrss_kib)
                    timing.cpu.append(result.cpu)
        return timings

    def _hyperfine(self, key: str, cmds: Sequence[Cmd], runs: int, warmup: int, prepare: str | None) -> list[Timing]:
        export = self.logs / f"hyperfine-{key}.json"
        argv = ["hyperfine", "--style", "basic", "-i", "--warmup", str(warmup), "--runs", str(runs)]
        argv += ["--export-json", str(export)]
        if prepare:
            argv += ["--prepare", prepare]
        for cmd in cmds:
            argv += ["-n", cmd.label, cmd.command]
        budget = self.timeout * (runs + warmup) * len(cmds) + 60
        with open(self.logs / f"hyperfine-{key}.log", "w") as out:
            proc = subprocess.Popen(
                argv, cwd=self.work, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            RUNNING.add(proc.pid)
            try:
                proc.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid)
                proc.wait()
                return [
                    Timing(c.label, c.command, c.ok_codes, error=f"hyperfine ran past {budget:.0f} s") for c in cmds
                ]
            finally:
                RUNNING.discard(proc.pid)
        if proc.returncode != 0 or not export.exists():
            message = f"hyperfine exited {proc.returncode}: see {self.logs / f'hyperfine-{key}.log'}"
            return [Timing(c.label, c.command, c.ok_codes, error=message) for c in cmds]
        data = json.loads(export.read_text())
        timings = []
        for cmd, result in zip(cmds, data["results"], strict=True):
            codes = [int(c) for c in result.get("exit_codes", [])]
            cpu = [float(result["user"]) + float(result["system"])] if "user" in result else []
            timings.append(Timing(cmd.label, cmd.command, cmd.ok_codes, list(result["times"]), codes, cpu=cpu))
        return timings


@dataclass
class Pairs:
    """Runs of several commands, interleaved: `runs[key][i]` belong to round i."""

    name: str
    runs: dict[str, list[RunResult]] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average before and after

    def median(self, key: str, what: str) -> float:
        """The median `what` ("seconds" of wall time, "cpu", "peak_mib") of one command."""
        return statistics.median(_value(r, what) for r in self.runs[key])

    def peak_mib(self, key: str) -> float:
        return max(_value(r, "peak_mib") for r in self.runs[key])

    def ratio(self, a: str, b: str, what: str) -> float:
        """The median over rounds of a's `what` / b's."""
        return statistics.median(
            _value(x, what) / _value(y, what) for x, y in zip(self.runs[a], self.runs[b], strict=True)
        )


def _value(run: RunResult, what: str) -> float:
    return run.maxrss_kib / 1024 if what == "peak_mib" else float(getattr(run, what))


def interleaved(name: str, commands: dict[str, list[str]], cwd: Path, pairs: int, timeout: float) -> Pairs:
    """One untimed warm-up of each command (disk cache, bytecode), then `pairs` rounds of all."""
    result = Pairs(name, {key: [] for key in commands})
    load_before = os.getloadavg()[0]
    for argv in commands.values():
        run_once(argv, cwd, timeout)
    for _ in range(pairs):
        for key, argv in commands.items():
            result.runs[key].append(run_once(argv, cwd, timeout))
    result.load = (load_before, os.getloadavg()[0])
    log(f"{name}: " + ", ".join(f"{k} {result.median(k, 'cpu'):.3f} s CPU" for k in commands))
    return result
