"""Colour for terminal output: `--color auto|always|never`, and the NO_COLOR convention.

`auto` colours only a terminal (not a pipe or a file), and not when NO_COLOR is set to
anything non-empty (https://no-color.org) or TERM is `dumb`; `always` and `never` win over
the environment, as a command-line flag should.
"""

from __future__ import annotations

import os
from typing import TextIO

CHOICES = ("auto", "always", "never")
_CODES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36", "dim": "2"}


def wanted(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str, on: bool) -> str:
    return f"\x1b[{_CODES[style]}m{text}\x1b[0m" if on and text else text
