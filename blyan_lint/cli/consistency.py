"""`blyan-lint consistency`: do all ranks/nodes compute the same BF16 bits (torchrun).

The options and the run live with the harness (`blyan_lint.runtime.consistency`), since
the command runs itself again as each torchrun worker.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    from ..runtime import consistency

    consistency.add_parser(sub)
    sub.choices["consistency"].set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..runtime import consistency

    return consistency.main(args)
