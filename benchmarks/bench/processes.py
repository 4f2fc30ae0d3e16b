"""Running the tools: each in a session of its own, timed, with its exit code, CPU time and
peak RSS (`os.wait4`), killed with its whole process group on a timeout or when this script
is interrupted; plus the errors and the log line every module uses."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SETUP_FAILED, MEASUREMENT_FAILED = 2, 1


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


def kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


# Every tool runs in a session of its own (so a timeout can kill its whole tree); these are
# the ones running now, killed if this script is interrupted or terminated, so that no tool
# goes on running (and loading the machine) after the script is gone.
RUNNING: set[int] = set()


def _on_signal(signum: int, _frame: object) -> None:
    for pgid in list(RUNNING):
        kill_group(pgid)
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
    command: str | Sequence[str],
    cwd: Path,
    timeout: float | None = None,
    capture_stdout: bool = False,
    sample_memory: bool = False,
) -> RunResult:
    """Run `command` through /bin/sh (`exec`, so the tool itself is the child) in `cwd`; an
    argument list runs as it is, without the shell (start-up times: no shell's own start).

        Peak memory: `os.wait4` returns the child's rusage, whose ru_maxrss on Linux is the
        largest of the child's own peak RSS and that of every descendant it waited for (the
        kernel keeps the maximum, not a sum). For a tool with a process pool that is the
        largest single process, which is what the per-process target is about.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + command] if isinstance(command, str) else list(command),
            cwd=cwd,
            env=ENV,
            stdin=subprocess.DEVNULL,
            stdout=out if capture_stdout else subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        RUNNING.add(proc.pid)
        sampler = MemorySampler(proc.pid) if sample_memory and os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        killer = threading.Timer(timeout, kill_group, (proc.pid,)) if timeout else None
        if killer:
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            RUNNING.discard(proc.pid)
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
            command=command if isinstance(command, str) else shlex.join(command),
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
