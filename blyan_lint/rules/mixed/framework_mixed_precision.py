"""BLY203 framework-mixed-precision: the trainer-level switches that turn on mixed precision."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.mixed_precision import (
    ACCELERATE_MIXED_PRECISION,
    ACCELERATE_MIXED_VALUES,
    ACCELERATE_PRECISION_ENUMS,
    ACCELERATE_PRECISION_KEYWORD,
    ACCELERATORS,
    APEX_AMP_INITIALIZE,
    APEX_OPT_LEVEL_KEYWORD,
    BF16_SWITCH,
    DEEPSPEED_MIXED_MEANINGS,
    DEEPSPEED_MIXED_SECTIONS,
    ENABLED_KEYWORD,
    FP16_SWITCH,
    LIGHTNING_COMPLIANT_PRECISION,
    LIGHTNING_PRECISION,
    LIGHTNING_PRECISION_KEYWORD,
    LIGHTNING_TRAINERS,
    TRAINING_ARGUMENT_BACKENDS,
    TRAINING_ARGUMENT_MEANINGS,
    TRAINING_ARGUMENT_SWITCHES,
    TRAINING_ARGUMENTS,
    TRL_BF16_DEFAULT_CONFIGS,
    TRL_PREFIX,
)
from ...facts import (
    FrameworkPrecisionFacts,
)
from ...names import dotted_text, has_star_kwargs, keyword, string_value
from ..base import Report, Rule, last_segments
from .uses import POLICY, aka, switched_on

_GUARD = (
    "if torch.cuda.get_device_capability()[0] < 8:\n"
    '    raise RuntimeError("BF16 requires an Ampere GPU (compute capability 8.0+)")\n'
)


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
        TRAINING_ARGUMENTS
        | ACCELERATORS
        | LIGHTNING_TRAINERS
        | APEX_AMP_INITIALIZE
        | {TRL_PREFIX + name for name in TRL_BF16_DEFAULT_CONFIGS}
    )
    methods = frozenset({"dict"})  # DeepSpeed configs written as dict(fp16=dict(enabled=True))
    # Every finding names one of the switches (`fp16=`, `mixed_precision=`, `precision=`,
    # a DeepSpeed section); fewer files spell one than name the classes.
    strings = frozenset(
        {
            *TRAINING_ARGUMENT_SWITCHES,
            *TRAINING_ARGUMENT_BACKENDS,
            # TRL's configs turn BF16 autocast on without any switch spelled; subclasses name their base
            *TRL_BF16_DEFAULT_CONFIGS,
            *last_segments(TRAINING_ARGUMENTS),
            ACCELERATE_PRECISION_KEYWORD,
            LIGHTNING_PRECISION_KEYWORD,
            *DEEPSPEED_MIXED_SECTIONS,
            *last_segments(q.rsplit(".", 1)[0] for q in APEX_AMP_INITIALIZE),  # `amp` of apex.amp
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
            if target == BF16_SWITCH and is_literal and flag is False:
                bf16_off = True
            if not is_literal or not switched_on(flag):
                continue
            if target not in TRAINING_ARGUMENT_MEANINGS:
                continue
            what = TRAINING_ARGUMENT_MEANINGS[target]
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
        who = f"`{spelled}`{aka(spelled, qualified)}"  # how the message names the class
        kind = _training_arguments_kind(qualified)
        if kind is not None:
            yield from self._training_arguments(node, ctx, who, kind == _TRL)
        elif qualified in ACCELERATORS:
            yield from self._accelerator(node, ctx, who)
        elif qualified in LIGHTNING_TRAINERS:
            yield from self._lightning(node, ctx, who)
        elif qualified in APEX_AMP_INITIALIZE:
            opt_level = keyword(node, APEX_OPT_LEVEL_KEYWORD)
            where: ast.AST = opt_level if opt_level is not None else node
            written = f"{spelled}(..., {ctx.source(opt_level)})" if opt_level is not None else f"{spelled}(...)"
            yield ctx.report(
                where,
                f"`{written}`{aka(spelled, qualified)} wraps the model and optimizer in NVIDIA Apex AMP (mixed "
                "precision, FP16 casts and loss scaling); the policy forbids mixed precision: remove it and train the "
                "model in BF16",
                facts=_framework_facts(
                    ctx, node, APEX_OPT_LEVEL_KEYWORD, opt_level.value if opt_level else None, "NVIDIA Apex AMP"
                ),
            )

    # TrainingArguments and the TRL configs that extend it.
    def _training_arguments(self, node: ast.Call, ctx: Context, who: str, trl: bool) -> Iterator[Report]:
        if trl:
            yield from self._trl_default(node, ctx, who)
        for kw in node.keywords:
            if kw.arg in TRAINING_ARGUMENT_MEANINGS:
                is_literal, value, note = ctx.constant(kw.value)
                if not is_literal or not switched_on(value):
                    continue
                what = TRAINING_ARGUMENT_MEANINGS[kw.arg]
                yield ctx.report(
                    kw,
                    f"`{kw.arg}={ctx.source(kw.value)}`{note} makes {who} {what}; the policy forbids mixed "
                    "precision: remove it and load the model in BF16 (`torch_dtype=torch.bfloat16`)",
                    facts=_framework_facts(ctx, node, kw.arg, kw.value, what),
                )
            elif kw.arg in TRAINING_ARGUMENT_BACKENDS:
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
        bf16 = keyword(node, BF16_SWITCH)
        if bf16 is not None:
            is_literal, value, _ = ctx.constant(bf16.value)
            if not (is_literal and value is None):
                return  # given: judged as a switch (`bf16=True`), off, or decided at run time
        fp16 = keyword(node, FP16_SWITCH)
        if fp16 is not None:
            is_literal, value, _ = ctx.constant(fp16.value)
            if not is_literal or switched_on(value):
                return  # `fp16=True` (reported as such) turns bf16 off; a run-time value is not judged
        what = "runs BF16 autocast (TRL sets `bf16 = not fp16` when `bf16` is unset)"
        yield ctx.report(
            node.func,
            f"{who} without `bf16=False` {what}, which computes its FP32 op list in FP32; the "
            "policy forbids mixed precision: pass `bf16=False` and load the model in BF16 "
            "(`torch_dtype=torch.bfloat16`)",
            facts=_framework_facts(ctx, node, BF16_SWITCH, bf16.value if bf16 else None, what),
        )

    def _accelerator(self, node: ast.Call, ctx: Context, who: str) -> Iterator[Report]:
        kw = keyword(node, ACCELERATE_PRECISION_KEYWORD)
        if kw is None:
            return
        followed = ctx.follow(kw.value)
        value, note = followed.value, ctx.note(followed)
        text = string_value(value)
        if text is None:
            text = _precision_enum(ctx, value)
        if text is None or text.lower() not in ACCELERATE_MIXED_VALUES:
            return
        meaning = ACCELERATE_MIXED_PRECISION.get(text.lower(), "mixed precision")
        yield ctx.report(
            kw,
            f"`mixed_precision={ctx.source(kw.value)}`{note} makes {who} run {meaning}; the policy forbids "
            'mixed precision: use `mixed_precision="no"` and load the model in BF16',
            facts=_framework_facts(ctx, node, ACCELERATE_PRECISION_KEYWORD, kw.value, meaning),
        )

    def _lightning(self, node: ast.Call, ctx: Context, who: str) -> Iterator[Report]:
        kw = keyword(node, LIGHTNING_PRECISION_KEYWORD)
        if kw is None:
            return
        is_literal, value, note = ctx.constant(kw.value)
        if not is_literal or isinstance(value, bool):
            return
        if value is None:
            meaning = 'the default "32-true" (FP32)'
        elif isinstance(value, (int, str)):
            if str(value) == LIGHTNING_COMPLIANT_PRECISION:
                return
            meaning = LIGHTNING_PRECISION.get(str(value), f'not "{LIGHTNING_COMPLIANT_PRECISION}"')
        else:
            return
        yield ctx.report(
            kw,
            f"`precision={ctx.source(kw.value)}`{note} makes {who} run {meaning}; the policy requires BF16 "
            f'for every computation: use `precision="{LIGHTNING_COMPLIANT_PRECISION}"`',
            facts=_framework_facts(ctx, node, LIGHTNING_PRECISION_KEYWORD, kw.value, meaning),
        )

    # DeepSpeed configs written as dict literals: {"fp16": {"enabled": True}}.
    def _deepspeed_dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        for key, value in zip(node.keys, node.values, strict=True):
            section = string_value(key)
            if section in DEEPSPEED_MIXED_SECTIONS:
                yield from self._section(ctx, section, value)

    def _deepspeed_dict_call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        for kw in node.keywords:
            if kw.arg in DEEPSPEED_MIXED_SECTIONS:
                yield from self._section(ctx, kw.arg, kw.value)

    def _section(self, ctx: Context, section: str, value: ast.expr) -> Iterator[Report]:
        entry: tuple[ast.AST, ast.AST] | None = None
        enabled: ast.expr | None = None
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                if string_value(key) == ENABLED_KEYWORD:
                    entry, enabled = (key, item), item  # type: ignore[assignment]
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
            kw = keyword(value, ENABLED_KEYWORD)
            if kw is not None:
                entry, enabled = (kw, kw), kw.value
        if entry is None or enabled is None:
            return
        is_literal, flag, note = ctx.constant(enabled)
        if not is_literal or not switched_on(flag):
            return
        meaning = DEEPSPEED_MIXED_MEANINGS[section]
        yield ctx.report_span(
            entry[0],
            entry[1],
            f'`"{section}": {{"enabled": {ctx.source(enabled)}}}`{note} turns on {meaning}; the policy forbids '
            f'mixed precision: remove the "{section}" section and keep the model in BF16 (`"bf16": {{"enabled": '
            "True}`)",
            facts=FrameworkPrecisionFacts("deepspeed", section, ctx.resolve(enabled), meaning),
        )


_HF, _TRL = "transformers", "trl"


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
    if qualified.startswith(TRL_PREFIX) and qualified.rsplit(".", 1)[-1] in TRL_BF16_DEFAULT_CONFIGS:
        return _TRL
    return _HF if qualified in TRAINING_ARGUMENTS else None


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
    if owner in ACCELERATE_PRECISION_ENUMS:
        return node.attr.lower()
    return None
