"""TOML configs into leaves: `tomllib` reads the values (it keeps no positions).

A small scanner of TOML's grammar (tables, arrays of tables, dotted and quoted keys, inline
tables, multi-line strings and arrays) maps key paths to the key's place in the file, when
a rule flags something. blyan-lint's own config files, and its own tables in
`pyproject.toml`, are not configuration for others: no leaves.
"""

from __future__ import annotations

import contextlib
import re
import sys

from ..data import config_keys
from . import Unreadable
from .config_leaves import ConfigDocument, Leaf, Lines, Path, located, object_leaves

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_document(text: str, basename: str) -> ConfigDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_WHERE.search(message)
        line, col = (int(found.group(1)), int(found.group(2))) if found else (getattr(exc, "lineno", 1) or 1, 1)
        reason = getattr(exc, "msg", None) or _TOML_WHERE.sub("", message).strip()
        raise Unreadable(f"cannot parse TOML: {reason} (line {line})", line, col) from None
    if basename in config_keys.OWN_CONFIG_FILES:
        return ConfigDocument("toml", text, ())
    if basename == "pyproject.toml":
        tool = data.get("tool")
        if not isinstance(tool, dict):
            return ConfigDocument("toml", text, ())
        data = {"tool": {k: v for k, v in tool.items() if k not in config_keys.OWN_TOOL_TABLES}}

    def locate(leaves: list[Leaf]) -> list[Leaf]:
        return located(leaves, TomlScanner(text).spans(), Lines(text)) if leaves else []

    return ConfigDocument("toml", text, tuple(object_leaves(data)), locate)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = re.compile(r"[ \t]*")
_BLANK = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?"
)
_BARE_VALUE = re.compile(r"[^\s,\]\}#]+")


class TomlScanner:
    """Key path -> (start, end) offsets of its key, for a document tomllib accepted.

    Paths match tomllib's data: array-of-tables elements and array items are indices.
    Values are skipped by their grammar, so a multi-line string that looks like
    `key = value` lines is never read as keys.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[Path, tuple[int, int]] = {}
        self.array_tables: dict[Path, int] = {}  # resolved array path -> elements so far

    def spans(self) -> dict[Path, tuple[int, int]]:
        # The errors cannot happen for TOML that tomllib accepted; keys not yet seen keep no position.
        with contextlib.suppress(IndexError, ValueError, AttributeError, tomllib.TOMLDecodeError):
            self._document()
        return self.found

    # grammar
    def _document(self) -> None:
        table: Path = ()
        text, i = self.text, 0
        while True:
            i = _BLANK.match(text, i).end()  # type: ignore[union-attr]
            if i >= len(text):
                return
            if text.startswith("[[", i):
                keys, start, end, i = self._key(self._space(i + 2))
                table = self._resolve(keys, array=True)
                self.found[table[:-1]] = (start, end)
                i = self._space(i) + 2
            elif text[i] == "[":
                keys, start, end, i = self._key(self._space(i + 1))
                table = self._resolve(keys, array=False)
                self.found[table] = (start, end)
                i = self._space(i) + 1
            else:
                i = self._pair(i, table)

    def _pair(self, i: int, table: Path) -> int:
        keys, start, end, i = self._key(i)
        path = (*table, *keys)
        self.found[path] = (start, end)
        i = self._space(self._space(i) + 1)  # past '='
        return self._value(i, path)

    def _space(self, i: int) -> int:
        return _SPACE.match(self.text, i).end()  # type: ignore[union-attr]

    def _resolve(self, keys: list[str], array: bool) -> Path:
        path: Path = ()
        for n, key in enumerate(keys):
            path = (*path, key)
            if array and n == len(keys) - 1:
                index = self.array_tables.get(path, 0)
                self.array_tables[path] = index + 1
                path = (*path, index)
            elif path in self.array_tables:
                path = (*path, self.array_tables[path] - 1)
        return path

    def _key(self, i: int) -> tuple[list[str], int, int, int]:
        text, keys, start = self.text, [], i
        while True:
            if text[i] == '"':
                end = self._basic_string_end(i)
                keys.append(next(iter(tomllib.loads(text[i:end] + " = 0"))))
            elif text[i] == "'":
                end = text.index("'", i + 1) + 1
                keys.append(text[i + 1 : end - 1])
            else:
                match = _BARE_KEY.match(text, i)
                if match is None or not match.group():
                    raise ValueError("not a key")
                end = match.end()
                keys.append(match.group())
            j = self._space(end)
            if j < len(text) and text[j] == ".":
                i = self._space(j + 1)
                continue
            return keys, start, end, j

    def _basic_string_end(self, i: int) -> int:
        text, j = self.text, i + 1
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return j + 1

    def _value(self, i: int, path: Path) -> int:
        text = self.text
        if text.startswith('"""', i):
            j = i + 3
            while not text.startswith('"""', j):
                j += 2 if text[j] == "\\" else 1
            return self._closing_quotes(j, '"')
        if text.startswith("'''", i):
            return self._closing_quotes(text.index("'''", i + 3), "'")
        char = text[i]
        if char == '"':
            return self._basic_string_end(i)
        if char == "'":
            return text.index("'", i + 1) + 1
        if char == "[":
            return self._array(i + 1, path)
        if char == "{":
            return self._inline_table(i + 1, path)
        match = _DATETIME.match(text, i) or _BARE_VALUE.match(text, i)
        if match is None:
            raise ValueError("not a value")
        return match.end()

    def _closing_quotes(self, j: int, quote: str) -> int:
        end = j + 3
        extra = 0
        while extra < 2 and end < len(self.text) and self.text[end] == quote:
            end += 1
            extra += 1
        return end

    def _array(self, i: int, path: Path) -> int:
        text, index = self.text, 0
        while True:
            i = _BLANK.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return i + 1
            i = self._value(i, (*path, index))
            index += 1
            i = _BLANK.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == ",":
                i += 1

    def _inline_table(self, i: int, path: Path) -> int:
        text = self.text
        while True:
            i = _BLANK.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "}":
                return i + 1
            i = self._pair(i, path)
            i = _BLANK.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == ",":
                i += 1
