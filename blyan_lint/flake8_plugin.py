"""flake8 adapter: a thin shell over the same engine the CLI uses.

flake8 only hands plugins Python files it could parse, so BLY000 and the BLY5xx file
checks exist in the CLI alone. Files that `[tool.blyan-lint]` excludes are skipped, and
per-file-ignores apply, as in the CLI; flake8 itself honours a blanket `# noqa` before the
plugin runs, which the CLI (the gate) does not. flake8 adds 1 to the column a plugin yields, so we yield
the 0-based column. Settings come from the same `[tool.blyan-lint]` table as the CLI,
with `--blyan-teacher-paths` / `--blyan-guard-functions` / `--blyan-config` on top.
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import tokenize
from collections.abc import Iterator
from typing import Any

from . import __version__
from .api import Overrides, check_file
from .config import ConfigError
from .discovery import excluded_with_parents
from .findings import UNREADABLE, Finding


def _csv(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return tuple(v.strip() for v in value if v.strip()) or None
    return tuple(part.strip() for part in str(value).split(",") if part.strip()) or None


def _encode(lines: list[str]) -> bytes:
    """Back to bytes in the file's own encoding, so the engine decodes what flake8 did."""
    text = "".join(lines)
    head = "".join(lines[:2]).encode("utf-8", "replace")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
        return text.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    except (SyntaxError, LookupError, UnicodeEncodeError):
        return text.encode("utf-8", "surrogatepass")


class Plugin:
    name = "blyan-lint"
    version = __version__
    overrides = Overrides()

    def __init__(self, tree: object, lines: list[str], filename: str) -> None:
        # flake8 parsed the file already; the shared pipeline reuses its tree.
        self.tree = tree if isinstance(tree, ast.AST) else None
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option("--blyan-config", default=None, parse_from_config=True, help="blyan-lint config file")
        parser.add_option(
            "--blyan-teacher-paths",
            default=None,
            parse_from_config=True,
            comma_separated_list=True,
            help="globs of teacher paths (override [tool.blyan-lint] teacher-paths)",
        )
        parser.add_option(
            "--blyan-guard-functions",
            default=None,
            parse_from_config=True,
            comma_separated_list=True,
            help="functions that count as capability guards (override guard-functions)",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.overrides = Overrides(
            config=getattr(options, "blyan_config", None),
            teacher_paths=_csv(getattr(options, "blyan_teacher_paths", None)),
            guard_functions=_csv(getattr(options, "blyan_guard_functions", None)),
        )

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # flake8 hands over every file it walked or was given; `exclude` applies as the CLI's
        # `--force-exclude` (what pre-commit and editors run), so the two report the same files.
        source = _encode(self.lines)
        try:
            if self.filename not in ("stdin", "-") and excluded_with_parents(os.path.abspath(self.filename)):
                return
            findings = check_file(self.filename, self.overrides, source, self.tree)
        except ConfigError as exc:
            yield 1, 0, f"{UNREADABLE} blyan-lint configuration error: {exc}", type(self)
            return
        for finding in findings:
            if finding.code == UNREADABLE:
                continue  # flake8 reports syntax errors itself (E999)
            if finding.cell is not None:  # a notebook flake8 was handed: point into the file it read
                yield self._in_notebook(finding, source)
                continue
            yield finding.start.line, finding.start.col - 1, f"{finding.code} {finding.message}", type(self)

    def _in_notebook(self, finding: Finding, source: bytes) -> tuple[int, int, str, type]:
        from .notebook_json import file_position

        where = f"cell {finding.cell}:{finding.start.line}:{finding.start.col}"
        at = file_position(
            source.decode("utf-8-sig", "replace"), finding.cell or 0, finding.start.line, finding.start.col
        )
        line, col = at or (1, 1)
        return line, col - 1, f"{finding.code} {finding.message} ({where})", type(self)
