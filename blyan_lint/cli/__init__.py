"""`blyan-lint`: the command line. Exit codes: 0 clean, 1 findings, 2 errors (ruff's).

One module per command (`check.py`, `rule.py`, ...; `--fix`, `--watch` and `--add-noqa` are
check's, in `fix.py`, `watch.py`, `add_noqa.py`), each with `add_parser(sub)`, which
registers the command and its handler, and the handler `run(args) -> exit code`. A new
command is one module plus one line in `parser.py`. `main` parses and hands over, and turns
the errors every command can meet into a message and an exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from ..config import ConfigError
from ..runner import WorkerDied
from .arguments import EXIT_ERROR, EXIT_FINDINGS
from .parser import build_parser

__all__ = ["main"]


def _command(argv: list[str]) -> str | None:
    """The subcommand argparse will see: the first argument, unless it is an option."""
    return argv[0] if argv and not argv[0].startswith("-") else None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _split_add_noqa(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser(_command(arguments))
    args = parser.parse_args(arguments)
    handler: Callable[..., int] | None = getattr(args, "handler", None)
    try:
        if handler is not None:
            return handler(args)
    except ConfigError as exc:
        print(f"blyan-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_FINDINGS
    except WorkerDied:
        print("blyan-lint: error: a worker process died (killed or out of memory)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("blyan-lint: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # an output file that cannot be written, a path that vanished mid-run
        print(f"blyan-lint: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    parser.print_help()
    return EXIT_ERROR


def _split_add_noqa(argv: list[str]) -> list[str]:
    """`--add-noqa=REASON` -> `--add-noqa --add-noqa-reason REASON`: an optional value must be
    attached with `=`, or `--add-noqa src/` would take the path for the reason."""
    out: list[str] = []
    for arg in argv:
        if arg.startswith("--add-noqa="):
            out += ["--add-noqa", "--add-noqa-reason", arg.partition("=")[2]]
        else:
            out.append(arg)
    return out
