"""`blyan-lint check` (the default command): check files and directories, report findings.

`--watch`, `--add-noqa` and the fix options (`--fix`, `--diff`, `--fix-only`) hand over to
`watch.py`, `add_noqa.py` and `fix.py`, imported only when asked for.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import TYPE_CHECKING

from .. import registry
from ..api import Overrides, check_file
from ..cache import CACHE_DIR
from ..config import expand_selectors
from ..findings import UNREADABLE
from ..report import FORMATS, colour
from ..runner import RunOptions
from ..runner import run as run_paths
from .arguments import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, codes, overrides_from, selection, stdin_excluded
from .output import blanket_hint, render, report_config_errors, statistics, summary, write

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    check = sub.add_parser("check", help="check files and directories (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; `-` reads stdin")
    check.add_argument("--select", type=selection, help="codes or prefixes to check (BLY1, BLY201, ALL)")
    check.add_argument("--extend-select", type=codes, default=(), help="codes to add to the selection")
    check.add_argument("--ignore", type=codes, default=(), help="codes or prefixes to skip")
    check.add_argument("--output-format", choices=sorted(FORMATS), default="concise")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write findings here instead of stdout")
    check.add_argument(
        "--color",
        choices=colour.CHOICES,
        default="auto",
        help="colour the output (auto: on a terminal, unless NO_COLOR)",
    )
    check.add_argument("--statistics", action="store_true", help="print a count per code instead of findings")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (errors still exit 2)")
    check.add_argument("--stdin-filename", metavar="PATH", help="the path of the code read from stdin")
    check.add_argument("--config", metavar="FILE", help="use this config file for every file")
    check.add_argument("--teacher-paths", type=codes, help="globs of teacher paths (replaces the config's)")
    check.add_argument("--guard-functions", type=codes, help="functions that count as capability guards")
    check.add_argument("--force-exclude", action="store_true", help="apply `exclude` to explicit files too")
    check.add_argument("--watch", action="store_true", help="check again whenever a file changes (Ctrl-C stops)")
    check.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    check.add_argument("--no-cache", action="store_true", help=f"do not read or write {CACHE_DIR}/")
    check.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    check.add_argument(
        "--add-noqa",
        action="store_true",
        help="add `# noqa: CODES` to every line with a finding (`--add-noqa=REASON` adds ` -- REASON`)",
    )
    check.add_argument("--add-noqa-reason", help=argparse.SUPPRESS)
    fixing = check.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes, then report what is left")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="with --fix/--diff: apply unsafe fixes too")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    fixing.add_argument("--fix-only", action="store_true", help="apply fixes and report nothing else")
    fixing.add_argument("--show-fixes", action="store_true", help="list the fixes that were applied")
    fixing.add_argument(
        "--exit-non-zero-on-fix", action="store_true", help="exit 1 when a file was changed, even if clean now"
    )
    check.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    overrides = overrides_from(args)
    _validate_selectors(overrides)
    paths = args.paths or ["."]
    if args.watch:
        from . import watch

        return watch.run(args, paths)
    if args.add_noqa:
        from . import add_noqa

        return add_noqa.run(args, overrides, paths)
    if args.fix or args.fix_only or args.diff:
        from . import fix

        return fix.run(args, overrides, paths)
    gc.disable()  # a lint run allocates millions of short-lived, acyclic AST nodes
    options = RunOptions(use_cache=not args.no_cache, jobs=args.jobs)
    cached = 0
    if "-" in paths:
        name = args.stdin_filename or "<stdin>.py"
        source = sys.stdin.buffer.read()
        findings = [] if stdin_excluded(args, overrides) else check_file(name, overrides, source)
        files = [name]
        others = [p for p in paths if p != "-"]
        if others:
            more_files, more, stats = run_paths(others, overrides, options)
            files += more_files
            cached = stats.cached
            findings = sorted(findings + more, key=lambda f: f.sort_key)
    else:
        files, findings, stats = run_paths(paths, overrides, options)
        cached = stats.cached
    if args.statistics:
        text = statistics(findings, args.output_format)
    elif args.output_format in ("json", "sarif"):  # these record what noqa comments silenced, and why
        from ..adoption import suppressed_findings

        text = FORMATS[args.output_format](findings, suppressed_findings(files, overrides))  # type: ignore[call-arg]
    else:
        text = render(args, findings, sys.stdout)
    write(text, args.output_file, sys.stdout)
    if not args.quiet:
        print(summary(files, findings, cached), file=sys.stderr)
        hint = blanket_hint(findings)
        if hint:
            print(hint, file=sys.stderr)
    report_config_errors(findings)
    if any(f.code == UNREADABLE for f in findings):
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _validate_selectors(overrides: Overrides) -> None:
    """An unknown code on the command line is a usage error for the whole run (exit 2)."""
    all_codes = registry.codes()
    expand_selectors(overrides.select or (), all_codes, "--select")
    expand_selectors(overrides.extend_select, all_codes, "--extend-select")
    expand_selectors(overrides.ignore, all_codes, "--ignore")
