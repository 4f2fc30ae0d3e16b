"""Canonical qualified names and the spellings that map onto them.

Rules never match strings themselves: they ask the semantic model (`names.SemanticModel`)
for a node's qualified name and look it up here. Rules declare what they watch with these
tables, and the prefilter's trigger words are derived from those declarations.
"""

from __future__ import annotations

# Qualified dtype name -> canonical dtype. BF16 is listed so that conditionals can see
# "picks bf16 on one branch"; everything else floating and not bf16 is a breach.
DTYPE_ATTRS: dict[str, str] = {
    "torch.bfloat16": "bfloat16",
    "torch.float16": "float16",
    "torch.half": "float16",
    "torch.float32": "float32",
    "torch.float": "float32",
    "torch.float64": "float64",
    "torch.double": "float64",
    # legacy tensor types select a dtype as surely as the dtype objects do
    "torch.HalfTensor": "float16",
    "torch.FloatTensor": "float32",
    "torch.DoubleTensor": "float64",
    "torch.cuda.HalfTensor": "float16",
    "torch.cuda.FloatTensor": "float32",
    "torch.cuda.DoubleTensor": "float64",
    "torch.BFloat16Tensor": "bfloat16",
    "torch.cuda.BFloat16Tensor": "bfloat16",
}

BF16 = "bfloat16"
# How messages name each canonical dtype.
DTYPE_LABELS: dict[str, str] = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "bfloat16": "BF16"}

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

# Dtype spellings accepted as strings by transformers, accelerate and getattr(torch, ...).
DTYPE_STRINGS: dict[str, str] = {
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "torch.bfloat16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "torch.float16": "float16",
    "torch.half": "float16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
    "torch.float32": "float32",
    "torch.float": "float32",
    "float64": "float64",
    "fp64": "float64",
    "double": "float64",
    "torch.float64": "float64",
    "torch.double": "float64",
}

# The BF16 spelling that replaces each non-BF16 string, in the same family of spelling.
BF16_STRING_FOR: dict[str, str] = {
    "float16": "bfloat16",
    "fp16": "bf16",
    "half": "bfloat16",
    "float32": "bfloat16",
    "fp32": "bf16",
    "float": "bfloat16",
    "float64": "bfloat16",
    "fp64": "bf16",
    "double": "bfloat16",
    "torch.float16": "torch.bfloat16",
    "torch.half": "torch.bfloat16",
    "torch.float32": "torch.bfloat16",
    "torch.float": "torch.bfloat16",
    "torch.float64": "torch.bfloat16",
    "torch.double": "torch.bfloat16",
}

# Keyword arguments whose value chooses a dtype.
DTYPE_KEYWORDS: frozenset[str] = frozenset(
    {"dtype", "torch_dtype", "compute_dtype", "bnb_4bit_compute_dtype", "param_dtype"}
)

# Tensor methods that cast.
CAST_METHODS: dict[str, str] = {"half": "float16", "float": "float32", "double": "float64"}
BF16_CAST_METHODS: frozenset[str] = frozenset({"bfloat16"})
TYPE_METHOD = "type"  # `.type(torch.HalfTensor)`, `.type("torch.HalfTensor")`

SET_DEFAULT_DTYPE: frozenset[str] = frozenset({"torch.set_default_dtype"})
SET_DEFAULT_TENSOR_TYPE: frozenset[str] = frozenset({"torch.set_default_tensor_type"})

# Mixed precision (BLY201).
AUTOCAST: frozenset[str] = frozenset(
    {
        "torch.autocast",
        "torch.amp.autocast",
        "torch.amp.autocast_mode.autocast",
        "torch.cuda.amp.autocast",
        "torch.cuda.amp.autocast_mode.autocast",
        "torch.cpu.amp.autocast",
        "torch.cpu.amp.autocast_mode.autocast",
        "torch.xpu.amp.autocast",
    }
)
CUSTOM_FWD: frozenset[str] = frozenset(
    {"torch.amp.custom_fwd", "torch.cuda.amp.custom_fwd", "torch.amp.autocast_mode.custom_fwd"}
)
# Methods called `autocast` on objects we cannot resolve (accelerator.autocast()).
AUTOCAST_METHOD = "autocast"
CAST_INPUTS_KEYWORD = "cast_inputs"  # custom_fwd(cast_inputs=...)
ENABLED_KEYWORD = "enabled"  # autocast(enabled=...), GradScaler(enabled=...), DeepSpeed's "enabled"
AUTOCAST_DEVICE_KEYWORD = "device_type"

