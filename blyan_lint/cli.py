"""`blyan-lint`: check, rule, scope. Exit codes: 0 clean, 1 findings, 2 errors (ruff's)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from . import __version__, registry
from .api import Overrides, check_file, explicit_settings, settings_for
from .cache import CACHE_DIR
from .config import ConfigError, expand_selectors
from .engine import UNREADABLE
from .findings import Finding
from .report import FORMATS, colour
from .runner import RunOptions, WorkerDied, fix, run

if TYPE_CHECKING:
    from .fixes.source_io import FileFix

# A plain check imports only what checking needs (tests/test_dependencies.py holds it to
# that): the modules of the other commands, of fixing and of the report formats not asked
# for are imported where they are used.# The commands whose parsers need none of the runtime harness's modules.
_CORE_COMMANDS = frozenset({"check", "rule", "clean", "server", "scope"})

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_NOT_CHECKED = "not checked: "  # the BLY000 of a file whose configuration is invalid


def _codes(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _selection(value: str) -> tuple[str, ...]:
    """`--select ''` would check nothing and pass everything: a usage error instead."""
    codes = _codes(value)
    if not codes:
        raise argparse.ArgumentTypeError("needs at least one code or prefix (BLY1, BLY201, ALL)")
    return codes


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; for a core `command`, without the runtime commands' parsers
    (building those imports the runtime harness, which a check does not need)."""
    parser = argparse.ArgumentParser(
        prog="blyan-lint",
        description="Keep every student, inference and learning model on BF16 (Blyan precision policy).",
    )
    parser.add_argument("--version", action="version", version=f"blyan-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check files and directories (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; `-` reads stdin")
    check.add_argument("--select", type=_selection, help="codes or prefixes to check (BLY1, BLY201, ALL)")
    check.add_argument("--extend-select", type=_codes, default=(), help="codes to add to the selection")
    check.add_argument("--ignore", type=_codes, default=(), help="codes or prefixes to skip")
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
    check.add_argument("--teacher-paths", type=_codes, help="globs of teacher paths (replaces the config's)")
    check.add_argument("--guard-functions", type=_codes, help="functions that count as capability guards")
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

    rule = sub.add_parser("rule", help="explain a rule (generated from its definition)")
    rule.add_argument("code", nargs="?", help="a code such as BLY101")
    rule.add_argument("--all", action="store_true", help="every rule")

    sub.add_parser("clean", help=f"remove the cache ({CACHE_DIR}/)")
    sub.add_parser("server", help="run the Language Server on stdio (needs the `lsp` extra: blyan-lint[lsp])")

    scope = sub.add_parser("scope", help="is this code teacher or student, and why")
    scope.add_argument("target", metavar="FILE[:LINE]")
    scope.add_argument("--config", metavar="FILE")
    scope.add_argument("--teacher-paths", type=_codes)

    if command in _CORE_COMMANDS:
        return parser
    from .cli_runtime import add_parsers as add_runtime_parsers  # confirm, trace
    from .runtime import consistency

    add_runtime_parsers(sub)
    consistency.add_parser(sub)
    return parser


