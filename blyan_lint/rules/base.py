"""The rule contract: one class per code, carrying its own documentation and examples.

A rule declares the node types it looks at; the engine walks each file once and hands
every rule the nodes it asked for, along with a `Context` (names, scope, settings).
Docs, `blyan-lint rule CODE` and the example tests are all generated from these classes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from ..findings import Report

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["FileRule", "Report", "Rule"]  # Report lives in findings; rule modules import it from here too


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line: what it flags
    policy: ClassVar[str]  # the PRECISION_POLICY.md clause it enforces, quoted
    why: ClassVar[str]  # why the pattern breaks the policy
    example: ClassVar[str]  # code that breaks the rule
    fixed: ClassVar[str]  # the same code, compliant
    example_path: ClassVar[str] = "example.py"  # the file name the examples are linted as
    fix_safety: ClassVar[str] = "No automatic fix: the change needs a human decision."
    applies_to_teacher: ClassVar[bool] = False  # RULES.md: only BLY3xx, 402, 403 in teacher scope
    supersedes: ClassVar[frozenset[str]] = frozenset()
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    # For Name / Attribute / Call nodes: the identifiers (attribute name, or the real name
    # behind an imported alias; for calls, their target's) this rule can fire on. None means
    # every such node. Declaring them lets the engine skip the rule on the other names.
    names: ClassVar[frozenset[str] | None] = None
    # Substrings, at least one of which a file must contain for this rule to fire there.
    triggers: ClassVar[tuple[str, ...]] = ()

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        return iter(())

    def finish(self, ctx: Context) -> Iterator[Report]:
        """Called once after the walk, for rules that judge the module as a whole."""
        return iter(())

    @property
    def group(self) -> str:
        return self.code[:4]


class FileRule:
    """A rule for non-Python inputs (configs, weight files); see `blyan_lint.files`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    policy: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str]
    fixed: ClassVar[str]
    example_path: ClassVar[str] = "example.py"
    fix_safety: ClassVar[str] = "No automatic fix: the change needs a human decision."
    applies_to_teacher: ClassVar[bool] = True
    supersedes: ClassVar[frozenset[str]] = frozenset()
