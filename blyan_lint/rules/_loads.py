"""Facts about a model load (`X.from_pretrained(...)`, `pipeline(...)`), shared by every rule
that reports on a load or on a value that comes from one (BLY102, BLY103, BLY302, BLY4xx)."""

from __future__ import annotations

import ast

from ..context import Context
from ..data.devices import DEVICE_MAP_KEYWORD
from ..data.loaders import LOADER_DTYPE_KEYWORDS, LOADER_MODEL_KEYWORDS, PIPELINE_FACTORIES, QUANTIZATION_CONFIG_KEYWORD
from ..data.quantized_formats import FOUR_BIT_KEYWORD, INT8_KEYWORD
from ..facts import ABSENT_DTYPE, ABSENT_VALUE, UNKNOWN_DTYPE, Keyword, LoadFacts, Value
from ..names import dotted_text, has_star_kwargs, keyword, string_value

NO_QUANTIZATION = "none"
UNKNOWN_QUANTIZATION = "unknown"
# How the documented examples of the rules that judge a load open (BLY103, BLY302): the
# imports, the policy's capability guard, and the loader call up to its arguments.
EXAMPLE_LOAD_OPENING = (
    "import torch\n"
    "from transformers import AutoModelForCausalLM\n\n"
    "if torch.cuda.get_device_capability()[0] < 8:\n"
    '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
    "model = AutoModelForCausalLM.from_pretrained(\n"
)


def load_facts(ctx: Context, call: ast.Call) -> LoadFacts:
    """What a loader call asks for, every argument resolved through local bindings and
    parameter defaults (a default is marked `how="default"` in the value's `via`)."""
    func = call.func
    loader = ctx.qualified(func) or dotted_text(func) or ctx.source(func)
    star = has_star_kwargs(call)
    dtype_kw = dtype_keyword(call)
    dtype_value = ctx.resolve(dtype_kw.value, defaults=True) if dtype_kw is not None else ABSENT_VALUE
    quantization, quantization_value = _quantization(ctx, call, star)
    device_map = keyword(call, DEVICE_MAP_KEYWORD)
    return LoadFacts(
        loader=loader,
        line=call.lineno,
        col=ctx.start(call).col,
        model=ctx.resolve(_model_argument(ctx, call), defaults=True),
        dtype_keyword=dtype_kw.arg if dtype_kw is not None else None,
        dtype=_dtype(ctx, dtype_kw, star),
        dtype_value=dtype_value,
        quantization=quantization,
        quantization_value=quantization_value,
        device_map=ctx.resolve(device_map.value, defaults=True) if device_map is not None else ABSENT_VALUE,
        keywords=tuple(
            Keyword(kw.arg, ctx.resolve(kw.value, defaults=True)) for kw in call.keywords if kw.arg is not None
        ),
        star_kwargs=star,
    )


def dtype_keyword(call: ast.Call) -> ast.keyword | None:
    """`torch_dtype=` (transformers 4) before `dtype=` (transformers 5), as the loader reads them."""
    for name in LOADER_DTYPE_KEYWORDS:
        kw = keyword(call, name)
        if kw is not None:
            return kw
    return None


def _model_argument(ctx: Context, call: ast.Call) -> ast.expr | None:
    pipeline = ctx.qualified(call.func) in PIPELINE_FACTORIES
    for name in LOADER_MODEL_KEYWORDS:
        kw = keyword(call, name)
        if kw is not None:
            return kw.value
    position = 1 if pipeline else 0  # pipeline(task, model)
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _dtype(ctx: Context, kw: ast.keyword | None, star: bool) -> str:
    if kw is None:
        return UNKNOWN_DTYPE if star else ABSENT_DTYPE
    followed = ctx.follow(kw.value, defaults=True).value
    if string_value(followed) == "auto":
        return "auto"
    return ctx.dtype_value(followed, strings=True) or UNKNOWN_DTYPE


def _quantization(ctx: Context, call: ast.Call, star: bool) -> tuple[str, Value]:
    """(format, the argument that says so): `load_in_8bit=True` -> int8,
    `quantization_config=BitsAndBytesConfig(load_in_4bit=True)` -> 4-bit,
    `quantization_config=GPTQConfig(...)` -> GPTQConfig."""
    for name, label in ((INT8_KEYWORD, "int8"), (FOUR_BIT_KEYWORD, "4-bit")):
        kw = keyword(call, name)
        if kw is not None and ctx.constant(kw.value)[1] is True:
            return label, ctx.resolve(kw.value, defaults=True)
    kw = keyword(call, QUANTIZATION_CONFIG_KEYWORD)
    if kw is None:
        return (UNKNOWN_QUANTIZATION if star else NO_QUANTIZATION), ABSENT_VALUE
    value = ctx.resolve(kw.value, defaults=True)
    config = ctx.follow(kw.value, defaults=True).value
    if isinstance(config, ast.Constant) and config.value is None:
        return NO_QUANTIZATION, value
    if not isinstance(config, ast.Call):
        return UNKNOWN_QUANTIZATION, value
    for name, label in ((INT8_KEYWORD, "int8"), (FOUR_BIT_KEYWORD, "4-bit")):
        switch = keyword(config, name)
        if switch is not None and ctx.constant(switch.value)[1] is True:
            return label, value
    callee = ctx.qualified(config.func) or dotted_text(config.func)
    return (callee.rsplit(".", 1)[-1] if callee else UNKNOWN_QUANTIZATION), value


def origin_of(ctx: Context, node: ast.expr) -> LoadFacts | None:
    """The load the value `node` comes from (`model` in `model.half()`), when seen."""
    call = ctx.names.loaded_from(node)
    return load_facts(ctx, call) if call is not None else None