# BLY202.
GRAD_SCALERS: frozenset[str] = frozenset(
    {
        "torch.amp.GradScaler",
        "torch.amp.grad_scaler.GradScaler",
        "torch.cuda.amp.GradScaler",
        "torch.cuda.amp.grad_scaler.GradScaler",
        "torch.cpu.amp.GradScaler",
        "torch.distributed.fsdp.sharded_grad_scaler.ShardedGradScaler",
        "torch.distributed.fsdp.ShardedGradScaler",
    }
)

# BLY203: trainer-level precision switches.
TRAINING_ARGUMENTS: frozenset[str] = frozenset(
    {
        "transformers.TrainingArguments",
        "transformers.Seq2SeqTrainingArguments",
        "transformers.training_args.TrainingArguments",
        "transformers.training_args_seq2seq.Seq2SeqTrainingArguments",
        "trl.SFTConfig",
        "trl.DPOConfig",
        "trl.GRPOConfig",
        "trl.PPOConfig",
        "trl.RewardConfig",
        "trl.ORPOConfig",
        "trl.KTOConfig",
    }
)
TRAINING_ARGUMENT_SWITCHES: frozenset[str] = frozenset({"fp16", "fp16_full_eval"})
# BF16 autocast (training) and a BF16 cast for evaluation only: mixed precision too (1.1).
TRAINING_ARGUMENT_BF16_SWITCHES: frozenset[str] = frozenset({"bf16", "bf16_full_eval"})
BF16_SWITCH = "bf16"
FP16_SWITCH = "fp16"
# TRL's configs built on its `_BaseConfig` (trl 1.16, trl/trainer/base_config.py), which sets
# `bf16 = not fp16` when `bf16` is unset: BF16 autocast unless `bf16=False`. Matched by last
# segment under `trl.` (`trl.SFTConfig`, `trl.experimental.orpo.ORPOConfig`).
TRL_PREFIX = "trl."
TRL_BF16_DEFAULT_CONFIGS: frozenset[str] = frozenset(
    {
        "SFTConfig",
        "DPOConfig",
        "GRPOConfig",
        "KTOConfig",
        "RewardConfig",
        "RLOOConfig",
        "DistillationConfig",
        "ServerDistillationConfig",
        "AsyncDistillationConfig",
        "SDPOConfig",
        "A2POConfig",
        "GOLDConfig",
        "OnlineDPOConfig",
        "TPOConfig",
        "GKDConfig",
        "GMPOConfig",
        "ORPOConfig",
        "IWOPDConfig",
        "SDFTConfig",
        "CPOConfig",
        "AsyncGRPOConfig",
    }
)
TRAINING_ARGUMENT_BACKENDS: frozenset[str] = frozenset({"half_precision_backend", "fp16_backend"})
ACCELERATORS: frozenset[str] = frozenset({"accelerate.Accelerator", "accelerate.accelerator.Accelerator"})
# What each Accelerate `mixed_precision` value does (BLY203 in Python, BLY501 in configs).
ACCELERATE_MIXED_PRECISION: dict[str, str] = {
    "fp16": "FP16 mixed precision",
    "bf16": "BF16 mixed precision (FP32 weights, autocast)",
    "fp8": "FP8 mixed precision",
}
ACCELERATE_MIXED_VALUES: frozenset[str] = frozenset(ACCELERATE_MIXED_PRECISION)
ACCELERATE_PRECISION_KEYWORD = "mixed_precision"
LIGHTNING_PRECISION_KEYWORD = "precision"
APEX_OPT_LEVEL_KEYWORD = "opt_level"
# accelerate's enum spelling of the same values: `mixed_precision=PrecisionType.FP16`.
ACCELERATE_PRECISION_ENUMS: frozenset[str] = frozenset(
    {"accelerate.utils.PrecisionType", "accelerate.utils.dataclasses.PrecisionType"}
)
LIGHTNING_TRAINERS: frozenset[str] = frozenset(
    {
        "lightning.Trainer",
        "lightning.pytorch.Trainer",
        "lightning.pytorch.trainer.Trainer",
        "pytorch_lightning.Trainer",
        "pytorch_lightning.trainer.Trainer",
        "lightning.Fabric",
        "lightning.fabric.Fabric",
        "lightning_fabric.Fabric",
    }
)
LIGHTNING_COMPLIANT_PRECISION = "bf16-true"
# Lightning's `precision` values (Trainer/Fabric, and LightningCLI / NeMo YAML) and what
# they run, for BLY203 and BLY501. Lightning reads "bf16" as "bf16-mixed"; only "bf16-true"
# keeps weights and compute in BF16.
LIGHTNING_PRECISION: dict[str, str] = {
    "16": "FP16 mixed precision",
    "16-mixed": "FP16 mixed precision",
    "bf16": "BF16 mixed precision (FP32 weights, autocast)",
    "bf16-mixed": "BF16 mixed precision (FP32 weights, autocast)",
    "16-true": "FP16",
    "32": "FP32",
    "32-true": "FP32",
    "64": "FP64",
    "64-true": "FP64",
    "transformer-engine": "FP8 mixed precision (Transformer Engine)",
    "transformer-engine-float16": "FP8 / FP16 mixed precision (Transformer Engine)",
}
APEX_AMP_INITIALIZE: frozenset[str] = frozenset({"apex.amp.initialize"})
DEEPSPEED_MIXED_SECTIONS: frozenset[str] = frozenset({"fp16", "amp"})

