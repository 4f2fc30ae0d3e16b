"""The analysed module's source, rewritten for a replay (pure `ast`, no torch).

Two rewrites, both keeping the file name and line numbers so every frame still points at
the user's code:

- a **probe** around the flagged expression, `__blyan_probe__(id, kind, <expr>)`, which
  records what the value was at run time (and, for the differential runs, returns the
  construct switched off: `enabled=False`, `fp16=False`, `mixed_precision="no"`);
- a **recipe** function per finding in a function that cannot be called as is: the same
  function, its missing arguments given standard inputs (`__blyan_std__`), cut after the
  flagged statement (plus the later casts of the values it binds), returning its locals.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from types import CodeType

CAST_METHODS = frozenset(
    {"to", "half", "float", "double", "bfloat16", "cpu", "cuda", "type", "eval", "train", "requires_grad_"}
)
PROBE = "__blyan_probe__"
STD = "__blyan_std__"
LOCALS = "__blyan_locals__"
RETURN = "__blyan_return__"


@dataclass(frozen=True)
class ProbeSpec:
    pid: int
    line: int
    col: int  # 1-based, as findings report


@dataclass(frozen=True)
class RecipeSpec:
    pid: int
    def_line: int
    statement_line: int
    statement_end: int
    cut: bool  # stop after the flagged statement (False: the whole body, for differential runs)


def recipe_name(pid: int) -> str:
    return f"__blyan_recipe_{pid}__"


def _attr_position(node: ast.Call) -> tuple[int, int] | None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.end_lineno is not None and func.end_col_offset is not None:
        return func.end_lineno, func.end_col_offset - len(func.attr)
    return None


def locate(tree: ast.Module, line: int, col: int) -> tuple[str, ast.AST] | None:
    """The node a finding at (line, 1-based col) is about: a keyword, an expression that
    starts there (the outermost), or a method call whose name starts there."""
    col0 = col - 1
    starts: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and (node.lineno, node.col_offset) == (line, col0):
            return "keyword", node
        if isinstance(node, ast.Call) and _attr_position(node) == (line, col0):
            return "call", node
        if isinstance(node, ast.expr) and (node.lineno, node.col_offset) == (line, col0):
            starts.append(node)
    if not starts:
        return None
    outer = max(starts, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
    return "expr", outer


def _probe_call(pid: int, kind: str, value: ast.expr) -> ast.Call:
    call = ast.Call(ast.Name(PROBE, ast.Load()), [ast.Constant(pid), ast.Constant(kind), value], keywords=[])
    return ast.copy_location(call, value)


class _Prober(ast.NodeTransformer):
    def __init__(self, targets: dict[int, tuple[int, str, ast.AST]]):
        self.by_node = {id(node): (pid, kind) for pid, (_, kind, node) in targets.items()}

    def generic_visit(self, node: ast.AST) -> ast.AST:
        hit = self.by_node.get(id(node))
        node = super().generic_visit(node)
        if hit is None:
            return node
        pid, kind = hit
        if kind == "keyword" and isinstance(node, ast.keyword):
            node.value = _probe_call(pid, "keyword:" + (node.arg or ""), node.value)
            return node
        if kind == "call" and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node.func.value = _probe_call(pid, "receiver", node.func.value)
            return _probe_call(pid, "call:" + node.func.attr, node)
        if isinstance(node, ast.expr):
            label = "call" if isinstance(node, ast.Call) else "expr"
            return _probe_call(pid, label, node)
        return node


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _chain_root_and_methods(value: ast.expr) -> tuple[str | None, set[str]]:
    """`model.half().eval()` -> ("model", {"half", "eval"}), looking through probes."""
    methods: set[str] = set()
    while True:
        if isinstance(value, ast.Call):
            if isinstance(value.func, ast.Name) and value.func.id == PROBE:
                value = value.args[2]
                continue
            value = value.func
        elif isinstance(value, ast.Attribute):
            methods.add(value.attr)
            value = value.value
        else:
            break
    return (value.id if isinstance(value, ast.Name) else None), methods


def _as_assign_return(stmt: ast.stmt) -> ast.stmt:
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        return ast.copy_location(ast.Assign([ast.Name(RETURN, ast.Store())], stmt.value), stmt)
    return stmt


def _later_casts(rest: list[ast.stmt], bound: set[str]) -> list[ast.stmt]:
    """Statements after the cut that cast or move a value the flagged statement touched."""
    kept = []
    for stmt in rest:
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.Return)) else None
        if value is None:
            continue
        root, methods = _chain_root_and_methods(value)
        if root in bound and methods & CAST_METHODS:
            kept.append(_as_assign_return(stmt))
            if isinstance(stmt, ast.Assign):
                bound |= _names(ast.Module([ast.Expr(t) for t in stmt.targets], []))
    return kept


def _std_default(arg: ast.arg) -> ast.expr:
    annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
    return ast.Call(ast.Name(STD, ast.Load()), [ast.Constant(arg.arg), ast.Constant(annotation)], keywords=[])


def _recipe(func: ast.FunctionDef | ast.AsyncFunctionDef, spec: RecipeSpec, is_method: bool) -> ast.FunctionDef:
    new = copy.deepcopy(func)
    new.name = recipe_name(spec.pid)
    new.decorator_list = [
        d for d in new.decorator_list if not (isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"))
    ]
    args = new.args
    positional = [*args.posonlyargs, *args.args]
    first = 1 if is_method and positional else 0
    missing = len(positional) - len(args.defaults)
    filled = [_std_default(a) for a in positional[first:missing]] if missing > first else []
    args.defaults = [*filled, *args.defaults] if missing > first else list(args.defaults)
    args.kw_defaults = [
        d if d is not None else _std_default(a) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    body = new.body
    if spec.cut:
        head = [s for s in body if s.lineno <= spec.statement_end]
        rest = [s for s in body if s.lineno > spec.statement_end]
        flagged = [s for s in head if s.lineno >= spec.statement_line]
        bound = set().union(*(_names(s) for s in flagged)) if flagged else set()
        body = [_as_assign_return(s) for s in head] + _later_casts(rest, bound)
    tail = ast.Return(
        ast.Call(ast.Name(LOCALS, ast.Load()), [ast.Call(ast.Name("locals", ast.Load()), [], [])], keywords=[])
    )
    new.body = [*body, tail] if body else [tail]
    if isinstance(new, ast.AsyncFunctionDef):  # replays are synchronous: run the coroutine's body as a function
        new = ast.FunctionDef(**{f: getattr(new, f) for f in new._fields if f in ast.FunctionDef._fields})
    return new


def rewrite(
    source: bytes, path: str, probes: list[ProbeSpec], recipes: list[RecipeSpec]
) -> tuple[CodeType, dict[int, str | None]]:
    """(code object, {pid: probe kind or None when nothing was found at the position})."""
    tree, located = rewritten_tree(source, path, probes, recipes)
    return compile(tree, path, "exec"), located


def rewritten_tree(
    source: bytes, path: str, probes: list[ProbeSpec], recipes: list[RecipeSpec]
) -> tuple[ast.Module, dict[int, str | None]]:
    tree = ast.parse(source, path)
    targets: dict[int, tuple[int, str, ast.AST]] = {}
    located: dict[int, str | None] = {}
    for spec in probes:
        found = locate(tree, spec.line, spec.col)
        located[spec.pid] = found[0] if found else None
        if found:
            targets[spec.pid] = (spec.line, *found)
    functions = {
        node.lineno: (node, any(isinstance(item, ast.ClassDef) and node in item.body for item in tree.body))
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    tree = _Prober(targets).visit(tree)
    # Re-index the (rewritten) functions by line to build the recipes from the probed bodies.
    rewritten = {
        node.lineno: node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for recipe in recipes:
        if recipe.def_line in rewritten:
            is_method = functions[recipe.def_line][1]
            tree.body.append(_recipe(rewritten[recipe.def_line], recipe, is_method))
    ast.fix_missing_locations(tree)
    return tree, located
