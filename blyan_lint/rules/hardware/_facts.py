"""Shared machinery of the BLY3xx rules: policy texts, local bindings, per-file state,
device kinds and statement-block helpers."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...context import Context
from ...data import names as tables
from ...findings import Position
from ...names import dotted_text, keyword
from .._common import walk_within
from ..base import Rule

if TYPE_CHECKING:
    from ._capability import _Check

BF16 = tables.BF16
NO_CPU_MODE = "Enforcement: No CPU Mode: BF16 requires GPU support."
NO_FALLBACKS = "Enforcement: No Fallbacks: Code must fail fast if BF16 not supported."
CLEAR_ERRORS = "Enforcement: Clear Errors: Explicitly state GPU requirements in error messages."
HARDWARE = "Hardware Requirements: GPU: NVIDIA Ampere or newer (Compute Capability 8.0+)."

REQUIREMENT = "BF16 requires an NVIDIA Ampere or newer GPU (compute capability 8.0+)"
# How far chains of local bindings (`dev = DEVICE`, `DEVICE = "cpu"`) are followed.
_MAX_HOPS = 6


# -- local bindings ------------------------------------------------------------------------


class _Bindings:
    """Assignments seen so far in one file: (frame, target) -> [(end of statement, value)].

    The engine keeps the last literal a name was bound to; these also keep attribute
    targets (`self.model = ...`), tuple unpacking (`major, minor = ...`) and any value, and
    answer "what was this bound to before this node", so `model = model.cpu()` reads the
    old `model` on its right-hand side.
    """

    def __init__(self) -> None:
        # end of the binding statement as (line, byte column): cheap to compare, no decoding
        self._table: dict[tuple[int, str], list[tuple[tuple[int, int], ast.expr | None]]] = {}
        self._recorded: set[int] = set()  # every BLY3xx rule sees each assignment; record it once
        # BLY303-305 all ask what each `if` checks: answered once per node.
        self.checks: dict[int, _Check | None] = {}

    def record(self, ctx: Context, node: ast.Assign | ast.AnnAssign) -> None:
        if node.value is None or id(node) in self._recorded:
            return
        self._recorded.add(id(node))
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        for target in targets:
            self._assign(ctx.frames[-1], target, node.value, end, 0)

    def _assign(self, frame: int, target: ast.expr, value: ast.expr | None, end: tuple[int, int], depth: int) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            starred = any(isinstance(e, ast.Starred) for e in elts)
            values: list[ast.expr | None]
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elts) and not starred:
                values = list(value.elts)
            elif value is not None and not starred and depth < 4:
                values = [
                    ast.copy_location(ast.Subscript(value, ast.Constant(i), ast.Load()), value)
                    for i in range(len(elts))
                ]
            else:
                values = [None] * len(elts)
            for element, element_value in zip(elts, values, strict=True):
                self._assign(frame, element, element_value, end, depth + 1)
            return
        if isinstance(target, ast.Starred):
            self._assign(frame, target.value, None, end, depth + 1)
            return
        key = dotted_text(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if key is not None:
            self._table.setdefault((frame, key), []).append((end, value))

    def lookup(self, ctx: Context, node: ast.expr, same_frame: bool = False) -> ast.expr | None:
        """The value `node` (a name or `self.attr`) was last bound to before it, or None."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return None
        key = dotted_text(node)
        if key is None or not hasattr(node, "lineno"):
            return None
        frames = ctx.frames[-1:] if same_frame else reversed(ctx.frames)
        found = [entries for entries in (self._table.get((frame, key)) for frame in frames) if entries]
        if not found:
            return None
        here = (node.lineno, node.col_offset)
        for entries in found:
            for end, value in reversed(entries):
                if end <= here:
                    return value
        return None


