"""Config files (YAML, JSON, TOML, told apart by suffix) read into a `ConfigDocument`.

An unparsable file raises `Unreadable` with the parser's reason and position. A file nested
deeper than Python's recursion allows, while parsing it or while placing its leaves, is
unreadable too: it is not checked, so it does not pass.
"""

from __future__ import annotations

import os
from dataclasses import replace

from . import Unreadable
from .config_leaves import ConfigDocument, Leaf, decode
from .json_config import json_document
from .toml_config import toml_document
from .yaml_config import yaml_leaves


def read_config(path: str, data: bytes) -> ConfigDocument:
    """The leaves of a `.yaml`/`.yml`/`.json`/`.toml` file; `Unreadable` if it cannot be read."""
    lowered = path.lower()
    fmt = "json" if lowered.endswith(".json") else "toml" if lowered.endswith(".toml") else "yaml"
    try:
        text = decode(data, fmt)
        if fmt == "yaml":
            document = ConfigDocument(fmt, text, tuple(yaml_leaves(text)))
        elif fmt == "json":
            document = json_document(text)
        else:
            document = toml_document(text, os.path.basename(path))
    except RecursionError:
        raise _too_deep(fmt) from None
    locate = document.locate

    def guarded(leaves: list[Leaf]) -> list[Leaf]:
        try:
            return locate(leaves)
        except RecursionError:
            raise _too_deep(fmt) from None

    return replace(document, locate=guarded)


def _too_deep(fmt: str) -> Unreadable:
    return Unreadable(f"cannot check {fmt.upper()}: the file is nested too deeply")
