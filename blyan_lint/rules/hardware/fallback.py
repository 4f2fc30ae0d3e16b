"""BLY301: device selection that falls back to the CPU."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...bindings import DEFAULT
from ...context import Context
from ...data.devices import (
    CPU_DEVICE_INDEX,
    CUDA_IS_AVAILABLE,
    GET_DEVICE_CAPABILITY,
    GET_DEVICE_PROPERTIES,
    IS_BF16_SUPPORTED,
)
from ...facts import DeviceFallbackFacts
from ...findings import Applicability, Edit, Fix
from ...names import dotted_text
from .._conditionals import conditional_parts, if_chain, is_elif
from ..base import Report, last_segments
from .shared import (
    CPU_INDEX_KIND,
    CPU_KIND,
    CPU_WORDS,
    GPU_KIND,
    NO_CPU_MODE,
    HardwareRule,
    device_kind,
    followed_value,
    is_cpu,
    statements_after,
    walk_no_defs,
)

_HARDWARE_QUERIES = CUDA_IS_AVAILABLE | GET_DEVICE_CAPABILITY | IS_BF16_SUPPORTED | GET_DEVICE_PROPERTIES
_MINUS_ONE = str(CPU_DEVICE_INDEX)
# The hardware queries' names: a file without one asks none (a precheck; BLY301 sees every `if`).
_QUERY_NAMES = tuple(sorted(last_segments(_HARDWARE_QUERIES)))


def _query(ctx: Context, tests: list[ast.expr]) -> str | None:
    """The first hardware query the tests ask."""
    if not ctx.file_holds(_QUERY_NAMES):
        return None
    return next((q for q in (_hardware_query(ctx, t) for t in tests) if q), None)


def _hardware_query(ctx: Context, test: ast.AST) -> str | None:
    """The hardware query a test asks (`torch.cuda.is_available`), directly or through a
    local name bound to one (`use_cuda = torch.cuda.is_available()`)."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            qualified = ctx.qualified(node.func)
            if qualified in _HARDWARE_QUERIES:
                return qualified
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(getattr(node, "ctx", None), ast.Load):
            bound = followed_value(ctx, node)
            if bound is not node:
                for inner in ast.walk(bound):
                    if isinstance(inner, ast.Call) and ctx.qualified(inner.func) in _HARDWARE_QUERIES:
                        return ctx.qualified(inner.func)
    return None


def _flag_test(test: ast.expr) -> str | None:
    """A bare switch (`args.cpu`, `not use_gpu`): the spelling of the flag, else None."""
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, (ast.Name, ast.Attribute)):
        return dotted_text(test)
    return None


def _when(query: str | None, flag: str | None) -> str:
    if query in CUDA_IS_AVAILABLE:
        return "when CUDA is unavailable"
    if query is not None:
        return "when the GPU lacks BF16 support"
    return f"depending on `{flag}`"


# -- BLY301 --------------------------------------------------------------------------------


