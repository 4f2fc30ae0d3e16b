"""Capability-check analysis shared by BLY303-BLY305: what an `if` says about the GPU
(`cap()[0] < 8`, `is_bf16_supported()`), the code that runs when it lacks BF16, and whether
that code fails fast."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ...config import BUILTIN_GUARD_FUNCTIONS
from ...context import Context
from ...data.devices import (
    BF16_MIN_MAJOR,
    FAIL_FAST_CALLS,
    GET_DEVICE_CAPABILITY,
    GET_DEVICE_PROPERTIES,
    IS_BF16_SUPPORTED,
)
from ...names import dotted_text
from .shared import statements_after

# How deep a test's structure (`cap()[0]`, `not (a or b)`) is taken apart.
_MAX_DEPTH = 8

# What a true test means for the GPU: it lacks BF16 (`cap < 8`) or has it (`cap >= 8`).
_FAILS, _PASSES = "fails", "passes"


# -- capability checks ---------------------------------------------------------------------


def _terminates(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _version(node: ast.expr) -> tuple[float, ...] | None:
    if isinstance(node, ast.Tuple) and node.elts:
        numbers = [_number(e) for e in node.elts]
        if all(n is not None for n in numbers):
            return tuple(n for n in numbers if n is not None)
    return None


def _capability_value(ctx: Context, node: ast.expr, depth: int = 0) -> str | None:
    """ "tuple" for `get_device_capability()`, "major" for its `[0]` (or a name bound to it,
    or `get_device_properties(...).major`), "props" for `get_device_properties(...)`."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.NamedExpr):  # `if (major := cap()[0]) < 8:`
        return _capability_value(ctx, node.value, depth + 1)
    if isinstance(node, ast.Call):
        qualified = ctx.qualified(node.func)
        if qualified in GET_DEVICE_CAPABILITY:
            return "tuple"
        if qualified in GET_DEVICE_PROPERTIES:
            return "props"
        return None
    if isinstance(node, ast.Tuple) and len(node.elts) >= 2:
        # `(major, minor) < (8, 0)`
        return "tuple" if _capability_value(ctx, node.elts[0], depth + 1) == "major" else None
    if isinstance(node, ast.Subscript):
        index = node.slice
        if (
            isinstance(index, ast.Constant)
            and index.value == 0
            and not isinstance(index.value, bool)
            and _capability_value(ctx, node.value, depth + 1) == "tuple"
        ):
            return "major"
        return None
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "major"
        and _capability_value(ctx, node.value, depth + 1) == "props"
    ):
        return "major"
    if isinstance(node, (ast.Name, ast.Attribute)):
        followed = ctx.follow(node)
        if followed.followed:
            return _capability_value(ctx, followed.value, depth + 1)
    return None


_MIRROR: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def _compare_means(ctx: Context, node: ast.Compare) -> str | None:
    """What a true `cap()[0] < 8`-like comparison means: the GPU fails or passes."""
    if len(node.ops) != 1 or len(node.comparators) != 1:
        return None
    op, left, right = type(node.ops[0]), node.left, node.comparators[0]
    kind = _capability_value(ctx, left)
    other = right
    if kind is None:
        kind = _capability_value(ctx, right)
        other = left
        if kind is None or op not in _MIRROR:
            return None
        op = _MIRROR[op]
    major = float(BF16_MIN_MAJOR)
    if kind == "major":
        bound = _number(other)
        if bound is None:
            return None
        if (op is ast.Lt and bound == major) or (op is ast.LtE and bound == major - 1):
            return _FAILS
        if (op is ast.GtE and bound == major) or (op is ast.Gt and bound == major - 1):
            return _PASSES
        return None
    if kind == "tuple":
        version = _version(other)
        if version is None or version[0] != major or any(v != 0 for v in version[1:]):
            return None
        if op is ast.Lt:
            return _FAILS
        if op is ast.GtE:
            return _PASSES
    return None


