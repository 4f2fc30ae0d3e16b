"""Time `blyan-lint confirm` on the demo repo, start-up and model loads included (issue 9:
under 60 s on one H200), and report the peak GPU memory of its replays.

    python3 benchmarks/confirm_demo.py [--runs N] [-- EXTRA CONFIRM ARGS]

Each run is a fresh `python -m blyan_lint confirm fixtures/demo_repo` (a new interpreter,
new replay subprocesses, nothing cached). Peak memory is the largest
`torch.cuda.max_memory_allocated()` any replay reported (each subprocess measures its own).
Standard library only; the figures go to stdout and to benchmarks/work/confirm_demo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "fixtures", "demo_repo")


def one_run(extra: list[str]) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "confirm.json")
        command = [sys.executable, "-m", "blyan_lint", "confirm", DEMO, "--output-format", "json", "-o", out, *extra]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode not in (0, 1):
            sys.stderr.write(done.stderr)
            raise SystemExit(f"confirm exited {done.returncode}")
        with open(out, encoding="utf-8") as fh:
            return seconds, json.load(fh)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("extra", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    extra = [a for a in args.extra if a != "--"]
    times, peaks, verdicts = [], [], {}
    for _ in range(args.runs):
        seconds, report = one_run(extra)
        times.append(seconds)
        runtime = [f["runtime"] for f in report["findings"] if "runtime" in f]
        peaks.append(max((r.get("peak_gpu_memory") or 0 for r in runtime), default=0))
        verdicts = {v: sum(1 for r in runtime if r["verdict"] == v) for v in ("confirmed", "refuted", "unresolved")}
        print(f"run: {seconds:.1f} s, {len(runtime)} verdicts {verdicts}, device {report['runtime']['device']}")
    result = {
        "command": f"python -m blyan_lint confirm fixtures/demo_repo {' '.join(extra)}".strip(),
        "runs": args.runs,
        "seconds_median": round(statistics.median(times), 2),
        "seconds_max": round(max(times), 2),
        "peak_gpu_memory_bytes": max(peaks),
        "verdicts": verdicts,
        "target_seconds": 60,
    }
    print(json.dumps(result, indent=2))
    os.makedirs(os.path.join(ROOT, "benchmarks", "work"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "work", "confirm_demo.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
