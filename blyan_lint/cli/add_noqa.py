"""`blyan-lint check --add-noqa[=REASON]`: silence every finding where it is, to adopt the
linter on an existing tree (`blyan_lint.adoption`)."""

from __future__ import annotations

import argparse
import sys

from ..adoption import add_noqa
from ..api import Overrides
from .arguments import EXIT_CLEAN, EXIT_ERROR


def run(args: argparse.Namespace, overrides: Overrides, paths: list[str]) -> int:
    if "-" in paths:
        print("blyan-lint: error: --add-noqa edits files in place; it cannot read stdin", file=sys.stderr)
        return EXIT_ERROR
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
