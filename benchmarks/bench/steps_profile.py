"""Where the time goes: `check` (and `check --fix`) of a subset under cProfile, one process,
summarised as the top functions by cumulative and by internal time."""

from __future__ import annotations

import os
import pstats
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .processes import MeasurementError, run_once, tail
from .tools import REPO

if TYPE_CHECKING:
    from .state import Bench


def profile(b: Bench) -> None:
    out = b.work / "logs" / "profile.prof"
    python = b.python
    profile_out = out.relative_to(b.work)
    command = f"{python} -m cProfile -o {profile_out} -m blyan_lint check --no-cache -j 1 -q {b.profile_subset}"
    result = run_once(command, b.work, b.args.timeout)
    if result.exit_code != 0 or not out.exists():
        raise MeasurementError(f"cProfile run exited {result.exit_code}: {tail(result.stderr)}")
    report = b.sections["Profile"] = ["### check", "", f"`{command}` ({result.seconds:.1f} s wall under the profiler)."]
    report += summarise_profile(out, REPO, b.work)
    _profile_fix(b, python, report)


def _profile_fix(b: Bench, python: str, report: list[str], files: int = 50) -> None:
    """`check --fix` too, on a fresh copy of the first files of fixtree/ (when the fix step built it)."""
    fixtree = b.work / "fixtree"
    sources = sorted(p for p in fixtree.rglob("*.py")) if fixtree.is_dir() else []
    if not sources:
        return
    target = b.work / "fixprofile"
    shutil.rmtree(target, ignore_errors=True)
    for source in sources[:files]:
        dest = target / source.relative_to(fixtree)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    out = b.work / "logs" / "profile-fix.prof"
    prof = out.relative_to(b.work)
    command = f"{python} -m cProfile -o {prof} -m blyan_lint check --fix --no-cache -j 1 -q fixprofile"
    result = run_once(command, b.work, b.args.timeout)
    shutil.rmtree(target, ignore_errors=True)
    if result.exit_code != 0 or not out.exists():
        raise MeasurementError(f"cProfile run of --fix exited {result.exit_code}: {tail(result.stderr)}")
    report += [
        "### check --fix",
        "",
        f"`{command}` on a fresh copy of the first {min(files, len(sources))} files of fixtree/ "
        f"({result.seconds:.1f} s wall under the profiler).",
    ]
    report += summarise_profile(out, REPO, b.work, top=12)


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
