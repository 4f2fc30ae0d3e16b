"""Readers for the inputs that are not Python: bytes in, the positioned data rules judge out.

A reader parses with a real parser and knows no rule: `configs` reads YAML, JSON and TOML
into leaves under the precision keys `data/config_keys.py` knows (`yaml_config`,
`json_config`, `toml_config`; `config_leaves` holds their shared shapes), `safetensors`
reads a checkpoint's header, never its tensors. What a reader cannot read raises
`Unreadable`; the pipeline (`file_checks`) reports it as BLY000.
"""

from __future__ import annotations


class Unreadable(Exception):
    """The input cannot be read; the message says why, the position where (1-based)."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def shown(text: str, limit: int = 80) -> str:
    """File content as a message quotes it: unprintable characters escaped, long text clipped."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
