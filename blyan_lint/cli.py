"""`blyan-lint`: check, rule, scope. Exit codes: 0 clean, 1 findings, 2 errors (ruff's)."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence

from . import __version__, registry
from .api import Overrides, check_file, check_paths, settings_for
from .config import ConfigError
from .docs import rule_markdown
from .engine import UNREADABLE
from .findings import Finding
from .report import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blyan-lint",
        description="Keep every student, inference and learning model on BF16 (Blyan precision policy).",
    )
    parser.add_argument("--version", action="version", version=f"blyan-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check files and directories (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; `-` reads stdin")
    check.add_argument("--select", type=_codes, help="codes or prefixes to check (BLY1, BLY201, ALL)")
    check.add_argument("--extend-select", type=_codes, default=(), help="codes to add to the selection")
    check.add_argument("--ignore", type=_codes, default=(), help="codes or prefixes to skip")
    check.add_argument("--output-format", choices=sorted(FORMATS), default="concise")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write findings here instead of stdout")
    check.add_argument("--statistics", action="store_true", help="print a count per code instead of findings")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (errors still exit 2)")
    check.add_argument("--stdin-filename", metavar="PATH", help="the path of the code read from stdin")
    check.add_argument("--config", metavar="FILE", help="use this config file for every file")
    check.add_argument("--teacher-paths", type=_codes, help="globs of teacher paths (replaces the config's)")
    check.add_argument("--guard-functions", type=_codes, help="functions that count as capability guards")
    check.add_argument("--force-exclude", action="store_true", help="apply `exclude` to explicit files too")
    check.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")

    rule = sub.add_parser("rule", help="explain a rule (generated from its definition)")
    rule.add_argument("code", nargs="?", help="a code such as BLY101")
    rule.add_argument("--all", action="store_true", help="every rule")

    scope = sub.add_parser("scope", help="is this code teacher or student, and why")
    scope.add_argument("target", metavar="FILE[:LINE]")
    scope.add_argument("--config", metavar="FILE")
    scope.add_argument("--teacher-paths", type=_codes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rule":
            return _rule(args)
        if args.command == "scope":
            return _scope(args)
    except ConfigError as exc:
        print(f"blyan-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_FINDINGS
    parser.print_help()
    return EXIT_ERROR


def _overrides(args: argparse.Namespace) -> Overrides:
    return Overrides(
        config=args.config,
        select=args.select,
        extend_select=args.extend_select,
        ignore=args.ignore,
        teacher_paths=args.teacher_paths,
        guard_functions=args.guard_functions,
        force_exclude=args.force_exclude,
    )


def _check(args: argparse.Namespace) -> int:
    overrides = _overrides(args)
    paths = args.paths or ["."]
    if "-" in paths:
        name = args.stdin_filename or "<stdin>.py"
        findings = check_file(name, overrides, sys.stdin.buffer.read())
        files = [name]
        others = [p for p in paths if p != "-"]
        if others:
            more_files, more = check_paths(others, overrides)
            files += more_files
            findings = sorted(findings + more, key=lambda f: f.sort_key)
    else:
        files, findings = check_paths(paths, overrides)
    text = _statistics(findings) if args.statistics else FORMATS[args.output_format](findings)
    if args.output_file:
        with open(args.output_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    if not args.quiet:
        print(summary(files, findings), file=sys.stderr)
    if any(f.code == UNREADABLE for f in findings):
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def summary(files: list[str], findings: list[Finding]) -> str:
    if not files:
        return "No files to check."
    if not findings:
        return f"All checks passed ({len(files)} files)."
    teacher = sum(1 for f in findings if f.scope.is_teacher)
    fixable = sum(1 for f in findings if f.fix_marker == "[*]")
    unsafe = sum(1 for f in findings if f.fix_marker == "[~]")
    affected = len({f.path for f in findings})
    text = (
        f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} in {affected} of {len(files)} files "
        f"({len(findings) - teacher} student, {teacher} teacher)."
    )
    if fixable:
        text += f" [*] {fixable} fixable with --fix."
    if unsafe:
        text += f" [~] {unsafe} more with --unsafe-fixes."
    return text


def _statistics(findings: list[Finding]) -> str:
    counts = Counter(f.code for f in findings)
    lines = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = registry.get(code)
        lines.append(f"{count:5d}  {code}  {rule.name if rule else ''}")
    return "\n".join(lines) + ("\n" if lines else "")


def _rule(args: argparse.Namespace) -> int:
    if args.all:
        sys.stdout.write("\n".join(rule_markdown(cls) for cls in registry.all_rules().values()))
        return EXIT_CLEAN
    if not args.code:
        print("blyan-lint: error: give a rule code (e.g. BLY101) or --all", file=sys.stderr)
        return EXIT_ERROR
    cls = registry.get(args.code)
    if cls is None:
        print(f"blyan-lint: error: unknown rule code `{args.code}`", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule_markdown(cls))
    return EXIT_CLEAN


def _scope(args: argparse.Namespace) -> int:
    from .scope_query import describe

    target, _, line = args.target.rpartition(":") if ":" in args.target else (args.target, "", "")
    if not target or not line.isdigit():
        target, line = args.target, ""
    if not os.path.isfile(target):
        print(f"blyan-lint: error: no such file: {target}", file=sys.stderr)
        return EXIT_ERROR
    overrides = Overrides(config=args.config, teacher_paths=args.teacher_paths)
    text, ok = describe(target, int(line) if line else None, settings_for(target, overrides))
    print(text)
    return EXIT_CLEAN if ok else EXIT_ERROR
