"""Quantized formats (BLY401, BLY402, BLY404): the dtypes, classes, configs, loader switches,
optimizer strings and name markers that quantize, and what each quantizes to.

INT8 is the one format the policy allows, for teachers; every other one is allowed nowhere.
"""

from __future__ import annotations

# FP8 formats: not allowed in any scope (BLY402).
FP8_DTYPES: frozenset[str] = frozenset(
    {
        "torch.float8_e4m3fn",
        "torch.float8_e4m3fnuz",
        "torch.float8_e5m2",
        "torch.float8_e5m2fnuz",
        "torch.float8_e8m0fnu",
    }
)
# Quantized integer dtypes: INT8 (BLY401).
INT8_DTYPES: frozenset[str] = frozenset({"torch.qint8", "torch.quint8"})
INT8_CLASSES: frozenset[str] = frozenset(
    {
        "bitsandbytes.nn.Linear8bitLt",
        "bitsandbytes.nn.Int8Params",
        "bitsandbytes.nn.modules.Linear8bitLt",
        "torch.quantization.quantize_dynamic",
        "torch.ao.quantization.quantize_dynamic",
    }
)
# Any attribute under these modules is INT8 quantization machinery.
INT8_MODULE_PREFIXES: tuple[str, ...] = (
    "torch.ao.quantization.",
    "torch.quantization.",
    "torch.ao.nn.quantized.",
    "torch.nn.quantized.",
)
BNB_OPTIM_PREFIX = "bitsandbytes.optim."
# `optim=` values of transformers' TrainingArguments (OptimizerNames) that keep 8-bit state.
INT8_OPTIMIZER_STRINGS: frozenset[str] = frozenset(
    {
        "adamw_bnb_8bit",
        "adamw_8bit",
        "paged_adamw_8bit",
        "lion_8bit",
        "paged_lion_8bit",
        "rmsprop_bnb_8bit",
        "ademamix_8bit",
        "paged_ademamix_8bit",
        "galore_adamw_8bit",
        "galore_adamw_8bit_layerwise",
        "adamw_torch_8bit",
    }
)
# ... and 4-bit state (BLY402).
FOUR_BIT_OPTIMIZER_STRINGS: frozenset[str] = frozenset({"adamw_torch_4bit"})
# Keywords that take such a string.
OPTIMIZER_STRING_KEYWORDS: frozenset[str] = frozenset({"optim"})
# bitsandbytes optimizers take `optim_bits=8` for 8-bit state.
OPTIM_BITS_KEYWORD = "optim_bits"
# Libraries whose names say their format: under these prefixes, a name whose last segment
# (lowercased) contains an unsupported marker is BLY402, else one with an INT8 marker is
# BLY401 (`bnb.optim.PagedAdamW8bit`, `torchao.quantization.Int4WeightOnlyConfig`). The same
# markers classify quantization-type strings (`QuantoConfig(weights="int4")`, `TorchAoConfig("int8_weight_only")`).
QUANT_LIBRARY_PREFIXES: tuple[str, ...] = ("bitsandbytes.", "torchao.", "optimum.quanto.")
INT8_MARKERS: tuple[str, ...] = ("int8", "8bit")
UNSUPPORTED_QUANT_MARKERS: tuple[str, ...] = (
    *("int4", "4bit", "int2", "nf4", "fp4"),
    *("float8", "fp8", "fp6", "fpx", "uintx"),
)
# What a marker found in a name or quantization-type string means, for messages.
QUANT_MARKER_LABELS: dict[str, str] = {
    "int4": "4-bit",
    "4bit": "4-bit",
    "int2": "2-bit",
    "nf4": "NF4 (4-bit)",
    "fp4": "FP4 (4-bit)",
    "float8": "FP8",
    "fp8": "FP8",
    "fp6": "FP6",
    "fpx": "low-bit float",
    "uintx": "low-bit integer",
}
# Quantization methods a config class is named after (`GPTQConfig` -> GPTQ).
QUANT_METHOD_NAMES: tuple[str, ...] = ("GPTQ", "AWQ")
# Sub-8-bit quantized torch dtypes (BLY402).
LOW_BIT_DTYPES: frozenset[str] = frozenset({"torch.quint4x2", "torch.quint2x4"})
QUANTO_CONFIG: frozenset[str] = frozenset({"transformers.QuantoConfig", "optimum.quanto.QuantoConfig"})
TORCHAO_CONFIG: frozenset[str] = frozenset({"transformers.TorchAoConfig"})
EETQ_CONFIG: frozenset[str] = frozenset({"transformers.EetqConfig"})
FOUR_BIT_CLASSES: frozenset[str] = frozenset(
    {
        "bitsandbytes.nn.Linear4bit",
        "bitsandbytes.nn.LinearNF4",
        "bitsandbytes.nn.LinearFP4",
        "bitsandbytes.nn.Params4bit",
        "bitsandbytes.nn.modules.Linear4bit",
    }
)
# Every quantization config class of transformers 5 (utils/quantization_config.py, 5.23.0)
# that is neither INT8 nor BF16. Not here: BitsAndBytesConfig, QuantoConfig, TorchAoConfig,
# EetqConfig (judged by their arguments), and CompressedTensorsConfig / QuarkConfig, whose
# format (INT8, FP8 or 4-bit) is the checkpoint's, not the code's.
_TRANSFORMERS_UNSUPPORTED_CONFIGS = (
    "GPTQConfig",
    "AwqConfig",
    "AqlmConfig",
    "HqqConfig",
    "FbgemmFp8Config",
    "FineGrainedFP8Config",
    "HiggsConfig",
    "VptqConfig",
    "VptqLayerConfig",
    "SpQRConfig",
    "BitNetConfig",
    "BitNetQuantConfig",
    "AutoRoundConfig",
    "Mxfp4Config",
    "NVFP4Config",
    "FPQuantConfig",
    "FourOverSixConfig",
    "SinqConfig",
    "MetalConfig",
    "GemmaQuantizationConfig",
    "GgufConfig",
)
_TRANSFORMERS_CONFIG_MODULES = ("transformers.", "transformers.utils.quantization_config.")
UNSUPPORTED_QUANT_CONFIGS: frozenset[str] = frozenset(
    {
        *(module + name for module in _TRANSFORMERS_CONFIG_MODULES for name in _TRANSFORMERS_UNSUPPORTED_CONFIGS),
        "auto_gptq.AutoGPTQForCausalLM",
        "auto_gptq.BaseQuantizeConfig",
        "awq.AutoAWQForCausalLM",
        "transformer_engine.pytorch.fp8_autocast",
    }
)
# Configs that unpack their weights at load time with `dequantize=True` (to the load's dtype).
DEQUANTIZING_CONFIGS: frozenset[str] = frozenset(
    module + name
    for module in _TRANSFORMERS_CONFIG_MODULES
    for name in ("Mxfp4Config", "MetalConfig", "GgufConfig", "FineGrainedFP8Config")
)
DEQUANTIZE_KEYWORD = "dequantize"
# Configs whose bit width is an argument (keyword, or first positional): at 8 bits they are
# INT8 (BLY401), at any other width or by default (4) neither INT8 nor BF16.
BIT_WIDTH_CONFIGS: dict[str, str] = {
    module + name: keyword
    for module in _TRANSFORMERS_CONFIG_MODULES
    for name, keyword in (
        ("HqqConfig", "nbits"),
        ("MetalConfig", "bits"),
        ("SinqConfig", "nbits"),
        ("GemmaQuantizationConfig", "num_bits"),
        ("AutoRoundConfig", "bits"),
        ("HiggsConfig", "bits"),
    )
}
INT8_BITS = 8
FOUR_BIT_KEYWORD = "load_in_4bit"
FOUR_BIT_KEYWORD_PREFIX = "bnb_4bit_"
INT8_KEYWORD = "load_in_8bit"

