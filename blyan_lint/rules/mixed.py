"""BLY2xx: mixed precision (policy: "No Mixed Precision: All computations in BF16 (except teacher)")."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..context import Context
from ..data import names as tables
from ..facts import (
    ABSENT,
    ABSENT_DTYPE,
    ABSENT_VALUE,
    LITERAL,
    UNKNOWN_DTYPE,
    AutocastFacts,
    FrameworkPrecisionFacts,
    ScalerFacts,
    Value,
)
from ..findings import Applicability, Edit, Fix
from ..names import dotted_text, has_star_kwargs, keyword, string_value
from ._common import dtype_label
from ._edits import (
    parents_of,
    receiver_text,
    remove_decorator,
    remove_statements,
    remove_with_item,
    statement_blocks,
    unwrap_with,
)
from .base import Report, Rule, last_segments

POLICY = "Enforcement: No Mixed Precision: All computations in BF16 (except teacher)."

_GUARD = (
    "if torch.cuda.get_device_capability()[0] < 8:\n"
    '    raise RuntimeError("BF16 requires an Ampere GPU (compute capability 8.0+)")\n'
)

# -- shared helpers ----------------------------------------------------------------------


def _switched_on(value: object) -> bool:
    """`True` (or a non-zero int, which the libraries read as true)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, int) and value != 0


def _call_text(spelled: str, call: ast.Call) -> str:
    return f"{spelled}()" if not call.args and not call.keywords else f"{spelled}(...)"


def _usage(ctx: Context, node: ast.AST) -> str:
    """How an expression is used: as a `with` item, a decorator, or anything else."""
    parent = ctx.parent
    if isinstance(parent, ast.withitem) and parent.context_expr is node:
        return "context"
    if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(d is node for d in parent.decorator_list):
        return "decorator"
    return "call"


def _aka(spelled: str, qualified: str | None) -> str:
    """` (`torch.autocast`)` after an aliased spelling (`ac`), nothing after `th.autocast`."""
    if qualified is None or spelled.rsplit(".", 1)[-1] == qualified.rsplit(".", 1)[-1]:
        return ""
    return f" (`{qualified}`)"


def _is_called(ctx: Context, node: ast.AST) -> bool:
    parent = ctx.parent
    return isinstance(parent, ast.Call) and parent.func is node


def _reference(ctx: Context, node: ast.AST, names: frozenset[str]) -> str | None:
    """The qualified name of a bare reference (not called, not inspected) to one of `names`."""
    if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(node.ctx, ast.Load):
        return None
    qualified = ctx.qualified(node)
    if qualified not in names or _is_called(ctx, node) or ctx.is_inspection(node):
        return None
    return qualified


# -- BLY201 ------------------------------------------------------------------------------

_AUTOCAST_USES = {
    # usage -> (how the user wrote it, what it does, what to do instead)
    "context": ("with {}", "runs its block in", "remove the autocast context and run the block with the model in BF16"),
    "decorator": ("@{}", "runs the function in", "remove the decorator and run the function with the model in BF16"),
    "call": ("{}", "sets up", "remove it and run the model in BF16"),
}


def _argument(ctx: Context, call: ast.Call | None, position: int | None, name: str) -> Value:
    """A call's argument by keyword or position, resolved; absent when not given."""
    if call is None:
        return ABSENT_VALUE
    kw = keyword(call, name)
    if kw is not None:
        return ctx.resolve(kw.value)
    given = position is not None and len(call.args) > position
    if given and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):  # type: ignore[operator]
        return ctx.resolve(call.args[position])  # type: ignore[index]
    return ABSENT_VALUE


def _switch(value: Value, default: bool | None) -> bool | None:
    """An `enabled=` switch as resolved: True / False, the default when absent, None when unseen."""
    if value.status == ABSENT:
        return default
    if value.status == LITERAL and isinstance(value.value, (bool, int)):
        return _switched_on(value.value)
    return None


