"""`blyan-lint server`: the Language Server on stdio (the `lsp` extra)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .arguments import EXIT_ERROR

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    server = sub.add_parser("server", help="run the Language Server on stdio (needs the `lsp` extra: blyan-lint[lsp])")
    server.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..lsp import main as serve
    except ImportError as exc:
        print(
            f"blyan-lint: error: the server needs pygls and lsprotocol: pip install 'blyan-lint[lsp]' ({exc})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return serve()
