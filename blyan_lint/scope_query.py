"""`blyan-lint scope FILE[:LINE]`: the teacher/student decision and its reason."""

from __future__ import annotations

import ast

from .config import Settings
from .findings import Scope
from .kinds import READ_IN_PART, file_kind
from .scope import enclosing_scope, file_scope, relative_posix
from .sources import decode_python, read_bytes


def scope_at(source: bytes, path: str, line: int | None, settings: Settings) -> Scope:
    scope = file_scope(source, relative_posix(path, settings.root), settings.teacher_paths)
    if scope.is_teacher or line is None or not path.endswith((".py", ".pyi")):
        return scope
    tree = ast.parse(decode_python(source), filename=path)
    regex = settings.teacher_name_pattern
    node: ast.AST = tree
    while True:
        inner = next(
            (
                child
                for child in ast.iter_child_nodes(node)
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and _first_line(child) <= line <= (child.end_lineno or child.lineno)
            ),
            None,
        )
        if inner is None:
            statement = next(
                (
                    child
                    for child in ast.iter_child_nodes(node)
                    if isinstance(child, ast.stmt) and child.lineno <= line <= (child.end_lineno or child.lineno)
                ),
                None,
            )
            if statement is None:
                return scope
            node = statement
            continue
        kind = "class" if isinstance(inner, ast.ClassDef) else "function"
        found = enclosing_scope(kind, inner.name, regex)
        if found is not None:
            return found
        node = inner


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def describe(path: str, line: int | None, settings: Settings) -> tuple[str, bool]:
    """The scope of `path` (at `line`), as the check decides it: a file read in part (a
    checkpoint) by its path alone, as the check never reads it whole; others by their bytes,
    read within the same max-file-size."""
    if file_kind(path) in READ_IN_PART:
        scope = file_scope(None, relative_posix(path, settings.root), settings.teacher_paths)
    else:
        data = read_bytes(path, settings.max_file_size)
        if isinstance(data, str):
            return f"{path}: {data}", False
        try:
            scope = scope_at(data, path, line, settings)
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            return f"{path}: cannot parse: {exc}", False
    where = f"{path}:{line}" if line else path
    config = settings.source or "defaults (no [tool.blyan-lint] found)"
    return f"{where}: {scope.role}\n  reason: {scope.reason}\n  config: {config}", True
