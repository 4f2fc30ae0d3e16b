"""Issue 16's targets: start-up, the size curve, the CPU and wall ratios against ruff on
transformers 5.23.0 and on a Blyan-sized tree, peak memory, and a profile.

    python3 benchmarks/speed.py            # everything (about 15-30 min on a loaded 2-core machine)
    python3 benchmarks/speed.py --quick    # one pair per line, a 2 MB curve, transformers/models/b*

Writes benchmarks/RESULTS-speed.md (issue 5's targets stay in RESULTS.md, from run.py).
Every comparison runs its commands interleaved (A B A B ...) after one warm-up each, and a
ratio is the median of the per-pair ratios; CPU is user+sys of the tool and its workers
(`os.wait4`), peak RSS the largest single process. The machine is shared: the load average
is printed with every line, and CPU ratios are the ones to trust.

It uses the interpreter it runs with (the dev venv: blyan-lint editable, ruff) and reuses
run.py's work folder (benchmarks/work/: the transformers wheel, the isolating
pyproject.toml). Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import run as base  # noqa: E402 -- benchmarks/run.py: corpus, isolation, environment, profile summary

# The generated file: every block has findings of several rules, a superseded one
# (BLY105 over BLY101/102), a noqa comment and non-ASCII text, so each per-finding step is on.
BLOCK = '''

def step_{i}(model, batch, training, capability):
    """Train step {i} \u2014 d\u00e9j\u00e0 vu."""
    model = model.half()  # noqa: BLY101
    x = batch.to(torch.float16)
    if capability >= (8, 0):
        dtype = torch.bfloat16
    else:
        dtype = torch.float16
    with torch.autocast("cuda", dtype=torch.float16):
        y = model(x).float()
    scaler = torch.cuda.amp.GradScaler()
    return y.to(dtype), scaler
'''
BLYAN_SIZED_FILES = 301  # the research note's Blyan tree (issue 16)


def generated_source(megabytes: float) -> str:
    parts, size, i = ["import torch\n"], 0, 0
    while size < megabytes * 1_000_000:
        block = BLOCK.format(i=i)
        parts.append(block)
        size += len(block.encode("utf-8"))
        i += 1
    return "".join(parts)


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float
    code: int


def measure(argv: list[str], cwd: Path) -> Run:
    """One run: wall, user+sys CPU of the process and the children it waited for, peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=base.ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


@dataclass
class Pairs:
    name: str
    runs: dict[str, list[Run]] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)

    def median(self, key: str, what: str) -> float:
        return statistics.median(getattr(r, what) for r in self.runs[key])

    def ratio(self, a: str, b: str, what: str) -> float:
        return statistics.median(
            getattr(x, what) / getattr(y, what) for x, y in zip(self.runs[a], self.runs[b], strict=True)
        )


def interleaved(name: str, commands: dict[str, list[str]], cwd: Path, pairs: int) -> Pairs:
    result = Pairs(name, {key: [] for key in commands})
    load_before = os.getloadavg()[0]
    for argv in commands.values():  # warm-up: disk cache, bytecode
        measure(argv, cwd)
    for _ in range(pairs):
        for key, argv in commands.items():
            result.runs[key].append(measure(argv, cwd))
    result.load = (load_before, os.getloadavg()[0])
    base.log(f"{name}: " + ", ".join(f"{k} {result.median(k, 'cpu'):.3f} s CPU" for k in commands))
    return result


def blyan(*args: str) -> list[str]:
    return [sys.executable, "-m", "blyan_lint", "check", "--no-cache", "--exit-zero", "-q", *args]


def ruff(*args: str) -> list[str]:
    ruff_bin = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    return [ruff_bin, "check", "--isolated", "--no-cache", "--select", "E,F,B", "--exit-zero", "--quiet", *args]


