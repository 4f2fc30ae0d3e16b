"""What `check` (with or without `--fix`) prints: the findings in the chosen format, the
per-code statistics, the summary and the hints on stderr."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TextIO

from .. import registry
from ..findings import UNREADABLE, Finding
from ..report import FORMATS, colour

_NOT_CHECKED = "not checked: "  # the BLY000 of a file whose configuration is invalid


def summary(files: list[str], findings: list[Finding], cached: int = 0, fixed_unsafe: bool | None = None) -> str:
    """The closing line; `fixed_unsafe` after a `--fix` run (whether unsafe fixes were on),
    whose remaining fixable findings are those the fixer declined, not ones a flag would fix."""
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
    if fixed_unsafe is not None:
        declined = fixable + (unsafe if fixed_unsafe else 0)
        if declined:
            text += (
                f" {declined} fix{'es' if declined != 1 else ''} not applied: each would add an import the "
                "file makes only conditionally, or still overlapped another after every pass."
            )
        if unsafe and not fixed_unsafe:
            text += f" [~] {unsafe} more with --unsafe-fixes."
        return text
    if fixable:
        text += f" [*] {fixable} fixable with --fix."
    if unsafe:
        text += f" [~] {unsafe} more with --unsafe-fixes."
    return text


def render(args: argparse.Namespace, findings: list[Finding], stream: TextIO) -> str:
    """The findings in the chosen format; the human formats in colour when wanted."""
    if args.output_format in ("concise", "full"):
        on = colour.wanted(args.color, stream) and not args.output_file
        return FORMATS[args.output_format](findings, colour=on)  # type: ignore[call-arg]
    return FORMATS[args.output_format](findings)


def statistics(findings: list[Finding], output_format: str = "concise") -> str:
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


def report_config_errors(findings: list[Finding]) -> None:
    """Each invalid config file once on stderr too; the files it governs carry it as BLY000."""
    for message in sorted({f.message for f in findings if f.code == UNREADABLE and f.message.startswith(_NOT_CHECKED)}):
        print(f"blyan-lint: error: {message[len(_NOT_CHECKED) :]}", file=sys.stderr)


def blanket_hint(findings: list[Finding]) -> str | None:
    if not findings:
        return None  # nothing a blanket noqa could have failed to silence
    from ..adoption import blanket_hint as hint

    return hint(findings)


def write(text: str, output_file: str | None, stream: TextIO) -> None:
    """`text` to `--output-file` when given, else to `stream`."""
    if output_file:
        with open(output_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        stream.write(text)
