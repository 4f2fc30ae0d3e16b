"""The per-file pipeline for Python: decode -> parse (ast) -> one walk feeding every rule
-> scope filter and precedence (`post_walk`, shared with every other file kind) -> noqa.

Nothing here knows a rule by its code: rules declare what they look at and the engine
walks, filters and sorts.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import bounds, suppress
from .config import Settings
from .findings import Finding, Report, Scope, unreadable
from .post_walk import reported_findings
from .prefilter import active_rules
from .pyversion import syntax_error_message
from .registry import codes_of
from .rules.base import Rule, Visit
from .scope import enclosing_scope, file_scope, relative_posix
from .sources import decode_python, split_lines
from .words import Regions, risky_regions

if TYPE_CHECKING:  # loaded with the first file a rule can fire on (`_walk`): start-up pays for neither
    from .context import Context
    from .prune import Pruner

PRUNE_SWITCH = "BLYAN_LINT_PRUNE"

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Nodes with no children worth visiting (Name's only child is its Load/Store context), and
# the operator singletons (`ast.Add()`), which have none.
_OPERATORS = (ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
_LEAVES = frozenset(
    {ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue}
    | {kind for base in _OPERATORS for kind in base.__subclasses__()}
)
# Statements that bind names: recorded in the semantic model before rules see them.
_BINDING_STATEMENTS = frozenset(
    {ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith}
)


# Fields that hold names, numbers or flags, never a node (`Attribute.attr`, `ImportFrom.level`),
# and the expression contexts (`Load`, which no rule asks for): `_children` need not read them.
_NOT_CHILDREN = frozenset(
    {"id", "attr", "name", "arg", "module", "level", "asname", "type_comment", "kind", "conversion"}
    | {"is_async", "simple", "tag", "kwd_attrs", "rest", "ctx"}
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    if node_type in (ast.Global, ast.Nonlocal, ast.MatchSingleton):
        return ()  # their fields hold names and a constant
    return tuple(f for f in node_type._fields if f not in _NOT_CHILDREN)  # type: ignore[attr-defined]


class _Walker:
    """One recursive pass over the tree; keeps names, frames and scope up to date."""

    def __init__(self, ctx: Context, rules: Sequence[Rule]) -> None:
        self.ctx = ctx
        # (rule, its visit method) per node type: for every node, or by identifier, so the
        # walk hands a rule only the `torch.float16` attributes, `autocast` calls and
        # `dtype=` keywords it declared, not every name.
        self.everything: dict[type, list[tuple[Rule, Visit]]] = {}
        self.by_name: dict[type, dict[str, list[tuple[Rule, Visit]]]] = {}
        for rule in rules:
            for node_type in rule.node_types:
                entry = (rule, rule.visitor(node_type))
                keys = rule.keys(node_type)
                if keys is None:
                    self.everything.setdefault(node_type, []).append(entry)
                    continue
                keyed = self.by_name.setdefault(node_type, {})
                for name in keys:
                    keyed.setdefault(name, []).append(entry)
        self.reports: list[tuple[Rule, Scope, Report]] = []
        # Children the walk need not even call `visit` on: contexts, and leaves no rule asks
        # for. Names are the most common node; one is visited only when a rule keys on it.
        self.skip = frozenset(t for t in _LEAVES if t not in self.everything and t not in self.by_name)
        self.every_name = ast.Name in self.everything
        self.name_keys = self.by_name.get(ast.Name, {})
        self.pruner: Pruner | None = None

    def _key(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Attribute):
            return node.attr
        if isinstance(node, ast.Name):
            return self.ctx.names.imported_last_segment(node.id)
        if isinstance(node, ast.Call):
            return self._key(node.func)
        if isinstance(node, ast.keyword):
            return node.arg
        return None

    def visit(self, node: ast.AST) -> None:
        ctx = self.ctx
        node_type = type(node)
        if node_type in _BINDING_STATEMENTS:
            ctx.names.bind_statement(node)  # type: ignore[arg-type]
        elif node_type is ast.NamedExpr:
            ctx.names.bind_walrus(node)  # type: ignore[arg-type]
        self._dispatch(node, node_type)
        if node_type in _LEAVES:
            return
        if node_type is ast.Import or node_type is ast.ImportFrom:
            ctx.names.add_import(node)  # type: ignore[arg-type]
            return
        if node_type in _DEFS:
            self._visit_definition(node, node_type)
            return
        self._children(node)

    def _dispatch(self, node: ast.AST, node_type: type) -> None:
        ctx = self.ctx
        rules = self.everything.get(node_type)
        keyed = self.by_name.get(node_type)
        if keyed:
            key = self._key(node)
            if key is not None and key in keyed:
                rules = [*(rules or ()), *keyed[key]]
        if rules:
            scope = ctx.scopes[-1]
            for rule, visit in rules:
                for report in visit(node, ctx):
                    self.reports.append((rule, scope, report))

    # -- statement pruning (`prune`): module and class bodies unit by unit ------------------
    def walk_pruned(self, module: ast.Module, pruner: Pruner) -> None:
        self.pruner = pruner
        self._dispatch(module, ast.Module)
        self._pruned_children(module)

    def _pruned_children(self, node: ast.AST) -> None:
        """`_children`, with the body walked unit by unit (hot: walked; cold: replayed)."""
        stack = self.ctx.stack
        stack.append(node)
        pruner = self.pruner
        assert pruner is not None
        for field in node._fields:
            value = getattr(node, field, None)
            if field != "body":
                for child in value if isinstance(value, list) else (value,):
                    if isinstance(child, ast.AST) and child.__class__ not in self.skip:
                        self.visit(child)
                continue
            for index, unit in enumerate(value):  # type: ignore[arg-type]
                if unit.__class__ is ast.ClassDef:
                    self._dispatch(unit, ast.ClassDef)
                    self._visit_definition(unit, ast.ClassDef, pruned=True)
                    pruner.learn_class(unit)
                    continue
                hot = pruner.hot(unit, value, index)  # type: ignore[arg-type]
                if hot:
                    self.visit(unit)
                pruner.after(unit, walked=hot)
        stack.pop()

    def _children(self, node: ast.AST) -> None:
        stack = self.ctx.stack
        stack.append(node)
        visit, skip, name_keys, every_name = self.visit, self.skip, self.name_keys, self.every_name
        last_segment = self.ctx.names.imported_last_segment
        fields = _CHILD_FIELDS.get(node.__class__)
        if fields is None:
            fields = _CHILD_FIELDS[node.__class__] = _child_fields(node.__class__)
        for field in fields:
            value = getattr(node, field, None)
            children: list[ast.AST] | tuple[ast.AST] = value if value.__class__ is list else (value,)  # type: ignore[assignment]
            for child in children:
                cls = child.__class__
                if cls is ast.Name:
                    if every_name or (name_keys and last_segment(child.id) in name_keys):  # type: ignore[attr-defined]
                        visit(child)
                elif cls not in skip and isinstance(child, ast.AST):
                    visit(child)
        stack.pop()

    def _visit_definition(self, node: ast.AST, node_type: type, pruned: bool = False) -> None:
        ctx = self.ctx
        pushed_scope = False
        if not ctx.scopes[-1].is_teacher:
            kind = "class" if node_type is ast.ClassDef else "function"
            inner = enclosing_scope(kind, node.name, ctx.teacher_regex)  # type: ignore[attr-defined]
            if inner is not None:
                ctx.scopes.append(inner)
                pushed_scope = True
        is_function = node_type is not ast.ClassDef
        if is_function:
            ctx.names.enter_function(node)  # type: ignore[arg-type]
        if pruned:
            self._pruned_children(node)
        else:
            self._children(node)
        if is_function:
            ctx.names.exit_function()
        if pushed_scope:
            ctx.scopes.pop()


def check_python(
    path: str,
    source: bytes,
    settings: Settings,
    rules: Sequence[Rule],
    prefilter: bool = True,
    tree: ast.AST | None = None,
    keep_suppressed: bool = False,
    prune: bool = True,
) -> list[Finding]:
    """All findings for one Python file. `tree`, when the caller parsed the same source
    already (flake8 does), saves the second parse."""
    try:
        return _check_python(path, source, settings, rules, prefilter, tree, keep_suppressed, prune)
    except RecursionError:  # valid but deeply nested: again, with room for the depth
        if bounds.deep():
            raise
        return bounds.with_depth(
            lambda: _check_python(path, source, settings, rules, prefilter, tree, keep_suppressed, prune)
        )


def _check_python(
    path: str,
    source: bytes,
    settings: Settings,
    rules: Sequence[Rule],
    prefilter: bool,
    tree: ast.AST | None,
    keep_suppressed: bool,
    prune: bool,
) -> list[Finding]:
    try:
        text = decode_python(source)
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        return [unreadable(path, f"cannot decode: {_reason(exc)}", line)]
    except (SyntaxError, LookupError) as exc:
        return [unreadable(path, f"cannot decode: {_reason(exc)}")]
    lines = split_lines(text)
    try:
        if tree is None:
            tree = bounds.parse(text, filename=path)
    except SyntaxError as exc:
        return [unreadable(path, syntax_error_message(exc, text), exc.lineno or 1, exc.offset or 1)]
    except (ValueError, MemoryError, RecursionError) as exc:
        return [unreadable(path, f"cannot parse: {_reason(exc)}")]
    selected = frozenset(codes_of(rules))  # before the prefilter: BLY001 judges every selected code
    data = "\n".join(lines).encode("utf-8", "surrogatepass")  # what the words are searched in, once
    lowered = data.lower()
    regions = risky_regions(data)  # where the bytes may not spell what the code means
    absent: set[bytes] = set()  # words the prefilter found missing: the pruner does not look again
    rules = active_rules(rules, data, lowered, regions, absent) if prefilter else tuple(rules)
    if not rules:
        return []  # parsed (an unparsable file still fails closed), but nothing can fire here
    reports = _walk(path, source, text, lines, tree, settings, rules, data, lowered, regions, prune, absent)
    if reports is None:
        return [unreadable(path, "cannot check: the code is nested too deeply")]
    findings = reported_findings(path, reports, rules)
    return suppress.apply_noqa(
        findings,
        text,
        lines,
        python=True,
        selected=selected,
        keep_suppressed=keep_suppressed,
        path=path,
        has_noqa=b"noqa" in lowered,
    )


def _walk(
    path: str,
    source: bytes,
    text: str,
    lines: list[str],
    tree: ast.AST,
    settings: Settings,
    rules: tuple[Rule, ...],
    data: bytes,
    lowered: bytes,
    regions: Regions,
    prune: bool,
    absent: set[bytes],
) -> list[tuple[Rule, Scope, Report]] | None:
    """Every rule's reports on the file: one walk (pruned where it can be), then `finish`.
    None where the code is nested too deeply to walk."""
    from .context import Context
    from .prune import Pruner, statement_words

    rel = relative_posix(path, settings.root)
    newline = "\r\n" if "\r\n" in text else ("\r" if "\r" in text else "\n")
    # the pragma's regex only where its words occur (a cheap test first; the same bytes it needs)
    pragma_source = source if b"blyan-lint" in source else None
    ctx = Context(path, lines, settings, file_scope(pragma_source, rel, settings.teacher_paths), newline)
    ctx.lowered = lowered
    ctx.variants = b"\0".join(text for _, _, text in regions)
    if isinstance(tree, ast.Module):
        ctx.names.tree, ctx.names.lines = tree, lines
    walker = _Walker(ctx, rules)
    words = statement_words(rules) if prune and _pruning(settings) and isinstance(tree, ast.Module) else None
    try:
        if words is not None:
            pruner = Pruner(ctx.names, data, words, regions, lowered, frozenset(absent))
            walker.walk_pruned(tree, pruner)  # type: ignore[arg-type]
        else:
            walker.visit(tree)
        for rule in rules:
            for report in rule.finish(ctx):
                walker.reports.append((rule, ctx.file_scope, report))
    except RecursionError:
        if not bounds.deep():
            raise
        return None
    return walker.reports


def _pruning(settings: Settings) -> bool:
    """Statement pruning is on unless switched off (`BLYAN_LINT_PRUNE=0`, for the tests that
    compare it with the full walk) or guard functions are configured (any call may be one)."""
    return not settings.guard_functions and os.environ.get(PRUNE_SWITCH, "1") != "0"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"{exc.reason} at byte {exc.start} (encoding {exc.encoding})"
    text = str(exc) or type(exc).__name__
    return text