def blyan_sized_tree(work: Path) -> Path:
    """A stand-in for the research note's 301-file Blyan tree (the Blyan source is not here):
    fixtures/demo_repo and fixtures/rules' Python files, copied round-robin to 301 files."""
    tree = work / "blyan_standin"
    if tree.exists():
        shutil.rmtree(tree)
    sources = sorted(p for d in ("fixtures/demo_repo", "fixtures/rules") for p in (REPO / d).rglob("*.py"))
    for i in range(BLYAN_SIZED_FILES):
        source = sources[i % len(sources)]
        target = tree / f"pkg{i % 12}" / f"m{i}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return tree


def status(met: bool) -> str:
    return "**met**" if met else "**not met**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one pair per line, small curve, a subset")
    parser.add_argument("--pairs", type=int, default=None, help="counted pairs per comparison (default 3)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS-speed.md")
    args = parser.parse_args(argv)
    pairs = args.pairs or (1 if args.quick else 3)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    base.isolate(work)
    base.ensure_transformers(work, Path(sys.executable))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "blyan_lint")], env=base.ENV, check=False)
    tree = "transformers/models/b*" if args.quick else "transformers"
    corpus = sorted(str(p.relative_to(work)) for p in work.glob(tree))
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out: list[str] = []
    targets: list[tuple[str, str, str, bool]] = []

    # Start-up: one two-line file.
    (work / "tiny.py").write_text("import os\nx = 1\n")
    start = interleaved(
        "start-up",
        {"blyan": blyan("tiny.py"), "ruff": ruff("tiny.py"), "python": [sys.executable, "-c", "pass"]},
        work,
        pairs * 3,
    )
    cpu, wall = start.median("blyan", "cpu"), start.median("blyan", "wall")
    targets.append(("start-up, one tiny file", "<= 0.12 s", f"{cpu:.3f} s CPU, {wall:.3f} s wall", cpu <= 0.12))
    out += [
        "## Start-up (one two-line file)",
        "",
        f"Median of {pairs * 3} interleaved runs, load {start.load[0]:.1f} -> {start.load[1]:.1f}.",
        "",
        "| command | CPU s | wall s |",
        "|---|---:|---:|",
        *(f"| {k} | {start.median(k, 'cpu'):.3f} | {start.median(k, 'wall'):.3f} |" for k in start.runs),
        "",
        "CPU is the figure judged: at a load of 4-8 on 2 cores the wall time of even `python -c pass` is several "
        "times its CPU time.",
        "",
    ]

    # The size curve: generated files with findings.
    sizes = (0.25, 0.5, 1.0, 2.0) if args.quick else (0.5, 1.0, 2.0, 5.0, 10.0)
    rows, per_mb = [], {}
    for megabytes in sizes:
        path = work / f"generated_{megabytes:g}mb.py"
        path.write_text(generated_source(megabytes), encoding="utf-8")
        run = measure(blyan(path.name), work)
        per_mb[megabytes] = run.cpu / megabytes
        rows.append(
            f"| {megabytes:g} MB | {run.cpu:.2f} | {run.wall:.2f} | {per_mb[megabytes]:.2f} | {run.peak_mib:.0f} |"
        )
        base.log(f"size curve: {megabytes:g} MB: {run.cpu:.2f} s CPU")
        path.unlink()
    small, large = per_mb[1.0], per_mb[sizes[-1]]
    targets.append(
        (
            "linear in size and findings",
            f"{sizes[-1]:g} MB costs <= 1.3x per MB what 1 MB costs",
            f"{large / small:.2f}x per MB ({small:.2f} s/MB at 1 MB, {large:.2f} s/MB at {sizes[-1]:g} MB)",
            large / small <= 1.3,
        )
    )
    out += [
        "## Size curve (one generated file with findings, one run each)",
        "",
        "Each 0.6 kB block holds several rules' findings, one superseded, one noqa comment, non-ASCII text; "
        f"load {os.getloadavg()[0]:.1f}.",
        "",
        "| file | CPU s | wall s | CPU s per MB | peak MiB |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
    ]

    # Cold check against ruff: transformers, then the Blyan-sized stand-in.
    standin = blyan_sized_tree(work)
    for label, paths, wall_goal, cpu_goal in (
        (f"`{tree}` ({len(list(work.glob(tree + '/**/*.py')))} .py files)", corpus, 2.5, 3.9),
        (f"Blyan-sized stand-in ({BLYAN_SIZED_FILES} files from fixtures/)", [standin.name], 5.0, None),
    ):
        cold = interleaved(
            label, {"blyan": blyan("--output-format", "concise", *paths), "ruff": ruff(*paths)}, work, pairs
        )
        wall_ratio, cpu_ratio = cold.ratio("blyan", "ruff", "wall"), cold.ratio("blyan", "ruff", "cpu")
        peak = max(r.peak_mib for r in cold.runs["blyan"])
        targets.append(
            (f"cold check, {label}: wall", f"<= {wall_goal}x ruff", f"{wall_ratio:.2f}x", wall_ratio <= wall_goal)
        )
        if cpu_goal is not None:
            targets.append(
                (f"cold check, {label}: CPU", f"<= {cpu_goal}x ruff", f"{cpu_ratio:.2f}x", cpu_ratio <= cpu_goal)
            )
            targets.append((f"peak RSS per process, {label}", "<= 60 MiB", f"{peak:.0f} MiB", peak <= 60))
        out += [
            f"## Cold check, {label}",
            "",
            f"{pairs} interleaved pairs after a warm-up each; load {cold.load[0]:.1f} -> {cold.load[1]:.1f}.",
            "",
            "| command | CPU s | wall s | peak MiB |",
            "|---|---:|---:|---:|",
            f"| `blyan-lint check --no-cache --output-format concise` | {cold.median('blyan', 'cpu'):.2f} | "
            f"{cold.median('blyan', 'wall'):.2f} | {peak:.0f} |",
            f"| `ruff check --isolated --no-cache --select E,F,B` | {cold.median('ruff', 'cpu'):.2f} | "
            f"{cold.median('ruff', 'wall'):.2f} | {max(r.peak_mib for r in cold.runs['ruff']):.0f} |",
            f"| ratio (median of pairs) | {cpu_ratio:.2f}x | {wall_ratio:.2f}x | |",
            "",
        ]

    # Where the time goes: one process, serial.
    profile = work / "speed.prof"
    subset = "transformers/models/b*" if args.quick else "transformers/models/[a-d]*"
    base.log(f"profile: {subset}")
    profiled = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "blyan_lint"]
    subprocess.run(
        profiled
        + [
            "check",
            "--no-cache",
            "--exit-zero",
            "-q",
            "-j",
            "1",
            *sorted(str(p.relative_to(work)) for p in work.glob(subset)),
        ],
        cwd=work,
        env=base.ENV,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    out += [f"## Profile (`-j 1`, `{subset}`)", "", *base.summarise_profile(profile, REPO, work)]

    head = [
        "# blyan-lint speed, issue 16",
        "",
        f"Generated by `python benchmarks/speed.py{' --quick' if args.quick else ''}`, started {started}, "
        f"written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs, "
        f"load average now {' / '.join(f'{x:.1f}' for x in os.getloadavg())}; {sys.version.split()[0]}; "
        f"commit {base.setup_cmd(['git', 'rev-parse', '--short', 'HEAD'], 'git', REPO).strip()}.",
        "",
        "## Targets",
        "",
        "| target | goal | measured | status |",
        "|---|---|---|---|",
        *(f"| {name} | {goal} | {measured} | {status(met)} |" for name, goal, measured, met in targets),
        "",
    ]
    args.output.write_text("\n".join(head + out) + "\n")
    print("\n".join(head))
    return 0


if __name__ == "__main__":
    sys.exit(main())
