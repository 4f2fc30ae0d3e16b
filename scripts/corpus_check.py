"""Run the checker and the fixer over real corpora: the installed torch, transformers,
accelerate, peft, trl and diffusers (those present), and report per corpus the files,
findings, BLY000s (each verified to be a file that does not decode or parse), tracebacks,
fixes refused, time and peak memory.

Run it in a separate environment that has the corpora installed (never unpinned torch):

    python3.11 -m venv /tmp/corpus
    /tmp/corpus/bin/pip install torch==2.13.0 transformers accelerate peft trl diffusers
    /tmp/corpus/bin/pip install -e .
    /tmp/corpus/bin/python scripts/corpus_check.py [--jobs 2] [--no-fix] [PACKAGE ...]

Exit status 1 when any traceback occurred or a BLY000 stands on a parsable file.
Nothing is written: fixes are computed and verified in memory.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

from blyan_lint.api import Overrides, check_file, fix_file
from blyan_lint.discovery import discover
from blyan_lint.pyversion import parses

CORPORA = ("torch", "transformers", "accelerate", "peft", "trl", "diffusers")


@dataclass
class FileResult:
    path: str
    findings: int = 0
    bly000: list[str] = field(default_factory=list)  # messages
    parsable: bool = True
    traceback: str | None = None
    fix_refused: str | None = None
    fixes: int = 0


def _parsable(path: str) -> bool:
    with open(path, "rb") as fh:
        return parses(fh.read())


def _one(task: tuple[str, Overrides, bool]) -> FileResult:
    path, overrides, with_fix = task
    result = FileResult(path)
    try:
        findings = check_file(path, overrides)
        result.findings = len(findings)
        result.bly000 = [f.message for f in findings if f.code == "BLY000"]
        if result.bly000 and path.endswith((".py", ".pyi")):
            result.parsable = _parsable(path)
        if with_fix and not result.bly000:
            outcome = fix_file(path, overrides, unsafe=True, write=False)
            result.fix_refused = outcome.error
            result.fixes = len(outcome.result.applied) if outcome.error is None else 0
    except Exception:  # the very thing this script counts
        result.traceback = traceback.format_exc(limit=8)
    return result


def _package_dir(name: str) -> str | None:
    spec = importlib.util.find_spec(name)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def check_corpus(name: str, directory: str, jobs: int, with_fix: bool, config: str) -> dict[str, object]:
    overrides = Overrides(config=config)
    start = time.monotonic()
    files = list(discover([directory], fixed=None))
    tasks = [(path, overrides, with_fix) for path in files]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        results = pool.map(_one, tasks, chunksize=8)
    wall = time.monotonic() - start
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    return {
        "name": f"{name} {_version(name)}",
        "files": len(results),
        "findings": sum(r.findings for r in results),
        "bly000": [(r.path, m, r.parsable) for r in results for m in r.bly000],
        "tracebacks": [(r.path, r.traceback) for r in results if r.traceback],
        "refused": Counter(_reason_kind(r.fix_refused) for r in results if r.fix_refused),
        "refused_files": [(r.path, r.fix_refused) for r in results if r.fix_refused],
        "fixes": sum(r.fixes for r in results),
        "wall": wall,
        "peak_mib": peak / 1024,
    }


def _reason_kind(reason: str | None) -> str:
    return (reason or "").split("(")[0].split(" at `")[0].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", default=list(CORPORA))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-fix", action="store_true", help="check only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # Isolated from any config around the corpora; nothing excluded, every file checked.
        config = os.path.join(tmp, "blyan-lint.toml")
        with open(config, "w", encoding="utf-8") as fh:
            fh.write("exclude = []\nrespect-gitignore = false\n")
        reports = []
        for name in args.packages:
            directory = _package_dir(name)
            if directory is None:
                print(f"{name}: not installed, skipped", file=sys.stderr)
                continue
            print(f"checking {name} in {directory} ...", file=sys.stderr, flush=True)
            reports.append(check_corpus(name, directory, args.jobs, not args.no_fix, config))
    bad = 0
    print(
        "| corpus | files | findings | BLY000 (unparsable) | tracebacks | fixes | fixes refused | wall s | peak MiB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in reports:
        genuine = sum(1 for _, _, parsable in r["bly000"] if not parsable)  # type: ignore[union-attr]
        print(
            f"| {r['name']} | {r['files']} | {r['findings']} | {len(r['bly000'])} ({genuine}) | "  # type: ignore[arg-type]
            f"{len(r['tracebacks'])} | {r['fixes']} | {sum(r['refused'].values())} | "  # type: ignore[union-attr,arg-type]
            f"{r['wall']:.1f} | {r['peak_mib']:.0f} |"
        )
    for r in reports:
        for path, message, parsable in r["bly000"]:  # type: ignore[union-attr]
            verdict = "does not parse" if not parsable else "PARSES: a wrong BLY000"
            bad += parsable
            print(f"BLY000 {path}: {message} [{verdict}]")
        for path, text in r["tracebacks"]:  # type: ignore[union-attr]
            bad += 1
            print(f"TRACEBACK {path}:\n{text}")
        for kind, count in sorted(r["refused"].items()):  # type: ignore[union-attr]
            print(f"refused fix in {r['name']}: {count} x {kind}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
