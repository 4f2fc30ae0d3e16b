"""What several commands share: exit codes, argument types, and the check options' meaning."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from ..api import Overrides, explicit_settings

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def codes(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def selection(value: str) -> tuple[str, ...]:
    """`--select ''` would check nothing and pass everything: a usage error instead."""
    selected = codes(value)
    if not selected:
        raise argparse.ArgumentTypeError("needs at least one code or prefix (BLY1, BLY201, ALL)")
    return selected


def overrides_from(args: argparse.Namespace) -> Overrides:
    """The settings the command line overrides, for `api`."""
    return Overrides(
        config=args.config,
        select=args.select,
        extend_select=args.extend_select,
        ignore=args.ignore,
        teacher_paths=args.teacher_paths,
        guard_functions=args.guard_functions,
        force_exclude=args.force_exclude,
    )


def stdin_excluded(args: argparse.Namespace, overrides: Overrides) -> bool:
    """`--force-exclude` applies to the path stdin claims to be, as ruff's does."""
    if not (args.force_exclude and args.stdin_filename):
        return False
    from ..discovery import excluded_with_parents

    return excluded_with_parents(os.path.abspath(args.stdin_filename), explicit_settings(overrides))
