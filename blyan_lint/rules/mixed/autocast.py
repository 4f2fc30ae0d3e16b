"""BLY201 autocast: autocast and `custom_fwd(cast_inputs=...)`, mixed precision by construction."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.dtypes import BF16, dtype_label
from ...data.mixed_precision import (
    AUTOCAST,
    AUTOCAST_DEVICE_KEYWORD,
    AUTOCAST_METHOD,
    CAST_INPUTS_KEYWORD,
    CUSTOM_FWD,
    ENABLED_KEYWORD,
)
from ...facts import (
    ABSENT,
    ABSENT_DTYPE,
    ABSENT_VALUE,
    UNKNOWN_DTYPE,
    AutocastFacts,
    Value,
)
from ...findings import Applicability, Fix
from ...fixes.edits import remove_decorator, remove_with_item, unwrap_with
from ...names import dotted_text, keyword
from ..base import Report
from .uses import POLICY, BareReferenceRule, aka, call_argument, call_text, switch_state, usage_of

_AUTOCAST_USES = {
    # usage -> (how the user wrote it, what it does, what to do instead)
    "context": ("with {}", "runs its block in", "remove the autocast context and run the block with the model in BF16"),
    "decorator": ("@{}", "runs the function in", "remove the decorator and run the function with the model in BF16"),
    "call": ("{}", "sets up", "remove it and run the model in BF16"),
}


def _autocast_facts(
    ctx: Context, node: ast.expr, spelled: str, qualified: str | None, usage: str, cast_inputs: Value | None = None
) -> AutocastFacts:
    call = node if isinstance(node, ast.Call) else None
    dtype = call_argument(ctx, call, None, "dtype")
    canonical = ABSENT_DTYPE
    if dtype.status != ABSENT:
        dtype_kw = keyword(call, "dtype")  # type: ignore[arg-type]
        canonical = ctx.dtype_value(dtype_kw.value, strings=True) or UNKNOWN_DTYPE  # type: ignore[union-attr]
    enabled = call_argument(ctx, call, None, ENABLED_KEYWORD)
    return AutocastFacts(
        callee=qualified or spelled,
        spelling=spelled,
        usage=usage,
        device_type=call_argument(ctx, call, 0, AUTOCAST_DEVICE_KEYWORD) if qualified in AUTOCAST else ABSENT_VALUE,
        dtype=canonical,
        dtype_value=dtype,
        enabled=switch_state(enabled, True) if call is not None else None,
        enabled_value=enabled,
        cast_inputs=cast_inputs,
        framework=qualified is None,
    )


def _autocast_message(facts: AutocastFacts, call_text: str, aka: str) -> str:
    """The message for an autocast call (`call_text`: `ac()` or `ac(...)`, as written)."""
    template, does, remedy = _AUTOCAST_USES[facts.usage]
    written = f"`{template.format(call_text)}`{aka}"
    if facts.enabled is False:
        return (
            f"{written} switches autocast off, which only matters inside a mixed-precision region; the "
            "policy forbids mixed precision: remove it together with the mixed precision it works around"
        )
    kind = "the framework's autocast (mixed precision)" if facts.framework else "mixed precision"
    return f"{written} {does} {kind}{_autocast_dtype_note(facts)}; the policy forbids mixed precision: {remedy}"


def _autocast_dtype_note(facts: AutocastFacts) -> str:
    """What the autocast's `dtype=` says, if anything."""
    if facts.dtype == BF16:
        return " (BF16 autocast is still mixed precision: weights stay FP32 and some ops run in FP32)"
    if facts.dtype not in (ABSENT_DTYPE, UNKNOWN_DTYPE):
        return f" ({dtype_label(facts.dtype)} / FP32)"
    return ""


