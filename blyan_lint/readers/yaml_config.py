"""YAML configs into leaves: PyYAML's `compose` node tree (libyaml's when available).

Nodes carry marks, so every leaf is placed where its key is written. Every document of a
multi-document stream is read; aliases and `<<` merges are followed, within a node budget
(a key is reported where it is written, once).
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..data import config_keys
from ..data.config_keys import normalize_key
from ..findings import Position
from . import Unreadable
from .config_leaves import Leaf, Lines, Path

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


def yaml_leaves(text: str) -> Iterator[Leaf]:
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


def _yaml_unreadable(text: str, exc: yaml.YAMLError) -> Unreadable:
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
        return Unreadable(f"cannot parse YAML: {problem} (line {line})", line, col)
    if isinstance(exc, yaml.reader.ReaderError):
        position = Lines(text).position(max(exc.position, 0))
        return Unreadable(f"cannot parse YAML: {exc.reason} (line {position.line})", position.line, position.col)
    return Unreadable(f"cannot parse YAML: {str(exc).splitlines()[0] if str(exc) else 'invalid'}")


# Nodes a YAML file may expand to through aliases and merge keys before it is refused:
# far above any real config, far below what a billion-laughs file would cost.
YAML_NODE_BUDGET = 1_000_000


class _Budget:
    def __init__(self, limit: int = YAML_NODE_BUDGET) -> None:
        self.left = limit

    def spend(self, count: int = 1) -> None:
        self.left -= count
        if self.left < 0:
            raise Unreadable(f"cannot check YAML: aliases and merge keys expand it past {YAML_NODE_BUDGET:,} nodes")


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
