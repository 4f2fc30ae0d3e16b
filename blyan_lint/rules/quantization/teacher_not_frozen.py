"""BLY403 teacher-not-frozen: an update to a teacher model (policy: "EXCEPTION: Teacher Models").

The INT8 exception holds only because a teacher never learns. In a teacher module every
update is reported; elsewhere only one whose object or argument names a teacher
(`rules/_teacher_names.py`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ...config import DEFAULT_TEACHER_NAME_REGEX
from ...context import Context
from ...data.model_updates import (
    BACKWARD_METHOD,
    OPTIMIZER_CLASSES,
    OPTIMIZER_NAME_WORDS,
    OPTIMIZER_PREFIXES,
    REQUIRES_GRAD_ATTRIBUTE,
    REQUIRES_GRAD_METHOD,
    STEP_METHOD,
    TRAIN_METHOD,
    is_optimizer,
)
from ...facts import TeacherUpdateFacts
from ...fixes.edits import method_span
from ...names import dotted_text, has_star_kwargs, keyword
from .._literals import is_true_literal, literal
from .._teacher_names import mentions_teacher, names_teacher, optimizer_params
from ..base import Report, Rule, last_segments

_FROZEN = "teachers are frozen checkpoints used only for validation"
_NO_GRAD = "run the teacher under `torch.no_grad()` with `requires_grad_(False)` and optimize only the student"
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


def _may_name_teacher(ctx: Context) -> bool:
    """Can a name here match the teacher regex? Outside a teacher module only such a name
    makes an update a finding, and with the default regex it spells `teacher` (any case)."""
    return ctx.settings.teacher_name_regex != DEFAULT_TEACHER_NAME_REGEX or ctx.file_holds(_TEACHER_WORD)


_TEACHER_WORD = ("teacher",)


def _optimizer_like(ctx: Context, node: ast.expr) -> bool:
    """`optimizer`, `self.t_opt`, `opts[0]`, or a name bound to an optimizer construction."""
    while isinstance(node, ast.Subscript):
        node = node.value
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name is None:
        return False
    if {word.lower() for word in _WORDS.findall(name)} & OPTIMIZER_NAME_WORDS:
        return True
    bound = ctx.follow(node).value
    return isinstance(bound, ast.Call) and is_optimizer(ctx.qualified(bound.func))


def _switch_on(ctx: Context, call: ast.Call, name: str) -> bool:
    """`m.train()`, `m.train(True)`, `p.requires_grad_(requires_grad=True)`: the switch is on."""
    if call.args:
        arg = call.args[0]
    else:
        kw = keyword(call, name)
        if kw is None:
            return not has_star_kwargs(call)
        arg = kw.value
    value = literal(ctx, arg)
    return isinstance(value, (bool, int)) and bool(value)


def _short(ctx: Context, node: ast.AST) -> str:
    """The source of a call or statement, or its dotted name when it is long or spans lines."""
    text = ctx.source(node)
    if text and len(text) <= 70 and "\n" not in text:
        return text
    if isinstance(node, ast.Call):
        return f"{dotted_text(node.func) or '...'}(...)"
    if isinstance(node, ast.Assign):
        return f"{dotted_text(node.targets[0]) or '...'} = {_short(ctx, node.value)}"
    return "..."


class TeacherNotFrozen(Rule):
    code = "BLY403"
    name = "teacher-not-frozen"
    summary = (
        "An update to a teacher model: `.train()`, `.backward()`, `optimizer.step()`, optimizer construction, "
        "`requires_grad_(True)`, `requires_grad = True` (any in a teacher module; on a teacher-named object elsewhere)."
    )
    policy = (
        "EXCEPTION: Teacher Models: Why INT8 for Teacher Models? 1. Frozen Checkpoints: Teacher models are N-1 "
        "generation, never updated. 2. Validation Only: Used solely for quality gating, not learning."
    )
    why = (
        "The INT8 exception holds only because a teacher never learns: it is a frozen N-1 checkpoint that gates "
        "quality. Training an INT8 teacher, or training a teacher at all, breaks that premise and puts non-BF16 "
        "numbers into learning. In a teacher module (pragma or path) every update is reported. Elsewhere, "
        "including in classes and functions named after the teacher, only updates whose object or argument names "
        "a teacher are (`teacher.train()`, `SGD(teacher_model.parameters())`, `p.requires_grad = True` for `p` in "
        "`teacher.parameters()`), so a distillation loop that trains its student is not flagged."
    )
    example = (
        "import torch\n\n\n"
        "def distill_step(student, teacher, batch, optimizer):\n"
        "    teacher.train()\n"
        "    with torch.no_grad():\n"
        "        target = teacher(batch)\n"
        "    loss = torch.nn.functional.mse_loss(student(batch), target)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
    )
    fixed = (
        "import torch\n\n\n"
        "def distill_step(student, teacher, batch, optimizer):\n"
        "    teacher.eval()\n"
        "    teacher.requires_grad_(False)\n"
        "    with torch.no_grad():\n"
        "        target = teacher(batch)\n"
        "    loss = torch.nn.functional.mse_loss(student(batch), target)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
    )
    fix_safety = (
        "No automatic fix: freeze the teacher (`teacher.eval()`, `teacher.requires_grad_(False)`, run it under "
        "`torch.no_grad()`) and build optimizers from the student's parameters only; if the code really trains "
        "the model, it is not a teacher and must move out of teacher scope and run in BF16."
    )
    applies_to_teacher = True
    # Every update names its method, `requires_grad`, or an optimizer (by module or class).
    strings = frozenset(
        {
            TRAIN_METHOD,
            BACKWARD_METHOD,
            STEP_METHOD,
            REQUIRES_GRAD_ATTRIBUTE,
            *last_segments(OPTIMIZER_PREFIXES),
            *last_segments(OPTIMIZER_CLASSES),
        }
    )
    # Statement words: the same, with `train` and `step` whole words (`.train()`, not `training`)
    statement_words = tuple(sorted({"train": r"\btrain\b", "step": r"\bstep\b"}.get(w, w) for w in strings))

    def visit_Assign(self, node: ast.Assign, ctx: Context) -> Iterator[Report]:
        whole = ctx.file_scope.is_teacher
        return self._assign(node, ctx, whole) if whole or _may_name_teacher(ctx) else iter(())

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        whole = ctx.file_scope.is_teacher
        if not (whole or _may_name_teacher(ctx)):
            return
        func = node.func
        if isinstance(func, ast.Attribute):
            update = self._UPDATES.get(func.attr)
            if update is not None:
                yield from update(self, node, func, ctx, whole)
                return
        if is_optimizer(ctx.qualified(func)):
            yield from self._construction(node, ctx, whole)

    @staticmethod
    def _message(ctx: Context, call: ast.AST, does: str, whole: bool, remedy: str) -> str:
        """`does` names the model as `{model}`: "a model" in a teacher module, where every model is the teacher."""
        where = " in a teacher module" if whole else ""
        does = does.format(model="a model" if whole else "a teacher model")
        return f"`{_short(ctx, call)}` {does}{where}; {_FROZEN}: {remedy}"

    def _train(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        receiver = func.value
        if ctx.qualified(receiver) is not None or not _switch_on(ctx, node, "mode"):
            return  # `Trainer.train(...)` on a library name, or `.train(False)`
        if whole or names_teacher(ctx, receiver):
            start, end = method_span(ctx, node)
            does = "puts {model} in training mode"
            message = self._message(ctx, node, does, whole, "call `.eval()` instead")
            yield Report(start, end, message, facts=TeacherUpdateFacts("train", ctx.source(receiver), whole))

    def _backward(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        receiver = func.value
        first = node.args[0] if node.args else None  # `torch.autograd.backward(t)`, `accelerator.backward(loss)`
        if whole or names_teacher(ctx, receiver) or names_teacher(ctx, first):
            start, end = method_span(ctx, node)
            does = "computes gradients for {model}"
            facts = TeacherUpdateFacts("backward", ctx.source(receiver), whole)
            yield Report(start, end, self._message(ctx, node, does, whole, _NO_GRAD), facts=facts)

    def _step(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        receiver = func.value
        if ctx.qualified(receiver) is not None:
            return
        if _optimizer_like(ctx, receiver):
            optimizer: ast.expr = receiver
        elif node.args and _optimizer_like(ctx, node.args[0]):
            optimizer = node.args[0]  # `scaler.step(optimizer)`
        else:
            return  # `scheduler.step()`, `env.step(action)`
        if whole or names_teacher(ctx, optimizer):
            start, end = method_span(ctx, node)
            does = "updates {model}'s weights"
            facts = TeacherUpdateFacts("step", ctx.source(optimizer), whole)
            yield Report(start, end, self._message(ctx, node, does, whole, _NO_GRAD), facts=facts)

    def _requires_grad_(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        if not _switch_on(ctx, node, "requires_grad"):
            return
        if whole or names_teacher(ctx, func.value):
            start, end = method_span(ctx, node)
            does = "unfreezes {model}'s weights"
            message = self._message(ctx, node, does, whole, "use `requires_grad_(False)`")
            facts = TeacherUpdateFacts("requires_grad", ctx.source(func.value), whole)
            yield Report(start, end, message, facts=facts)

    def _assign(self, node: ast.Assign, ctx: Context, whole: bool) -> Iterator[Report]:
        if not is_true_literal(ctx, node.value):
            return
        for target in node.targets:
            if not isinstance(target, ast.Attribute) or target.attr != REQUIRES_GRAD_ATTRIBUTE:
                continue
            if whole or names_teacher(ctx, target.value):
                does = "unfreezes {model}'s weights"
                message = self._message(ctx, node, does, whole, "set it to False or call `requires_grad_(False)`")
                facts = TeacherUpdateFacts("requires_grad", ctx.source(target.value), whole)
                yield ctx.report_span(target, node.value, message, facts=facts)

    def _construction(self, node: ast.Call, ctx: Context, whole: bool) -> Iterator[Report]:
        if whole:
            does = "builds an optimizer"
        elif mentions_teacher(ctx, optimizer_params(node)):
            does = "builds an optimizer over {model}'s weights"
        else:
            return
        params = optimizer_params(node)
        facts = TeacherUpdateFacts("optimizer", ctx.source(params) if params is not None else "", whole)
        yield ctx.report(node, self._message(ctx, node, does, whole, _NO_GRAD), facts=facts)

    # What each updating method call is, by method name.
    _UPDATES = {
        TRAIN_METHOD: _train,
        BACKWARD_METHOD: _backward,
        STEP_METHOD: _step,
        REQUIRES_GRAD_METHOD: _requires_grad_,
    }