class Autocast(BareReferenceRule):
    code = "BLY201"
    name = "autocast"
    summary = (
        "`torch.autocast` / `torch.amp.autocast` / `torch.cuda.amp.autocast` / `torch.cpu.amp.autocast` "
        "(context manager, decorator, call or reference), `accelerator.autocast()`, `custom_fwd(cast_inputs=...)`."
    )
    policy = POLICY
    why = (
        "Autocast is mixed precision: the weights stay in FP32 and every op is run in FP16, BF16 or FP32 "
        "according to PyTorch's per-op lists, so the precision of a result depends on the op, the autocast "
        "version and the device. BF16 autocast is mixed precision too (FP32 master weights, FP32 op lists). "
        "The policy wants the model itself in BF16 and every computation in BF16. `torch.is_autocast_enabled()` "
        "and other inspections are not flagged; neither are import statements."
    )
    example = (
        "import torch\n\n"
        "def train_step(model, batch, optimizer):\n"
        '    with torch.autocast("cuda", dtype=torch.bfloat16):\n'
        "        loss = model(**batch).loss\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    optimizer.zero_grad()\n"
    )
    fixed = (
        "def train_step(model, batch, optimizer):\n"
        "    loss = model(**batch).loss\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    optimizer.zero_grad()\n"
    )
    fix_safety = (
        "Unsafe (opt-in with `--unsafe-fixes`): a one-item `with autocast(...):` is replaced by its block, "
        "dedented, comments kept; in a multi-item `with` only the autocast item is dropped; an autocast "
        "decorator is removed. No fix where the block holds a multi-line string (dedenting would change it), "
        "where the autocast is bound with `as`, or for `custom_fwd(cast_inputs=...)`: drop `cast_inputs=` by "
        "hand. Then load or cast the model to BF16 behind a compute-capability guard."
    )
    watches = AUTOCAST | CUSTOM_FWD
    referenced = AUTOCAST  # `custom_fwd` only when called with `cast_inputs=`
    methods = frozenset({AUTOCAST_METHOD})  # a framework's `accelerator.autocast()`
    supersedes = frozenset({"BLY101"})  # `autocast(dtype=torch.float16)`: one finding, the autocast

    def reference(self, node: ast.Attribute | ast.Name, ctx: Context, spelled: str, qualified: str) -> Iterator[Report]:
        usage = usage_of(ctx, node)
        facts = _autocast_facts(ctx, node, spelled, qualified, "decorator" if usage == "decorator" else "reference")
        decorator = facts.usage == "decorator"
        remedy = _AUTOCAST_USES["decorator"][2] if decorator else "remove it and run the model in BF16"
        yield ctx.report(
            node,
            f"`{spelled}` is autocast{aka(spelled, qualified)}, mixed precision wherever it is used; the "
            f"policy forbids mixed precision: {remedy}",
            fix=_autocast_fix(ctx, node),
            facts=facts,
        )

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        qualified = ctx.qualified(func)
        if qualified in AUTOCAST:
            spelled = dotted_text(func) or qualified
            facts = _autocast_facts(ctx, node, spelled, qualified, usage_of(ctx, node))
            message = _autocast_message(facts, call_text(spelled, node), aka(spelled, qualified))
            yield ctx.report(node, message, fix=_autocast_fix(ctx, node), facts=facts)
        elif qualified in CUSTOM_FWD:
            cast = keyword(node, CAST_INPUTS_KEYWORD)
            if cast is None:
                return
            is_literal, value, _ = ctx.constant(cast.value)
            if is_literal and value is None:
                return
            spelled = dotted_text(func) or qualified
            facts = _autocast_facts(ctx, node, spelled, qualified, usage_of(ctx, node), ctx.resolve(cast.value))
            yield ctx.report(
                cast,
                f"`{spelled}(cast_inputs=...)`{aka(spelled, qualified)} casts the inputs of an autocast region "
                "(mixed precision); the policy forbids mixed precision: drop `cast_inputs=` and keep the inputs "
                "in BF16",
                facts=facts,
            )
        elif (
            qualified is None
            and isinstance(func, ast.Attribute)
            and func.attr == AUTOCAST_METHOD
            and ctx.qualified(func.value) is None
        ):
            spelled = dotted_text(func) or f"(...).{func.attr}"
            facts = _autocast_facts(ctx, node, spelled, None, usage_of(ctx, node))
            message = _autocast_message(facts, call_text(spelled, node), "")
            yield ctx.report(node, message, fix=_autocast_fix(ctx, node), facts=facts)


def _autocast_fix(ctx: Context, node: ast.expr) -> Fix | None:
    """Unwrap `with autocast(...):` (or drop it from a multi-item `with`), or remove an
    autocast decorator. Anything else (a call whose result is kept) has no fix."""
    parent = ctx.parent
    if isinstance(parent, ast.withitem) and parent.context_expr is node and len(ctx.stack) >= 2:
        statement = ctx.stack[-2]
        if not isinstance(statement, (ast.With, ast.AsyncWith)) or parent.optional_vars is not None:
            return None
        if len(statement.items) == 1:
            edit = unwrap_with(ctx, statement)
            title = "Remove the autocast context and dedent its block"
        else:
            index = next(i for i, item in enumerate(statement.items) if item is parent)
            edit = remove_with_item(ctx, statement, index)
            title = "Remove autocast from the `with` statement"
    elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and any(
        d is node for d in parent.decorator_list
    ):
        edit, title = remove_decorator(ctx, node), "Remove the autocast decorator"
    else:
        return None
    return Fix(Applicability.UNSAFE, title, (edit,)) if edit is not None else None
