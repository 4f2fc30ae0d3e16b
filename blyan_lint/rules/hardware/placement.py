"""BLY302: a model or inference placed on the CPU."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.devices import (
    CPU_DEVICE_INDEX,
    CPU_MOVE_METHOD,
    CPU_OFFLOAD_KEYWORDS,
    CPU_OFFLOAD_SWITCH,
    DEEPSPEED_DEVICE_KEY,
    DEEPSPEED_OFFLOAD_DEVICES,
    DEEPSPEED_OFFLOAD_PLACES,
    DEEPSPEED_OFFLOAD_SECTIONS,
    DEVICE_KEYWORD,
    DEVICE_MAP_KEYWORD,
    DEVICE_MOVE_METHOD,
    ENGINE_CPU_OFFLOAD_KEYWORD,
    FSDP_CPU_OFFLOAD,
    FSDP_OFFLOAD_OPTION,
    FSDP_OFFLOAD_PARAMS_KEYWORD,
    FSDP_OFFLOAD_POLICIES,
    FSDP_OPTIONS_KEYWORD,
    OFFLOAD_DEVICE_STRINGS,
    OFFLOAD_FUNCTIONS,
    OFFLOAD_METHODS,
)
from ...data.loaders import PIPELINE_FACTORIES
from ...facts import LoadFacts, PlacementFacts
from ...fixes.edits import method_span
from ...names import dotted_text, is_true, keyword, string_value
from .._loads import EXAMPLE_LOAD_OPENING, load_facts
from ..base import Report, last_segments, spellings
from .shared import CPU_KIND, NO_CPU_MODE, OFFLOAD_WORDS, HardwareRule, device_kind, followed_value, is_cpu

# -- BLY302 --------------------------------------------------------------------------------


class CpuPlacement(HardwareRule):
    code = "BLY302"
    name = "cpu-placement"
    summary = (
        'A model or inference placed on the CPU: `device_map="cpu"` or `"cpu"`/`"disk"` in a `device_map` '
        'dict, `llm_int8_enable_fp32_cpu_offload=True`, `pipeline(..., device="cpu"/-1)`, `.to("cpu")` / '
        "`.cpu()` on a model loaded in the same function; CPU offload of weights or optimizer state (FSDP "
        "`CPUOffload(offload_params=True)`, `CPUOffloadPolicy()`, `cpu_offload=True`, DeepSpeed "
        '`offload_optimizer`/`offload_param` with `"device": "cpu"|"nvme"`, diffusers `enable_*_cpu_offload()`).'
    )
    policy = NO_CPU_MODE
    why = (
        "A model on the CPU (or offloaded to CPU memory or disk) runs BF16 through CPU kernels or upcasts "
        "it, so its outputs differ from the GPU nodes'. Tensors moved to the host for serialization or "
        "metrics (`logits.cpu().numpy()`, `state_dict` values) are not flagged; only values bound to a model "
        "loaded in the same function are. CPU offload is the same thing in pieces: FSDP's "
        "`CPUOffload(offload_params=True)` and FSDP2's `CPUOffloadPolicy()` keep the sharded parameters on the "
        'host and run the optimizer step there; DeepSpeed\'s ZeRO-Offload (`"offload_optimizer"` / '
        '`"offload_param"` with `"device": "cpu"` or `"nvme"`) does the same for optimizer state or '
        "parameters; diffusers' `enable_model_cpu_offload()` / `enable_sequential_cpu_offload()` and accelerate's "
        "`cpu_offload()` / `disk_offload()` keep weights on the host between uses, and so do TrainingArguments' "
        "`fsdp=\"... offload\"` option and vLLM's / SGLang's `cpu_offload_gb=N`. `CPUOffload()` (which offloads "
        'nothing by default), `"device": "none"` and values decided at run time are not flagged.'
    )
    example = EXAMPLE_LOAD_OPENING + '    "blyan/student-v18", torch_dtype=torch.bfloat16, device_map="cpu"\n)\n'
    fixed = EXAMPLE_LOAD_OPENING + '    "blyan/student-v18", torch_dtype=torch.bfloat16, device_map="auto"\n)\n'
    watches = PIPELINE_FACTORIES | FSDP_CPU_OFFLOAD | FSDP_OFFLOAD_POLICIES | OFFLOAD_FUNCTIONS
    methods = frozenset({CPU_MOVE_METHOD, DEVICE_MOVE_METHOD, *OFFLOAD_METHODS, "dict"})
    keywords = frozenset(
        {
            DEVICE_MAP_KEYWORD,
            *CPU_OFFLOAD_KEYWORDS,
            CPU_OFFLOAD_SWITCH,
            FSDP_OPTIONS_KEYWORD,
            ENGINE_CPU_OFFLOAD_KEYWORD,
        }
    )
    strings = OFFLOAD_WORDS | spellings(DEEPSPEED_OFFLOAD_DEVICES) | {FSDP_OFFLOAD_OPTION}
    # Statement words: -1 is the CPU only as a pipeline's device
    statement_words = (
        *sorted(strings - {str(CPU_DEVICE_INDEX)}),
        *(f"{CPU_DEVICE_INDEX}&{name}" for name in sorted(last_segments(PIPELINE_FACTORIES))),
    )

    def visit_Dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        for key, value in zip(node.keys, node.values, strict=True):
            name = string_value(key)
            if name == DEVICE_MAP_KEYWORD:
                yield from self._device_map(value, ctx)
            elif name in DEEPSPEED_OFFLOAD_SECTIONS and key is not None:
                yield from self._deepspeed_offload(ctx, name, key, value)

    def visit_keyword(self, node: ast.keyword, ctx: Context) -> Iterator[Report]:
        if node.arg == DEVICE_MAP_KEYWORD:
            yield from self._device_map(node.value, ctx)
        elif node.arg == CPU_OFFLOAD_SWITCH:
            is_literal, value, note = ctx.constant(node.value)
            if is_literal and value is True:
                yield ctx.report(
                    node,
                    f"`cpu_offload={ctx.source(node.value)}`{note} keeps the sharded parameters in CPU memory and "
                    "runs the optimizer step on the CPU; the policy has no CPU mode (BF16 requires GPU support): "
                    "keep parameters and optimizer state on the GPUs (shard across more of them)",
                    facts=_facts(ctx, "fsdp_offload", CPU_KIND, node.value),
                )
        elif node.arg == FSDP_OPTIONS_KEYWORD:
            is_literal, value, note = ctx.constant(node.value)
            options = value.split() if is_literal and isinstance(value, str) else []
            parent = ctx.parent
            trainer = isinstance(parent, ast.Call) and ctx.qualified(parent.func) is not None
            if FSDP_OFFLOAD_OPTION in options and trainer:
                yield ctx.report(
                    node,
                    f"`fsdp={ctx.source(node.value)}`{note}: the `offload` option keeps FSDP's parameters in CPU "
                    f"memory and steps the optimizer there; the policy has no CPU mode (BF16 requires GPU support): "
                    f"{_KEEP_ON_GPU}",
                    facts=_facts(ctx, "fsdp_offload", CPU_KIND, node.value),
                )
        elif node.arg == ENGINE_CPU_OFFLOAD_KEYWORD:
            is_literal, value, note = ctx.constant(node.value)
            if is_literal and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                yield ctx.report(
                    node,
                    f"`cpu_offload_gb={ctx.source(node.value)}`{note} keeps {value} GiB of the model's weights in CPU "
                    "memory and streams them to the GPU at every step; the policy has no CPU mode (BF16 requires GPU "
                    "support): fit the model on the GPUs (`tensor_parallel_size`)",
                    facts=_facts(ctx, "engine_offload", CPU_KIND, node.value, load=None),
                )
        elif is_true(node.value):  # an offload flag (the only other keywords watched)
            yield ctx.report(
                node,
                f"`{node.arg}=True` keeps the modules that do not fit on the GPU on the CPU in FP32; the policy "
                "has no CPU mode (BF16 requires GPU support): fit the model on the GPU and drop this flag",
                facts=_facts(ctx, "offload_flag", CPU_KIND, node.value, load=_enclosing_load(ctx)),
            )

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        yield from self._offload(node, ctx)
        if ctx.qualified(node.func) in PIPELINE_FACTORIES:
            device = keyword(node, DEVICE_KEYWORD)
            kind = device_kind(ctx, device.value) if device is not None else None
            if device is not None and is_cpu(kind, index=True):
                yield ctx.report(
                    device.value,
                    f"`pipeline(device={ctx.source(device.value)})` runs inference on the CPU; the policy has no "
                    'CPU mode (BF16 requires GPU support): use a CUDA device (`device=0`) or `device_map="auto"`',
                    facts=_facts(ctx, "pipeline", kind or CPU_KIND, device.value, load=load_facts(ctx, node)),
                )
        yield from self._move(node, ctx)

    # -- CPU offload of weights or optimizer state (catalog 1.1) ---------------------------
    def _offload(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        qualified = ctx.qualified(func)
        spelled = dotted_text(func) or ctx.source(func)
        if qualified in FSDP_CPU_OFFLOAD:
            switch = keyword(node, FSDP_OFFLOAD_PARAMS_KEYWORD)
            value = switch.value if switch is not None else (node.args[0] if node.args else None)
            if value is None:
                return  # `CPUOffload()`: offload_params defaults to False
            is_literal, flag, note = ctx.constant(value)
            if is_literal and flag is True:
                yield ctx.report(
                    node,
                    f"`{ctx.source(node) if len(ctx.source(node)) <= 60 else spelled + '(...)'}`{note} keeps FSDP's "
                    "parameters and gradients in CPU memory and runs the optimizer step on the CPU; the policy has "
                    f"no CPU mode (BF16 requires GPU support): {_KEEP_ON_GPU}",
                    facts=_facts(ctx, "fsdp_offload", CPU_KIND, value),
                )
        elif qualified in FSDP_OFFLOAD_POLICIES:
            yield ctx.report(
                node,
                f"`{spelled}(...)` keeps FSDP2's sharded parameters, gradients and optimizer state in CPU memory and "
                f"steps on the CPU; the policy has no CPU mode (BF16 requires GPU support): {_KEEP_ON_GPU}",
                facts=_facts(ctx, "fsdp_offload", CPU_KIND, None),
            )
        elif qualified in OFFLOAD_FUNCTIONS:
            where = "the disk" if qualified.endswith("disk_offload") else "the CPU"
            yield ctx.report(
                node,
                f"`{spelled}(...)` keeps the model's weights on {where} and copies each module to the GPU only "
                f"while it runs; the policy has no CPU mode (BF16 requires GPU support): {_KEEP_ON_GPU}",
                facts=_facts(
                    ctx, "offload_hook", _device_word(where), None, receiver=node.args[0] if node.args else None
                ),
            )
        elif isinstance(func, ast.Attribute) and func.attr in OFFLOAD_METHODS and qualified is None:
            start, end = method_span(ctx, node)
            yield Report(
                start,
                end,
                f"`.{func.attr}()` keeps the pipeline's weights in CPU memory and moves each model (or layer) to the "
                "GPU only while it runs; the policy has no CPU mode (BF16 requires GPU support): move the pipeline "
                '`.to("cuda")` instead',
                facts=_facts(ctx, "pipeline_offload", CPU_KIND, None, method=func.attr, receiver=func.value),
            )
        elif isinstance(func, ast.Name) and func.id == "dict" and qualified is None:
            for kw in node.keywords:
                if kw.arg in DEEPSPEED_OFFLOAD_SECTIONS:
                    yield from self._deepspeed_offload(ctx, kw.arg, kw, kw.value)

    def _deepspeed_offload(self, ctx: Context, section: str, first: ast.AST, value: ast.expr) -> Iterator[Report]:
        """`"offload_optimizer": {"device": "cpu"}` (or `dict(device="nvme")`) in a DeepSpeed config."""
        section_value = ctx.follow(value).value
        device: ast.expr | None = None
        if isinstance(section_value, ast.Dict):
            for key, item in zip(section_value.keys, section_value.values, strict=True):
                if string_value(key) == DEEPSPEED_DEVICE_KEY:
                    device = item
        elif isinstance(section_value, ast.Call) and dotted_text(section_value.func) == "dict":
            kw = keyword(section_value, DEEPSPEED_DEVICE_KEY)
            device = kw.value if kw is not None else None
        if device is None:
            return
        is_literal, text, note = ctx.constant(device)
        target = text.strip().lower() if is_literal and isinstance(text, str) else None
        if target not in DEEPSPEED_OFFLOAD_DEVICES:
            return
        what = "the optimizer state and step" if section == "offload_optimizer" else "the parameters"
        yield ctx.report_span(
            first,
            device,
            f'`"{section}": {{"device": {ctx.source(device)}}}`{note} keeps {what} {DEEPSPEED_OFFLOAD_PLACES[target]} '
            "(DeepSpeed ZeRO-Offload); the policy has no CPU mode (BF16 requires GPU support): remove the "
            f'"{section}" section and keep {what} on the GPUs',
            facts=_facts(ctx, "deepspeed_offload", target, device, module=section),
        )

    def _device_map(self, value: ast.expr, ctx: Context) -> Iterator[Report]:
        mapping = followed_value(ctx, value)
        if isinstance(mapping, ast.Dict):
            for key, target in zip(mapping.keys, mapping.values, strict=True):
                where = _offload_target(ctx, target)
                if where is not None:
                    module = string_value(key)
                    what = f'"{module}"' if module else "the whole model" if module == "" else "a module"
                    yield ctx.report(
                        target,
                        f"`device_map` sends {what} to {where}; the policy has no CPU mode (BF16 requires GPU "
                        'support): place every module on a GPU (`device_map="auto"` with enough GPU memory)',
                        facts=_facts(
                            ctx, "device_map_entry", _device_word(where), target, module, load=_enclosing_load(ctx)
                        ),
                    )
            return
        where = _offload_target(ctx, value)
        if where is None:
            return
        yield ctx.report(
            value,
            f"`device_map={ctx.source(value)}`{ctx.note(ctx.follow(value))} places the model on {where}; the policy "
            'has no CPU mode (BF16 requires GPU support): use `device_map="auto"` or a CUDA device',
            facts=_facts(ctx, "device_map", _device_word(where), value, load=_enclosing_load(ctx)),
        )

    def _move(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        target: ast.expr | None = None
        if func.attr == CPU_MOVE_METHOD:
            if node.args:
                return
        elif func.attr == DEVICE_MOVE_METHOD:
            device = keyword(node, DEVICE_KEYWORD)
            targets = [*node.args[:1], *([device.value] if device is not None else [])]
            target = next((t for t in targets if is_cpu(device_kind(ctx, t), index=False)), None)
            if target is None:
                return
        else:
            return
        loaded = ctx.names.loaded_from(func.value)
        if loaded is None:
            return
        facts = _facts(
            ctx, "move", CPU_KIND, target, method=func.attr, receiver=func.value, load=load_facts(ctx, loaded)
        )
        start, end = method_span(ctx, node)
        receiver = dotted_text(func.value)
        if receiver is None or isinstance(func.value, ast.Call):
            what = "the freshly loaded model"
        else:
            what = f"`{receiver}` (the model loaded on line {facts.model_line})"
        written = ctx.lines[start.line - 1][start.col - 1 : end.col - 1] if start.line == end.line else ""
        yield Report(
            start,
            end,
            f"`.{written or func.attr + '(...)'}` moves {what} to the CPU; the policy has no CPU mode (BF16 "
            "requires GPU support): keep the model on the GPU",
            facts=facts,
        )


_KEEP_ON_GPU = "keep parameters and optimizer state on the GPUs (shard across more of them)"


def _facts(
    ctx: Context,
    how: str,
    device: str,
    value: ast.expr | None,
    module: str | None = None,
    method: str | None = None,
    receiver: ast.expr | None = None,
    load: LoadFacts | None = None,
) -> PlacementFacts:
    return PlacementFacts(
        how=how,
        device=device,
        value=ctx.resolve(value),
        module=module,
        method=method,
        receiver=ctx.source(receiver) if receiver is not None else None,
        model_line=load.line if load is not None else None,
        load=load,
    )


def _enclosing_load(ctx: Context) -> LoadFacts | None:
    """The load a keyword (`device_map=`, an offload flag) is passed to, if it is one."""
    parent = ctx.parent
    if isinstance(parent, ast.Call) and ctx.names.is_load(parent):
        return load_facts(ctx, parent)
    return None


def _device_word(where: str) -> str:
    return "disk" if where == "the disk" else CPU_KIND


def _offload_target(ctx: Context, value: ast.expr) -> str | None:
    followed = followed_value(ctx, value)
    text = string_value(followed)
    if text is not None and text.strip().lower() in OFFLOAD_DEVICE_STRINGS:
        return "the disk" if text.strip().lower() == "disk" else "the CPU"
    if isinstance(followed, ast.Call) and device_kind(ctx, followed) == CPU_KIND:
        return "the CPU"
    return None
