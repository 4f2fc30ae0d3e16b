"""`blyan-lint check --watch`: the same check, again after every change (`blyan_lint.watch`)."""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError
from ..watch import watch
from . import check
from .arguments import EXIT_ERROR


def run(args: argparse.Namespace, paths: list[str]) -> int:
    if "-" in paths:
        print("blyan-lint: error: --watch needs files or directories, not stdin", file=sys.stderr)
        return EXIT_ERROR
    once = argparse.Namespace(**{**vars(args), "watch": False})

    def check_once() -> int:
        try:
            return check.run(once)
        except ConfigError as exc:  # a half-edited pyproject.toml: say so, keep watching
            print(f"blyan-lint: error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    return watch(check_once, paths, args.force_exclude)
