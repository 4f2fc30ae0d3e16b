"""`blyan-lint check --fix / --diff / --fix-only`: apply (or show) the fixes, then report
what is left."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections import Counter

from ..api import Overrides, fix_file
from ..findings import UNREADABLE
from ..fixes.source_io import FileFix
from ..runner import fix
from .arguments import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, stdin_excluded
from .output import render, report_config_errors, statistics, summary, write


def run(args: argparse.Namespace, overrides: Overrides, paths: list[str]) -> int:
    write_files = not args.diff
    if "-" in paths:
        name = args.stdin_filename or "<stdin>.py"
        source = sys.stdin.buffer.read()
        if stdin_excluded(args, overrides):  # passed through unchanged, as ruff does
            from ..fixes.apply import FixResult

            text = source.decode("utf-8", "surrogateescape")
            outcome = FileFix(name, text, FixResult(text, (), ()))
        else:
            outcome = fix_file(name, overrides, args.unsafe_fixes, write=False, source=source)
        files, outcomes, findings = [name], [outcome], list(outcome.result.remaining)
        if not args.diff:  # the fixed source goes to stdout, the report to stderr
            sys.stdout.write(outcome.result.text if outcome.changed else outcome.original)
            sys.stdout.flush()
    else:
        files, outcomes, findings = fix(paths, overrides, args.unsafe_fixes, write_files, args.jobs)
    errors = [o for o in outcomes if o.error]
    changed = [o for o in outcomes if o.changed]
    out = sys.stderr if "-" in paths and not args.diff else sys.stdout
    if args.diff:
        out.write("".join(_unified_diff(o) for o in changed))
    elif not args.fix_only:
        report = statistics(findings, args.output_format) if args.statistics else render(args, findings, out)
        write(report, args.output_file, out)
    for outcome in errors:
        print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
    applied = sum(len(o.result.applied) for o in changed)
    if args.show_fixes and changed and not args.diff:
        print(_fix_listing(changed), file=sys.stderr)
    if not args.quiet:
        verb = "Would fix" if args.diff else "Fixed"
        files_word = "file" if len(changed) == 1 else "files"
        print(f"{verb} {applied} finding{'s' if applied != 1 else ''} in {len(changed)} {files_word}.", file=sys.stderr)
        if not args.fix_only and not args.diff:
            print(summary(files, findings, fixed_unsafe=args.unsafe_fixes), file=sys.stderr)
    report_config_errors(findings)
    if errors or any(f.code == UNREADABLE for f in findings):
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if changed and args.exit_non_zero_on_fix:
        return EXIT_FINDINGS
    if findings and not args.fix_only and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _unified_diff(outcome: FileFix) -> str:
    lines = difflib.unified_diff(
        outcome.original.splitlines(keepends=True),
        outcome.result.text.splitlines(keepends=True),
        fromfile=f"a/{outcome.path}",
        tofile=f"b/{outcome.path}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)


def _fix_listing(changed: list[FileFix]) -> str:
    rows = []
    for outcome in changed:
        counts = Counter(f.code for f in outcome.result.applied)
        listed = ", ".join(f"{n} x {code}" for code, n in sorted(counts.items()))
        rows.append(f"Fixed in {outcome.path}: {listed}")
    return "\n".join(rows)