class CpuFallback(HardwareRule):
    code = "BLY301"
    name = "cpu-fallback"
    summary = (
        'Device selection that falls back to the CPU: `"cuda" if torch.cuda.is_available() else "cpu"`, '
        'the same as an if/else statement, a `"cpu"` default overridden under a CUDA test, or an early '
        '`return "cpu"`.'
    )
    policy = NO_CPU_MODE
    why = (
        "BF16 inference and learning need an Ampere-or-newer GPU. A node that quietly picks the CPU when "
        "CUDA is missing computes with different kernels (and often another dtype), so its results no "
        "longer match the network's; the policy wants it to stop instead. A bare switch such as "
        '`"cpu" if args.cpu else "cuda"` is a CPU mode too and is reported the same way.'
    )
    example = (
        'import torch\n\ndef pick_device():\n    return torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
    )
    fixed = 'import torch\n\ndef pick_device():\n    return torch.device("cuda")\n'
    fix_safety = (
        "Unsafe: a conditional expression is replaced by its CUDA branch, which removes the test; offered "
        "only when the test calls nothing but CUDA queries. if/else statements, defaults and early returns "
        "are reported without a fix."
    )
    strings = CPU_WORDS
    # Statement words: -1 is the CPU only against a hardware query (`_falls_back`)
    statement_words = (
        *sorted(CPU_WORDS - {_MINUS_ONE}),
        *(f"{_MINUS_ONE}&{query}" for query in sorted(last_segments(_HARDWARE_QUERIES))),
    )

    def visit_IfExp(self, node: ast.IfExp, ctx: Context) -> Iterator[Report]:
        parts = conditional_parts(ctx, node)
        if parts is None:
            return  # the outermost conditional of a chain reports for the whole chain
        leaves, tests = parts
        query = _query(ctx, tests)
        flag = None if query else next((f for f in map(_flag_test, tests) if f), None)
        kinds = [device_kind(ctx, leaf) for leaf in leaves]
        if not _falls_back(kinds, query, flag):
            return
        gpu_leaves = [leaf for leaf, kind in zip(leaves, kinds, strict=True) if kind == GPU_KIND]
        others = [leaf for leaf, kind in zip(leaves, kinds, strict=True) if not is_cpu(kind, index=True)]
        keep = gpu_leaves[0] if len(gpu_leaves) == 1 else (others[0] if len(others) == 1 else None)
        fix = None
        # a test that is the hardware query or the CPU switch alone; an extra condition (`and ok`) would be lost
        if keep is not None and all(_only_queries(ctx, t) or _flag_test(t) is not None for t in tests):
            fix = Fix(
                Applicability.UNSAFE,
                "Keep only the CUDA branch",
                (Edit(ctx.start(node), ctx.end(node), ctx.source(keep)),),
            )
        use = f"`{ctx.source(keep)}`" if keep is not None else "a CUDA device"
        yield ctx.report(
            node,
            f"{'CPU fallback' if query else 'CPU mode'}: selects the CPU {_when(query, flag)}; the policy has no "
            f"CPU mode (BF16 requires GPU support): use {use} unconditionally and fail fast without a suitable GPU",
            fix=fix,
            facts=DeviceFallbackFacts(
                "expression", query, flag, _kinds(kinds), ctx.source(keep) if keep is not None else None
            ),
        )

    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        if is_elif(ctx, node):
            return  # its chain was judged at the first `if`
        tests, branches, current = if_chain(node)
        query = _query(ctx, tests)
        flag = None if query else next((f for f in map(_flag_test, tests) if f), None)
        if query is None and flag is None:
            return
        picks = [p for body in branches for p in _device_picks(ctx, body)]
        if current.orelse:
            picks.extend(_device_picks(ctx, current.orelse))
        else:
            picks.extend(self._implicit_else(node, current, ctx, picks))
        if not _falls_back([kind for _, kind in picks], query, flag):
            return
        yield ctx.report_span(
            node,
            node.test,
            f"{'CPU fallback' if query else 'CPU mode'}: this `if` selects the CPU {_when(query, flag)}; the policy "
            "has no CPU mode (BF16 requires GPU support): use a CUDA device unconditionally and fail fast "
            "without a suitable GPU",
            facts=DeviceFallbackFacts("statement", query, flag, _kinds([kind for _, kind in picks]), None),
        )

    @staticmethod
    def _implicit_else(
        node: ast.If, last: ast.If, ctx: Context, picks: list[tuple[str, str | None]]
    ) -> list[tuple[str, str | None]]:
        """What runs when no branch is taken: a `"cpu"` default assigned before the `if`
        (`device = "cpu"` then `if cuda: device = "cuda"`), or, after an early return,
        the statements that follow (`return "cpu"`)."""
        if last.body and isinstance(last.body[-1], ast.Return):
            return _device_picks(ctx, statements_after(ctx, node))
        found: list[tuple[str, str | None]] = []
        for target, _ in picks:
            if target == "return":
                continue
            binding = ctx.names.binding_of(target, node)  # the default set before the `if`
            if binding is not None and binding.value is not None and binding.how != DEFAULT:
                found.append((target, device_kind(ctx, binding.value)))
        return found


def _kinds(kinds: list[str | None]) -> tuple[str, ...]:
    return tuple(kind or "unknown" for kind in kinds)


def _device_picks(ctx: Context, body: list[ast.stmt]) -> list[tuple[str, str | None]]:
    """(target, device kind) for each device a block assigns or returns."""
    picks: list[tuple[str, str | None]] = []
    for stmt in body:
        for node in walk_no_defs(stmt):
            if isinstance(node, ast.Return) and node.value is not None and not isinstance(node.value, ast.IfExp):
                picks.append(("return", device_kind(ctx, node.value)))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                if isinstance(node.value, ast.IfExp):
                    continue  # reported as an expression
                kind = device_kind(ctx, node.value)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    spelled = dotted_text(target)
                    if spelled is not None and kind is not None:
                        picks.append((spelled, kind))
    return picks


def _falls_back(kinds: list[str | None], query: str | None, flag: str | None) -> bool:
    """CPU on one side and a hardware query deciding (or a bare switch choosing against a
    GPU); -1 counts as the CPU only against a GPU index (`0 if cuda else -1`)."""
    if CPU_KIND in kinds:
        return query is not None or (flag is not None and GPU_KIND in kinds)
    if CPU_INDEX_KIND in kinds:
        return query is not None and GPU_KIND in kinds
    return False


def _only_queries(ctx: Context, test: ast.AST) -> bool:
    """Does the test ask the hardware and nothing else? Only then can the collapse keep its
    meaning: `is_available() and ok` also depends on `ok`, which a collapse would drop."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _only_queries(ctx, test.operand)
    if isinstance(test, ast.BoolOp):
        return all(_only_queries(ctx, value) for value in test.values)
    if isinstance(test, ast.Compare):  # `device_count() > 0`, `get_device_capability()[0] >= 8`
        return _only_queries(ctx, test.left) and all(isinstance(c, ast.Constant) for c in test.comparators)
    if isinstance(test, ast.Subscript):
        return isinstance(test.slice, ast.Constant) and _only_queries(ctx, test.value)
    if isinstance(test, ast.Call):
        return ctx.qualified(test.func) in _HARDWARE_QUERIES
    if isinstance(test, (ast.Name, ast.Attribute)):  # `use_cuda = torch.cuda.is_available()`
        bound = followed_value(ctx, test)
        return bound is not test and isinstance(bound, ast.Call) and ctx.qualified(bound.func) in _HARDWARE_QUERIES
    return False
