"""The kinds of input blyan-lint reads, told apart by the file's name alone.

Python and notebooks go through the engine's walk; every other kind through the reader
`file_checks` keeps for it and the `FileRule`s that declare it in their `kinds`.
"""

from __future__ import annotations

PYTHON = "python"
CONFIG = "config"
WEIGHTS = "safetensors"
NOTEBOOK = "notebook"
# JSON Lines is data (datasets, logs), not configuration: never checked, never a BLY000.
DATA = "data"

# Kinds whose reader opens the file and reads only a part of it (a checkpoint's header):
# they are never read whole, so no size limit applies and their scope comes from the path.
READ_IN_PART = frozenset({WEIGHTS})

# kind -> the suffixes that name it, tried in this order
SUFFIXES: dict[str, tuple[str, ...]] = {
    PYTHON: (".py", ".pyi"),
    CONFIG: (".yaml", ".yml", ".json", ".toml"),
    WEIGHTS: (".safetensors",),
    NOTEBOOK: (".ipynb",),
    DATA: (".jsonl", ".ndjson"),
}


def file_kind(path: str) -> str | None:
    """The kind a file's name says it is, or None for a file blyan-lint does not read."""
    lowered = path.lower()
    for kind, suffixes in SUFFIXES.items():
        if lowered.endswith(suffixes):
            return kind
    return None
