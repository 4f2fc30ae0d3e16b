#!/usr/bin/env python3
"""Benchmarks for blyan-lint against ruff, flake8 and TorchFix (issue #5).

Fetches the corpus (the `transformers` package from its wheel, plus fixtures/demo_repo),
builds throwaway virtualenvs under benchmarks/work/, times each target of the issue and
writes benchmarks/RESULTS.md. Standard library only; see benchmarks/README.md.

    python benchmarks/run.py            # everything (15+ minutes, TorchFix alone takes minutes)
    python benchmarks/run.py --quick    # one run each on a small subset: a smoke test

Exit status: 0 when every measurement ran (whether or not the targets are met), 1 when a
measurement failed (a tool crashed or exited with an unexpected code), 2 when the setup
failed (download, virtualenv, corpus).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import glob
import hashlib
import json
import os
import platform
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRANSFORMERS_VERSION = "5.23.0"
DEFAULT_RUNS = 5
DEFAULT_SLOW_RUNS = 3  # flake8 on the whole tree takes minutes a run
MIB = 1024 * 1024
SAFETENSORS_BIG = 2 * 1024**3
SAFETENSORS_HEADER_BYTES = 128  # both headers padded with spaces to this length

# The targets (`ratio` is always "blyan-lint's time / the other's" unless noted).
TARGET_COLD_VS_RUFF = 2.5  # blyan-lint cold <= 2.5x ruff cold
TARGET_VS_FLAKE8 = 20.0  # flake8 default checks / blyan-lint cold >= 20
TARGET_VS_TORCHFIX = 30.0  # TorchFix / blyan-lint cold >= 30
TARGET_WARM_VS_RUFF = 1.0  # blyan-lint warm <= ruff warm
TARGET_PLUGIN_OVERHEAD = 1.15  # flake8 with BLY <= 1.15x flake8 without
TARGET_FIX_VS_CHECK = 3.0  # check --fix <= 3x check --no-cache on the same tree
TARGET_PEAK_MIB = 150.0  # per process
TARGET_SAFETENSORS_RATIO = 1.25  # 2 GiB file / tiny file; 1.0 plus startup noise
TARGET_SAFETENSORS_RSS_MIB = 16.0  # the big file may not cost more memory than this

SETUP_FAILED, MEASUREMENT_FAILED = 2, 1

CONCISE = "--output-format concise"
RUFF_OUTPUT_NOTE = (
    "ruff's default output format prints a source excerpt for every diagnostic, and on transformers with ruff's "
    "default line length (88; transformers' own config, not in the wheel, uses 119) E501 alone gives over 100,000 "
    "of them, so that run is largely rendering. blyan-lint's default format is concise (one line per finding). "
    "The `--output-format concise` run is the like-for-like baseline; the target is judged on the issue's command."
)


class SetupError(Exception):
    """The benchmark cannot run (download, virtualenv, corpus): exit 2."""


class MeasurementError(Exception):
    """One measurement could not be made; the others still run."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# PYTHONDONTWRITEBYTECODE would make every run of an editable install compile its modules
# from source again, which no installed tool does: the tools run as a user's would.
UNSET_FOR_TOOLS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")


def child_env() -> dict[str, str]:
    """The environment for every tool: no variables that change where or how Python runs."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET_FOR_TOOLS}
    env["NO_COLOR"] = "1"
    return env


ENV = child_env()


def setup_cmd(argv: Sequence[str], what: str, cwd: Path | None = None, timeout: float = 1800) -> str:
    """Run a setup step; a failure is a SetupError naming the step, with the tail of its output."""
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise SetupError(f"{what}: {exc.filename} not found") from None
    except subprocess.TimeoutExpired:
        raise SetupError(f"{what}: timed out after {timeout:.0f} s: {' '.join(argv)}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise SetupError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n{tail}")
    return proc.stdout


# --------------------------------------------------------------------------------------
# Running one command: wall time, exit code, peak RSS (wait4), optional per-process sampling


@dataclass
class RunResult:
    command: str
    seconds: float
    exit_code: int
    maxrss_kib: int  # largest single process of the tree (see `run_once`)
    cpu: float  # user + system seconds of the tool and every process it waited for
    stderr: str
    stdout: str = ""
    timed_out: bool = False
    pid: int = 0
    processes: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (name, VmHWM KiB)


class MemorySampler(threading.Thread):
    """Polls VmHWM (peak RSS) of a process and its descendants through /proc.

    Only for the breakdown "main process vs workers": a process that exits between two
    samples keeps its last sampled peak. The authoritative maximum is wait4's ru_maxrss.
    """

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.done = threading.Event()
        self.peaks: dict[int, tuple[str, int]] = {}

    def run(self) -> None:
        while not self.done.is_set():
            self._sample()
            self.done.wait(self.interval)

    def _children(self, pid: int) -> list[int]:
        found: list[int] = []
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    found.extend(int(p) for p in fh.read().split())
        except OSError:
            pass
        return found

    def _sample(self) -> None:
        todo = [self.root]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/status") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
            except OSError:
                continue
            hwm = fields.get("VmHWM", "0 kB").split()[0]
            name = fields.get("Name", "?").strip()
            if hwm.isdigit():
                old = self.peaks.get(pid, (name, 0))[1]
                self.peaks[pid] = (name, max(old, int(hwm)))
            todo.extend(self._children(pid))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


# Every tool runs in a session of its own (so a timeout can kill its whole tree); these are
# the ones running now, killed if this script is interrupted or terminated, so that no tool
# goes on running (and loading the machine) after the script is gone.
_RUNNING: set[int] = set()


def _on_signal(signum: int, _frame: object) -> None:
    for pgid in list(_RUNNING):
        _kill_group(pgid)
    signal.signal(signum, signal.SIG_DFL)
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # under nohup, SIGHUP stays ignored
            signal.signal(signum, _on_signal)


def lock_work_dir(work: Path) -> object:
    """One run at a time per work directory: two would share caches, fixrun/ and the CPUs."""
    work.mkdir(parents=True, exist_ok=True)
    fh = open(work / ".run.lock", "a+")  # noqa: SIM115 - held open for the whole run
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip() or "?"
        raise SetupError(
            f"another benchmarks/run.py (pid {holder}) is using {work}; wait for it to finish or pass --work"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def run_once(
    command: str,
    cwd: Path,
    timeout: float | None = None,
    capture_stdout: bool = False,
    sample_memory: bool = False,
) -> RunResult:
    """Run `command` through /bin/sh (`exec`, so the tool itself is the child) in `cwd`.

    Peak memory: `os.wait4` returns the child's rusage, whose ru_maxrss on Linux is the
    largest of the child's own peak RSS and that of every descendant it waited for (the
    kernel keeps the maximum, not a sum). For a tool with a process pool that is the
    largest single process, which is what the per-process target is about.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + command],
            cwd=cwd,
            env=ENV,
            stdin=subprocess.DEVNULL,
            stdout=out if capture_stdout else subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        _RUNNING.add(proc.pid)
        sampler = MemorySampler(proc.pid) if sample_memory and os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        killer = threading.Timer(timeout, _kill_group, (proc.pid,)) if timeout else None
        if killer:
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            _RUNNING.discard(proc.pid)
            if killer:
                killer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.done.set()
            sampler.join()
        err.seek(0)
        out.seek(0)
        timed_out = killer is not None and proc.returncode == -signal.SIGKILL and seconds >= (timeout or 0)
        return RunResult(
            command=command,
            seconds=seconds,
            exit_code=proc.returncode,
            maxrss_kib=usage.ru_maxrss,
            cpu=usage.ru_utime + usage.ru_stime,
            stderr=err.read().decode("utf-8", "replace"),
            stdout=out.read().decode("utf-8", "replace") if capture_stdout else "",
            timed_out=timed_out,
            pid=proc.pid,
            processes=sampler.peaks if sampler else {},
        )


def tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------------------
# Timing several commands side by side


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
            _RUNNING.add(proc.pid)
            try:
                proc.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid)
                proc.wait()
                return [
                    Timing(c.label, c.command, c.ok_codes, error=f"hyperfine ran past {budget:.0f} s") for c in cmds
                ]
            finally:
                _RUNNING.discard(proc.pid)
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


# --------------------------------------------------------------------------------------
# Setup: virtualenvs and corpus


def machine_info() -> dict[str, str]:
    info = {"os": platform.platform(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as fh:
            models = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        info["cpu"] = models[0] if models else platform.processor() or "unknown"
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info["cores"] = f"{os.cpu_count()} logical CPUs ({usable} usable by this process)"
    try:
        with open("/proc/meminfo") as fh:
            mem = dict(line.split(":", 1) for line in fh)
        info["ram"] = f"{int(mem['MemTotal'].split()[0]) / MIB:.1f} GiB"
    except (OSError, KeyError, ValueError):
        info["ram"] = "unknown"
    return info


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


class Venvs:
    """benchmarks/work/venv (ruff, flake8, this repo editable: flake8 has BLY),
    venv-noplugin (the same flake8, pycodestyle, pyflakes, mccabe versions, nothing else),
    venv-torchfix (TorchFix in its own environment: it registers a flake8 plugin (TOR) and
    brings its own libcst requirement, so it must not share an environment with the flake8 runs)."""

    def __init__(self, work: Path, python: str) -> None:
        self.work, self.python = work, python
        self.main = work / "venv"
        self.noplugin = work / "venv-noplugin"
        self.torchfix = work / "venv-torchfix"
        self.torchfix_error: str | None = None

    def _create(self, path: Path, packages: list[str], key: str, what: str) -> None:
        marker = path / ".bench-installed"
        if marker.exists() and marker.read_text() == key and (path / "bin" / "python").exists():
            log(f"{what}: up to date ({path.name})")
            return
        log(f"{what}: creating {path}")
        if path.exists():
            shutil.rmtree(path)
        setup_cmd([self.python, "-m", "venv", str(path)], f"creating {path.name}")
        pip = [str(path / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
        setup_cmd(pip + packages, f"installing {' '.join(packages)} into {path.name}")
        marker.write_text(key)

    def ensure(self, want_torchfix: bool) -> None:
        pyproject = (REPO / "pyproject.toml").read_bytes()
        key = json.dumps({"python": self.python, "pyproject": hash_bytes(pyproject), "v": 1})
        self._create(self.main, ["ruff", "flake8", "-e", str(REPO)], key, "main virtualenv")
        # The editable install follows the working tree; its console scripts must be there.
        for tool in ("blyan-lint", "ruff", "flake8"):
            if not (self.main / "bin" / tool).exists():
                raise SetupError(f"{self.main}/bin/{tool} is missing after the install")
        pins = self.flake8_pins()
        self._create(self.noplugin, pins, json.dumps({"python": self.python, "pins": pins}), "flake8 without BLY")
        self.check_plugin_difference()
        if want_torchfix:
            try:
                self._create(self.torchfix, ["torchfix"], json.dumps({"python": self.python}), "TorchFix virtualenv")
            except SetupError as exc:
                self.torchfix_error = str(exc)
                log(f"TorchFix could not be installed; its target will be reported as not measured:\n{exc}")

    def flake8_pins(self) -> list[str]:
        script = (
            "import importlib.metadata as m, json\n"
            "print(json.dumps({d: m.version(d) for d in ('flake8', 'pycodestyle', 'pyflakes', 'mccabe')}))"
        )
        out = setup_cmd([str(self.main / "bin" / "python"), "-c", script], "reading flake8's versions")
        return [f"{name}=={version}" for name, version in json.loads(out).items()]

    def check_plugin_difference(self) -> None:
        """The two flake8 installs must differ by the BLY plugin and nothing else."""
        with_bly = " ".join(setup_cmd([str(self.main / "bin" / "flake8"), "--version"], "flake8 --version").split())
        without = " ".join(setup_cmd([str(self.noplugin / "bin" / "flake8"), "--version"], "flake8 --version").split())
        stripped = re.sub(r"blyan-lint: [^,)]+(, )?", "", with_bly)
        if "blyan-lint" not in with_bly or stripped != without:
            raise SetupError(
                "the two flake8 installs differ by more than the BLY plugin:\n"
                f"  with:    {with_bly}\n  without: {without}"
            )


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def ensure_transformers(work: Path, pip_python: Path) -> None:
    dest = work / "transformers"
    marker = work / f".transformers-{TRANSFORMERS_VERSION}.unpacked"
    if marker.exists() and dest.is_dir():
        log(f"corpus: transformers {TRANSFORMERS_VERSION} already unpacked")
        return
    downloads = work / "downloads"
    downloads.mkdir(exist_ok=True)
    wheels = sorted(downloads.glob(f"transformers-{TRANSFORMERS_VERSION}-*.whl"))
    if not wheels:
        log(f"corpus: pip download transformers=={TRANSFORMERS_VERSION} --no-deps")
        setup_cmd(
            [str(pip_python), "-m", "pip", "--disable-pip-version-check", "download", "-q"]
            + [f"transformers=={TRANSFORMERS_VERSION}", "--no-deps", "--only-binary", ":all:", "-d", str(downloads)],
            "downloading the transformers wheel",
        )
        wheels = sorted(downloads.glob(f"transformers-{TRANSFORMERS_VERSION}-*.whl"))
    if not wheels:
        raise SetupError(f"pip download left no transformers-{TRANSFORMERS_VERSION} wheel in {downloads}")
    if dest.exists():
        shutil.rmtree(dest)
    staging = Path(tempfile.mkdtemp(dir=work, prefix=".unpack-"))
    try:
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [n for n in wheel.namelist() if n.startswith("transformers/") and ".." not in n.split("/")]
            if not members:
                raise SetupError(f"{wheels[0].name} has no transformers/ package")
            wheel.extractall(staging, members)
        (staging / "transformers").rename(dest)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SetupError(f"unpacking {wheels[0]}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(wheels[0].name + "\n")
    log(f"corpus: unpacked {wheels[0].name}")


ISOLATION_PYPROJECT = """\
# Written by benchmarks/run.py. It makes benchmarks/work/ a project root of its own (with
# the empty `.git` beside it), so the repository's pyproject.toml (whose [tool.blyan-lint]
# excludes benchmarks/work and whose [tool.ruff] sets line-length 120) and .gitignore (which
# ignores benchmarks/work/) do not apply: every tool runs on its defaults.
[tool.ruff]

[tool.blyan-lint]
"""


def isolate(work: Path) -> None:
    (work / "pyproject.toml").write_text(ISOLATION_PYPROJECT)
    (work / ".git").mkdir(exist_ok=True)  # a repository root marker for .gitignore lookups


# --------------------------------------------------------------------------------------
# The benchmark


CODE = re.compile(r"^[A-Z]+[0-9]+$")
SUMMARY_TOTAL = re.compile(r"(?:of |\()(\d+) files")
SUMMARY_CACHED = re.compile(r"(\d+) from cache")


def parse_summary(stderr: str) -> tuple[int, int] | None:
    """(files, from cache) from blyan-lint's summary line, or None if there is none."""
    for line in reversed(stderr.strip().splitlines()):
        total = SUMMARY_TOTAL.search(line)
        if total:
            cached = SUMMARY_CACHED.search(line)
            return int(total.group(1)), int(cached.group(1)) if cached else 0
    return None


@dataclass
class Target:
    number: int
    name: str
    goal: str
    measured: str = "not measured"
    met: bool | None = None  # None: not measured
    detail: str = ""


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.work.resolve()
        self.results_path: Path = args.output.resolve()
        self.quick: bool = args.quick
        self.tree: str = args.tree
        self.subset: str = args.subset
        self.profile_subset: str = args.profile_subset
        self.venvs = Venvs(self.work, args.python)
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.load_start = load_average()
        self.machine = machine_info()
        self.versions: dict[str, str] = {}
        self.corpus: dict[str, str] = {}
        self.groups: dict[str, Group] = {}
        self.singles: dict[str, RunResult] = {}
        self.cache_report: list[str] = []
        self.memory_report: list[str] = []
        self.fix_report: list[str] = []
        self.safetensors_report: list[str] = []
        self.flake8_report: list[str] = []
        self.profile_report: list[str] = []
        self.problems: list[str] = []
        self.failures: list[str] = []
        self.targets = self._targets()
        self.timer: Timer | None = None
        self.torchfix_measured_at = ""
        self.hyperfine = shutil.which("hyperfine") if args.timer != "builtin" else None
        if args.timer == "hyperfine" and not self.hyperfine:
            raise SetupError("--timer hyperfine: hyperfine is not on PATH")

    # -- helpers

    def bin(self, venv: Path, tool: str) -> str:
        return f"{venv.relative_to(self.work)}/bin/{tool}"

    @property
    def bly(self) -> str:
        return self.bin(self.venvs.main, "blyan-lint")

    @property
    def ruff(self) -> str:
        return self.bin(self.venvs.main, "ruff")

    def expand(self, pattern: str) -> list[str]:
        return sorted(glob.glob(pattern, root_dir=self.work))

    def files_under(self, pattern: str, suffixes: tuple[str, ...] = (".py", ".pyi")) -> list[str]:
        found: list[str] = []
        for top in self.expand(pattern):
            path = self.work / top
            if path.is_file():
                found.append(top)
                continue
            for root, dirs, names in os.walk(path):
                dirs.sort()
                rel = os.path.relpath(root, self.work)
                found.extend(os.path.join(rel, n) for n in sorted(names) if n.endswith(suffixes))
        return [f for f in found if f.endswith(suffixes)]

    def _targets(self) -> dict[str, Target]:
        t = [
            ("cold_ruff", "cold `check --no-cache` vs `ruff check --no-cache --select E,F,B`", "<= 2.5x ruff's time"),
            ("cold_flake8", "cold check vs flake8 default checks (no plugin)", ">= 20x faster"),
            ("cold_torchfix", "cold check vs TorchFix", ">= 30x faster"),
            ("warm_ruff", "warm check (cache, nothing changed) vs ruff's warm run", "no slower (<= 1.00x)"),
            ("touch", "one file touched / edited: files re-checked", "only that file (touch: <= 1, edit: 1)"),
            ("plugin", "flake8 with the BLY plugin vs the same flake8 without it", "<= 1.15x (at most 15% slower)"),
            ("fix", "`check --fix` on a tree where every file has a safe fix vs cold check", "<= 3x"),
            ("memory", "peak RSS of a full cold run, largest single process", "<= 150 MiB"),
            ("safetensors", "`.safetensors` check, 2 GiB sparse file vs tiny file", "constant (<= 1.25x, +16 MiB)"),
        ]
        return {key: Target(i + 1, name, goal) for i, (key, name, goal) in enumerate(t)}

    def fail(self, what: str, message: str) -> None:
        self.failures.append(f"{what}: {message}")
        log(f"FAILED {what}: {message}")

    # -- setup

    def setup(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        if not hasattr(os, "wait4"):
            raise SetupError("os.wait4 is not available: run on Linux (or another POSIX system)")
        self.venvs.ensure(want_torchfix=not self.args.skip_torchfix)
        ensure_transformers(self.work, self.venvs.main / "bin" / "python")
        demo = self.work / "demo_repo"
        if demo.exists():
            shutil.rmtree(demo)
        shutil.copytree(REPO / "fixtures" / "demo_repo", demo)
        isolate(self.work)
        for pattern in {self.tree, self.subset, self.profile_subset}:
            if not self.expand(pattern):
                raise SetupError(f"the pattern {pattern!r} matches nothing under {self.work}")
        self.timer = Timer(self.work, bool(self.hyperfine), self.args.timeout)
        self._versions()
        self._inventory()

    def _version(self, argv: list[str]) -> str:
        try:
            proc = subprocess.run(argv, cwd=self.work, env=ENV, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unavailable ({exc})"
        return " ".join((proc.stdout or proc.stderr).split()) or f"unavailable (exit {proc.returncode})"

    def _versions(self) -> None:
        v = self.versions
        v["python (tools)"] = self._version([str(self.venvs.main / "bin" / "python"), "--version"])
        v["blyan-lint"] = self._version([str(self.work / self.bly), "--version"])
        v["ruff"] = self._version([str(self.work / self.ruff), "--version"])
        v["flake8 (with BLY)"] = self._version([str(self.venvs.main / "bin" / "flake8"), "--version"])
        v["flake8 (without)"] = self._version([str(self.venvs.noplugin / "bin" / "flake8"), "--version"])
        if self.args.skip_torchfix:
            v["torchfix"] = "skipped (--skip-torchfix)"
        elif self.venvs.torchfix_error:
            v["torchfix"] = "could not be installed (see Notes)"
        else:
            v["torchfix"] = self._version([str(self.venvs.torchfix / "bin" / "torchfix"), "--version"])
        v["hyperfine"] = self._version(["hyperfine", "--version"]) if self.hyperfine else "not used"
        v["repository at start"] = self.repo_state()

    def repo_state(self) -> str:
        head = self._version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        dirty = self._version(["git", "-C", str(REPO), "status", "--porcelain", "--", "blyan_lint"])
        return f"commit {head}" + (", blyan_lint/ has uncommitted changes" if dirty.strip() else "")

    def _inventory(self) -> None:
        py = self.files_under("transformers")
        lines = 0
        for name in py:
            with open(self.work / name, "rb") as fh:
                lines += fh.read().count(b"\n")
        self.corpus["transformers"] = (
            f"{TRANSFORMERS_VERSION} (wheel's transformers/ package): {len(py):,} .py files, {lines:,} lines"
        )
        tree_py = self.files_under(self.tree)
        self.corpus["tree"] = f"`{self.tree}`: {len(tree_py):,} .py files"
        self.corpus["subset"] = f"`{self.subset}`: {len(self.files_under(self.subset)):,} .py files"
        self.corpus["profile subset"] = (
            f"`{self.profile_subset}`: {len(self.files_under(self.profile_subset)):,} .py files"
        )
        self.corpus["demo"] = (
            f"fixtures/demo_repo, copied to demo_repo/: {len(self.files_under('demo_repo')):,} .py files"
        )
        self.tree_py_count = len(tree_py)
        # Both linters must see the whole tree (an ignore rule from outside would hide it).
        shown = run_once(f"{self.ruff} check --no-cache --show-files {self.tree}", self.work, self.args.timeout, True)
        ruff_files = [line for line in shown.stdout.splitlines() if line.strip().endswith((".py", ".pyi"))]
        if len(ruff_files) != len(tree_py):
            self.problems.append(f"ruff sees {len(ruff_files)} Python files in `{self.tree}`, expected {len(tree_py)}")

    # -- measurements

    def measure_all(self) -> None:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("cold check vs ruff", self.cold),
            ("demo repo", self.demo),
            ("cold check vs flake8", self.cold_flake8),
            ("warm check vs ruff", self.warm),
            ("touch one file", self.touch),
            ("flake8 plugin overhead", self.plugin),
            ("check --fix", self.fix),
            ("peak memory", self.memory),
            ("safetensors header", self.safetensors),
            ("profile", self.profile),
            ("cold check vs TorchFix", self.torchfix),
        ]
        for name, step in steps:
            try:
                step()
            except MeasurementError as exc:
                self.fail(name, str(exc))
            except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
                self.fail(name, f"{type(exc).__name__}: {exc}")
            self.write_results()

    def _time(self, *args: object, **kwargs: object) -> Group:
        assert self.timer is not None
        state = self.repo_state()
        group = self.timer.time(*args, **kwargs)  # type: ignore[arg-type]
        after = self.repo_state()
        group.repo = state if state == after else f"{state} at the start, {after} at the end (the tree changed)"
        self.groups[group.key] = group
        for t in group.timings:
            if t.failed:
                self.fail(f"{group.title}: {t.label}", t.error or "failed")
        return group

    def _ok(self, group: Group) -> bool:
        return not any(t.failed for t in group.timings)

    def cold(self) -> None:
        self._count_findings()
        group = self._time(
            "cold",
            f"cold run on `{self.tree}`",
            [
                Cmd("blyan-lint cold", f"{self.bly} check --no-cache -q {self.tree}"),
                Cmd("ruff cold", f"{self.ruff} check --no-cache --select E,F,B -q {self.tree}"),
                Cmd("ruff cold, concise", f"{self.ruff} check --no-cache --select E,F,B -q {CONCISE} {self.tree}"),
            ],
            self.args.runs,
            self.args.warmup,
            note=RUFF_OUTPUT_NOTE,
        )
        self._set_vs_ruff("cold_ruff", group, TARGET_COLD_VS_RUFF)

    def _set_vs_ruff(self, key: str, group: Group, limit: float) -> None:
        """The issue's command decides; the ratio against ruff's concise output is shown beside it."""
        bly, ruff, concise = group.timings
        if bly.failed or ruff.failed:
            return
        r = ratio(bly, ruff, group.interleaved)
        measured = f"{r.text()} ruff's time"
        if not concise.failed:
            rc = ratio(bly, concise, group.interleaved)
            verdict = "met" if rc.value <= limit else "not met"
            measured += f"; {rc.text()} ruff's with `{CONCISE}` (would be {verdict})"
        self._set(key, r.value <= limit, measured, r)

    def _count_findings(self) -> None:
        """How much each tool reports on the tree: output volume is part of every run's time."""
        bly = run_once(f"{self.bly} check --no-cache --statistics {self.tree}", self.work, self.args.timeout, True)
        ruff = run_once(
            f"{self.ruff} check --no-cache --select E,F,B --statistics {self.tree}", self.work, self.args.timeout, True
        )

        def top(stdout: str) -> str:
            rows = [line.split() for line in stdout.splitlines() if line.strip()]
            counts = [(int(r[0]), r[1]) for r in rows if len(r) >= 2 and r[0].isdigit() and CODE.match(r[1])]
            total = sum(n for n, _ in counts)
            head = ", ".join(f"{code} {n:,}" for n, code in sorted(counts, reverse=True)[:4])
            return f"{total:,} ({head})"

        self.corpus["findings"] = (
            f"on `{self.tree}`: blyan-lint {top(bly.stdout)} (exit {bly.exit_code}; {tail(bly.stderr, 1)}); "
            f"ruff --select E,F,B {top(ruff.stdout)} (exit {ruff.exit_code})"
        )

    def demo(self) -> None:
        self._time(
            "demo",
            "cold run on the demo repo (informational)",
            [
                Cmd("blyan-lint cold", f"{self.bly} check --no-cache -q demo_repo"),
                Cmd("ruff cold", f"{self.ruff} check --no-cache --select E,F,B -q demo_repo"),
            ],
            self.args.runs,
            self.args.warmup,
        )

    def cold_flake8(self) -> None:
        flake8 = self.bin(self.venvs.noplugin, "flake8")
        group = self._time(
            "flake8",
            f"cold run vs flake8's default checks on `{self.tree}`",
            [
                Cmd("blyan-lint cold", f"{self.bly} check --no-cache -q {self.tree}"),
                Cmd("flake8 (no plugin)", f"{flake8} {self.tree}"),
            ],
            self.args.slow_runs,
            0,
            note="flake8 takes minutes a run, so fewer runs (--slow-runs) and no warm-up "
            "(the cold group warmed the page cache).",
        )
        if self._ok(group):
            bly, f8 = group.timings
            r = ratio(f8, bly, group.interleaved)
            self._set("cold_flake8", r.value >= TARGET_VS_FLAKE8, f"{r.text()} faster", r)

    def warm(self) -> None:
        shutil.rmtree(self.work / ".blyan_lint_cache", ignore_errors=True)
        shutil.rmtree(self.work / ".ruff_cache", ignore_errors=True)
        bly = f"{self.bly} check -q {self.tree}"
        ruff = f"{self.ruff} check --select E,F,B -q {self.tree}"
        for command in (bly, ruff):  # fill both caches
            primed = run_once(command, self.work, self.args.timeout)
            if primed.exit_code not in (0, 1):
                raise MeasurementError(f"priming `{command}` exited {primed.exit_code}: {tail(primed.stderr)}")
        group = self._time(
            "warm",
            f"warm run (cache filled, nothing changed) on `{self.tree}`",
            [Cmd("blyan-lint warm", bly), Cmd("ruff warm", ruff), Cmd("ruff warm, concise", f"{ruff} {CONCISE}")],
            self.args.runs,
            self.args.warmup,
            note="Each tool's cache was filled by one untimed run first (blyan-lint: .blyan_lint_cache/, "
            "ruff: .ruff_cache/, both in benchmarks/work/). " + RUFF_OUTPUT_NOTE,
        )
        self._set_vs_ruff("warm_ruff", group, TARGET_WARM_VS_RUFF)

    def touch(self) -> None:
        files = self.files_under(self.tree)
        if not files:
            raise MeasurementError(f"no Python files in {self.tree}")
        candidates = [f for f in files if not f.endswith("__init__.py")] or files
        name = candidates[len(candidates) // 2]
        path = self.work / name
        command = f"{self.bly} check {self.tree}"

        def summary(step: str) -> tuple[int, int, float]:
            result = run_once(command, self.work, self.args.timeout)
            if result.exit_code not in (0, 1):
                raise MeasurementError(f"{step}: exit {result.exit_code}: {tail(result.stderr)}")
            parsed = parse_summary(result.stderr)
            if parsed is None:
                raise MeasurementError(f"{step}: no summary line on stderr: {tail(result.stderr)!r}")
            return parsed[0], parsed[1], result.seconds

        original = path.read_bytes()
        before = path.stat()
        try:
            total, cached, secs = summary("fill")  # the warm step left a cache; make sure it is complete
            total, cached, secs = summary("unchanged")
            rows = [("nothing changed", total, cached, secs)]
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
            total, cached, secs = summary("touched")
            rows.append((f"`os.utime` on {name} (mtime +1 s, same content)", total, cached, secs))
            touched_rechecked = total - cached
            path.write_bytes(original + b"\n# edited by benchmarks/run.py\n")
            total, cached, secs = summary("edited")
            rows.append((f"{name} edited (a comment appended)", total, cached, secs))
            edited_rechecked = total - cached
        finally:
            path.write_bytes(original)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        self.cache_report = [
            f"Command: `{command}` (summary line on stderr, cwd benchmarks/work). "
            'Re-checked = files - "N from cache". A touched file whose content hash is unchanged counts as '
            "from cache in blyan-lint's summary (it is read and hashed, not checked).",
            "",
            "| state | files | from cache | re-checked | wall time |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, t, c, s in rows:
            self.cache_report.append(f"| {label} | {t:,} | {c:,} | {t - c:,} | {s:.2f} s |")
        met = touched_rechecked <= 1 and edited_rechecked == 1 and rows[0][1] == rows[0][2]
        self._set(
            "touch",
            met,
            f"touch: {touched_rechecked} re-checked, edit: {edited_rechecked} re-checked (of {total:,})",
        )

    def plugin(self) -> None:
        with_bly = self.bin(self.venvs.main, "flake8")
        without = self.bin(self.venvs.noplugin, "flake8")
        group = self._time(
            "plugin",
            f"flake8 with and without the BLY plugin on `{self.subset}`",
            [
                Cmd("flake8 + BLY", f"{with_bly} {self.subset}"),
                Cmd("flake8 (no plugin)", f"{without} {self.subset}"),
            ],
            self.args.runs,
            self.args.warmup,
            note="Two virtualenvs with the same flake8, pycodestyle, pyflakes and mccabe versions; the first also "
            "has blyan-lint installed (so flake8 loads its BLY entry point), the second does not. `flake8 --version` "
            "of the two is checked to differ by the plugin alone. `--select` cannot be used to switch the plugin off: "
            "flake8 runs every installed plugin and filters the codes afterwards.",
        )
        if self._ok(group):
            a, b = group.timings
            r = ratio(a, b, group.interleaved)
            self._set("plugin", r.value <= TARGET_PLUGIN_OVERHEAD, f"{r.text()} (on `{self.subset}`)", r)
        # Same findings through both front ends? (informational: flake8 applies blanket noqa itself)
        via_flake8 = run_once(f"{with_bly} --select BLY {self.subset}", self.work, self.args.timeout, True)
        via_cli = run_once(
            f"{self.bly} check --no-cache --output-format concise --exit-zero {self.subset}", self.work, None, True
        )
        n_flake8 = sum(1 for line in via_flake8.stdout.splitlines() if re.search(r":\d+:\d+: BLY", line))
        n_cli = sum(1 for line in via_cli.stdout.splitlines() if re.search(r":\d+:\d+: BLY", line))
        self.flake8_report = [
            f"BLY findings on `{self.subset}`: {n_flake8:,} through `flake8 --select BLY` "
            f"(exit {via_flake8.exit_code}), {n_cli:,} through `blyan-lint check` (exit {via_cli.exit_code}). "
            "flake8 drops lines with a blanket `# noqa` before the plugin's findings are reported and never sees "
            "BLY000/BLY5xx, so the CLI may report more."
        ]

    def fix(self) -> None:
        report_path = self.work / "fixtree-report.json"
        result = run_once(
            f"{self.bly} check --no-cache --output-format json -o {report_path.name} --exit-zero {self.tree}",
            self.work,
            self.args.timeout,
        )
        if result.exit_code != 0 or not report_path.exists():
            raise MeasurementError(f"the JSON report run exited {result.exit_code}: {tail(result.stderr)}")
        findings = json.loads(report_path.read_text())["findings"]
        safe: dict[str, int] = {}
        for f in findings:
            fix = f.get("fix")
            if fix and fix.get("applicability") == "safe":
                safe[f["filename"]] = safe.get(f["filename"], 0) + 1
        fixtree = self.work / "fixtree"
        shutil.rmtree(fixtree, ignore_errors=True)
        for name in sorted(safe):
            if os.path.isabs(name) or ".." in Path(name).parts:
                raise MeasurementError(f"unexpected path in the JSON report: {name}")
            target = fixtree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.work / name, target)
        if not safe:
            raise MeasurementError(f"no file in {self.tree} has a safe fix: nothing to time")
        prepare = "rm -rf fixrun && mkdir fixrun && cp -a fixtree/. fixrun/"
        subprocess.run(["/bin/sh", "-c", prepare], cwd=self.work, check=True)
        copied = sum(1 for _ in (self.work / "fixrun").rglob("*.py"))
        if copied != len(safe):
            raise MeasurementError(f"fixrun/ has {copied} Python files after the copy, expected {len(safe)}")
        check = run_once(f"{self.bly} check --no-cache fixrun", self.work, self.args.timeout)
        subprocess.run(["/bin/sh", "-c", prepare], cwd=self.work, check=True)
        fixed = run_once(f"{self.bly} check --fix --no-cache fixrun", self.work, self.args.timeout)
        after = run_once(f"{self.bly} check --no-cache --output-format json fixrun", self.work, self.args.timeout, True)
        try:
            left = json.loads(after.stdout)["findings"]
        except (ValueError, KeyError):
            left = []
        left_safe = sum(1 for f in left if f.get("fix") and f["fix"].get("applicability") == "safe")
        self.fix_report = [
            f"fixtree/: {len(safe):,} files of `{self.tree}` with at least one safe fix "
            f"({sum(safe.values()):,} safe fixes, from `check --output-format json`).",
            f"Check before fixing: {tail(check.stderr, 1)} (exit {check.exit_code}).",
            f"`check --fix`: {' '.join(fixed.stderr.split())} (exit {fixed.exit_code}).",
            f"Safe fixes still reported after `--fix`: {left_safe:,}.",
        ]
        if fixed.exit_code not in (0, 1):
            raise MeasurementError(f"`check --fix` exited {fixed.exit_code}: {tail(fixed.stderr)}")
        if left_safe:
            self.problems.append(
                f"`check --fix` left {left_safe} safe fixes unapplied in fixtree/ (a second pass would change more)"
            )
        group = self._time(
            "fix",
            "`check --fix` vs cold check on fixtree/ (fresh copy before every run)",
            [
                Cmd("blyan-lint --fix", f"{self.bly} check --fix --no-cache -q fixrun"),
                Cmd("blyan-lint cold", f"{self.bly} check --no-cache -q fixrun"),
            ],
            self.args.runs,
            self.args.warmup,
            prepare=prepare,
            note="The copy (`--prepare`, untimed) runs before every timed run of either command, so each run "
            "starts from unfixed files with the same page-cache state and the copy is out of both times.",
        )
        shutil.rmtree(self.work / "fixrun", ignore_errors=True)
        if self._ok(group):
            a, b = group.timings
            r = ratio(a, b, group.interleaved)
            self._set("fix", r.value <= TARGET_FIX_VS_CHECK, f"{r.text()} the cold check", r)

    def memory(self) -> None:
        command = f"{self.bly} check --no-cache -q {self.tree}"
        result = run_once(command, self.work, self.args.timeout, sample_memory=True)
        self.singles["memory"] = result
        if result.exit_code not in (0, 1):
            raise MeasurementError(f"exit {result.exit_code}: {tail(result.stderr)}")
        peak = result.maxrss_kib / 1024
        main = result.processes.get(result.pid, ("?", 0))
        workers = sorted((kib for pid, (_, kib) in result.processes.items() if pid != result.pid), reverse=True)
        self.memory_report = [
            f"Command: `{command}` ({result.seconds:.1f} s, exit {result.exit_code}).",
            f"Largest single process (os.wait4 ru_maxrss of the tool, which covers every process it waited for): "
            f"**{peak:.1f} MiB**.",
        ]
        if result.processes:
            self.memory_report.append(
                f"Sampled every 50 ms from /proc (VmHWM): main process {main[1] / 1024:.1f} MiB; "
                f"{len(workers)} other process(es), largest {workers[0] / 1024 if workers else 0:.1f} MiB"
                + (f", smallest {workers[-1] / 1024:.1f} MiB" if workers else "")
                + ". Forked workers count the pages they share with the parent in their RSS."
            )
        self._set("memory", peak <= TARGET_PEAK_MIB, f"{peak:.1f} MiB")

    def safetensors(self) -> None:
        folder = self.work / "safetensors"
        folder.mkdir(exist_ok=True)
        small, big = folder / "small.safetensors", folder / "big.safetensors"
        write_safetensors(small, 8 + SAFETENSORS_HEADER_BYTES + 2)
        write_safetensors(big, SAFETENSORS_BIG)
        group = self._time(
            "safetensors",
            "`.safetensors` header check: tiny file vs 2 GiB sparse file",
            [
                Cmd("2 GiB file", f"{self.bly} check --no-cache safetensors/{big.name}"),
                Cmd("tiny file", f"{self.bly} check --no-cache safetensors/{small.name}"),
            ],
            self.args.runs,
            self.args.warmup,
            note=f"Both files hold one F16 tensor `w` (BLY502 expected, exit 1), headers padded to "
            f"{SAFETENSORS_HEADER_BYTES} bytes; the tensor's shape and offsets match each file's size, so both are "
            "valid safetensors files. The big one is sparse (os.truncate). `--no-cache`: with the cache, every "
            "timed run after the first would be a cache hit on the file's size and mtime.",
        )
        rss = {}
        for path in (small, big):
            result = run_once(
                f"{self.bly} check --no-cache safetensors/{path.name}", self.work, self.args.timeout, True
            )
            rss[path.name] = result.maxrss_kib / 1024
            if result.exit_code != 1 or "BLY502" not in result.stdout:
                self.problems.append(f"safetensors/{path.name}: exit {result.exit_code}, expected 1 with BLY502")
        self.safetensors_report = [
            f"Peak RSS: tiny file {rss[small.name]:.1f} MiB, 2 GiB file {rss[big.name]:.1f} MiB.",
        ]
        if self._ok(group):
            a, b = group.timings
            r = ratio(a, b, group.interleaved)
            extra = rss[big.name] - rss[small.name]
            met = r.value <= TARGET_SAFETENSORS_RATIO and extra <= TARGET_SAFETENSORS_RSS_MIB
            self._set("safetensors", met, f"{r.text()} time, {extra:+.1f} MiB peak RSS", r)

    def profile(self) -> None:
        out = self.work / "logs" / "profile.prof"
        python = self.bin(self.venvs.main, "python")
        profile_out = out.relative_to(self.work)
        command = f"{python} -m cProfile -o {profile_out} -m blyan_lint check --no-cache -j 1 -q {self.profile_subset}"
        result = run_once(command, self.work, self.args.timeout)
        if result.exit_code != 0 or not out.exists():
            raise MeasurementError(f"cProfile run exited {result.exit_code}: {tail(result.stderr)}")
        self.profile_report = ["### check", "", f"`{command}` ({result.seconds:.1f} s wall under the profiler)."]
        self.profile_report += summarise_profile(out, REPO, self.work)
        self._profile_fix(python)

    def _profile_fix(self, python: str, files: int = 50) -> None:
        """`check --fix` too, on a fresh copy of the first files of fixtree/ (when the fix step built it)."""
        fixtree = self.work / "fixtree"
        sources = sorted(p for p in fixtree.rglob("*.py")) if fixtree.is_dir() else []
        if not sources:
            return
        target = self.work / "fixprofile"
        shutil.rmtree(target, ignore_errors=True)
        for source in sources[:files]:
            dest = target / source.relative_to(fixtree)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
        out = self.work / "logs" / "profile-fix.prof"
        prof = out.relative_to(self.work)
        command = f"{python} -m cProfile -o {prof} -m blyan_lint check --fix --no-cache -j 1 -q fixprofile"
        result = run_once(command, self.work, self.args.timeout)
        shutil.rmtree(target, ignore_errors=True)
        if result.exit_code != 0 or not out.exists():
            raise MeasurementError(f"cProfile run of --fix exited {result.exit_code}: {tail(result.stderr)}")
        self.profile_report += [
            "### check --fix",
            "",
            f"`{command}` on a fresh copy of the first {min(files, len(sources))} files of fixtree/ "
            f"({result.seconds:.1f} s wall under the profiler).",
        ]
        self.profile_report += summarise_profile(out, REPO, self.work, top=12)

    def torchfix(self) -> None:
        if self.args.skip_torchfix:
            self.targets["cold_torchfix"].measured = "skipped (--skip-torchfix)"
            return
        if self.venvs.torchfix_error:
            self.targets["cold_torchfix"].measured = "not measured: TorchFix could not be installed"
            self.problems.append(f"TorchFix install failed: {self.venvs.torchfix_error}")
            return
        cold = self.groups.get("cold")
        if cold is None or cold.timings[0].failed:
            raise MeasurementError("no cold blyan-lint time to compare with")
        command = f"{self.bin(self.venvs.torchfix, 'torchfix')} {self.tree}"
        result = self._torchfix_run(command)
        self.singles["torchfix"] = result
        bly = cold.timings[0].median
        if result.timed_out:
            bound = result.seconds / bly
            self._set(
                "cold_torchfix", bound >= TARGET_VS_TORCHFIX or None, f">= {bound:.1f}x faster (TorchFix timed out)"
            )
            return
        if result.exit_code not in (0, 1):
            raise MeasurementError(f"TorchFix exited {result.exit_code}: {tail(result.stderr)}")
        r = result.seconds / bly
        bly_cpu = cold.timings[0].cpu_time
        cpu = f"; CPU time {result.cpu / bly_cpu:.1f}x" if bly_cpu else ""
        self._set(
            "cold_torchfix",
            r >= TARGET_VS_TORCHFIX,
            f"{r:.1f}x faster (TorchFix {result.seconds:.1f} s, one run; blyan-lint median {bly:.2f} s)" + cpu,
        )

    def _torchfix_run(self, command: str) -> RunResult:
        """One TorchFix run, or the one saved by an earlier run of this script.

        TorchFix's time does not depend on blyan-lint, and a run takes many minutes, so it is
        kept in logs/ under a key of everything it does depend on (TorchFix and Python
        versions, the tree, the CPUs). `--rerun-torchfix` measures it again.
        """
        key = {
            "torchfix": self.versions.get("torchfix"),
            "python": self.versions.get("python (tools)"),
            "tree": self.tree,
            "transformers": TRANSFORMERS_VERSION,
            "cpus": os.cpu_count(),
            "timeout": self.args.torchfix_timeout,
        }
        saved = self.work / "logs" / f"torchfix-{hash_bytes(json.dumps(key, sort_keys=True).encode())}.json"
        if saved.exists() and not self.args.rerun_torchfix:
            data = json.loads(saved.read_text())
            self.torchfix_measured_at = data["measured_at"]
            log(f"TorchFix: reusing the run of {data['measured_at']} ({saved.name}; --rerun-torchfix to measure again)")
            return RunResult(**data["result"])
        log(f"TorchFix: one run of `{command}` (timeout {self.args.torchfix_timeout:.0f} s)")
        result = run_once(command, self.work, self.args.torchfix_timeout)
        self.torchfix_measured_at = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
        if not result.timed_out and result.exit_code in (0, 1):
            fields = {k: v for k, v in vars(result).items() if k not in ("stdout", "processes")}
            fields["stderr"] = tail(result.stderr, 20)
            saved.write_text(json.dumps({"key": key, "measured_at": self.torchfix_measured_at, "result": fields}))
        return result

    def _set(self, key: str, met: bool | None, measured: str, r: Ratio | None = None) -> None:
        target = self.targets[key]
        if r is not None and r.cpu is not None:
            measured += f"; CPU time {r.cpu:.2f}x"
        target.met, target.measured, target.detail = met, measured, r.method if r else ""
        log(f"target {target.number} ({target.name}): {measured} -> {status_text(met)}")

    # -- results

    def write_results(self) -> str:
        text = render_results(self)
        self.results_path.write_text(text)
        return text


def status_text(met: bool | None) -> str:
    return "**met**" if met else ("not measured" if met is None else "**not met**")


def write_safetensors(path: Path, size: int) -> None:
    """One F16 tensor filling the file: 8-byte header length, padded JSON header, data."""
    data_bytes = size - 8 - SAFETENSORS_HEADER_BYTES
    if data_bytes < 2 or data_bytes % 2:
        raise MeasurementError(f"bad safetensors size {size}")
    header = {"w": {"dtype": "F16", "shape": [data_bytes // 2], "data_offsets": [0, data_bytes]}}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (SAFETENSORS_HEADER_BYTES - len(raw))
    with open(path, "wb") as fh:
        fh.write(len(raw).to_bytes(8, "little"))
        fh.write(raw)
        if data_bytes <= 1024:
            fh.write(b"\0" * data_bytes)
    if data_bytes > 1024:
        os.truncate(path, size)  # sparse: no disk space, reads as zeros


def summarise_profile(path: Path, repo: Path, work: Path, top: int = 15) -> list[str]:
    stats = pstats.Stats(str(path))
    rows = []
    imports = 0.0
    # The interpreter's own frames (runpy, cProfile, the import machinery) would fill the cumulative list.
    skip = ("runpy", "cProfile", "<string>", "<frozen importlib")
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func == "_find_and_load" and filename.startswith("<frozen importlib"):
            imports = max(imports, cumtime)
        if any(s in filename for s in skip) or func in ("<built-in method builtins.exec>",):
            continue
        rows.append((short_location(filename, line, func, repo, work), ncalls, tottime, cumtime))
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [
        f"Total profiled time: {total:.2f} s, of which {imports:.2f} s ({100 * imports / total:.0f}%) importing "
        "modules. Frames of runpy, cProfile and importlib are left out of the tables below.",
        "",
    ]
    for title, index in (("cumulative time", 3), ("internal time (tottime)", 2)):
        lines += [
            f"Top {top} by {title}:",
            "",
            "| function | calls | tottime s | cumtime s | cum % |",
            "|---|---:|---:|---:|---:|",
        ]
        for loc, ncalls, tottime, cumtime in sorted(rows, key=lambda r: r[index], reverse=True)[:top]:
            lines.append(f"| `{loc}` | {ncalls:,} | {tottime:.2f} | {cumtime:.2f} | {100 * cumtime / total:.0f}% |")
        lines.append("")
    return lines


def short_location(filename: str, line: int, func: str, repo: Path, work: Path) -> str:
    if filename == "~":
        return func
    for prefix in (str(repo) + os.sep, str(work) + os.sep):
        if filename.startswith(prefix):
            filename = filename[len(prefix) :]
    if "site-packages" + os.sep in filename:
        filename = filename.split("site-packages" + os.sep, 1)[1]
    elif "/lib/python" in filename:
        filename = "stdlib/" + filename.rsplit("/lib/python", 1)[1].split("/", 1)[-1]
    return f"{filename}:{line}({func})"


def fmt_timing_rows(group: Group) -> list[str]:
    cpu_kind = "mean" if not group.interleaved else "median"
    rows = [
        f"| command | median | min | max | CPU user+sys ({cpu_kind}) | runs | exit codes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in group.timings:
        if t.failed:
            rows.append(f"| {t.label} | failed: {t.error} | | | | {len(t.times)} | {sorted(set(t.exit_codes))} |")
        else:
            codes = ", ".join(str(c) for c in sorted(set(t.exit_codes)))
            cpu = f"{t.cpu_time:.3f} s" if t.cpu_time is not None else "-"
            rows.append(
                f"| {t.label} | {t.median:.3f} s | {t.min:.3f} s | {t.max:.3f} s | {cpu} | {len(t.times)} | {codes} |"
            )
    return rows


def render_results(b: Bench) -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    argv = " ".join(sys.argv[1:])
    mode = "**quick** (smoke test: one run each, small subset)" if b.quick else "full"
    if b.hyperfine:
        method = "hyperfine (the runs of one command back to back; ratios are ratios of medians)"
    else:
        method = "built-in loop: warm-up, then rounds running A,B then B,A...; ratios are medians of per-round ratios"
    out = [
        "# blyan-lint benchmarks (issue #5)",
        "",
        f"Generated by `python benchmarks/run.py{(' ' + argv) if argv else ''}`, "
        f"started {b.started:%Y-%m-%d %H:%M} UTC, last written {now:%Y-%m-%d %H:%M} UTC. Mode: {mode}.",
        "",
        "## Machine",
        "",
        f"- CPU: {b.machine['cpu']}, {b.machine['cores']}",
        f"- RAM: {b.machine['ram']}",
        f"- OS: {b.machine['os']}",
        f"- Load average (1/5/15 min) at start: {b.load_start}; now: {load_average()}. Other work shares this "
        "machine, so absolute times are noisy; ratios from interleaved runs suffer least.",
        "",
        "## Tools",
        "",
        "| tool | version |",
        "|---|---|",
    ]
    out += [f"| {name} | {value} |" for name, value in b.versions.items()]
    out.append(f"| repository now | {b.repo_state()} |")
    out += [
        "",
        f"Timing: {method}.",
        f"Runs: {b.args.runs} counted (+{b.args.warmup} warm-up) per command; "
        f"flake8 on the whole tree: {b.args.slow_runs}.",
        "",
        "## Corpus",
        "",
    ]
    out += [f"- {name}: {value}" for name, value in b.corpus.items()]
    out += [
        "",
        "Every command runs with benchmarks/work/ as its working directory. That folder has its own "
        "`pyproject.toml` (empty `[tool.ruff]` and `[tool.blyan-lint]` tables) and a `.git` marker, so every tool "
        "runs on its defaults, not on this repository's settings.",
        "",
        "## Targets",
        "",
        "| # | target | goal | measured | status |",
        "|---|---|---|---|---|",
    ]
    for t in b.targets.values():
        out.append(f"| {t.number} | {t.name} | {t.goal} | {t.measured} | {status_text(t.met)} |")
    out += [
        "",
        "Ratios: per round when the runs were interleaved (the pairs' range in brackets), else of the medians. "
        "CPU time is user + system time of the tool and all its processes (hyperfine: the means); it is less "
        "sensitive than wall time to other work on the machine, but counts pool workers' time in full.",
        "",
        "## Timings",
        "",
    ]
    for group in b.groups.values():
        out += [f"### {group.title}", ""]
        out += fmt_timing_rows(group)
        out += ["", f"Repository: {group.repo}. Commands (cwd benchmarks/work):", "", "```sh"]
        if group.prepare:
            out.append(f"# before every run: {group.prepare}")
        out += [t.command for t in group.timings]
        out += ["```", ""]
        if group.note:
            out += [group.note, ""]
    for title, lines in (
        ("Cache: warm runs and one changed file", b.cache_report),
        ("flake8 front end", b.flake8_report),
        ("check --fix", b.fix_report),
        ("Peak memory", b.memory_report),
        ("safetensors", b.safetensors_report),
    ):
        if lines:
            out += [f"## {title}", ""] + lines + [""]
    tf = b.singles.get("torchfix")
    if tf:
        out += [
            "## TorchFix",
            "",
            f"One run, measured {b.torchfix_measured_at}: `{tf.command}`: {tf.seconds:.1f} s, exit {tf.exit_code}"
            + (" (timed out)" if tf.timed_out else "")
            + f", CPU time {tf.cpu:.1f} s, peak RSS {tf.maxrss_kib / 1024:.0f} MiB (largest process). "
            "A saved TorchFix run is reused by later runs of the script (TorchFix's time does not depend on "
            "blyan-lint); `--rerun-torchfix` measures it again.",
            "",
        ]
    if b.profile_report:
        out += ["## Profile", ""] + b.profile_report + [""]
    notes = b.problems + [f"Measurement failed: {f}" for f in b.failures]
    out += ["## Notes", ""]
    out += [f"- {n}" for n in notes] if notes else ["- None."]
    out.append("")
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=None, help=f"counted runs per command (default {DEFAULT_RUNS})")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up runs per command (default 1)")
    parser.add_argument(
        "--slow-runs", type=int, default=None, help=f"runs of flake8 on the whole tree (default {DEFAULT_SLOW_RUNS})"
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: one run each, a small subset")
    parser.add_argument("--skip-torchfix", action="store_true", help="do not install or run TorchFix")
    parser.add_argument("--torchfix-timeout", type=float, default=3600, help="seconds for the one TorchFix run")
    parser.add_argument(
        "--rerun-torchfix", action="store_true", help="measure TorchFix again instead of reusing a saved run"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for any other single run")
    parser.add_argument(
        "--timer", choices=("auto", "hyperfine", "builtin"), default="auto", help="auto: hyperfine when on PATH"
    )
    parser.add_argument("--tree", help="the tree for the main targets, relative to the work dir (default transformers)")
    parser.add_argument("--subset", help="flake8 plugin comparison (default 'transformers/models/[a-d]*')")
    parser.add_argument("--profile-subset", help="the cProfile run (default: --subset)")
    parser.add_argument("--work", type=Path, default=here / "work", help="work directory (default benchmarks/work)")
    parser.add_argument("--output", type=Path, default=here / "RESULTS.md", help="results file")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the virtualenvs (default: this one)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1 if args.runs is None else args.runs
        args.warmup = 0 if args.warmup is None else args.warmup
        args.slow_runs = 1 if args.slow_runs is None else args.slow_runs
        args.tree = args.tree or "transformers/models/b*"
        args.subset = args.subset or "transformers/models/bert"
    args.runs = DEFAULT_RUNS if args.runs is None else args.runs
    args.warmup = 1 if args.warmup is None else args.warmup
    args.slow_runs = DEFAULT_SLOW_RUNS if args.slow_runs is None else args.slow_runs
    args.tree = args.tree or "transformers"
    args.subset = args.subset or "transformers/models/[a-d]*"
    args.profile_subset = args.profile_subset or args.subset
    if args.runs < 1 or args.warmup < 0 or args.slow_runs < 1:
        parser.error("--runs and --slow-runs must be >= 1, --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    install_signal_handlers()
    try:
        lock = lock_work_dir(args.work.resolve())  # noqa: F841 - held until exit
        bench = Bench(args)
        bench.setup()
    except SetupError as exc:
        print(f"benchmarks/run.py: setup failed: {exc}", file=sys.stderr)
        return SETUP_FAILED
    bench.measure_all()
    text = bench.write_results()
    print(text)
    log(f"wrote {bench.results_path}")
    return MEASUREMENT_FAILED if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
