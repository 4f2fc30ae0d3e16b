"""Where a module's name is bound, for fixes that write it (`torch.bfloat16`).

A fix may only write a name that holds the module where the fix puts it: `import torch`
after a module-level cast is too late, an `import torch as th` inside another function
is out of reach, and a function that assigns `torch` itself makes the name local there.
The semantic model asks these questions of the tree; nothing here runs during the walk.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class ImportSite(NamedTuple):
    visible: tuple[int, int]  # (line, byte column) from which on the name holds: the statement's end
    local: str  # the name it binds (`th` for `import torch as th`)


def binds(alias: ast.alias, module: str) -> str | None:
    """The local name `import ...` binds to `module`: `th` for `torch as th`, `torch` for
    `torch` and `torch.nn` (which binds the package); None when it binds something else."""
    if alias.asname is not None:
        return alias.asname if alias.name == module else None
    return module if alias.name.split(".", 1)[0] == module else None


def module_level_imports(tree: ast.Module, module: str) -> list[ImportSite]:
    """Imports that bind `module` at module level, in document order: also inside `if`,
    `try`, `with` and `match` blocks, never under `if TYPE_CHECKING:` (they do not run),
    in class bodies (a class attribute) or in functions."""
    found: list[ImportSite] = []
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = binds(alias, module)
                if local is not None:
                    found.append(ImportSite((node.end_lineno or node.lineno, node.end_col_offset or 0), local))
            continue
        if isinstance(node, _DEFINITIONS):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            nested = list(node.orelse)  # the body never runs
        else:
            nested = nested_statements(node)
        stack.extend(reversed(nested))
    return found


def nested_statements(node: ast.stmt) -> list[ast.stmt]:
    """The statements directly inside a compound statement, in document order: its body,
    `else`, `finally`, except handlers' and match cases' bodies (a function's or class's too)."""
    found: list[ast.stmt] = []
    for field in ("body", "handlers", "cases", "orelse", "finalbody"):
        for child in getattr(node, field, None) or ():
            if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                found.extend(child.body)
            elif isinstance(child, ast.stmt):
                found.append(child)
    return found


def conditional_roots(tree: ast.Module) -> set[str]:
    """Packages the module imports only conditionally (in `try`/`if`, or inside a function
    or class, under any alias) and never by a plain statement of the module body: adding an
    unconditional `import` of one would make the module fail to import without it."""
    top = {root for node in tree.body for root in imported_roots(node)}
    anywhere: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)  # statements only: an import is never inside an expression
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            anywhere.update(imported_roots(node))
            continue
        stack.extend(nested_statements(node))
    return anywhere - top


def imported_roots(node: ast.AST) -> list[str]:
    """The top-level packages an import statement loads (`torch` for `import torch.nn as tnn`
    and for `from torch import nn`)."""
    if isinstance(node, ast.Import):
        return [a.name.split(".", 1)[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module.split(".", 1)[0]]
    return []


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def may_bind(lines: list[str], function: ast.AST, name: str) -> bool:
    """Could `function` bind `name` itself? False only when its text shows it cannot: ASCII
    (no identifier that normalises to `name`), no `import`, and `name` never written but as
    `name.attr`; otherwise `local_names` decides (one walk of the body, kept per function)."""
    first, last = function.lineno, function.end_lineno or function.lineno  # type: ignore[attr-defined]
    text = "\n".join(lines[first - 1 : last])
    if not text.isascii() or "import" in text:
        return True
    return re.search(rf"\b{re.escape(name)}\b(?!\s*\.)", text) is not None


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> frozenset[str]:
    """Names a function binds itself (Python makes them local to it everywhere in its body),
    less those it declares `global` or `nonlocal`."""
    args = function.args
    bound = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}
    declared: set[str] = set()
    stack: list[ast.AST] = [function.body] if isinstance(function, ast.Lambda) else list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name.split(".", 1)[0]) for a in node.names if a.name != "*")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)  # its own body is another scope: only the decorators and defaults run here
            stack.extend([*node.decorator_list, *getattr(node, "bases", ()), *getattr(node, "keywords", ())])
            if not isinstance(node, ast.ClassDef):
                stack.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)])
            continue
        if isinstance(node, ast.Lambda):
            stack.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)])
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            # the comprehension's targets are its own; a walrus inside binds here
            stack.extend(n for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
            stack.append(node.generators[0].iter)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(bound - declared)