def _atom_means(ctx: Context, node: ast.expr, depth: int) -> tuple[str, str] | None:
    """(fails/passes when true, "capability" or "bf16") for one operand of a test."""
    if isinstance(node, ast.Compare):
        means = _compare_means(ctx, node)
        return (means, "capability") if means else None
    if isinstance(node, ast.Call) and ctx.qualified(node.func) in IS_BF16_SUPPORTED:
        return _PASSES, "bf16"
    if isinstance(node, (ast.Name, ast.Attribute)) and depth < _MAX_DEPTH:
        followed = ctx.follow(node)
        if followed.followed:
            return _test_means(ctx, followed.value, depth + 1)
    return None


def _test_means(ctx: Context, test: ast.expr, depth: int = 0) -> tuple[str, str] | None:
    """What a true test says about the GPU, when every capability operand in it agrees
    (`not a or cap < 8` fails when true; `ok and cap >= 8` passes when true)."""
    found: list[tuple[str, str]] = []
    # a loop, not a nested recursive function: that closure would be a reference cycle
    # holding the context (and the file's tree) until the cyclic collector runs
    stack: list[tuple[ast.expr, bool]] = [(test, False)]
    while stack:
        node, negated = stack.pop()
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            stack.append((node.operand, not negated))
        elif isinstance(node, ast.BoolOp):
            stack.extend((value, negated) for value in reversed(node.values))
        else:
            atom = _atom_means(ctx, node, depth)
            if atom is not None:
                means, kind = atom
                if negated:
                    means = _PASSES if means == _FAILS else _FAILS
                found.append((means, kind))
    meanings = {means for means, _ in found}
    if len(meanings) != 1:
        return None
    kinds = {kind for _, kind in found}
    return meanings.pop(), ("capability" if "capability" in kinds else "bf16")


@dataclass(frozen=True)
class CapabilityCheck:
    """A capability check and the code that runs when the GPU lacks BF16."""

    node: ast.If
    kind: str  # "capability" (get_device_capability) or "bf16" (is_bf16_supported)
    failing: list[ast.stmt]
    after: bool  # the failing side is the code after the `if` (its body returns early)


def capability_check(ctx: Context, node: ast.If) -> CapabilityCheck | None:
    checks = ctx.extras.get(CapabilityCheck)
    if not isinstance(checks, dict):
        checks = ctx.extras[CapabilityCheck] = {}  # BLY303-305 all ask what each `if` checks: answered once
    key = id(node)
    if key not in checks:
        checks[key] = _judge_check(ctx, node)
    found: CapabilityCheck | None = checks[key]
    return found


def _judge_check(ctx: Context, node: ast.If) -> CapabilityCheck | None:
    found = _test_means(ctx, node.test)
    if found is None:
        return None
    means, kind = found
    if means == _FAILS:
        return CapabilityCheck(node, kind, node.body, False)
    if node.orelse:
        return CapabilityCheck(node, kind, node.orelse, False)
    if _terminates(node.body):
        return CapabilityCheck(node, kind, statements_after(ctx, node), True)
    return CapabilityCheck(node, kind, [], False)


def is_guard_call(ctx: Context, call: ast.Call) -> bool:
    """A call to one of the configured `guard-functions`, or to blyan-lint's own runtime guard."""
    guards = (*ctx.settings.guard_functions, *BUILTIN_GUARD_FUNCTIONS)
    spelled = dotted_text(call.func)
    qualified = ctx.names.project_name(call.func)
    last = spelled.rsplit(".", 1)[-1] if spelled else None
    for guard in guards:
        if guard in (last, spelled, qualified):
            return True
        if any(name and name.endswith("." + guard) for name in (spelled, qualified)):
            return True
    return False


def fails_fast(ctx: Context, call: ast.Call) -> bool:
    name = ctx.qualified(call.func) or dotted_text(call.func)
    return name in FAIL_FAST_CALLS or is_guard_call(ctx, call)


def always_raises(ctx: Context, body: list[ast.stmt]) -> bool:
    """Does this block always raise (or exit, or call a guard function) before leaving?"""
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and fails_fast(ctx, stmt.value):
            return True
        if isinstance(stmt, ast.If) and always_raises(ctx, stmt.body) and always_raises(ctx, stmt.orelse):
            return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and always_raises(ctx, stmt.body):
            return True
        if isinstance(stmt, (ast.Return, ast.Continue, ast.Break)):
            return False
    return False
