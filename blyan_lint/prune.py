"""Statement-level pruning of the walk: module and class bodies, unit by unit (issue 16).

A *unit* is a statement of the module body or, recursively, of a class body at that level
(a method, a top-level function, an `if`, an assignment); a class there is not a unit but
entered, so its own node and its bases are always seen. A unit is walked in full (*hot*)
when its text (the lower-cased lines it spans, less its own docstring) holds

- a *statement word* of an active rule (`Rule.statement_words`), also with gaps between
  its tokens (`t. half`) and in the spellings `words.risky_regions` recovers;
- or a *tainted* name: a module- or class-level binding whose value's text holds such a
  word or another tainted name (`DTYPE = torch.float16`, then `DT = DTYPE`), an import
  whose dotted name holds one (`from torch import float16 as f16`), or a class whose bases
  hold one (`class Args(TrainingArguments)`, then `class Mine(Args)`);
- or, for an `if` whose branch leaves the block (`raise`), the text of what follows it.

Every other unit is *replayed*: what a full walk would have recorded in the semantic model
is recorded in the same order (imports anywhere, also in functions; bindings of module
frame code, walrus targets included), so later units see the same model; a function's own
bindings live in its frame, which nothing outside it can see, and need no replay.

The engine prunes only where every active rule declares statement words (`None` means the
rule needs every statement: a `finish()` rule that judges the module from what it saw) and
no `guard-functions` are configured (any call may then be a guard).
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate

from .names import SemanticModel
from .prefilter import Words
from .rules.base import Rule, trigger_words
from .words import Regions, find_all

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LEAVES_BLOCK = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def statement_words(rules: Sequence[Rule]) -> tuple[bytes, ...] | None:
    """The lower-case words that make a unit hot for these rules; None: no pruning."""
    return _statement_words(tuple(type(rule) for rule in rules))


@lru_cache(maxsize=64)
def _statement_words(rules: tuple[type[Rule], ...]) -> tuple[bytes, ...] | None:
    found: set[str] = set()
    for rule in rules:
        words = rule.statement_words
        if not rule.node_types and rule.finish is Rule.finish:
            continue  # sees no node (BLY001): needs no statement
        if words is None:
            return None
        found.update(w.lower() for w in words)
    return tuple(w.encode("utf-8") for w in trigger_words(found))


@lru_cache(maxsize=256)
def _plan(words: tuple[bytes, ...]) -> Words:
    return Words(words)


class Pruner:
    """Decides units hot or cold for one file, and replays the cold ones.

    Each word part's occurrences in the file are found once (`Words.positions`); a unit
    holds a word when every part of it occurs between the unit's first and last byte, so
    the test costs a few binary searches, not a scan of the unit per word."""

    def __init__(
        self,
        names: SemanticModel,
        lines: list[str],
        data: bytes,
        words: tuple[bytes, ...],
        regions: Regions,
        lowered: bytes | None = None,
    ) -> None:
        self.names = names
        self.data = data  # the file's text as UTF-8, newlines normalized
        self.lowered = lowered = data.lower() if lowered is None else lowered
        # where each line starts (a str's length is its UTF-8 length where the text is ASCII)
        lengths = map(len, lines) if data.isascii() else (len(line.encode("utf-8", "surrogatepass")) for line in lines)
        self.starts = [0, *accumulate(length + 1 for length in lengths)]
        plan = _plan(words)
        self.plan = plan
        hits = plan.positions(lowered)
        self.hits = hits
        # the words whose every part occurs somewhere (the others cannot make a unit hot)
        self.found_parts = [h for h in hits if h]
        self.conjunctions = [c for c in plan.conjunctions if hits[c[0]] and (len(c) == 1 or all(hits[p] for p in c))]
        # merged, for one search each: where any part occurs, where a one-part word does
        self.any_part_hits = sorted({at for found in self.found_parts for at in found})
        self.word_hits = sorted({at for c in self.conjunctions if len(c) == 1 for at in hits[c[0]]})
        self.joint_words = [c for c in self.conjunctions if len(c) > 1]
        self.imports, self.walruses = find_all(lowered, b"import"), find_all(lowered, b":=")
        # where the bytes may not spell what the code means: (start, end, variant text)
        self.regions = regions
        self.region_words: list[tuple[bool, bool]] = []  # per region: holds a word, holds a part
        for _, _, text in self.regions:
            inside = plan.parts_in(text)
            whole = any(all(inside[p] for p in c) for c in plan.conjunctions)
            self.region_words.append((whole, any(inside)))
        self.tainted: set[bytes] = set()
        self.tainted_hits: list[int] = []
        # An import taints its alias when the dotted name it imports holds a part: one the
        # file holds, or a dotted one (`from torch import half` is `torch.half`).
        self.import_parts = [i for i, h in enumerate(hits) if h or plan.dotted[i] is not None]

    # -- hot or cold -----------------------------------------------------------------------
    def hot(self, unit: ast.stmt, body: Sequence[ast.stmt], index: int) -> bool:
        """Is `body[index]` walked in full?"""
        if not self.conjunctions and not self.tainted_hits and not self.regions:
            return False
        first = unit.lineno
        decorators = getattr(unit, "decorator_list", None)
        if decorators:
            first = min(first, *(d.lineno for d in decorators))
        last = unit.end_lineno or unit.lineno
        if isinstance(unit, ast.If) and index + 1 < len(body) and _leaves(unit):
            last = body[-1].end_lineno or last  # judged with the code after it
        starts = self.starts
        start, end = starts[first - 1], starts[min(last, len(starts) - 1)]
        doc = _docstring(unit)
        if doc is not None and doc.lineno > first and self._alone(doc):
            skipped_from, skipped_to = starts[doc.lineno - 1], starts[doc.end_lineno or doc.lineno]
            return self._holds(start, skipped_from) or self._holds(skipped_to, end)
        return self._holds(start, end)

    def _alone(self, doc: ast.Expr) -> bool:
        """Does the docstring fill its lines (nothing else before or after it there)?"""
        data, starts = self.data, self.starts
        before = data[starts[doc.lineno - 1] : starts[doc.lineno - 1] + doc.col_offset]
        end_line = doc.end_lineno or doc.lineno
        after = data[starts[end_line - 1] + (doc.end_col_offset or 0) : starts[end_line]]
        return not before.strip() and not after.strip()

    def _holds(self, start: int, end: int, any_part: bool = False) -> bool:
        """Do the bytes from `start` to `end` hold a word (with `any_part`: any part of one)
        or a tainted name, also in the spellings of a risky region there?"""
        if any_part:
            if _within(self.any_part_hits, start, end):
                return True
        elif _within(self.word_hits, start, end) or any(
            all(_within(self.hits[p], start, end) for p in c) for c in self.joint_words
        ):
            return True
        if self.tainted_hits and _within(self.tainted_hits, start, end):
            return True
        for (region_start, region_end, text), (whole, part) in zip(self.regions, self.region_words, strict=True):
            if region_start < end and start < region_end:
                if part if any_part else whole:
                    return True
                if any(name in text for name in self.tainted):
                    return True
        return False

    # -- taint -----------------------------------------------------------------------------
    def after(self, unit: ast.stmt, walked: bool) -> None:
        """After a unit: replay it unless `walked` (record in the model what walking it
        would have, in the same order), and taint the names it binds at module or class
        level with a value that may matter, the aliases of imports that name a word and the
        classes whose bases do."""
        start, end = self._range(unit)
        imports = _within(self.imports, start, end)
        if unit.__class__ in _FUNCTION_TYPES and not imports:
            return  # a function binds in its own frame (walrus targets too), which nothing outside sees
        names = self.names
        statements = None  # the unit's statements, gathered once for the replay and the taint
        if _within(self.walruses, start, end):
            if not walked:
                _replay_nodes(names, unit)
            for walrus in _module_frame_nodes(unit):
                if isinstance(walrus, ast.NamedExpr):
                    self._taint_if(walrus.value, [walrus.target])
        elif not walked:
            statements = _statements(unit, imports)
            for node, in_function in statements:
                if node.__class__ in _IMPORT_TYPES:
                    names.add_import(node)  # type: ignore[arg-type]
                elif not in_function and node.__class__ in _BINDING_TYPES:
                    names.bind_statement(node)
        if not imports and not self.found_parts and not self.tainted and not self.regions:
            return  # nothing here can taint a name
        for node, in_function in statements or _statements(unit, imports):
            cls = node.__class__
            if cls in _IMPORT_TYPES:
                self._learn_import(node)  # type: ignore[arg-type]
            elif in_function:
                continue
            elif cls is ast.Assign:
                self._taint_if(node.value, node.targets)  # type: ignore[attr-defined]
            elif cls is ast.AnnAssign and node.value is not None:  # type: ignore[attr-defined]
                self._taint_if(node.value, [node.target])  # type: ignore[attr-defined]
            elif cls is ast.ClassDef:
                self.learn_class(node)  # type: ignore[arg-type]

    def learn_class(self, node: ast.ClassDef) -> None:
        """A class entered at module or class level: its name is tainted when its bases are."""
        self._taint_if_any([*node.bases, *node.keywords], node.name)

    def _learn_import(self, node: ast.Import | ast.ImportFrom) -> None:
        module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
        for alias in node.names:
            dotted = f"{module}.{alias.name}".lower().encode("utf-8", "surrogatepass")
            cores = self.plan.cores
            if any(cores[i] in dotted for i in self.import_parts) or any(n in dotted for n in self.tainted):
                self._taint((alias.asname or alias.name.split(".", 1)[0]).lower())

    def _taint_if(self, value: ast.expr, targets: Sequence[ast.expr]) -> None:
        if self._holds(*self._range(value), any_part=True):
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        self._taint(node.id.lower())

    def _taint_if_any(self, values: Sequence[ast.AST], name: str) -> None:
        if any(self._holds(*self._range(value), any_part=True) for value in values):
            self._taint(name.lower())

    def _taint(self, name: str) -> None:
        spelled = name.encode("utf-8", "surrogatepass")
        if spelled in self.tainted:
            return
        self.tainted.add(spelled)
        found = find_all(self.lowered, spelled, True, True)
        if found:
            self.tainted_hits = sorted(self.tainted_hits + found)

    def _range(self, node: ast.AST) -> tuple[int, int]:
        """The bytes of the whole lines a node spans."""
        first: int = node.lineno  # type: ignore[attr-defined]
        last: int = node.end_lineno or first  # type: ignore[attr-defined]
        return self.starts[first - 1], self.starts[min(last, len(self.starts) - 1)]

    # -- replay ----------------------------------------------------------------------------


_FUNCTION_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
_IMPORT_TYPES = frozenset({ast.Import, ast.ImportFrom})
_BINDING_TYPES = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith})


def _statements(unit: ast.stmt, into_functions: bool) -> list[tuple[ast.stmt, bool]]:
    """(statement, inside a function) for the statements of a unit in walk order
    (pre-order, fields in order); into function bodies only when asked (for imports)."""
    found: list[tuple[ast.stmt, bool]] = []
    stack: list[tuple[ast.AST, bool]] = [(unit, False)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.stmt):
            found.append((node, in_function))
        if node.__class__ in _FUNCTION_TYPES:
            if not into_functions:
                continue
            in_function = True
        children: list[tuple[ast.AST, bool]] = []
        for field in _STATEMENT_LISTS:
            value = getattr(node, field, None)
            if value:
                children.extend((child, in_function) for child in value)
        stack.extend(reversed(children))
    return found


def _module_frame_nodes(unit: ast.stmt) -> list[ast.AST]:
    """Every node of a unit that runs in the module's frame (not inside a function)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [unit]
    while stack:
        node = stack.pop()
        found.append(node)
        if node.__class__ in _FUNCTION_TYPES:
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def _replay_nodes(names: SemanticModel, unit: ast.stmt) -> None:
    """The walker's own order, node by node (for units with walrus targets): bind on entry,
    imports anywhere, a function's body in its frame (entered, so its bindings stay there)."""
    stack: list[tuple[ast.AST, bool]] = [(unit, False)]
    while stack:
        node, exit_function = stack.pop()
        if exit_function:
            names.exit_function()
            continue
        cls = node.__class__
        if cls in _BINDING_TYPES:
            names.bind_statement(node)  # type: ignore[arg-type]
        elif cls is ast.NamedExpr:
            names.bind_walrus(node)  # type: ignore[arg-type]
        elif cls is ast.Import or cls is ast.ImportFrom:
            names.add_import(node)  # type: ignore[arg-type]
            continue
        children = list(ast.iter_child_nodes(node))
        if cls in _FUNCTION_TYPES:
            names.enter_function(node)  # type: ignore[arg-type]
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(children))


def _leaves(node: ast.If) -> bool:
    return any(block and isinstance(block[-1], _LEAVES_BLOCK) for block in (node.body, node.orelse))


def _docstring(unit: ast.stmt) -> ast.Expr | None:
    if not isinstance(unit, _FUNCTIONS) or len(unit.body) < 2:
        return None
    first = unit.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _within(hits: list[int], start: int, end: int) -> bool:
    """Is there a hit at an offset from `start` to before `end`?"""
    at = bisect_left(hits, start)
    return at < len(hits) and hits[at] < end