def _autocast_facts(
    ctx: Context, node: ast.expr, spelled: str, qualified: str | None, usage: str, cast_inputs: Value | None = None
) -> AutocastFacts:
    call = node if isinstance(node, ast.Call) else None
    dtype = _argument(ctx, call, None, "dtype")
    canonical = ABSENT_DTYPE
    if dtype.status != ABSENT:
        dtype_kw = keyword(call, "dtype")  # type: ignore[arg-type]
        canonical = ctx.dtype_value(dtype_kw.value, strings=True) or UNKNOWN_DTYPE  # type: ignore[union-attr]
    enabled = _argument(ctx, call, None, tables.ENABLED_KEYWORD)
    return AutocastFacts(
        callee=qualified or spelled,
        spelling=spelled,
        usage=usage,
        device_type=_argument(ctx, call, 0, tables.AUTOCAST_DEVICE_KEYWORD)
        if qualified in tables.AUTOCAST
        else ABSENT_VALUE,
        dtype=canonical,
        dtype_value=dtype,
        enabled=_switch(enabled, True) if call is not None else None,
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
    if facts.dtype == tables.BF16:
        return " (BF16 autocast is still mixed precision: weights stay FP32 and some ops run in FP32)"
    if facts.dtype not in (ABSENT_DTYPE, UNKNOWN_DTYPE):
        return f" ({dtype_label(facts.dtype)} / FP32)"
    return ""


class Autocast(Rule):
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
    watches = tables.AUTOCAST | tables.CUSTOM_FWD
    methods = frozenset({tables.AUTOCAST_METHOD})  # a framework's `accelerator.autocast()`
    supersedes = frozenset({"BLY101"})  # `autocast(dtype=torch.float16)`: one finding, the autocast

    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._reference(node, ctx)

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._reference(node, ctx)

    def _reference(self, node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[Report]:
        qualified = _reference(ctx, node, tables.AUTOCAST)
        if qualified is None:
            return
        spelled = dotted_text(node) or qualified
        usage = _usage(ctx, node)
        facts = _autocast_facts(ctx, node, spelled, qualified, "decorator" if usage == "decorator" else "reference")
        decorator = facts.usage == "decorator"
        remedy = _AUTOCAST_USES["decorator"][2] if decorator else "remove it and run the model in BF16"
        yield ctx.report(
            node,
            f"`{spelled}` is autocast{_aka(spelled, qualified)}, mixed precision wherever it is used; the "
            f"policy forbids mixed precision: {remedy}",
            fix=_autocast_fix(ctx, node),
            facts=facts,
        )

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        qualified = ctx.qualified(func)
        if qualified in tables.AUTOCAST:
            spelled = dotted_text(func) or qualified
            facts = _autocast_facts(ctx, node, spelled, qualified, _usage(ctx, node))
            message = _autocast_message(facts, _call_text(spelled, node), _aka(spelled, qualified))
            yield ctx.report(node, message, fix=_autocast_fix(ctx, node), facts=facts)
        elif qualified in tables.CUSTOM_FWD:
            cast = keyword(node, tables.CAST_INPUTS_KEYWORD)
            if cast is None:
                return
            is_literal, value, _ = ctx.constant(cast.value)
            if is_literal and value is None:
                return
            spelled = dotted_text(func) or qualified
            facts = _autocast_facts(ctx, node, spelled, qualified, _usage(ctx, node), ctx.resolve(cast.value))
            yield ctx.report(
                cast,
                f"`{spelled}(cast_inputs=...)`{_aka(spelled, qualified)} casts the inputs of an autocast region "
                "(mixed precision); the policy forbids mixed precision: drop `cast_inputs=` and keep the inputs "
                "in BF16",
                facts=facts,
            )
        elif (
            qualified is None
            and isinstance(func, ast.Attribute)
            and func.attr == tables.AUTOCAST_METHOD
            and ctx.qualified(func.value) is None
        ):
            spelled = dotted_text(func) or f"(...).{func.attr}"
            facts = _autocast_facts(ctx, node, spelled, None, _usage(ctx, node))
            message = _autocast_message(facts, _call_text(spelled, node), "")
            yield ctx.report(node, message, fix=_autocast_fix(ctx, node), facts=facts)


# -- BLY202 ------------------------------------------------------------------------------

_SCALER_REMEDY = "remove the scaler and call `loss.backward()` and `optimizer.step()` directly on the BF16 model"


class GradScaler(Rule):
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
    watches = tables.GRAD_SCALERS

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified not in tables.GRAD_SCALERS:
            return
        spelled = dotted_text(node.func) or qualified
        yield ctx.report(
            node,
            f"`{_call_text(spelled, node)}`{_aka(spelled, qualified)} creates a gradient scaler for "
            f"mixed-precision training; the policy forbids mixed precision: {_SCALER_REMEDY}",
            fix=_scaler_fix(ctx, node),
            facts=_scaler_facts(ctx, node, spelled, qualified),
        )

    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._reference(node, ctx)

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._reference(node, ctx)

    def _reference(self, node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[Report]:
        qualified = _reference(ctx, node, tables.GRAD_SCALERS)
        if qualified is None:
            return
        spelled = dotted_text(node) or qualified
        yield ctx.report(
            node,
            f"`{spelled}` is a gradient scaler class{_aka(spelled, qualified)} for mixed-precision "
            f"training; the policy forbids mixed precision: {_SCALER_REMEDY}",
            facts=_scaler_facts(ctx, node, spelled, qualified),
        )


def _scaler_facts(ctx: Context, node: ast.expr, spelled: str, qualified: str) -> ScalerFacts:
    call = node if isinstance(node, ast.Call) else None
    enabled = _argument(ctx, call, None, tables.ENABLED_KEYWORD)
    bound_to = None
    assign = ctx.parent
    if call is not None and isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1:
        bound_to = dotted_text(assign.targets[0])
    return ScalerFacts(
        callee=qualified,
        spelling=spelled,
        usage="call" if call is not None else "reference",
        device=_argument(ctx, call, 0, tables.DEVICE_KEYWORD),
        enabled=_switch(enabled, True) if call is not None else None,
        enabled_value=enabled,
        bound_to=bound_to,
    )


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
        if not isinstance(use.ctx, ast.Load):
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


# -- BLY203 ------------------------------------------------------------------------------


class FrameworkMixedPrecision(Rule):
    code = "BLY203"
    name = "framework-mixed-precision"
    summary = (
        "Trainer-level mixed precision: `TrainingArguments(fp16=True / fp16_full_eval=True / bf16=True / "
        "bf16_full_eval=True / half_precision_backend=...)` and its subclasses, TRL configs without `bf16=False`, "
        '`Accelerator(mixed_precision="fp16"/"bf16"/"fp8")`, Lightning `precision=` other than `"bf16-true"`, '
        'DeepSpeed `"fp16"`/`"amp"` sections, `apex.amp.initialize`.'
    )
    policy = POLICY
    why = (
        "These switches turn on autocast and a gradient scaler inside the framework, so the training step runs "
        "in mixed precision although no `autocast` appears in the code. Accelerate's and Lightning's BF16 modes "
        '(`mixed_precision="bf16"`, `precision="bf16-mixed"`) are mixed precision too: the weights stay FP32. '
        "`TrainingArguments(bf16=True)` runs the step under BF16 autocast, whose FP32 op list (softmax, norms, "
        "losses) computes in FP32, and `bf16_full_eval=True` casts the model to BF16 for evaluation only. TRL's "
        "configs (`SFTConfig`, `DPOConfig`, `GRPOConfig`, ...: every config on TRL's base config) set `bf16 = not "
        "fp16` when `bf16` is unset, so one of them without `bf16=False` is flagged too; so are the project's own "
        "subclasses, for their class-level defaults and their constructions. The compliant training loads the "
        'model in BF16 and turns every autocast switch off. Lightning\'s `precision="bf16-true"` keeps '
        'everything in BF16 and is the compliant setting there; DeepSpeed\'s `"bf16"` section is not flagged. '
        "Values decided at run time (`bf16=args.bf16`, `**kwargs`) are not judged."
    )
    example = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM, TrainingArguments\n\n"
        f"{_GUARD}\n"
        'model = AutoModelForCausalLM.from_pretrained("blyan/student-v18", torch_dtype=torch.bfloat16)\n'
        'args = TrainingArguments(output_dir="checkpoints", fp16=True)\n'
    )
    fixed = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM, TrainingArguments\n\n"
        f"{_GUARD}\n"
        'model = AutoModelForCausalLM.from_pretrained("blyan/student-v18", torch_dtype=torch.bfloat16)\n'
        'args = TrainingArguments(output_dir="checkpoints")\n'
    )
    fix_safety = (
        "No automatic fix yet: the replacement depends on the framework (turning autocast off trains in the "
        "model's own dtype, so the model must be loaded in BF16 first). Remove `fp16=` / `fp16_full_eval=` / "
        "`bf16=True` / `bf16_full_eval=` / `half_precision_backend=`, pass `bf16=False` to TRL configs; use "
        '`mixed_precision="no"` with Accelerate and `precision="bf16-true"` with '
        'Lightning; remove DeepSpeed\'s `"fp16"` / `"amp"` section (or set `"enabled": False`) and Apex '
        "`amp.initialize`; and load the model in BF16 (`torch_dtype=torch.bfloat16`)."
    )
    watches = (
        tables.TRAINING_ARGUMENTS
        | tables.ACCELERATORS
        | tables.LIGHTNING_TRAINERS
        | tables.APEX_AMP_INITIALIZE
        | {tables.TRL_PREFIX + name for name in tables.TRL_BF16_DEFAULT_CONFIGS}
    )
    methods = frozenset({"dict"})  # DeepSpeed configs written as dict(fp16=dict(enabled=True))
    # Every finding names one of the switches (`fp16=`, `mixed_precision=`, `precision=`,
    # a DeepSpeed section); fewer files spell one than name the classes.
    strings = frozenset(
        {
            *tables.TRAINING_ARGUMENT_SWITCHES,
            *tables.TRAINING_ARGUMENT_BACKENDS,
            # TRL's configs turn BF16 autocast on without any switch spelled; subclasses name their base
            *tables.TRL_BF16_DEFAULT_CONFIGS,
            *last_segments(tables.TRAINING_ARGUMENTS),
            tables.ACCELERATE_PRECISION_KEYWORD,
            tables.LIGHTNING_PRECISION_KEYWORD,
            *tables.DEEPSPEED_MIXED_SECTIONS,
            *last_segments(q.rsplit(".", 1)[0] for q in tables.APEX_AMP_INITIALIZE),  # `amp` of apex.amp
        }
    )
    # Statement words: the same, with `amp` a whole word (not `example`) and `precision` a
    # keyword (`precision=`, `mixed_precision=`). Its `finish` judges constructions of the
    # subclasses it noted; a class is always entered, and one whose bases hold a word taints
    # its name (`blyan_lint.prune`).
    statement_words = tuple(sorted({"amp": r"\bamp\b", "precision": "precision="}.get(w, w) for w in strings))

    def visit_Dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        return self._deepspeed_dict(node, ctx)

    # The project's own subclasses of TrainingArguments or a TRL config: their class-level
    # switch defaults here, their constructions after the walk (`finish`).
    def visit_ClassDef(self, node: ast.ClassDef, ctx: Context) -> Iterator[Report]:
        subclasses: dict[str, tuple[str, bool]] = ctx.extras.setdefault((self, "subclasses"), {})  # type: ignore[assignment]
        inherited = None
        for base in node.bases:
            qualified = ctx.qualified(base)
            kind = _training_arguments_kind(qualified) if qualified else None
            if kind is None and isinstance(base, ast.Name) and base.id in subclasses:
                kind, off = subclasses[base.id]
                inherited = (kind, off)
            if kind is not None:
                break
        else:
            return
        ctx.extras[(self, "module")] = ctx.stack[0]
        bf16_off = inherited[1] if inherited else False
        who = f"`{node.name}` (a subclass of `{dotted_text(base) or ctx.source(base)}`)"
        for target, value in _class_defaults(node):
            is_literal, flag, _ = ctx.constant(value)
            if target == tables.BF16_SWITCH and is_literal and flag is False:
                bf16_off = True
            if not is_literal or not _switched_on(flag):
                continue
            if target in tables.TRAINING_ARGUMENT_BF16_SWITCHES:
                what = _BF16_MEANING[target]
            elif target in tables.TRAINING_ARGUMENT_SWITCHES:
                what = "train in FP16 mixed precision" if target == tables.FP16_SWITCH else "evaluate in FP16"
            else:
                continue
            yield ctx.report(
                value,
                f"the default `{target} = {ctx.source(value)}` makes {who} {what}; the policy forbids mixed "
                "precision: remove it and load the model in BF16 (`torch_dtype=torch.bfloat16`)",
                facts=FrameworkPrecisionFacts(node.name, target, ctx.resolve(value), what),
            )
        subclasses[node.name] = (kind, bf16_off)

    def finish(self, ctx: Context) -> Iterator[Report]:
        subclasses: dict[str, tuple[str, bool]] = ctx.extras.get((self, "subclasses"), {})  # type: ignore[assignment]
        module = ctx.extras.get((self, "module"))
        if not subclasses or not isinstance(module, ast.AST):
            return
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in subclasses:
                kind, bf16_off = subclasses[node.func.id]
                yield from self._training_arguments(node, ctx, f"`{node.func.id}`", kind == _TRL and not bf16_off)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "dict" and ctx.qualified(func) is None:
            yield from self._deepspeed_dict_call(node, ctx)
            return
        qualified = ctx.qualified(func)
        if qualified is None:
            return
        spelled = dotted_text(func) or qualified
        who = f"`{spelled}`{_aka(spelled, qualified)}"  # how the message names the class
        kind = _training_arguments_kind(qualified)
        if kind is not None:
            yield from self._training_arguments(node, ctx, who, kind == _TRL)
        elif qualified in tables.ACCELERATORS:
            yield from self._accelerator(node, ctx, who)
        elif qualified in tables.LIGHTNING_TRAINERS:
            yield from self._lightning(node, ctx, who)
        elif qualified in tables.APEX_AMP_INITIALIZE:
            opt_level = keyword(node, tables.APEX_OPT_LEVEL_KEYWORD)
            where: ast.AST = opt_level if opt_level is not None else node
            written = f"{spelled}(..., {ctx.source(opt_level)})" if opt_level is not None else f"{spelled}(...)"
            yield ctx.report(
                where,
                f"`{written}`{_aka(spelled, qualified)} wraps the model and optimizer in NVIDIA Apex AMP (mixed "
                "precision, FP16 casts and loss scaling); the policy forbids mixed precision: remove it and train the "
                "model in BF16",
                facts=_framework_facts(
                    ctx, node, tables.APEX_OPT_LEVEL_KEYWORD, opt_level.value if opt_level else None, "NVIDIA Apex AMP"
                ),
            )

    # TrainingArguments and the TRL configs that extend it.
    def _training_arguments(self, node: ast.Call, ctx: Context, who: str, trl: bool) -> Iterator[Report]:
        if trl:
            yield from self._trl_default(node, ctx, who)
        for kw in node.keywords:
            if kw.arg in tables.TRAINING_ARGUMENT_BF16_SWITCHES:
                is_literal, value, note = ctx.constant(kw.value)
                if not is_literal or not _switched_on(value):
                    continue
                what = _BF16_MEANING[kw.arg]
                yield ctx.report(
                    kw,
                    f"`{kw.arg}={ctx.source(kw.value)}`{note} makes {who} {what}; the policy forbids mixed "
                    "precision: remove it and load the model in BF16 (`torch_dtype=torch.bfloat16`)",
                    facts=_framework_facts(ctx, node, kw.arg, kw.value, what),
                )
                continue
            if kw.arg in tables.TRAINING_ARGUMENT_SWITCHES:
                is_literal, value, note = ctx.constant(kw.value)
                if not is_literal or not _switched_on(value):
                    continue
                what = "train in FP16 mixed precision" if kw.arg == "fp16" else "evaluate in FP16"
                yield ctx.report(
                    kw,
                    f"`{kw.arg}={ctx.source(kw.value)}`{note} makes {who} {what}; the policy forbids mixed "
                    "precision: remove it and load the model in BF16 (`torch_dtype=torch.bfloat16`)",
                    facts=_framework_facts(ctx, node, kw.arg, kw.value, what),
                )
            elif kw.arg in tables.TRAINING_ARGUMENT_BACKENDS:
                yield ctx.report(
                    kw,
                    f"`{kw.arg}=` selects the mixed-precision backend of {who}; the policy forbids mixed "
                    "precision: remove it and load the model in BF16 (`torch_dtype=torch.bfloat16`)",
                    facts=_framework_facts(ctx, node, kw.arg, kw.value, "selects the mixed-precision backend"),
                )

    def _trl_default(self, node: ast.Call, ctx: Context, who: str) -> Iterator[Report]:
        """TRL sets `bf16 = not fp16` when `bf16` is unset (or None): BF16 autocast by default."""
        if has_star_kwargs(node):
            return  # `bf16=False` may be among them
        bf16 = keyword(node, tables.BF16_SWITCH)
        if bf16 is not None:
            is_literal, value, _ = ctx.constant(bf16.value)
            if not (is_literal and value is None):
                return  # given: judged as a switch (`bf16=True`), off, or decided at run time
        fp16 = keyword(node, tables.FP16_SWITCH)
        if fp16 is not None:
            is_literal, value, _ = ctx.constant(fp16.value)
            if not is_literal or _switched_on(value):
                return  # `fp16=True` (reported as such) turns bf16 off; a run-time value is not judged
        what = "runs BF16 autocast (TRL sets `bf16 = not fp16` when `bf16` is unset)"
        yield ctx.report(
            node.func,
            f"{who} without `bf16=False` {what}, which computes its FP32 op list in FP32; the "
            "policy forbids mixed precision: pass `bf16=False` and load the model in BF16 "
            "(`torch_dtype=torch.bfloat16`)",
            facts=_framework_facts(ctx, node, tables.BF16_SWITCH, bf16.value if bf16 else None, what),
        )

    def _accelerator(self, node: ast.Call, ctx: Context, who: str) -> Iterator[Report]:
        kw = keyword(node, tables.ACCELERATE_PRECISION_KEYWORD)
        if kw is None:
            return
        followed = ctx.follow(kw.value)
        value, note = followed.value, ctx.note(followed)
        text = string_value(value)
        if text is None:
            text = _precision_enum(ctx, value)
        if text is None or text.lower() not in tables.ACCELERATE_MIXED_VALUES:
            return
        meaning = tables.ACCELERATE_MIXED_PRECISION.get(text.lower(), "mixed precision")
        yield ctx.report(
            kw,
            f"`mixed_precision={ctx.source(kw.value)}`{note} makes {who} run {meaning}; the policy forbids "
            'mixed precision: use `mixed_precision="no"` and load the model in BF16',
            facts=_framework_facts(ctx, node, tables.ACCELERATE_PRECISION_KEYWORD, kw.value, meaning),
        )

    def _lightning(self, node: ast.Call, ctx: Context, who: str) -> Iterator[Report]:
        kw = keyword(node, tables.LIGHTNING_PRECISION_KEYWORD)
        if kw is None:
            return
        is_literal, value, note = ctx.constant(kw.value)
        if not is_literal or isinstance(value, bool):
            return
        if value is None:
            meaning = 'the default "32-true" (FP32)'
        elif isinstance(value, (int, str)):
            if str(value) == tables.LIGHTNING_COMPLIANT_PRECISION:
                return
            meaning = tables.LIGHTNING_PRECISION.get(str(value), f'not "{tables.LIGHTNING_COMPLIANT_PRECISION}"')
        else:
            return
        yield ctx.report(
            kw,
            f"`precision={ctx.source(kw.value)}`{note} makes {who} run {meaning}; the policy requires BF16 "
            f'for every computation: use `precision="{tables.LIGHTNING_COMPLIANT_PRECISION}"`',
            facts=_framework_facts(ctx, node, tables.LIGHTNING_PRECISION_KEYWORD, kw.value, meaning),
        )

    # DeepSpeed configs written as dict literals: {"fp16": {"enabled": True}}.
    def _deepspeed_dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        for key, value in zip(node.keys, node.values, strict=True):
            section = string_value(key)  # type: ignore[arg-type]
            if section in tables.DEEPSPEED_MIXED_SECTIONS:
                yield from self._section(ctx, section, value)

    def _deepspeed_dict_call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        for kw in node.keywords:
            if kw.arg in tables.DEEPSPEED_MIXED_SECTIONS:
                yield from self._section(ctx, kw.arg, kw.value)

    def _section(self, ctx: Context, section: str, value: ast.expr) -> Iterator[Report]:
        entry: tuple[ast.AST, ast.AST] | None = None
        enabled: ast.expr | None = None
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                if string_value(key) == tables.ENABLED_KEYWORD:  # type: ignore[arg-type]
                    entry, enabled = (key, item), item  # type: ignore[assignment]
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
            kw = keyword(value, tables.ENABLED_KEYWORD)
            if kw is not None:
                entry, enabled = (kw, kw), kw.value
        if entry is None or enabled is None:
            return
        is_literal, flag, note = ctx.constant(enabled)
        if not is_literal or not _switched_on(flag):
            return
        meaning = (
            "DeepSpeed FP16 mixed precision (FP32 master weights, loss scaling)"
            if section == "fp16"
            else "DeepSpeed's NVIDIA Apex AMP (mixed precision)"
        )
        yield ctx.report_span(
            entry[0],
            entry[1],
            f'`"{section}": {{"enabled": {ctx.source(enabled)}}}`{note} turns on {meaning}; the policy forbids '
            f'mixed precision: remove the "{section}" section and keep the model in BF16 (`"bf16": {{"enabled": '
            "True}`)",
            facts=FrameworkPrecisionFacts("deepspeed", section, ctx.resolve(enabled), meaning),
        )


_HF, _TRL = "transformers", "trl"
_BF16_MEANING = {
    "bf16": "train under BF16 autocast, which computes its FP32 op list (softmax, norms, losses) in FP32",
    "bf16_full_eval": "cast the model to BF16 for evaluation only, so training and evaluation differ in precision",
}


def _class_defaults(node: ast.ClassDef) -> Iterator[tuple[str, ast.expr]]:
    """(field, default) of a dataclass body: `bf16: bool = True`, `bf16 = field(default=True)`."""
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            name, value = stmt.target.id, stmt.value
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, value = stmt.targets[0].id, stmt.value
        else:
            continue
        if isinstance(value, ast.Call) and dotted_text(value.func) in ("field", "dataclasses.field"):
            default = keyword(value, "default")
            if default is None:
                continue
            value = default.value
        yield name, value


def _training_arguments_kind(qualified: str) -> str | None:
    """_TRL for TRL's configs (BF16 on by default), _HF for TrainingArguments and the rest."""
    if qualified.startswith(tables.TRL_PREFIX) and qualified.rsplit(".", 1)[-1] in tables.TRL_BF16_DEFAULT_CONFIGS:
        return _TRL
    return _HF if qualified in tables.TRAINING_ARGUMENTS else None


def _framework_facts(
    ctx: Context, call: ast.Call, setting: str, value: ast.expr | None, meaning: str
) -> FrameworkPrecisionFacts:
    framework = ctx.qualified(call.func) or dotted_text(call.func) or ctx.source(call.func)
    return FrameworkPrecisionFacts(framework, setting, ctx.resolve(value), meaning)


def _precision_enum(ctx: Context, node: ast.AST) -> str | None:
    """`PrecisionType.FP16` -> "fp16", for accelerate's enum spelling."""
    if not isinstance(node, ast.Attribute):
        return None
    owner = ctx.qualified(node.value)
    if owner in tables.ACCELERATE_PRECISION_ENUMS:
        return node.attr.lower()
    return None


RULES = (Autocast, GradScaler, FrameworkMixedPrecision)
