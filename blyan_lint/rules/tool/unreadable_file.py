"""BLY000 unreadable-file: a file the engine cannot check; the run fails closed."""

from __future__ import annotations

from ..base import FileRule


class UnreadableFile(FileRule):
    code = "BLY000"
    name = "unreadable-file"
    summary = "A file that cannot be read, decoded or parsed; the run exits 2."
    policy = "Enforcement: a policy gate fails closed. A file nobody could check is not a file that passed."
    why = (
        "A linter that skips what it cannot parse lets any breach through by a syntax error, an odd "
        "encoding or a file newer than the checker's Python. blyan-lint reports the file with the reason "
        "and exits 2, and still checks every other file."
    )
    example = "def load(path:\n    return open(path).read()\n"
    fixed = "def load(path):\n    return open(path).read()\n"
    fix_safety = "No automatic fix: make the file readable, or run blyan-lint under the Python it targets."
