"""One benchmark run's state: its options, tools and work folder, the targets with what was
measured against each, the timing groups and the sections each measurement adds to
RESULTS.md. The measurements (`steps_*.py`) fill it; `report.py` renders it."""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import corpus
from .processes import ENV, RunResult, SetupError, log, run_once
from .report import load_average, machine_info, render_results, status_text
from .timing import Group, Ratio, Timer
from .tools import REPO, Venvs

# Each target: (key, the step that measures it, what, goal). Issue 5's first, then issue 16's.
TARGETS = (
    ("cold_ruff", "cold", "cold `check --no-cache` vs `ruff check --no-cache --select E,F,B`", "<= 2.5x ruff's time"),
    ("cold_flake8", "flake8", "cold check vs flake8 default checks (no plugin)", ">= 20x faster"),
    ("cold_torchfix", "torchfix", "cold check vs TorchFix", ">= 30x faster"),
    ("warm_ruff", "warm", "warm check (cache, nothing changed) vs ruff's warm run", "no slower (<= 1.00x)"),
    ("touch", "touch", "one file touched / edited: files re-checked", "only that file (touch: <= 1, edit: 1)"),
    ("plugin", "plugin", "flake8 with the BLY plugin vs the same flake8 without it", "<= 1.15x (at most 15% slower)"),
    ("fix", "fix", "`check --fix` on a tree where every file has a safe fix vs cold check", "<= 3x"),
    ("memory", "memory", "peak RSS of a full cold run, largest single process", "<= 150 MiB"),
    (
        "safetensors",
        "safetensors",
        "`.safetensors` check, 2 GiB sparse file vs tiny file",
        "constant (<= 1.25x, +16 MiB)",
    ),
    ("startup", "startup", "issue 16: start-up, `check` of one two-line file (CPU time)", "<= 0.12 s"),
    ("size_curve", "size-curve", "issue 16: linear in file size and findings (generated files)", "<= 1.3x per MB"),
    ("speed_wall", "speed-cold", "issue 16: cold check vs `ruff check --isolated`, wall time", "<= 2.5x"),
    ("speed_cpu", "speed-cold", "issue 16: cold check vs `ruff check --isolated`, CPU time", "<= 3.9x"),
    ("speed_peak", "speed-cold", "issue 16: peak RSS per process of that cold check", "<= 60 MiB"),
    ("blyan_wall", "speed-blyan", "issue 16: cold check on a Blyan-sized tree vs ruff, wall time", "<= 5x"),
)