class _HardwareRule(Rule):
    """Per-file state (local bindings and what the rule has seen), kept in the file's
    context (`ctx.extras`) so it goes away with the file; the bindings are shared by all
    BLY3xx rules and recorded once whichever of them is selected."""

    applies_to_teacher = True

    def _state(self, ctx: Context) -> _FileState:
        state = ctx.extras.get(self)
        if state is None:
            bindings = ctx.extras.get(_Bindings)
            if bindings is None:
                bindings = ctx.extras[_Bindings] = _Bindings()
            state = ctx.extras[self] = _FileState(bindings)
        return state  # type: ignore[return-value]

    def _bind(self, node: ast.AST, ctx: Context) -> bool:
        """Record an assignment; True when `node` was one (and needs no other check)."""
        if type(node) is ast.Assign or type(node) is ast.AnnAssign:
            bindings = ctx.extras.get(_Bindings)
            if bindings is None:
                bindings = self._state(ctx).bindings
            bindings.record(ctx, node)  # type: ignore[union-attr, arg-type]
            return True
        return False


@dataclass
class _FileState:
    bindings: _Bindings
    first_bf16: tuple[ast.AST, Position, Position, str] | None = None
    guarded: bool = False
    soft_check_line: int | None = None


def _followed(ctx: Context, bindings: _Bindings, node: ast.expr) -> ast.expr:
    """What a name stands for, through a few local bindings; the node itself otherwise."""
    current = node
    for _ in range(_MAX_HOPS):
        if not isinstance(current, (ast.Name, ast.Attribute)):
            break
        bound = bindings.lookup(ctx, current)
        if bound is None or bound is current:
            break
        current = bound
    return current


# -- devices -------------------------------------------------------------------------------

_CPU, _CPU_INDEX, _GPU = "cpu", "cpu-index", "gpu"


def _device_kind(ctx: Context, bindings: _Bindings, node: ast.expr | None, depth: int = 0) -> str | None:
    """`"cpu"` / `torch.device("cpu")` -> cpu; `"cuda:0"` / `torch.device("cuda")` -> gpu;
    -1 -> cpu-index and other ints -> gpu (the transformers pipeline convention)."""
    if node is None or depth > _MAX_HOPS:
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in tables.CPU_DEVICE_STRINGS or text.split(":", 1)[0] in tables.CPU_DEVICE_STRINGS:
                return _CPU
            if text.startswith(tables.GPU_DEVICE_PREFIXES):
                return _GPU
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return _CPU_INDEX if value == tables.CPU_DEVICE_INDEX else (_GPU if value >= 0 else None)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        operand = node.operand.value
        if isinstance(operand, int) and not isinstance(operand, bool) and -operand == tables.CPU_DEVICE_INDEX:
            return _CPU_INDEX
        return None
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        return _GPU if text.lower().startswith(tables.GPU_DEVICE_PREFIXES) else None
    if isinstance(node, ast.Call):
        if ctx.qualified(node.func) in tables.TORCH_DEVICE:
            arg = node.args[0] if node.args else None
            if arg is None:
                found = keyword(node, "type")
                arg = found.value if found is not None else None
            kind = _device_kind(ctx, bindings, arg, depth + 1)
            return _CPU if kind == _CPU else (_GPU if kind == _GPU else None)
        return None
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = bindings.lookup(ctx, node)
        if bound is not None and bound is not node:
            return _device_kind(ctx, bindings, bound, depth + 1)
    return None


def _is_cpu(kind: str | None, index: bool) -> bool:
    return kind == _CPU or (index and kind == _CPU_INDEX)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _walk_no_defs(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of a statement, without descending into nested functions and classes."""
    return walk_within(node, _DEFS)


def _block_of(ctx: Context, node: ast.stmt) -> tuple[list[ast.stmt], int] | None:
    """The statement list holding `node` in its parent, and its index there."""
    parent = ctx.parent
    if parent is None:
        return None
    for _, value in ast.iter_fields(parent):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is node:
                    return value, i
    return None


def _after(ctx: Context, node: ast.stmt) -> list[ast.stmt]:
    """The statements that run after `node` in its block, up to the first that leaves it."""
    found = _block_of(ctx, node)
    if found is None:
        return []
    block, index = found
    following: list[ast.stmt] = []
    for stmt in block[index + 1 :]:
        following.append(stmt)
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            break
    return following
