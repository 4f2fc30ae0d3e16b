"""The whole command line: the top-level options, then each command's parser, in the order
`--help` lists them."""

from __future__ import annotations

import argparse

from .. import __version__
from . import check, clean, rule, scope, server

# A plain check imports only what checking needs (tests/test_dependencies.py holds it to
# that): the modules of the other commands, of fixing and of the report formats not asked
# for are imported where they are used. The commands whose parsers need none of the
# runtime harness's modules:
CORE_COMMANDS = frozenset({"check", "rule", "clean", "server", "scope"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; for a core `command`, without the runtime commands' parsers
    (building those imports the runtime harness, which a check does not need)."""
    parser = argparse.ArgumentParser(
        prog="blyan-lint",
        description="Keep every student, inference and learning model on BF16 (Blyan precision policy).",
    )
    parser.add_argument("--version", action="version", version=f"blyan-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for core in (check, rule, clean, server, scope):
        core.add_parser(sub)
    if command in CORE_COMMANDS:
        return parser
    from . import confirm, consistency, trace

    for runtime_command in (confirm, trace, consistency):
        runtime_command.add_parser(sub)
    return parser
