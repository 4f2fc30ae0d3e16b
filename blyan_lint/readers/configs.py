"""BLY501 for YAML, JSON and TOML files: precision keys, judged from `data/config_keys.py`.

Each format is parsed by a real parser first (an unparsable file is BLY000 with the reason),
then flattened into leaves: (key path, scalar value, keys of the enclosing mapping). Only
leaves whose key is in the table are judged; everything else passes. Findings point at the
offending key, located exactly, never by text search:

- YAML: PyYAML's `compose` node tree (libyaml's when available), whose nodes carry marks.
  Every document of a multi-document stream is checked; aliases and `<<` merges are
  followed (a key is reported where it is written, once).
- JSON: `json.loads` judges the values; only when something is flagged does a second pass,
  built on the json module's own string and number scanners, map key paths to offsets.
- TOML: `tomllib` judges the values (it keeps no positions); a small scanner of TOML's
  grammar (tables, arrays of tables, dotted and quoted keys, inline tables, multi-line
  strings and arrays) maps key paths to the key's place in the file.

Suppression: `# noqa: BLY501` on the key's line in YAML and TOML; JSON has no comments, so
JSON files use `per-file-ignores`.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from json.decoder import scanstring
from json.scanner import NUMBER_RE

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .. import suppress
from ..config import Settings
from ..data import config_keys
from ..data.config_keys import ConfigKey, normalize_key
from ..engine import split_lines, unreadable
from ..findings import Finding, Position, Scope
from ..scope import file_scope, relative_posix

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CODE = "BLY501"
Path = tuple[str | int, ...]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Leaf:
    path: Path
    value: object
    siblings: frozenset[str]  # normalized keys of the mapping the leaf sits in
    start: Position | None = None
    end: Position | None = None


class _Unreadable(Exception):
    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def check_config(path: str, data: bytes, settings: Settings) -> list[Finding]:
    """BLY501 findings (or one BLY000) for a `.yaml`/`.yml`/`.json`/`.toml` file."""
    lowered = path.lower()
    fmt = "json" if lowered.endswith(".json") else "toml" if lowered.endswith(".toml") else "yaml"
    try:
        text = _decode(data, fmt)
        if fmt == "yaml":
            leaves = list(_yaml_leaves(text))
        elif fmt == "json":
            leaves = _json_leaves(text)
        else:
            leaves = _toml_leaves(text, os.path.basename(path))
    except _Unreadable as exc:
        return [unreadable(path, exc.message, exc.line, exc.col)]
    except RecursionError:
        return [unreadable(path, f"cannot check {fmt.upper()}: the file is nested too deeply")]
    rel = relative_posix(path, settings.root)
    scope = file_scope(data, rel, settings.teacher_paths)
    findings = [
        Finding(path, leaf.start or Position(1, 1), leaf.end or leaf.start or Position(1, 1), CODE, message, scope)
        for leaf, message in _judge(leaves, scope)
    ]
    findings.sort(key=lambda f: f.sort_key)
    if fmt == "json" or not findings:
        return findings
    return suppress.apply_noqa(findings, text, split_lines(text), python=False)


# -- judging -------------------------------------------------------------------------------


def _judge(leaves: list[Leaf], scope: Scope) -> Iterator[tuple[Leaf, str]]:
    seen: set[tuple[Position | None, int]] = set()
    for leaf in leaves:
        for entry in matching_entries(leaf.path, leaf.siblings):
            if scope.is_teacher and not entry.in_teacher:
                continue
            what = _verdict(entry, leaf.value)
            if what is None:
                continue
            mark = (leaf.start, id(entry))
            if leaf.start is not None and mark in seen:
                continue  # one key reached twice (YAML aliases and merges)
            seen.add(mark)
            shown = f"{display_path(leaf.path)}: {display_value(leaf.value)}"
            yield leaf, f"`{shown}` {what}; {entry.problem}: {entry.fix_for(leaf.value)}"


def matching_entries(path: Path, siblings: frozenset[str]) -> Iterator[ConfigKey]:
    if not path or not isinstance(path[-1], str):
        return
    parent = path[-2] if len(path) >= 2 else None
    parent_key = normalize_key(parent) if isinstance(parent, str) else None
    for entry in config_keys.BY_KEY.get(normalize_key(path[-1]), ()):
        if entry.parent is not None and entry.parent != parent_key:
            continue
        if entry.unless_sibling & siblings:
            continue
        yield entry


def _verdict(entry: ConfigKey, value: object) -> str | None:
    try:
        return entry.verdict(value)
    except (TypeError, ValueError, AttributeError):
        return None


def display_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return _clip(out)


def display_value(value: object) -> str:
    if isinstance(value, (str, bool, int, float)) or value is None:
        try:
            return _clip(json.dumps(value, ensure_ascii=False))
        except ValueError:
            pass
    return _clip(str(value))


def _clip(text: str, limit: int = 80) -> str:
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- decoding ------------------------------------------------------------------------------


def _decode(data: bytes, fmt: str) -> str:
    try:
        if fmt == "json":
            encoding = json.detect_encoding(data)
            return data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) and fmt == "yaml":
            return data.decode("utf-16")
        return data.decode("utf-8-sig" if fmt == "yaml" else "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _Unreadable(
            f"cannot decode {fmt.upper()}: {exc.reason} at byte {exc.start} (encoding {exc.encoding})", line
        ) from None
    except LookupError as exc:
        raise _Unreadable(f"cannot decode {fmt.upper()}: {exc}") from None


class _Lines:
    """Offsets -> 1-based (line, character column); `\\r\\n`, `\\r` and `\\n` end lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] | None = None
        if "\r" in text:  # rare: index every line start once
            self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def position(self, offset: int) -> Position:
        if self.starts is None:  # `\n` only: count, no index of a large file's lines
            return Position(self.text.count("\n", 0, offset) + 1, offset - self.text.rfind("\n", 0, offset))
        index = bisect.bisect_right(self.starts, offset) - 1
        return Position(index + 1, offset - self.starts[index] + 1)


