"""Shared machinery of the BLY3xx rules: policy texts, per-file state, device kinds and
statement-block helpers. Bindings are the semantic model's (`ctx.names`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from ...context import Context
from ...data.devices import (
    CPU_DEVICE_INDEX,
    CPU_DEVICE_STRINGS,
    GET_DEVICE_CAPABILITY,
    GET_DEVICE_PROPERTIES,
    GPU_DEVICE_PREFIXES,
    IS_BF16_SUPPORTED,
    OFFLOAD_DEVICE_STRINGS,
    TORCH_DEVICE,
)
from ...data.dtypes import BF16, BF16_CAST_METHODS, DTYPE_ATTRS, DTYPE_STRINGS
from ...findings import Position
from ...names import keyword
from .._conditionals import walk_within
from ..base import Rule, last_segments, spellings

NO_CPU_MODE = "Enforcement: No CPU Mode: BF16 requires GPU support."
NO_FALLBACKS = "Enforcement: No Fallbacks: Code must fail fast if BF16 not supported."
CLEAR_ERRORS = "Enforcement: Clear Errors: Explicitly state GPU requirements in error messages."
HARDWARE = "Hardware Requirements: GPU: NVIDIA Ampere or newer (Compute Capability 8.0+)."

REQUIREMENT = "BF16 requires an NVIDIA Ampere or newer GPU (compute capability 8.0+)"

# The text a CPU choice cannot be written without: "cpu" in any case, or the -1 index.
CPU_WORDS = frozenset({*spellings(CPU_DEVICE_STRINGS), str(CPU_DEVICE_INDEX)})
# ... and a model placement: the CPU or the disk.
OFFLOAD_WORDS = frozenset({*CPU_WORDS, *spellings(OFFLOAD_DEVICE_STRINGS)})
# The capability queries every check of BLY304/BLY305 calls.
CAPABILITY_QUERIES = IS_BF16_SUPPORTED | GET_DEVICE_CAPABILITY | GET_DEVICE_PROPERTIES
# Every spelling of BF16: no BF16 load or cast without one (BLY303).
BF16_WORDS = frozenset(
    {
        *last_segments(q for q, dtype in DTYPE_ATTRS.items() if dtype == BF16),
        *(text for text, dtype in DTYPE_STRINGS.items() if dtype == BF16),
        *BF16_CAST_METHODS,
    }
)


class HardwareRule(Rule):
    """Per-file state of one rule (what it has seen), kept in the file's context
    (`ctx.extras`) so it goes away with the file."""

    applies_to_teacher = True

    def _state(self, ctx: Context) -> FileState:
        state = ctx.extras.get(self)
        if state is None:
            state = ctx.extras[self] = FileState()
        return state  # type: ignore[return-value]


@dataclass
class FileState:
    first_bf16: tuple[str, Position, Position, str] | None = None  # torch's spelling there, span, what
    guarded: bool = False
    soft_check_line: int | None = None


def followed_value(ctx: Context, node: ast.expr) -> ast.expr:
    """What a name stands for, through local bindings; the node itself otherwise."""
    return ctx.names.follow(node).value


# -- devices -------------------------------------------------------------------------------

CPU_KIND, CPU_INDEX_KIND, GPU_KIND = "cpu", "cpu-index", "gpu"


def device_kind(ctx: Context, node: ast.expr | None, depth: int = 0) -> str | None:
    """`"cpu"` / `torch.device("cpu")` -> cpu; `"cuda:0"` / `torch.device("cuda")` -> gpu;
    -1 -> cpu-index and other ints -> gpu (the transformers pipeline convention)."""
    if node is None or depth > 1:
        return None
    if isinstance(node, (ast.Name, ast.Attribute)):
        node = followed_value(ctx, node)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in CPU_DEVICE_STRINGS or text.split(":", 1)[0] in CPU_DEVICE_STRINGS:
                return CPU_KIND
            if text.startswith(GPU_DEVICE_PREFIXES):
                return GPU_KIND
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return CPU_INDEX_KIND if value == CPU_DEVICE_INDEX else (GPU_KIND if value >= 0 else None)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        operand = node.operand.value
        if isinstance(operand, int) and not isinstance(operand, bool) and -operand == CPU_DEVICE_INDEX:
            return CPU_INDEX_KIND
        return None
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        return GPU_KIND if text.lower().startswith(GPU_DEVICE_PREFIXES) else None
    if isinstance(node, ast.Call):
        if ctx.qualified(node.func) in TORCH_DEVICE:
            arg = node.args[0] if node.args else None
            if arg is None:
                found = keyword(node, "type")
                arg = found.value if found is not None else None
            kind = device_kind(ctx, arg, depth + 1)
            return CPU_KIND if kind == CPU_KIND else (GPU_KIND if kind == GPU_KIND else None)
        return None
    return None


def is_cpu(kind: str | None, index: bool) -> bool:
    return kind == CPU_KIND or (index and kind == CPU_INDEX_KIND)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def walk_no_defs(node: ast.AST) -> Iterator[ast.AST]:
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


def statements_after(ctx: Context, node: ast.stmt) -> list[ast.stmt]:
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