@dataclass
class Target:
    number: int
    step: str
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
        self.steps: tuple[str, ...] = args.steps  # the measurements this run makes, in order
        self.tree: str = args.tree
        self.subset: str = args.subset
        self.profile_subset: str = args.profile_subset
        tools_venv = args.tools_venv.absolute() if args.tools_venv else None
        self.venvs = Venvs(self.work, args.python, tools_venv)
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.load_start = load_average()
        self.machine = machine_info()
        self.versions: dict[str, str] = {}
        self.corpus: dict[str, str] = {}
        self.groups: dict[str, Group] = {}
        self.singles: dict[str, RunResult] = {}
        self.sections: dict[str, list[str]] = {}  # title -> lines, in the order measured
        self.problems: list[str] = []
        self.failures: list[str] = []
        self.targets = {
            key: Target(i + 1, step, name, goal, "not run (`--only`)" if step not in self.steps else "not measured")
            for i, (key, step, name, goal) in enumerate(TARGETS)
        }
        self.timer: Timer | None = None
        self.torchfix_measured_at = ""
        self.hyperfine = shutil.which("hyperfine") if args.timer != "builtin" else None
        if args.timer == "hyperfine" and not self.hyperfine:
            raise SetupError("--timer hyperfine: hyperfine is not on PATH")

    # -- helpers

    def bin(self, venv: Path, tool: str) -> str:
        """A tool's path for the command lines: relative to the work folder where it is inside."""
        path = venv / "bin" / tool
        return str(path.relative_to(self.work)) if path.is_relative_to(self.work) else str(path)

    @property
    def bly(self) -> str:
        return self.bin(self.venvs.main, "blyan-lint")

    @property
    def ruff(self) -> str:
        return self.bin(self.venvs.main, "ruff")

    @property
    def python(self) -> str:
        return self.bin(self.venvs.main, "python")

    def expand(self, pattern: str) -> list[str]:
        return corpus.expand(self.work, pattern)

    def files_under(self, pattern: str, suffixes: tuple[str, ...] = (".py", ".pyi")) -> list[str]:
        return corpus.files_under(self.work, pattern, suffixes)

    def fail(self, what: str, message: str) -> None:
        self.failures.append(f"{what}: {message}")
        log(f"FAILED {what}: {message}")

    # -- setup

    def patterns(self) -> set[str]:
        """The corpus patterns the chosen steps run on."""
        used = set()
        if {"cold", "warm", "touch", "fix", "memory", "flake8", "torchfix", "speed-cold"} & set(self.steps):
            used.add(self.tree)
        if "plugin" in self.steps:
            used.add(self.subset)
        if "profile" in self.steps:
            used.add(self.profile_subset)
        return used

    def setup(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        if not hasattr(os, "wait4"):
            raise SetupError("os.wait4 is not available: run on Linux (or another POSIX system)")
        want_flake8 = bool({"flake8", "plugin"} & set(self.steps))
        want_torchfix = "torchfix" in self.steps and not self.args.skip_torchfix
        self.venvs.ensure(want_flake8, want_torchfix)
        if any(p.startswith("transformers") for p in self.patterns()):
            corpus.ensure_transformers(self.work, self.venvs.main / "bin" / "python")
        demo = self.work / "demo_repo"
        if demo.exists():
            shutil.rmtree(demo)
        shutil.copytree(REPO / "fixtures" / "demo_repo", demo)
        corpus.isolate(self.work)
        for pattern in self.patterns():
            if not self.expand(pattern):
                raise SetupError(f"the pattern {pattern!r} matches nothing under {self.work}")
        if self.compile_blyan_lint():
            log("compiled blyan_lint/ to bytecode (an installed tool has its .pyc files)")
        self.timer = Timer(self.work, bool(self.hyperfine), self.args.timeout)
        self._versions()
        self._inventory()

    def compile_blyan_lint(self) -> bool:
        """Bytecode for the editable blyan-lint, once, so no run pays for compiling it."""
        result = run_once(
            [str(self.venvs.main / "bin" / "python"), "-m", "compileall", "-q", str(REPO / "blyan_lint")], REPO
        )
        return result.exit_code == 0

    def _version(self, argv: list[str]) -> str:
        try:
            proc = subprocess.run(argv, cwd=self.work, env=ENV, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unavailable ({exc})"
        return " ".join((proc.stdout or proc.stderr).split()) or f"unavailable (exit {proc.returncode})"

    def _versions(self) -> None:
        v = self.versions
        main = self.venvs.main / "bin"
        v["python (tools)"] = self._version([str(main / "python"), "--version"])
        v["blyan-lint"] = self._version([str(main / "blyan-lint"), "--version"])
        v["ruff"] = self._version([str(main / "ruff"), "--version"])
        if {"flake8", "plugin"} & set(self.steps):
            v["flake8 (with BLY)"] = self._version([str(main / "flake8"), "--version"])
            v["flake8 (without)"] = self._version([str(self.venvs.noplugin / "bin" / "flake8"), "--version"])
        if "torchfix" not in self.steps:
            pass
        elif self.args.skip_torchfix:
            v["torchfix"] = "skipped (--skip-torchfix)"
        elif self.venvs.torchfix_error:
            v["torchfix"] = "could not be installed (see Notes)"
        else:
            v["torchfix"] = self._version([str(self.venvs.torchfix / "bin" / "torchfix"), "--version"])
        v["hyperfine"] = self._version(["hyperfine", "--version"]) if self.hyperfine else "not used"
        v["repository at start"] = self.repo_state()

    def repo_state(self) -> str:
        head = self._version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        # Not through _version: an empty status (a clean tree) would read as "unavailable (exit 0)".
        status = ["git", "-C", str(REPO), "status", "--porcelain", "--", "blyan_lint"]
        try:
            dirty = subprocess.run(status, env=ENV, capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            dirty = ""
        return f"commit {head}" + (", blyan_lint/ has uncommitted changes" if dirty.strip() else "")

    def _inventory(self) -> None:
        if (self.work / "transformers").is_dir():
            py = self.files_under("transformers")
            lines = 0
            for name in py:
                with open(self.work / name, "rb") as fh:
                    lines += fh.read().count(b"\n")
            self.corpus["transformers"] = (
                f"{corpus.TRANSFORMERS_VERSION} (wheel's transformers/ package): {len(py):,} .py files, {lines:,} lines"
            )
        tree_py = self.files_under(self.tree)
        self.corpus["tree"] = f"`{self.tree}`: {len(tree_py):,} .py files"
        if "plugin" in self.steps:
            self.corpus["subset"] = f"`{self.subset}`: {len(self.files_under(self.subset)):,} .py files"
        if "profile" in self.steps:
            self.corpus["profile subset"] = (
                f"`{self.profile_subset}`: {len(self.files_under(self.profile_subset)):,} .py files"
            )
        self.corpus["demo"] = (
            f"fixtures/demo_repo, copied to demo_repo/: {len(self.files_under('demo_repo')):,} .py files"
        )
        if "speed-blyan" in self.steps:
            self.corpus["Blyan-sized"] = (
                f"`blyan_standin/`: {corpus.BLYAN_SIZED_FILES} .py files copied round-robin from fixtures/demo_repo "
                "and fixtures/rules, a stand-in for the 301-file Blyan tree of issue 16 (its source is not here)"
            )
        if "size-curve" in self.steps:
            self.corpus["size curve"] = "one generated file per size (`corpus.generated_source`), deleted after its run"
        if self.tree not in self.patterns():
            return
        # Both linters must see the whole tree (an ignore rule from outside would hide it).
        shown = run_once(f"{self.ruff} check --no-cache --show-files {self.tree}", self.work, self.args.timeout, True)
        ruff_files = [line for line in shown.stdout.splitlines() if line.strip().endswith((".py", ".pyi"))]
        if len(ruff_files) != len(tree_py):
            self.problems.append(f"ruff sees {len(ruff_files)} Python files in `{self.tree}`, expected {len(tree_py)}")

    # -- recording

    def time(self, *args: Any, **kwargs: Any) -> Group:
        """`Timer.time`, recorded with the repository's state around it; failed commands fail."""
        assert self.timer is not None
        state = self.repo_state()
        group = self.timer.time(*args, **kwargs)
        after = self.repo_state()
        group.repo = state if state == after else f"{state} at the start, {after} at the end (the tree changed)"
        self.groups[group.key] = group
        for t in group.timings:
            if t.failed:
                self.fail(f"{group.title}: {t.label}", t.error or "failed")
        return group

    @staticmethod
    def ok(group: Group) -> bool:
        return not any(t.failed for t in group.timings)

    def set_target(self, key: str, met: bool | None, measured: str, r: Ratio | None = None) -> None:
        target = self.targets[key]
        if r is not None and r.cpu is not None:
            measured += f"; CPU time {r.cpu:.2f}x"
        target.met, target.measured, target.detail = met, measured, r.method if r else ""
        log(f"target {target.number} ({target.name}): {measured} -> {status_text(met)}")

    def write_results(self) -> str:
        text = render_results(self)
        self.results_path.write_text(text)
        return text