# BLY3xx.
CUDA_IS_AVAILABLE: frozenset[str] = frozenset({"torch.cuda.is_available", "torch.cuda.device_count"})
GET_DEVICE_CAPABILITY: frozenset[str] = frozenset({"torch.cuda.get_device_capability"})
IS_BF16_SUPPORTED: frozenset[str] = frozenset({"torch.cuda.is_bf16_supported"})
TORCH_DEVICE: frozenset[str] = frozenset({"torch.device"})
CPU_DEVICE_STRINGS: frozenset[str] = frozenset({"cpu"})
OFFLOAD_DEVICE_STRINGS: frozenset[str] = frozenset({"cpu", "disk"})
PIPELINE_MODEL_KWARGS = "model_kwargs"  # pipeline(..., model_kwargs={"torch_dtype": ...}) passes loader keywords
PIPELINE_FACTORIES: frozenset[str] = frozenset({"transformers.pipeline", "transformers.pipelines.pipeline"})
# Words an exception message must contain (any one, case-insensitive) to state the requirement.
GPU_REQUIREMENT_WORDS: tuple[str, ...] = (
    "bf16",
    "bfloat16",
    "ampere",
    "compute capability",
    "8.0",
    "sm_80",
    "sm80",
    "cc 8",
)
# Device spellings that select a GPU (`"cuda"`, `"cuda:0"`, `torch.device("cuda", 1)`).
GPU_DEVICE_PREFIXES: tuple[str, ...] = ("cuda",)
# transformers `pipeline(device=-1)` (and `0 if cuda else -1`) means the CPU.
CPU_DEVICE_INDEX = -1
DEVICE_KEYWORD = "device"
DEVICE_MAP_KEYWORD = "device_map"
CPU_OFFLOAD_KEYWORDS: frozenset[str] = frozenset({"llm_int8_enable_fp32_cpu_offload"})
# CPU offload of weights or optimizer state (BLY302, catalog 1.1).
# FSDP: `CPUOffload(offload_params=True)`; FSDP2's `CPUOffloadPolicy()` always offloads.
FSDP_CPU_OFFLOAD: frozenset[str] = frozenset(
    {
        "torch.distributed.fsdp.CPUOffload",
        "torch.distributed.fsdp.api.CPUOffload",
        "torch.distributed.fsdp.fully_sharded_data_parallel.CPUOffload",
    }
)
FSDP_OFFLOAD_PARAMS_KEYWORD = "offload_params"
FSDP_OFFLOAD_POLICIES: frozenset[str] = frozenset(
    {
        "torch.distributed.fsdp.CPUOffloadPolicy",
        "torch.distributed._composable.fsdp.CPUOffloadPolicy",
        "torch.distributed.fsdp._fully_shard.CPUOffloadPolicy",
    }
)
# `cpu_offload=True` (accelerate's FullyShardedDataParallelPlugin, Lightning's FSDPStrategy).
CPU_OFFLOAD_SWITCH = "cpu_offload"
# TrainingArguments(fsdp="full_shard offload"): the `offload` option offloads FSDP's parameters.
FSDP_OPTIONS_KEYWORD = "fsdp"
FSDP_OFFLOAD_OPTION = "offload"
# vLLM / SGLang engines: `cpu_offload_gb=N` keeps N GiB of the weights in CPU memory.
ENGINE_CPU_OFFLOAD_KEYWORD = "cpu_offload_gb"
# DeepSpeed ZeRO: `"offload_optimizer": {"device": "cpu"}`, `"offload_param": {"device": "nvme"}`.
DEEPSPEED_OFFLOAD_SECTIONS: frozenset[str] = frozenset({"offload_optimizer", "offload_param"})
DEEPSPEED_OFFLOAD_DEVICES: frozenset[str] = frozenset({"cpu", "nvme"})
DEEPSPEED_DEVICE_KEY = "device"
# diffusers pipelines' offload methods, and accelerate's hooks that do the same to a model.
OFFLOAD_METHODS: frozenset[str] = frozenset({"enable_model_cpu_offload", "enable_sequential_cpu_offload"})
OFFLOAD_FUNCTIONS: frozenset[str] = frozenset(
    {
        "accelerate.cpu_offload",
        "accelerate.cpu_offload_with_hook",
        "accelerate.disk_offload",
        "accelerate.big_modeling.cpu_offload",
        "accelerate.big_modeling.cpu_offload_with_hook",
        "accelerate.big_modeling.disk_offload",
    }
)
CPU_MOVE_METHOD = "cpu"
DEVICE_MOVE_METHOD = "to"
# nn.Module methods that return the module itself: `model = model.eval()` is still the model.
MODULE_CHAIN_METHODS: frozenset[str] = frozenset(
    {"to", "cuda", "cpu", "eval", "train", "bfloat16", "half", "float", "double", "requires_grad_", "to_empty"}
)
GET_DEVICE_PROPERTIES: frozenset[str] = frozenset({"torch.cuda.get_device_properties"})
BF16_MIN_MAJOR = 8  # Ampere: the first compute capability with native BF16
BF16_EMULATION_KEYWORD = "including_emulation"
LOADER_DTYPE_KEYWORDS: tuple[str, ...] = ("torch_dtype", "dtype")
# Calls that end the process: failing fast as surely as a raise.
FAIL_FAST_CALLS: frozenset[str] = frozenset({"sys.exit", "os._exit", "os.abort", "exit", "quit"})
# What a failing branch does instead of raising (BLY304).
WARNING_CALLS: frozenset[str] = frozenset({"warnings.warn", "warnings.warn_explicit"})
LOG_METHODS: frozenset[str] = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
PRINT_CALLS: frozenset[str] = frozenset({"print"})

