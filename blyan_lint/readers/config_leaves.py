"""What the config readers produce: leaves (key path, scalar value, sibling keys), placed.

Each format is parsed by a real parser first, then flattened into leaves. Only leaves
whose key `data/config_keys.py` knows are kept; everything else passes unread. YAML
places every leaf while parsing (its nodes carry marks); JSON and TOML parsers keep no
positions, so their documents place only the leaves a rule asks for (`ConfigDocument.locate`),
with a scan of the text that runs only when something is flagged.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..data import config_keys
from ..data.config_keys import normalize_key
from ..findings import Position
from . import Unreadable

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Leaf:
    path: Path
    value: object
    siblings: frozenset[str]  # normalized keys of the mapping the leaf sits in
    start: Position | None = None
    end: Position | None = None


def _placed(leaves: list[Leaf]) -> list[Leaf]:
    return leaves


@dataclass(frozen=True)
class ConfigDocument:
    """One config file, read: its format, its text and its leaves under known keys."""

    format: str  # "yaml", "json" or "toml"
    text: str
    leaves: tuple[Leaf, ...]  # placed already for YAML; JSON and TOML place them in `locate`
    locate: Callable[[list[Leaf]], list[Leaf]] = _placed  # the same leaves, with their key's position

    @property
    def has_comments(self) -> bool:
        """Whether the format has `#` comments, so `# noqa` can be written in it (JSON has none)."""
        return self.format != "json"


def decode(data: bytes, fmt: str) -> str:
    try:
        if fmt == "json":
            encoding = json.detect_encoding(data)
            return data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) and fmt == "yaml":
            return data.decode("utf-16")
        return data.decode("utf-8-sig" if fmt == "yaml" else "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unreadable(
            f"cannot decode {fmt.upper()}: {exc.reason} at byte {exc.start} (encoding {exc.encoding})", line
        ) from None
    except LookupError as exc:
        raise Unreadable(f"cannot decode {fmt.upper()}: {exc}") from None


class Lines:
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


def object_leaves(data: object) -> Iterator[Leaf]:
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


def prefixes(leaves: list[Leaf]) -> set[Path]:
    """Every key path leading to one of these leaves, the empty path included."""
    return {leaf.path[:cut] for leaf in leaves for cut in range(len(leaf.path) + 1)}


def located(leaves: list[Leaf], spans: dict[Path, tuple[int, int]], lines: Lines) -> list[Leaf]:
    """The leaves placed at their key (offsets in `spans`), else at the nearest enclosing key."""
    out = []
    for leaf in leaves:
        span = None
        for cut in range(len(leaf.path), 0, -1):
            span = spans.get(leaf.path[:cut])
            if span is not None:
                break
        if span is None:
            out.append(leaf)
        else:
            out.append(Leaf(leaf.path, leaf.value, leaf.siblings, lines.position(span[0]), lines.position(span[1])))
    return out
