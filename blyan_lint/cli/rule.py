"""`blyan-lint rule CODE | --all`: a rule's documentation, generated from its definition."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .. import registry
from .arguments import EXIT_CLEAN, EXIT_ERROR

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    rule = sub.add_parser("rule", help="explain a rule (generated from its definition)")
    rule.add_argument("code", nargs="?", help="a code such as BLY101")
    rule.add_argument("--all", action="store_true", help="every rule")
    rule.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..docs import rule_markdown

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
