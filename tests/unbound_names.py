"""An independent oracle for the fuzzing property "a fix binds every name it writes":
count the names a program loads where nothing binds them, by Python's scoping rules.

Approximate where Python is dynamic (a loop's second pass, a function called before the
import below it), but the same approximation on both sides of a fix: the property is that
a fix never adds an unbound load, not that this count is exact.
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter

BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__builtins__"}
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
Position = tuple[int, int]


def unbound_loads(source: str) -> Counter[str]:
    tree = ast.parse(source)
    counts: Counter[str] = Counter()
    module = _Scope(tree, None)
    module.resolve(counts)
    return counts


class _Scope:
    """One scope's bindings (name -> positions from which they hold) and loads, in order."""

    def __init__(self, node: ast.AST, parent: _Scope | None) -> None:
        self.node, self.parent = node, parent
        self.bindings: dict[str, list[Position]] = {}
        self.loads: list[tuple[str, Position]] = []
        self.children: list[_Scope] = []
        self.declared: set[str] = set()  # `global` / `nonlocal`
        if isinstance(node, _FUNCTIONS):
            args = node.args
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None:
                    self._bind(a.arg, (0, 0))
            self._walk(node.body if isinstance(node.body, list) else [node.body], (0, 0))
        elif isinstance(node, _COMPREHENSIONS):
            for generator in node.generators:
                for name in ast.walk(generator.target):
                    if isinstance(name, ast.Name):
                        self._bind(name.id, (0, 0))
            rest = [g for gen in node.generators for g in (gen.iter, *gen.ifs)][1:]
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            self._walk([*parts, *rest], (0, 0))
        else:
            self._walk(list(node.body), (0, 0))  # type: ignore[attr-defined]

    @property
    def ordered(self) -> bool:  # module and class bodies run top to bottom, once
        return not isinstance(self.node, (*_FUNCTIONS, *_COMPREHENSIONS))

    def _bind(self, name: str, at: Position) -> None:
        self.bindings.setdefault(name, []).append(at)

    def _walk(self, nodes: list, at: Position) -> None:
        for node in nodes:
            if isinstance(node, ast.stmt):
                end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
                self._statement(node, end)
            elif isinstance(node, ast.AST):
                self._expression(node, at)

    def _statement(self, node: ast.stmt, end: Position) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._walk([*node.decorator_list, *getattr(node, "bases", ()), *getattr(node, "keywords", ())], end)
            if not isinstance(node, ast.ClassDef):
                self._walk([*node.args.defaults, *(d for d in node.args.kw_defaults if d)], end)
            self.children.append(_Scope(node, self))
            self._bind(node.name, end)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    self._bind(alias.asname or alias.name.split(".", 1)[0], end)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            self.declared.update(node.names)
            return
        body_start = None
        for field in ("body", "handlers", "orelse", "finalbody", "cases"):
            block = getattr(node, field, None)
            if block:
                first = block[0].body[0] if field == "cases" else block[0]
                body_start = body_start or (first.lineno, first.col_offset)
        fields = ("test", "iter", "subject", "value", "annotation")
        headers = [getattr(node, f) for f in fields if getattr(node, f, None)]
        headers += [i.context_expr for i in getattr(node, "items", ())]
        targets = [*getattr(node, "targets", ()), *([node.target] if getattr(node, "target", None) else [])]
        targets += [i.optional_vars for i in getattr(node, "items", ()) if i.optional_vars is not None]
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self.loads.append((node.target.id, (node.lineno, node.col_offset)))  # `x += 1` reads `x` first
        self._walk(headers, end)
        # a loop or `with` target holds from its body on; an assignment's from the statement's end
        bind_at = end if body_start is None else body_start
        for target in targets:
            self._expression(target, bind_at, store_at=bind_at)
        for handler in getattr(node, "handlers", ()):
            self._walk([handler.type] if handler.type else [], end)
            if handler.name:
                self._bind(handler.name, (handler.body[0].lineno, handler.body[0].col_offset))
            self._walk(handler.body, end)
        for case in getattr(node, "cases", ()):
            for name in ast.walk(case.pattern):
                captured = getattr(name, "name", None) or getattr(name, "rest", None)
                if isinstance(captured, str):
                    self._bind(captured, (case.body[0].lineno, case.body[0].col_offset))
            self._walk([case.guard] if case.guard else [], end)
            self._walk(case.body, end)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                self._walk(block, end)
        if not body_start and not targets and not headers:
            for child in ast.iter_child_nodes(node):
                self._expression(child, end)

    def _expression(self, node: ast.AST, at: Position, store_at: Position | None = None) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, (ast.Lambda, *_COMPREHENSIONS)):
                if isinstance(current, _COMPREHENSIONS):
                    self._expression(current.generators[0].iter, at)
                else:
                    self._walk([*current.args.defaults, *(d for d in current.args.kw_defaults if d)], at)
                self.children.append(_Scope(current, self))
                continue
            if isinstance(current, ast.Name):
                if isinstance(current.ctx, ast.Load):
                    self.loads.append((current.id, (current.lineno, current.col_offset)))
                else:
                    self._bind(current.id, store_at or at)
                continue
            if isinstance(current, ast.NamedExpr):
                self._bind(current.target.id, (current.end_lineno or 0, current.end_col_offset or 0))
                stack.append(current.value)
                continue
            stack.extend(ast.iter_child_nodes(current))

    # -- resolution ------------------------------------------------------------------------
    def resolve(self, counts: Counter[str]) -> None:
        for name, at in self.loads:
            if not self._bound(name, at):
                counts[name] += 1
        for child in self.children:
            child.resolve(counts)

    def _bound(self, name: str, at: Position) -> bool:
        if name in BUILTINS:
            return True
        here = self.bindings.get(name)
        if here is not None and name not in self.declared:
            if any(p <= at for p in here):  # parameters hold from (0, 0)
                return True
            if not self.ordered or self.parent is None:
                return False  # a function's local read before its binding, or the module's
            # a class body looks a name it binds only later up in the enclosing scopes
        scope = self.parent
        while scope is not None:
            if scope.parent is None:  # the module: at run time, anywhere before (or, from a function, at all)
                positions = scope.bindings.get(name, [])
                if not self.ordered or self.parent is not scope:
                    return bool(positions)
                return any(p <= at for p in positions)
            if not scope.ordered and name in scope.bindings:
                return True  # a closure over an enclosing function's local
            scope = scope.parent
        return False
