"""`blyan-lint clean`: remove the cache."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..cache import CACHE_DIR
from .arguments import EXIT_CLEAN

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    clean = sub.add_parser("clean", help=f"remove the cache ({CACHE_DIR}/)")
    clean.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..cache import clean as clean_cache

    removed = clean_cache()
    print(f"{'Removed' if removed else 'No'} {CACHE_DIR}/", file=sys.stderr)
    return EXIT_CLEAN
