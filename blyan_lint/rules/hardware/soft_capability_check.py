"""BLY304 soft-capability-check: a GPU capability check that does not fail fast (it warns, falls
back, or trusts `is_bf16_supported()`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.devices import (
    BF16_EMULATION_KEYWORD,
    IS_BF16_SUPPORTED,
    LOG_METHODS,
    PRINT_CALLS,
    WARNING_CALLS,
)
from ...data.dtypes import BF16, CAST_METHODS, DTYPE_KEYWORDS
from ...facts import ABSENT_VALUE, SoftCheckFacts
from ...findings import Applicability, Edit, Fix
from ...fixes.edits import insert_keyword_fix
from ...names import dotted_text, has_star_kwargs, keyword
from ..base import Report, last_segments
from .capability_checks import always_raises, capability_check, fails_fast
from .shared import (
    CAPABILITY_QUERIES,
    NO_FALLBACKS,
    REQUIREMENT,
    HardwareRule,
    device_kind,
    followed_value,
    is_cpu,
    walk_no_defs,
)

# -- BLY304 --------------------------------------------------------------------------------


class SoftCapabilityCheck(HardwareRule):
    code = "BLY304"
    name = "soft-capability-check"
    summary = (
        "A capability check that does not fail fast: `torch.cuda.is_bf16_supported()` without "
        "`including_emulation=False`, or a `get_device_capability()` check whose failing branch warns, logs, "
        "passes or continues instead of raising."
    )
    policy = NO_FALLBACKS
    why = (
        "`torch.cuda.is_bf16_supported()` answers True on pre-Ampere GPUs because BF16 can be emulated there, "
        "so a check built on it lets exactly the unsupported GPUs through; `including_emulation=False` asks "
        "whether the GPU has BF16 in hardware. A check that only warns or logs lets the node run anyway, "
        "which is the fallback the policy forbids. A branch that only returns a value (`return False`) is a "
        "predicate for its caller and is not flagged."
    )
    example = (
        "import torch\n\n"
        "def require_bf16():\n"
        "    if not torch.cuda.is_bf16_supported():\n"
        f'        raise RuntimeError("{REQUIREMENT}")\n'
    )
    fixed = (
        "import torch\n\n"
        "def require_bf16():\n"
        "    if not torch.cuda.is_bf16_supported(including_emulation=False):\n"
        f'        raise RuntimeError("{REQUIREMENT}")\n'
    )
    fix_safety = (
        "Safe for `is_bf16_supported()`: `including_emulation=False` is added (or `True` becomes `False`), which "
        "only makes the check strict. A check that warns instead of raising is reported without a fix: the "
        "error and its message need a human."
    )
    watches = IS_BF16_SUPPORTED
    strings = last_segments(CAPABILITY_QUERIES)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        if ctx.qualified(node.func) not in IS_BF16_SUPPORTED or has_star_kwargs(node):
            return
        spelled = dotted_text(node.func) or "is_bf16_supported"
        given = keyword(node, BF16_EMULATION_KEYWORD)
        value = given.value if given is not None else (node.args[0] if node.args else None)
        message = (
            f"`{spelled}()` also answers True on pre-Ampere GPUs that only emulate BF16; the policy requires "
            f"failing fast without BF16 hardware: pass `{BF16_EMULATION_KEYWORD}=False`"
        )
        if value is None:
            added = insert_keyword_fix(
                ctx, node, f"{BF16_EMULATION_KEYWORD}=False", "Add `including_emulation=False`", ()
            )
            yield ctx.report(node, message, fix=added, facts=SoftCheckFacts("is_bf16_supported", None, ABSENT_VALUE))
            return
        seen = followed_value(ctx, value)
        if isinstance(seen, ast.Constant) and seen.value is False:
            return
        fix: Fix | None = None
        if isinstance(value, ast.Constant) and value.value is True:
            fix = Fix(
                Applicability.SAFE,
                "Use `including_emulation=False`",
                (Edit(ctx.start(value), ctx.end(value), "False"),),
            )
        yield ctx.report(node, message, fix=fix, facts=SoftCheckFacts("is_bf16_supported", None, ctx.resolve(value)))

    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        found = capability_check(ctx, node)
        if found is None or always_raises(ctx, found.failing):
            return
        what = _soft_failure(ctx, found.failing, found.after)
        if what is None:
            return
        if found.after and what.startswith("it "):
            what = "the code after this `if` " + what[3:]
        if _picks_fallback(ctx, [*node.body, *node.orelse, *(found.failing if found.after else [])]):
            return  # a dtype or CPU fallback: BLY105 / BLY301 report this `if`
        test = "`is_bf16_supported()` check" if found.kind == "bf16" else "capability check"
        yield ctx.report_span(
            node,
            node.test,
            f"this {test} does not fail fast: on a GPU below compute capability 8.0 {what}; the policy says "
            f'code must fail fast if BF16 is not supported: `raise RuntimeError("{REQUIREMENT}")` there',
            facts=SoftCheckFacts(found.kind, what, None),
        )


def _soft_failure(ctx: Context, body: list[ast.stmt], after: bool) -> str | None:
    """What a failing branch does instead of raising, when we can tell it surely does not
    raise; None when it may (an unknown call) or when it only returns a value (a predicate
    helper such as `return False`: its caller decides)."""
    if not body:
        if after:
            return "the code after this `if` silently continues"
        return "the code silently continues (there is no `else`)"
    what: str | None = None
    for stmt in body:
        for node in walk_no_defs(stmt):
            if isinstance(node, ast.Raise):
                return None
            if isinstance(node, ast.Call) and fails_fast(ctx, node):
                return None
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                continue  # a docstring or `...`
            if not isinstance(value, ast.Call):
                return None
            said = _what_call_does(ctx, value)
            if said is None:
                return None
            what = what or said
        elif isinstance(stmt, ast.Pass):
            what = what or "it does nothing (`pass`)"
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            what = what or "it only sets a value"
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None and not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None):
                return what  # `return False`: a predicate; after a warning: still soft
            return what or "it returns without an error"
        elif isinstance(stmt, (ast.Continue, ast.Break)):
            return what or "it skips ahead without an error"
        else:
            return None  # loops, nested conditions, try blocks: not sure
    return what


def _what_call_does(ctx: Context, call: ast.Call) -> str | None:
    spelled = dotted_text(call.func) or ""
    qualified = ctx.qualified(call.func) or spelled
    if qualified in WARNING_CALLS:
        return f"it only warns (`{spelled}`)"
    if qualified in PRINT_CALLS or spelled in PRINT_CALLS:
        return "it only prints"
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
        receiver = (dotted_text(func.value) or "").lower()
        if "log" in receiver or qualified.startswith("logging."):
            return f"it only logs (`{spelled}`)"
    return None


def _picks_fallback(ctx: Context, stmts: list[ast.stmt]) -> bool:
    """Does this code choose a non-BF16 dtype or the CPU? BLY105 / BLY301 report that
    conditional already."""
    for stmt in stmts:
        for node in walk_no_defs(stmt):
            value: ast.expr | None = None
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)) or (
                isinstance(node, ast.keyword) and node.arg in DTYPE_KEYWORDS
            ):
                value = node.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CAST_METHODS
                and not node.args
            ):
                return True
            if value is not None:
                dtype = ctx.dtype_value(value, strings=True)
                if dtype is not None and dtype != BF16:
                    return True
                if is_cpu(device_kind(ctx, value), index=False):
                    return True
    return False
