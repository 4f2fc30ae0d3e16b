"""Issue 5's target 7: `check --fix` on the files of the tree that have a safe fix, against
the cold check of the same files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .processes import MeasurementError, run_once, tail
from .timing import Cmd, ratio

if TYPE_CHECKING:
    from .state import Bench

TARGET_FIX_VS_CHECK = 3.0  # check --fix <= 3x check --no-cache on the same tree


def fix(b: Bench) -> None:
    report_path = b.work / "fixtree-report.json"
    result = run_once(
        f"{b.bly} check --no-cache --output-format json -o {report_path.name} --exit-zero {b.tree}",
        b.work,
        b.args.timeout,
    )
    if result.exit_code != 0 or not report_path.exists():
        raise MeasurementError(f"the JSON report run exited {result.exit_code}: {tail(result.stderr)}")
    findings = json.loads(report_path.read_text())["findings"]
    safe: dict[str, int] = {}
    for f in findings:
        fix = f.get("fix")
        if fix and fix.get("applicability") == "safe":
            safe[f["filename"]] = safe.get(f["filename"], 0) + 1
    fixtree = b.work / "fixtree"
    shutil.rmtree(fixtree, ignore_errors=True)
    for name in sorted(safe):
        if os.path.isabs(name) or ".." in Path(name).parts:
            raise MeasurementError(f"unexpected path in the JSON report: {name}")
        target = fixtree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(b.work / name, target)
    if not safe:
        raise MeasurementError(f"no file in {b.tree} has a safe fix: nothing to time")
    prepare = "rm -rf fixrun && mkdir fixrun && cp -a fixtree/. fixrun/"
    subprocess.run(["/bin/sh", "-c", prepare], cwd=b.work, check=True)
    copied = sum(1 for _ in (b.work / "fixrun").rglob("*.py"))
    if copied != len(safe):
        raise MeasurementError(f"fixrun/ has {copied} Python files after the copy, expected {len(safe)}")
    check = run_once(f"{b.bly} check --no-cache fixrun", b.work, b.args.timeout)
    subprocess.run(["/bin/sh", "-c", prepare], cwd=b.work, check=True)
    fixed = run_once(f"{b.bly} check --fix --no-cache fixrun", b.work, b.args.timeout)
    after = run_once(f"{b.bly} check --no-cache --output-format json fixrun", b.work, b.args.timeout, True)
    try:
        left = json.loads(after.stdout)["findings"]
    except (ValueError, KeyError):
        left = []
    left_safe = sum(1 for f in left if f.get("fix") and f["fix"].get("applicability") == "safe")
    b.sections["check --fix"] = [
        f"fixtree/: {len(safe):,} files of `{b.tree}` with at least one safe fix "
        f"({sum(safe.values()):,} safe fixes, from `check --output-format json`).",
        f"Check before fixing: {tail(check.stderr, 1)} (exit {check.exit_code}).",
        f"`check --fix`: {' '.join(fixed.stderr.split())} (exit {fixed.exit_code}).",
        f"Safe fixes still reported after `--fix`: {left_safe:,}.",
    ]
    if fixed.exit_code not in (0, 1):
        raise MeasurementError(f"`check --fix` exited {fixed.exit_code}: {tail(fixed.stderr)}")
    if left_safe:
        b.problems.append(
            f"`check --fix` left {left_safe} safe fixes unapplied in fixtree/ (a second pass would change more)"
        )
    group = b.time(
        "fix",
        "`check --fix` vs cold check on fixtree/ (fresh copy before every run)",
        [
            Cmd("blyan-lint --fix", f"{b.bly} check --fix --no-cache -q fixrun"),
            Cmd("blyan-lint cold", f"{b.bly} check --no-cache -q fixrun"),
        ],
        b.args.runs,
        b.args.warmup,
        prepare=prepare,
        note="The copy (`--prepare`, untimed) runs before every timed run of either command, so each run "
        "starts from unfixed files with the same page-cache state and the copy is out of both times.",
    )
    shutil.rmtree(b.work / "fixrun", ignore_errors=True)
    if b.ok(group):
        fixing, checking = group.timings
        r = ratio(fixing, checking, group.interleaved)
        b.set_target("fix", r.value <= TARGET_FIX_VS_CHECK, f"{r.text()} the cold check", r)
