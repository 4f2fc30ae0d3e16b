"""Inference engines that load models themselves (BLY103, BLY401/BLY402; catalog 1.1).

vLLM's `LLM`, `EngineArgs` and `AsyncEngineArgs` and SGLang's `Engine` and `ServerArgs` take
`dtype=` (default "auto": an FP32 or FP16 checkpoint is served in FP16, a BF16 one in BF16),
`quantization=` (a format name) and `kv_cache_dtype=` ("auto" follows the model; "fp8*"
stores the KV cache in FP8).
"""

from __future__ import annotations

ENGINES: frozenset[str] = frozenset(
    {
        "vllm.LLM",
        "vllm.entrypoints.llm.LLM",
        "vllm.EngineArgs",
        "vllm.AsyncEngineArgs",
        "vllm.engine.arg_utils.EngineArgs",
        "vllm.engine.arg_utils.AsyncEngineArgs",
        "sglang.Engine",
        "sglang.srt.entrypoints.engine.Engine",
        "sglang.srt.server_args.ServerArgs",
    }
)
DTYPE_KEYWORD = "dtype"
# Engines take dtypes as strings; BF16 is written either way.
BF16_VALUES: frozenset[str] = frozenset({"bfloat16", "bf16", "torch.bfloat16"})
AUTO = "auto"
MODEL_KEYWORDS: tuple[str, ...] = ("model", "model_path")
QUANTIZATION_KEYWORD = "quantization"
KV_CACHE_KEYWORD = "kv_cache_dtype"
# `quantization=` values that are INT8 (a teacher may serve them); every other format name is
# neither INT8 nor BF16.
INT8_QUANTIZATIONS: frozenset[str] = frozenset({"experts_int8", "tpu_int8", "w8a8_int8", "int8"})
# Names whose format depends on the checkpoint (INT8, FP8 or 4-bit): not judged.
CHECKPOINT_DEFINED_QUANTIZATIONS: frozenset[str] = frozenset(
    {"compressed-tensors", "compressed_tensors", "modelopt", "quark", "inc", "ipex", "neuron_quant", "torchao"}
)
# KV-cache dtypes that are not the model's: FP8 in every spelling vLLM and SGLang accept.
FP8_KV_PREFIX = "fp8"
