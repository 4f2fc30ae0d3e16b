#!/usr/bin/env python3
"""Benchmarks for blyan-lint against ruff, flake8 and TorchFix (issues #5 and #16).

Fetches the corpus (the `transformers` package from its wheel, plus fixtures/demo_repo),
builds throwaway virtualenvs under benchmarks/work/, times each target of the two issues and
writes benchmarks/RESULTS.md. Standard library only; see benchmarks/README.md.

    python benchmarks/run.py                 # everything (30-60 minutes, TorchFix alone takes minutes)
    python benchmarks/run.py --quick         # one run each on a small subset: a smoke test
    python benchmarks/run.py --only speed    # issue 16's targets alone (to benchmarks/work/RESULTS-only.md)

Exit status: 0 when every measurement ran (whether or not the targets are met), 1 when a
measurement failed (a tool crashed or exited with an unexpected code), 2 when the setup
failed (download, virtualenv, corpus).

The modules in benchmarks/bench/: `processes` (running one tool), `timing` (side by side),
`tools` (virtualenvs), `corpus` (what they run on), `state` (one run's targets and results),
`steps_*` (the measurements), `report` (RESULTS.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import steps_fix, steps_linters, steps_memory, steps_profile, steps_speed, steps_vs_ruff
from bench.processes import (
    MEASUREMENT_FAILED,
    SETUP_FAILED,
    MeasurementError,
    SetupError,
    install_signal_handlers,
    lock_work_dir,
    log,
)
from bench.state import Bench

DEFAULT_RUNS = 5
DEFAULT_SLOW_RUNS = 3  # flake8 on the whole tree takes minutes a run

# The measurements, in the order they run: (name for --only, what, the step).
STEPS: tuple[tuple[str, str, Callable[[Bench], None]], ...] = (
    ("cold", "cold check vs ruff", steps_vs_ruff.cold),
    ("demo", "demo repo", steps_vs_ruff.demo),
    ("flake8", "cold check vs flake8", steps_linters.cold),
    ("warm", "warm check vs ruff", steps_vs_ruff.warm),
    ("touch", "touch one file", steps_vs_ruff.touch),
    ("plugin", "flake8 plugin overhead", steps_linters.plugin),
    ("fix", "check --fix", steps_fix.fix),
    ("memory", "peak memory", steps_memory.memory),
    ("safetensors", "safetensors header", steps_memory.safetensors),
    ("startup", "start-up", steps_speed.startup),
    ("size-curve", "size curve", steps_speed.size_curve),
    ("speed-cold", "cold check vs ruff --isolated", steps_speed.cold_tree),
    ("speed-blyan", "Blyan-sized tree vs ruff --isolated", steps_speed.cold_blyan_sized),
    ("profile", "profile", steps_profile.profile),
    ("torchfix", "cold check vs TorchFix", steps_linters.torchfix),
)
GROUPS = {
    "issue5": (
        "cold",
        "demo",
        "flake8",
        "warm",
        "touch",
        "plugin",
        "fix",
        "memory",
        "safetensors",
        "profile",
        "torchfix",
    ),
    "speed": ("startup", "size-curve", "speed-cold", "speed-blyan", "profile"),
}


def chosen_steps(only: str | None) -> tuple[str, ...]:
    """The steps `--only` names (steps or groups, comma-separated), in the order they run."""
    names = [step for step, _, _ in STEPS]
    if only is None:
        return tuple(names)
    wanted: set[str] = set()
    for part in (p.strip() for p in only.split(",") if p.strip()):
        if part not in GROUPS and part not in names:
            raise ValueError(part)
        wanted.update(GROUPS.get(part, (part,)))
    if "torchfix" in wanted:
        wanted.add("cold")  # TorchFix is compared with the cold check's median
    return tuple(name for name in names if name in wanted)


def sizes(value: str) -> tuple[float, ...]:
    """`--sizes 0.5,1,10`: ascending positive sizes in MB."""
    try:
        parsed = tuple(float(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value}") from None
    if not parsed or any(x <= 0 for x in parsed) or list(parsed) != sorted(set(parsed)):
        raise argparse.ArgumentTypeError(f"want ascending positive sizes in MB, got {value}")
    return parsed


def measure_all(bench: Bench) -> None:
    for key, name, step in STEPS:
        if key not in bench.steps:
            continue
        try:
            step(bench)
        except MeasurementError as exc:
            bench.fail(name, str(exc))
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            bench.fail(name, f"{type(exc).__name__}: {exc}")
        bench.write_results()


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
    parser.add_argument(
        "--output", type=Path, help="results file (default RESULTS.md; with --only, work/RESULTS-only.md)"
    )
    parser.add_argument(
        "--only",
        metavar="STEPS",
        help="run only these measurements, comma-separated: "
        + ", ".join(step for step, _, _ in STEPS)
        + "; or a group: "
        + ", ".join(f"{name} ({' '.join(steps)})" for name, steps in GROUPS.items()),
    )
    parser.add_argument("--pairs", type=int, default=None, help="interleaved pairs per issue-16 comparison (default 3)")
    parser.add_argument(
        "--sizes",
        type=sizes,
        help="MB of the size curve's generated files, ascending (default 0.5,1,2,5,10; quick 0.25,0.5,1,2)",
    )
    parser.add_argument(
        "--tools-venv",
        type=Path,
        help="take blyan-lint and ruff from this existing virtualenv (e.g. .venv) instead of building work/venv",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the virtualenvs (default: this one)")
    args = parser.parse_args(argv)
    try:
        args.steps = chosen_steps(args.only)
    except ValueError as exc:
        parser.error(f"--only: no measurement or group named {exc}")
    if args.output is None:
        args.output = (args.work / "RESULTS-only.md") if args.only else here / "RESULTS.md"
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
    if args.runs < 1 or args.warmup < 0 or args.slow_runs < 1 or (args.pairs is not None and args.pairs < 1):
        parser.error("--runs, --slow-runs and --pairs must be >= 1, --warmup >= 0")
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
    measure_all(bench)
    text = bench.write_results()
    print(text)
    log(f"wrote {bench.results_path}")
    return MEASUREMENT_FAILED if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
