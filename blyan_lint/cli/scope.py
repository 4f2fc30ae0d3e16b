"""`blyan-lint scope FILE[:LINE]`: is this code teacher or student, and why."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ..api import Overrides, settings_for
from .arguments import EXIT_CLEAN, EXIT_ERROR, codes

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    scope = sub.add_parser("scope", help="is this code teacher or student, and why")
    scope.add_argument("target", metavar="FILE[:LINE]")
    scope.add_argument("--config", metavar="FILE")
    scope.add_argument("--teacher-paths", type=codes)
    scope.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..scope_query import describe

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