def _command(argv: list[str]) -> str | None:
    """The subcommand argparse will see: the first argument, unless it is an option."""
    return argv[0] if argv and not argv[0].startswith("-") else None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _split_add_noqa(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser(_command(arguments))
    args = parser.parse_args(arguments)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rule":
            return _rule(args)
        if args.command == "scope":
            return _scope(args)
        if getattr(args, "runtime_command", None) is not None:
            from .cli_runtime import run as run_runtime

            return run_runtime(args)
        if args.command == "consistency":
            from .runtime import consistency

            return consistency.main(args)
        if args.command == "server":
            return _server()
        if args.command == "clean":
            from .cache import clean as clean_cache

            removed = clean_cache()
            print(f"{'Removed' if removed else 'No'} {CACHE_DIR}/", file=sys.stderr)
            return EXIT_CLEAN
    except ConfigError as exc:
        print(f"blyan-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_FINDINGS
    except WorkerDied:
        print("blyan-lint: error: a worker process died (killed or out of memory)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("blyan-lint: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # an output file that cannot be written, a path that vanished mid-run
        print(f"blyan-lint: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    parser.print_help()
    return EXIT_ERROR


def _server() -> int:
    try:
        from .lsp import main as serve
    except ImportError as exc:
        print(
            f"blyan-lint: error: the server needs pygls and lsprotocol: pip install 'blyan-lint[lsp]' ({exc})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return serve()


def _split_add_noqa(argv: list[str]) -> list[str]:
    """`--add-noqa=REASON` -> `--add-noqa --add-noqa-reason REASON`: an optional value must be
    attached with `=`, or `--add-noqa src/` would take the path for the reason."""
    out: list[str] = []
    for arg in argv:
        if arg.startswith("--add-noqa="):
            out += ["--add-noqa", "--add-noqa-reason", arg.partition("=")[2]]
        else:
            out.append(arg)
    return out


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
    _validate_selectors(overrides)
    paths = args.paths or ["."]
    if args.watch:
        if "-" in paths:
            print("blyan-lint: error: --watch needs files or directories, not stdin", file=sys.stderr)
            return EXIT_ERROR
        from .watch import watch

        once = argparse.Namespace(**{**vars(args), "watch": False})

        def check_once() -> int:
            try:
                return _check(once)
            except ConfigError as exc:  # a half-edited pyproject.toml: say so, keep watching
                print(f"blyan-lint: error: {exc}", file=sys.stderr)
                return EXIT_ERROR

        return watch(check_once, paths, args.force_exclude)
    if args.add_noqa:
        return _add_noqa(args, overrides, paths)
    if args.fix or args.fix_only or args.diff:
        return _fix(args, overrides, paths)
    gc.disable()  # a lint run allocates millions of short-lived, acyclic AST nodes
    options = RunOptions(use_cache=not args.no_cache, jobs=args.jobs)
    cached = 0
    if "-" in paths:
        name = args.stdin_filename or "<stdin>.py"
        source = sys.stdin.buffer.read()
        findings = [] if _stdin_excluded(args, overrides) else check_file(name, overrides, source)
        files = [name]
        others = [p for p in paths if p != "-"]
        if others:
            more_files, more, stats = run(others, overrides, options)
            files += more_files
            cached = stats.cached
            findings = sorted(findings + more, key=lambda f: f.sort_key)
    else:
        files, findings, stats = run(paths, overrides, options)
        cached = stats.cached
    if args.statistics:
        text = _statistics(findings, args.output_format)
    elif args.output_format in ("json", "sarif"):  # these record what noqa comments silenced, and why
        from .adoption import suppressed_findings

        text = FORMATS[args.output_format](findings, suppressed_findings(files, overrides))  # type: ignore[call-arg]
    else:
        text = _render(args, findings, sys.stdout)
    if args.output_file:
        with open(args.output_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    if not args.quiet:
        print(summary(files, findings, cached), file=sys.stderr)
        hint = _blanket_hint(findings)
        if hint:
            print(hint, file=sys.stderr)
    _config_errors(findings)
    if any(f.code == UNREADABLE for f in findings):
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _validate_selectors(overrides: Overrides) -> None:
    """An unknown code on the command line is a usage error for the whole run (exit 2)."""
    all_codes = registry.all_rules().keys()
    expand_selectors(overrides.select or (), all_codes, "--select")
    expand_selectors(overrides.extend_select, all_codes, "--extend-select")
    expand_selectors(overrides.ignore, all_codes, "--ignore")


def _config_errors(findings: list[Finding]) -> None:
    """Each invalid config file once on stderr too; the files it governs carry it as BLY000."""
    for message in sorted({f.message for f in findings if f.code == UNREADABLE and f.message.startswith(_NOT_CHECKED)}):
        print(f"blyan-lint: error: {message[len(_NOT_CHECKED) :]}", file=sys.stderr)


def _blanket_hint(findings: list[Finding]) -> str | None:
    if not findings:
        return None  # nothing a blanket noqa could have failed to silence
    from .adoption import blanket_hint

    return blanket_hint(findings)


def _fix(args: argparse.Namespace, overrides: Overrides, paths: list[str]) -> int:
    from .api import fix_file

    write = not args.diff
    if "-" in paths:
        name = args.stdin_filename or "<stdin>.py"
        source = sys.stdin.buffer.read()
        if _stdin_excluded(args, overrides):  # passed through unchanged, as ruff does
            from .fixes.apply import FixResult
            from .fixes.source_io import FileFix

            text = source.decode("utf-8", "surrogateescape")
            outcome = FileFix(name, text, FixResult(text, (), ()))
        else:
            outcome = fix_file(name, overrides, args.unsafe_fixes, write=False, source=source)
        files, outcomes, findings = [name], [outcome], list(outcome.result.remaining)
        if not args.diff:  # the fixed source goes to stdout, the report to stderr
            sys.stdout.write(outcome.result.text if outcome.changed else outcome.original)
            sys.stdout.flush()
    else:
        files, outcomes, findings = fix(paths, overrides, args.unsafe_fixes, write, args.jobs)
    errors = [o for o in outcomes if o.error]
    changed = [o for o in outcomes if o.changed]
    out = sys.stderr if "-" in paths and not args.diff else sys.stdout
    if args.diff:
        out.write("".join(_unified_diff(o) for o in changed))
    elif not args.fix_only:
        report = _statistics(findings, args.output_format) if args.statistics else _render(args, findings, out)
        if args.output_file:
            with open(args.output_file, "w", encoding="utf-8") as fh:
                fh.write(report)
        else:
            out.write(report)
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
            print(summary(files, findings), file=sys.stderr)
    _config_errors(findings)
    if errors or any(f.code == UNREADABLE for f in findings):
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if changed and args.exit_non_zero_on_fix:
        return EXIT_FINDINGS
    if findings and not args.fix_only and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _add_noqa(args: argparse.Namespace, overrides: Overrides, paths: list[str]) -> int:
    if "-" in paths:
        print("blyan-lint: error: --add-noqa edits files in place; it cannot read stdin", file=sys.stderr)
        return EXIT_ERROR
    from .adoption import add_noqa

    files, outcomes = add_noqa(paths, overrides, args.add_noqa_reason)
    for outcome in outcomes:
        if outcome.error:
            print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
    added = sum(o.count for o in outcomes)
    changed = sum(1 for o in outcomes if o.count)
    if not args.quiet:
        print(
            f"Added {added} noqa directive{'s' if added != 1 else ''} in {changed} of {len(files)} files.",
            file=sys.stderr,
        )
    return EXIT_ERROR if any(o.error for o in outcomes) else EXIT_CLEAN


def _stdin_excluded(args: argparse.Namespace, overrides: Overrides) -> bool:
    """`--force-exclude` applies to the path stdin claims to be, as ruff's does."""
    if not (args.force_exclude and args.stdin_filename):
        return False
    from .discovery import excluded_with_parents

    return excluded_with_parents(os.path.abspath(args.stdin_filename), explicit_settings(overrides))


def _unified_diff(outcome: FileFix) -> str:
    import difflib

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


def summary(files: list[str], findings: list[Finding], cached: int = 0) -> str:
    if not files:
        return "No files to check."
    from_cache = f", {cached} from cache" if cached else ""
    if not findings:
        return f"All checks passed ({len(files)} files{from_cache})."
    teacher = sum(1 for f in findings if f.scope.is_teacher)
    fixable = sum(1 for f in findings if f.fix_marker == "[*]")
    unsafe = sum(1 for f in findings if f.fix_marker == "[~]")
    affected = len({f.path for f in findings})
    text = (
        f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} in {affected} of {len(files)} files"
        f"{from_cache} ({len(findings) - teacher} student, {teacher} teacher)."
    )
    if fixable:
        text += f" [*] {fixable} fixable with --fix."
    if unsafe:
        text += f" [~] {unsafe} more with --unsafe-fixes."
    return text


def _render(args: argparse.Namespace, findings: list[Finding], stream: TextIO) -> str:
    """The findings in the chosen format; the human formats in colour when wanted."""
    if args.output_format in ("concise", "full"):
        on = colour.wanted(args.color, stream) and not args.output_file
        return FORMATS[args.output_format](findings, colour=on)  # type: ignore[call-arg]
    return FORMATS[args.output_format](findings)


def _statistics(findings: list[Finding], output_format: str = "concise") -> str:
    counts = Counter(f.code for f in findings)
    if output_format == "json":  # ruff's shape: one object per code, most frequent first
        fixable = Counter(f.code for f in findings if f.fix_marker == "[*]")
        rows = [
            {"code": code, "name": _rule_name(code), "count": count, "fixable": fixable[code]}
            for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        import json

        return json.dumps(rows, indent=2) + "\n"
    lines = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = registry.get(code)
        lines.append(f"{count:5d}  {code}  {rule.name if rule else ''}")
    return "\n".join(lines) + ("\n" if lines else "")


def _rule_name(code: str) -> str | None:
    rule = registry.get(code)
    return rule.name if rule else None


def _rule(args: argparse.Namespace) -> int:
    from .docs import rule_markdown

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
