"""Does an expression name a teacher model? BLY403 asks it of every update outside a teacher module.

An object names a teacher by its own name (`teacher`, `self.t_model`, per the project's
teacher regex), by the loop it comes from (`p` in `for p in teacher.parameters()`), or by
its binding, through at most a few hops; an optimizer names one when its parameters do.
"""

from __future__ import annotations

import ast

from ..context import Context
from ..data.model_updates import is_optimizer
from ..names import keyword

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_MAX_DEPTH = 3


def optimizer_params(call: ast.Call) -> ast.expr | None:
    kw = keyword(call, "params")
    if kw is not None:
        return kw.value
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return None


def _root(node: ast.AST) -> ast.AST:
    """The innermost object of `a.b().c[0]`: `a`."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return node


def _binds(target: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def _target_source(target: ast.AST, iterable: ast.expr, name: str) -> ast.expr | None:
    """What a loop variable iterates over: `p` in `for n, p in zip(a, teacher.parameters())` -> the second."""
    if isinstance(target, ast.Name):
        return iterable if target.id == name else None
    if isinstance(target, ast.Starred):
        return _target_source(target.value, iterable, name)
    if not isinstance(target, (ast.Tuple, ast.List)) or not _binds(target, name):
        return None
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
        args = iterable.args
        if iterable.func.id == "zip" and len(args) == len(target.elts):
            for element, arg in zip(target.elts, args, strict=True):
                if _binds(element, name):
                    return _target_source(element, arg, name)
        if iterable.func.id == "enumerate" and len(target.elts) == 2 and args:
            return _target_source(target.elts[1], args[0], name)  # None for the counter
    return iterable  # `for name, p in teacher.named_parameters()`: both come from it


def _loop_source(ctx: Context, name: str) -> ast.expr | None:
    for parent in reversed(ctx.stack):
        if isinstance(parent, (ast.For, ast.AsyncFor)):
            source = _target_source(parent.target, parent.iter, name)
            if source is not None:
                return source
        elif isinstance(parent, _COMPREHENSIONS):
            for generator in parent.generators:
                source = _target_source(generator.target, generator.iter, name)
                if source is not None:
                    return source
        elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
    return None


def names_teacher(ctx: Context, node: ast.AST | None, depth: int = 0) -> bool:
    """Does an object name a teacher: by its own name, the loop it comes from, or its binding?"""
    if node is None or depth > _MAX_DEPTH:
        return False
    if ctx.is_teacher_name(node):
        return True
    root = _root(node)
    if not isinstance(root, ast.Name):
        return False
    source = _loop_source(ctx, root.id)
    if source is not None and mentions_teacher(ctx, source, depth + 1):
        return True
    followed = ctx.follow(root)
    if not followed.via:
        return False
    bound = followed.value
    if isinstance(bound, ast.Call) and is_optimizer(ctx.qualified(bound.func)):
        return mentions_teacher(ctx, optimizer_params(bound), depth + 1)
    return names_teacher(ctx, bound, depth + 1)


def mentions_teacher(ctx: Context, node: ast.AST | None, depth: int = 0) -> bool:
    """Does any part of an expression name a teacher (`chain(student.parameters(), teacher.parameters())`)?"""
    if node is None or depth > _MAX_DEPTH:
        return False
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and ctx.teacher_regex.search(part.attr):
            return True
        if isinstance(part, ast.Name) and names_teacher(ctx, part, depth + 1):
            return True
    return False