INT8 = "int8"  # the kind of a format allowed for teachers (BLY401)
UNSUPPORTED = "unsupported"  # the kind of a format allowed nowhere (BLY402)


def marker_kind(text: str) -> tuple[str, str] | None:
    """(kind, format) from the markers in a name or quantization-type string: (UNSUPPORTED, "4-bit")."""
    lowered = text.lower()
    for marker in UNSUPPORTED_QUANT_MARKERS:
        if marker in lowered:
            return UNSUPPORTED, QUANT_MARKER_LABELS.get(marker, "low-bit")
    if any(marker in lowered for marker in INT8_MARKERS):
        return INT8, "INT8"
    return None


def name_kind(qualified: str | None) -> tuple[str, str] | None:
    """(kind, what it is) for a library name that is quantization machinery, else None."""
    if qualified is None:
        return None
    if qualified in INT8_DTYPES:
        return INT8, "an INT8 quantized dtype"
    if qualified in FP8_DTYPES:
        return UNSUPPORTED, "an FP8 dtype"
    if qualified in LOW_BIT_DTYPES:
        return UNSUPPORTED, "a sub-8-bit quantized dtype"
    if qualified in INT8_CLASSES or qualified in EETQ_CONFIG:
        return INT8, "INT8 quantization"
    if qualified.startswith(INT8_MODULE_PREFIXES):
        return INT8, "INT8 quantization"
    last = qualified.rsplit(".", 1)[-1]
    if qualified in FOUR_BIT_CLASSES or qualified in UNSUPPORTED_QUANT_CONFIGS:
        found = marker_kind(last)
        if found is None:
            method = next((m for m in QUANT_METHOD_NAMES if m.lower() in last.lower()), None)
            found = UNSUPPORTED, method or last.removesuffix("Config")
        return found[0], f"{found[1]} quantization"
    if qualified.startswith(QUANT_LIBRARY_PREFIXES):
        found = marker_kind(last)
        return (found[0], f"{found[1]} quantization") if found is not None else None
    return None
