"""The rule contract: one class per code, carrying its own documentation and examples.

A rule declares what it watches as data (qualified names, method names, keyword names and
the text a finding needs, all from `data/`) and implements `visit_<NodeType>` methods; the
engine walks each file once and hands every rule the nodes it asked for, along with a
`Context` (the semantic model, scope, settings). From the declarations the class derives
its node types (the `visit_*` methods), its dispatch keys (`names`, `keywords`) and the
prefilter's trigger words (`triggers`), so none of them is a hand-kept list.
Docs, `blyan-lint rule CODE` and the example tests are all generated from these classes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..findings import Report, Scope

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["FileRule", "Report", "Rule", "last_segments", "shared", "spellings", "trigger_words"]
# (Report lives in findings; rule modules may import it from here too.)

Visit = Callable[[ast.AST, "Context"], Iterator[Report]]
_KEYED_BY_NAME = (ast.Name, ast.Attribute, ast.Call)


def last_segments(qualified: Iterable[str]) -> frozenset[str]:
    """`torch.cuda.amp.autocast` -> `autocast`; a module prefix `torch.optim.` -> `optim`."""
    return frozenset(name.rstrip(".").rsplit(".", 1)[-1] for name in qualified)


def spellings(words: Iterable[str]) -> frozenset[str]:
    """A word as code writes it in any case: `int4`, `Int4`, `INT4`, `4Bit` (for markers the
    rules match lower-cased)."""
    forms = (str.lower, str.upper, str.capitalize, str.title)
    return frozenset({*words, *(form(word) for word in words for form in forms)})


def trigger_words(words: Iterable[str]) -> tuple[str, ...]:
    """The fewest substrings that select the same files: a word that contains another is
    implied by it (`float` finds every `float16`)."""
    kept: list[str] = []
    for word in sorted({w for w in words if w}, key=lambda w: (len(w), w)):
        if not any(shorter in word for shorter in kept):
            kept.append(word)
    return tuple(sorted(kept))


_T = TypeVar("_T")


def shared(ctx: Context, owner: object, node: ast.AST, compute: Callable[[], Iterable[_T]]) -> list[_T]:
    """`compute()`'s results for this node, computed once for every rule that asks with the
    same `owner` (BLY401 and BLY402 judge the same constructs, each keeps its own kind): the
    last node's results are kept in the context until another node is asked about."""
    memo = ctx.extras.get(owner)
    if not (isinstance(memo, tuple) and memo[0] is node and memo[1] is compute.__code__):
        memo = (node, compute.__code__, list(compute()))
        ctx.extras[owner] = memo
    return memo[2]  # type: ignore[no-any-return]


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

    # -- what the rule watches (declared from data/ tables) ----------------------------
    watches: ClassVar[frozenset[str]] = frozenset()  # qualified names it fires on, called or referenced
    methods: ClassVar[frozenset[str]] = frozenset()  # method or builtin names it fires on (`half`, `getattr`)
    keywords: ClassVar[frozenset[str] | None] = None  # keyword arguments it judges; None: every keyword
    # Text no finding of this rule can exist without (dtype or device spellings), where that
    # selects fewer files than the names above; the prefilter then looks for it instead.
    strings: ClassVar[frozenset[str]] = frozenset()

    # -- derived by __init_subclass__ (a class may still set them, for a legacy `check`) --
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()  # the types of its `visit_*` methods
    # For Name / Attribute / Call nodes: the identifiers (attribute name, or the real name
    # behind an imported alias; for calls, their target's) this rule can fire on. None means
    # every such node. The last segments of `watches` plus `methods`.
    names: ClassVar[frozenset[str] | None] = None
    # Substrings, at least one of which a file must contain for this rule to fire there:
    # `strings`, or else the names (a method as `.half(`).
    triggers: ClassVar[tuple[str, ...]] = ()
    # Statement pruning (`blyan_lint.prune`): a module- or class-level statement is walked
    # for this rule only when its text holds one of these words (any case; `a&b`: both;
    # `\\bw\\b`: a whole word), or a name bound or imported from text that holds one.
    # Derived (`_derived_statement_words`); None means the rule needs every statement. A rule
    # whose `finish()` judges what the walk showed it declares its own words, covering every
    # node it notes.
    statement_words: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        visits = sorted(n for n in dir(cls) if n.startswith("visit_") and isinstance(getattr(ast, n[6:], None), type))
        if visits:
            cls.node_types = tuple(getattr(ast, n[6:]) for n in visits)
        if "names" not in cls.__dict__ and (cls.watches or cls.methods):
            cls.names = last_segments(cls.watches) | cls.methods
        explicit_triggers = "triggers" in cls.__dict__
        if "triggers" not in cls.__dict__ and (cls.strings or cls.watches or cls.methods):
            # `.half`, not `.half(`: `(t.half)()` and `t.half ()` call it too
            words = cls.strings or {*last_segments(cls.watches), *(f".{m}" for m in cls.methods)}
            cls.triggers = trigger_words(words)
        if "statement_words" not in cls.__dict__:
            cls.statement_words = _derived_statement_words(cls, explicit_triggers)

    def visitor(self, node_type: type[ast.AST]) -> Visit:
        """The method that judges nodes of this type: `visit_Call`, or a legacy `check`."""
        visit: Visit = getattr(self, f"visit_{node_type.__name__}", self.check)
        return visit

    def keys(self, node_type: type[ast.AST]) -> frozenset[str] | None:
        """The identifiers the engine hands this rule nodes of a type for; None: every node."""
        if node_type is ast.keyword:
            return self.keywords
        return self.names if node_type in _KEYED_BY_NAME else None

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        return iter(())

    def finish(self, ctx: Context) -> Iterator[Report]:
        """Called once after the walk, for rules that judge the module as a whole."""
        return iter(())

    @property
    def group(self) -> str:
        return self.code[:4]


def _derived_statement_words(rule: type[Rule], explicit_triggers: bool) -> tuple[str, ...] | None:
    """A rule's statement words where it declares none: its `strings` (the text its findings
    spell, or what they follow or import), else the names and keywords it is handed (which
    the statement holding the node spells). None, so every statement is walked, where that is
    not known: a `finish()` that judges the module from what it saw, triggers set by hand, a
    node type it sees whatever it spells."""
    if rule.finish is not Rule.finish or (explicit_triggers and not rule.strings):
        return None
    if rule.strings:
        return rule.triggers or None
    words: set[str] = set()
    for node_type in rule.node_types:
        keys = rule.keywords if node_type is ast.keyword else rule.names if node_type in _KEYED_BY_NAME else None
        if keys is None:
            return None
        words.update(keys)
    return tuple(sorted(words)) or None


class FileRule:
    """A rule for non-Python inputs (configs, weight files): it declares the file kinds it
    reads (`blyan_lint.kinds`) and judges what their reader (`blyan_lint.readers`) returns;
    `file_checks` runs it, and the post-walk stages, for every file of those kinds."""

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
    kinds: ClassVar[tuple[str, ...]] = ()  # the file kinds it reads: `kinds.CONFIG`, `kinds.WEIGHTS`

    def check(self, document: Any, scope: Scope) -> Iterator[Report]:
        """Judge one file: `document` is what the reader of its kind returned (a
        `ConfigDocument`, `FloatingTensors`); `scope` is the file's. It may raise
        `readers.Unreadable` (BLY000) when the document cannot be judged after all."""
        return iter(())
