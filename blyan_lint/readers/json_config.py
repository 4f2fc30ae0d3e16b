"""JSON configs into leaves: `json.loads` reads the values; positions only when asked.

Placing a leaf is a second pass, built on the json module's own string and number
scanners, that maps key paths to offsets; it runs only when a rule flags something. JSON
Lines (one JSON value per line) named `.json` is data, not configuration: no leaves.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, untyped in typeshed
from json.scanner import NUMBER_RE
from typing import Any

from . import Unreadable
from .config_leaves import ConfigDocument, Leaf, Lines, Path, located, object_leaves, prefixes


def json_document(text: str) -> ConfigDocument:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and _json_lines(text):
            return ConfigDocument("json", text, ())  # JSON Lines named `.json`: data (a dataset, a log)
        raise Unreadable(f"cannot parse JSON: {exc.msg} (line {exc.lineno})", exc.lineno, exc.colno) from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise Unreadable(f"cannot parse JSON: {exc}") from None

    def locate(leaves: list[Leaf]) -> list[Leaf]:
        return located(leaves, _json_key_spans(text, prefixes(leaves)), Lines(text)) if leaves else []

    return ConfigDocument("json", text, tuple(object_leaves(data)), locate)


def _json_lines(text: str) -> bool:
    """Several top-level JSON values, one per line (JSON Lines)?"""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        for line in lines:
            json.loads(line)
    except ValueError:
        return False
    return True


_JSON_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_JSON_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")


def _json_key_spans(text: str, wanted: set[Path]) -> dict[Path, tuple[int, int]]:
    """Key path -> (start, end) offsets of the key string, for a document json.loads accepted.

    A state machine over the json module's own scanners (`scanstring`, `NUMBER_RE`,
    `raw_decode`), with an explicit stack. Values whose path leads to no `wanted` path are
    skipped whole by the C decoder. A repeated key keeps its last span, as json.loads keeps
    its last value.
    """
    spans: dict[Path, tuple[int, int]] = {}
    stack: list[list[Any]] = []  # ["o", path] or ["a", path, index]

    def ws(i: int) -> int:
        return _JSON_WS.match(text, i).end()  # type: ignore[union-attr]

    def key_at(i: int, base: Path) -> tuple[Path, int]:
        key, end = scanstring(text, i + 1)
        path: Path = (*base, key)
        spans[path] = (i, end)
        i = ws(end)
        return path, ws(i + 1)  # past the ':'

    try:
        path: Path = ()
        i, want_value = ws(0), True
        while True:
            if want_value and path not in wanted:
                i = _DECODER.raw_decode(text, i)[1]
                want_value = False
            if want_value:
                char = text[i]
                if char == "{":
                    i = ws(i + 1)
                    if text[i] == "}":
                        i += 1
                    else:
                        stack.append(["o", path])
                        path, i = key_at(i, path)
                        continue
                elif char == "[":
                    i = ws(i + 1)
                    if text[i] == "]":
                        i += 1
                    else:
                        stack.append(["a", path, 0])
                        path = (*path, 0)
                        i = ws(i)
                        continue
                elif char == '"':
                    i = scanstring(text, i + 1)[1]
                else:
                    number = NUMBER_RE.match(text, i)
                    if number is not None:
                        i = number.end()
                    else:
                        i += len(next(lit for lit in _JSON_LITERALS if text.startswith(lit, i)))
                want_value = False
            i = ws(i)
            if not stack:
                return spans
            frame = stack[-1]
            char = text[i]
            if char == ",":
                i = ws(i + 1)
                if frame[0] == "o":
                    path, i = key_at(i, frame[1])
                else:
                    frame[2] += 1
                    path = (*frame[1], frame[2])
                want_value = True
            else:  # '}' or ']'
                stack.pop()
                path = frame[1]
                i += 1
    except (IndexError, ValueError, StopIteration, AttributeError, RecursionError):
        return spans  # not reached for valid JSON; leaves without a span keep no position