# Loaders (BLY103, BLY302, BLY303).
LOADER_METHODS: frozenset[str] = frozenset({"from_pretrained", "from_config"})
# Final segments of classes whose from_pretrained loads no weights.
NON_MODEL_SUFFIXES: tuple[str, ...] = (
    "Tokenizer",
    "TokenizerFast",
    "Processor",
    "Config",
    "FeatureExtractor",
    "ImageProcessor",
    "ImageProcessorFast",
    "VideoProcessor",
    "Scheduler",
)
NON_MODEL_CLASSES: frozenset[str] = frozenset(
    {"peft.PeftModel", "peft.PeftModelForCausalLM", "peft.PeftConfig", "transformers.GenerationConfig"}
)
# Words that mark an unresolved receiver as a weight-holding model class or object.
MODEL_NAME_HINTS: tuple[str, ...] = ("model", "forcausallm", "lm", "pipeline", "diffusion", "unet", "vae")
NON_MODEL_NAME_HINTS: tuple[str, ...] = ("token", "processor", "config", "extractor", "scheduler")
QUANTIZED_LOAD_KEYWORDS: frozenset[str] = frozenset({"quantization_config", "load_in_8bit", "load_in_4bit"})
QUANTIZATION_CONFIG_KEYWORD = "quantization_config"
# Libraries whose `X.from_pretrained` loads weights whatever `X` is called.
MODEL_LIBRARIES: tuple[str, ...] = ("transformers.", "diffusers.", "sentence_transformers.", "timm.")
# The checkpoint argument of a loader, when given by keyword.
LOADER_MODEL_KEYWORDS: tuple[str, ...] = ("pretrained_model_name_or_path", "model")

# BLY4xx.
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

# BLY403: what updates a model.
TRAIN_METHOD = "train"
BACKWARD_METHOD = "backward"
STEP_METHOD = "step"
REQUIRES_GRAD_METHOD = "requires_grad_"
REQUIRES_GRAD_ATTRIBUTE = "requires_grad"
OPTIMIZER_PREFIXES: tuple[str, ...] = ("torch.optim.", "bitsandbytes.optim.", "transformers.optimization.")
OPTIMIZER_CLASSES: frozenset[str] = frozenset({"transformers.AdamW", "transformers.Adafactor"})
NOT_OPTIMIZERS: tuple[str, ...] = (
    "torch.optim.lr_scheduler.",
    "torch.optim.swa_utils.",
    "transformers.optimization.get_",  # schedule factories
    "transformers.optimization.AdafactorSchedule",
    "transformers.optimization.GreedyLR",
    "transformers.optimization.StreamingAverage",
    "bitsandbytes.optim.GlobalOptimManager",
)
# Words (split on `_`, digits and case) that make a variable read as an optimizer: `opt`, `t_optim`.
OPTIMIZER_NAME_WORDS: frozenset[str] = frozenset({"opt", "optim", "optimizer", "optimiser", "optimizers", "optimisers"})

# Unbound names that still mean the library (snippets that omit `import torch`).
KNOWN_ROOTS: frozenset[str] = frozenset(
    {
        "torch",
        "transformers",
        "accelerate",
        "bitsandbytes",
        "deepspeed",
        "lightning",
        "pytorch_lightning",
        "peft",
        "trl",
        "diffusers",
        "optimum",
        "torchao",
        "apex",
    }
)
