"""BLY202 grad-scaler: a gradient scaler, which exists only for a mixed-precision step."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.devices import DEVICE_KEYWORD
from ...data.mixed_precision import ENABLED_KEYWORD, GRAD_SCALERS
from ...facts import (
    ScalerFacts,
)
from ...findings import Applicability, Edit, Fix
from ...fixes.edits import parents_of, receiver_text, remove_statements, statement_blocks
from ...names import dotted_text
from ..base import Report
from .uses import POLICY, BareReferenceRule, aka, call_argument, call_text, switch_state

_SCALER_REMEDY = "remove the scaler and call `loss.backward()` and `optimizer.step()` directly on the BF16 model"


class GradScaler(BareReferenceRule):
    code = "BLY202"
    name = "grad-scaler"
    summary = "`GradScaler` (`torch.amp`, `torch.cuda.amp`) or FSDP's `ShardedGradScaler`, constructed or referenced."
    policy = POLICY
    why = (
        "A gradient scaler exists only to keep FP16 gradients of a mixed-precision step from underflowing: "
        "it multiplies the loss, unscales FP32 master gradients and skips steps that overflowed. Its presence "
        "means the training step is mixed precision; BF16 has FP32's exponent range and needs no scaling."
    )
    example = (
        "import torch\n\n"
        'scaler = torch.amp.GradScaler("cuda")\n\n'
        "def train_step(model, batch, optimizer):\n"
        "    loss = model(**batch).loss\n"
        "    scaler.scale(loss).backward()\n"
        "    scaler.step(optimizer)\n"
        "    scaler.update()\n"
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
        "Unsafe (opt-in with `--unsafe-fixes`): when the scaler is bound to a name or `self` attribute and "
        "every use is one of `scaler.scale(loss).backward()` -> `loss.backward()`, `scaler.step(opt)` -> "
        "`opt.step()`, `scaler.update()` and `scaler.unscale_(opt)` (removed), the construction and those "
        "calls are rewritten. Any other use (`state_dict()`, `get_scale()`, passing it on) means no fix."
    )
    watches = GRAD_SCALERS
    referenced = GRAD_SCALERS

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified not in GRAD_SCALERS:
            return
        spelled = dotted_text(node.func) or qualified
        yield ctx.report(
            node,
            f"`{call_text(spelled, node)}`{aka(spelled, qualified)} creates a gradient scaler for "
            f"mixed-precision training; the policy forbids mixed precision: {_SCALER_REMEDY}",
            fix=_scaler_fix(ctx, node),
            facts=_scaler_facts(ctx, node, spelled, qualified),
        )

    def reference(self, node: ast.Attribute | ast.Name, ctx: Context, spelled: str, qualified: str) -> Iterator[Report]:
        yield ctx.report(
            node,
            f"`{spelled}` is a gradient scaler class{aka(spelled, qualified)} for mixed-precision "
            f"training; the policy forbids mixed precision: {_SCALER_REMEDY}",
            facts=_scaler_facts(ctx, node, spelled, qualified),
        )


def _scaler_facts(ctx: Context, node: ast.expr, spelled: str, qualified: str) -> ScalerFacts:
    call = node if isinstance(node, ast.Call) else None
    enabled = call_argument(ctx, call, None, ENABLED_KEYWORD)
    bound_to = None
    assign = ctx.parent
    if call is not None and isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1:
        bound_to = dotted_text(assign.targets[0])
    return ScalerFacts(
        callee=qualified,
        spelling=spelled,
        usage="call" if call is not None else "reference",
        device=call_argument(ctx, call, 0, DEVICE_KEYWORD),
        enabled=switch_state(enabled, True) if call is not None else None,
        enabled_value=enabled,
        bound_to=bound_to,
    )


# What each use of a scaler becomes when the scaler goes: (method, statement-only).
_SCALER_METHODS = {"scale": False, "step": True, "update": True, "unscale_": True}


def _same_reference(a: ast.AST, b: ast.AST) -> bool:
    """`scaler` is `scaler`; `self.scaler` is `self.scaler`."""
    if isinstance(a, ast.Name) and isinstance(b, ast.Name):
        return a.id == b.id
    if isinstance(a, ast.Attribute) and isinstance(b, ast.Attribute):
        return a.attr == b.attr and _same_reference(a.value, b.value)
    return False


def _scaler_fix(ctx: Context, construction: ast.Call) -> Fix | None:
    """Remove a GradScaler bound to a name (or `self.attr`), when every use of it is
    `scale(loss).backward()`, `step(opt)`, `update()` or `unscale_(opt)`."""
    assign = ctx.parent
    if not isinstance(assign, ast.Assign) or len(assign.targets) != 1 or assign.value is not construction:
        return None
    target = assign.targets[0]
    if isinstance(target, ast.Name):
        region = ctx.enclosing(ast.FunctionDef, ast.AsyncFunctionDef) or ctx.stack[0]
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        region = ctx.enclosing(ast.ClassDef) or ctx.stack[0]
    else:
        return None
    parents = parents_of(region)
    doomed: list[ast.stmt] = [assign]
    edits: list[Edit] = []
    for use in ast.walk(region):
        if use is target or not _same_reference(use, target):
            continue
        if not isinstance(use, (ast.Name, ast.Attribute)) or not isinstance(use.ctx, ast.Load):
            return None  # rebound or deleted elsewhere: not a simple scaler
        method = parents.get(id(use))
        call = parents.get(id(method)) if method is not None else None
        if not isinstance(method, ast.Attribute) or method.attr not in _SCALER_METHODS:
            return None
        if not isinstance(call, ast.Call) or call.func is not method:
            return None
        holder = parents.get(id(call))
        if method.attr == "scale":
            backward = parents.get(id(holder)) if holder is not None else None
            if len(call.args) != 1 or call.keywords or not isinstance(holder, ast.Attribute):
                return None
            if holder.attr != "backward" or not isinstance(backward, ast.Call):
                return None
            loss = receiver_text(ctx, call.args[0])
            if loss is None:
                return None
            edits.append(Edit(ctx.start(call), ctx.end(call), loss))
        elif not isinstance(holder, ast.Expr):
            return None
        elif method.attr == "step":
            if len(call.args) != 1 or call.keywords:
                return None
            optimizer = receiver_text(ctx, call.args[0])  # `*opts` has no `.step()` to call
            if optimizer is None:
                return None
            edits.append(Edit(ctx.start(call), ctx.end(call), f"{optimizer}.step()"))
        else:
            doomed.append(holder)
    removals = remove_statements(ctx, doomed, statement_blocks(region))
    if removals is None:
        return None
    return Fix(Applicability.UNSAFE, "Remove the gradient scaler", tuple(edits + removals))