# -- YAML ----------------------------------------------------------------------------------


def _yaml_leaves(text: str) -> Iterator[Leaf]:
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise _yaml_unreadable(text, exc) from None
    constructor = SafeConstructor()
    visited: set[tuple[int, str | int | None]] = set()
    memo: dict[int, dict[str, tuple[Node, Node]]] = {}
    budget = _Budget()
    for document in documents:
        stack: list[tuple[Node, Path]] = [(document, ())]
        while stack:
            budget.spend()
            node, path = stack.pop()
            if not isinstance(node, (MappingNode, SequenceNode)):
                continue
            mark = (id(node), normalize_key(path[-1]) if path and isinstance(path[-1], str) else None)
            if mark in visited:  # an alias seen again under the same key: judged already
                continue
            visited.add(mark)
            pending: list[tuple[Node, Path]] = []
            if isinstance(node, SequenceNode):
                for index, child in enumerate(node.value):
                    pending.append((child, (*path, index)))
            else:
                items = _yaml_mapping(node, set(), memo, budget)
                siblings: frozenset[str] | None = None
                for key, (key_node, value_node) in items.items():
                    child_path = (*path, key)
                    if isinstance(value_node, ScalarNode):
                        if normalize_key(key) not in config_keys.BY_KEY:
                            continue  # values are built only for keys the table knows
                        if siblings is None:
                            siblings = frozenset(normalize_key(k) for k in items)
                        yield Leaf(
                            child_path,
                            _yaml_scalar(constructor, value_node),
                            siblings,
                            Position(key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                            Position(key_node.end_mark.line + 1, key_node.end_mark.column + 1),
                        )
                    else:
                        pending.append((value_node, child_path))
            stack.extend(reversed(pending))


def _yaml_unreadable(text: str, exc: yaml.YAMLError) -> _Unreadable:
    """The reason, worded by PyYAML's pure-Python parser whichever parser found the error,
    so the message does not depend on whether libyaml is installed."""
    if _LOADER is not yaml.SafeLoader and len(text) <= 2_000_000 and "nesting depth" not in str(exc):
        try:
            list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError as python_exc:
            exc = python_exc
        except RecursionError:
            pass
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:  # "while parsing a flow sequence started on line 3"
            problem += f" {exc.context}" if exc.context.startswith("while") else f" ({exc.context})"
            if exc.context_mark is not None and exc.context_mark.line + 1 != line:
                problem += f" started on line {exc.context_mark.line + 1}"
        return _Unreadable(f"cannot parse YAML: {problem} (line {line})", line, col)
    if isinstance(exc, yaml.reader.ReaderError):
        position = _Lines(text).position(max(exc.position, 0))
        return _Unreadable(f"cannot parse YAML: {exc.reason} (line {position.line})", position.line, position.col)
    return _Unreadable(f"cannot parse YAML: {str(exc).splitlines()[0] if str(exc) else 'invalid'}")


# Nodes a YAML file may expand to through aliases and merge keys before it is refused:
# far above any real config, far below what a billion-laughs file would cost.
YAML_NODE_BUDGET = 1_000_000


class _Budget:
    def __init__(self, limit: int = YAML_NODE_BUDGET) -> None:
        self.left = limit

    def spend(self, count: int = 1) -> None:
        self.left -= count
        if self.left < 0:
            raise _Unreadable(f"cannot check YAML: aliases and merge keys expand it past {YAML_NODE_BUDGET:,} nodes")


def _yaml_mapping(
    node: MappingNode, active: set[int], memo: dict[int, dict[str, tuple[Node, Node]]], budget: _Budget
) -> dict[str, tuple[Node, Node]]:
    """Key -> (key node, value node), `<<` merges applied (explicit keys win, as in PyYAML).
    Each mapping is expanded once (`memo`): `<<: [*a, *a]` nested 24 deep costs 24 merges,
    not 2**24; the budget bounds what is left."""
    known = memo.get(id(node))
    if known is not None:
        return known
    active.add(id(node))
    merged: list[MappingNode] = []
    explicit: list[tuple[Node, Node]] = []
    budget.spend(len(node.value))
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            merged.extend(s for s in sources if isinstance(s, MappingNode) and id(s) not in active)
        else:
            explicit.append((key_node, value_node))
    items: dict[str, tuple[Node, Node]] = {}
    for source in reversed(merged):  # earlier merge sources take precedence
        expanded = _yaml_mapping(source, active, memo, budget)
        budget.spend(len(expanded))
        items.update(expanded)
    for key_node, value_node in explicit:
        if isinstance(key_node, ScalarNode):
            items[str(key_node.value)] = (key_node, value_node)
    active.discard(id(node))
    memo[id(node)] = items
    return items


def _yaml_scalar(constructor: SafeConstructor, node: ScalarNode) -> object:
    tag = node.tag
    if tag.startswith("tag:yaml.org,2002:") and tag.rsplit(":", 1)[1] in ("bool", "int", "float", "null"):
        try:
            return constructor.construct_object(node)
        except (ConstructorError, ValueError, TypeError, OverflowError):
            return node.value
    return node.value


# -- JSON ----------------------------------------------------------------------------------


def _json_leaves(text: str) -> list[Leaf]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and _json_lines(text):
            return []  # JSON Lines named `.json`: data (a dataset, a log), not configuration
        raise _Unreadable(f"cannot parse JSON: {exc.msg} (line {exc.lineno})", exc.lineno, exc.colno) from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise _Unreadable(f"cannot parse JSON: {exc}") from None
    flagged = [leaf for leaf in _object_leaves(data) if _flaggable(leaf)]
    if not flagged:
        return []
    return _located(flagged, _json_key_spans(text, _prefixes(flagged)), _Lines(text))


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


def _object_leaves(data: object) -> Iterator[Leaf]:
    """Scalar leaves of parsed JSON/TOML data under keys the table knows, without positions
    (iterative: no depth limit)."""
    known = config_keys.BY_KEY
    stack: list[tuple[object, Path]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            siblings: frozenset[str] | None = None
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    stack.append((value, (*path, str(key))))
                elif normalize_key(str(key)) in known:
                    if siblings is None:
                        siblings = frozenset(normalize_key(str(k)) for k in node)
                    yield Leaf((*path, str(key)), value, siblings)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    stack.append((value, (*path, index)))


def _flaggable(leaf: Leaf) -> bool:
    return any(_verdict(entry, leaf.value) is not None for entry in matching_entries(leaf.path, leaf.siblings))


def _prefixes(leaves: list[Leaf]) -> set[Path]:
    return {leaf.path[:cut] for leaf in leaves for cut in range(len(leaf.path) + 1)}


def _located(leaves: list[Leaf], spans: dict[Path, tuple[int, int]], lines: _Lines) -> list[Leaf]:
    out = []
    for leaf in leaves:
        span = None
        for cut in range(len(leaf.path), 0, -1):  # the key itself, else the nearest enclosing key
            span = spans.get(leaf.path[:cut])
            if span is not None:
                break
        if span is None:
            out.append(leaf)
        else:
            out.append(Leaf(leaf.path, leaf.value, leaf.siblings, lines.position(span[0]), lines.position(span[1])))
    return out


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
    stack: list[list] = []  # ["o", path] or ["a", path, index]

    def ws(i: int) -> int:
        return _JSON_WS.match(text, i).end()  # type: ignore[union-attr]

    def key_at(i: int, base: Path) -> tuple[Path, int]:
        key, end = scanstring(text, i + 1)
        spans[(*base, key)] = (i, end)
        i = ws(end)
        return (*base, key), ws(i + 1)  # past the ':'

    try:
        i, path, want_value = ws(0), (), True
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


# -- TOML ----------------------------------------------------------------------------------

_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml_leaves(text: str, basename: str) -> list[Leaf]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_WHERE.search(message)
        line, col = (int(found.group(1)), int(found.group(2))) if found else (getattr(exc, "lineno", 1) or 1, 1)
        reason = getattr(exc, "msg", None) or _TOML_WHERE.sub("", message).strip()
        raise _Unreadable(f"cannot parse TOML: {reason} (line {line})", line, col) from None
    if basename in config_keys.OWN_CONFIG_FILES:
        return []
    if basename == "pyproject.toml":
        tool = data.get("tool")
        if not isinstance(tool, dict):
            return []
        data = {"tool": {k: v for k, v in tool.items() if k not in config_keys.OWN_TOOL_TABLES}}
    flagged = [leaf for leaf in _object_leaves(data) if _flaggable(leaf)]
    if not flagged:
        return []
    return _located(flagged, TomlScanner(text).spans(), _Lines(text))


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
        text, i, table = self.text, 0, ()
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
