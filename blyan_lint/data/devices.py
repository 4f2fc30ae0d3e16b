"""Devices and GPUs (BLY3xx): the capability queries, the spellings that choose the CPU or
offload to it, and what a failing check does instead of raising."""

from __future__ import annotations

CUDA_IS_AVAILABLE: frozenset[str] = frozenset({"torch.cuda.is_available", "torch.cuda.device_count"})
GET_DEVICE_CAPABILITY: frozenset[str] = frozenset({"torch.cuda.get_device_capability"})
IS_BF16_SUPPORTED: frozenset[str] = frozenset({"torch.cuda.is_bf16_supported"})
TORCH_DEVICE: frozenset[str] = frozenset({"torch.device"})
CPU_DEVICE_STRINGS: frozenset[str] = frozenset({"cpu"})
OFFLOAD_DEVICE_STRINGS: frozenset[str] = frozenset({"cpu", "disk"})
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
# ... the devices those sections offload to, and where each keeps the data (for messages).
DEEPSPEED_OFFLOAD_PLACES: dict[str, str] = {"cpu": "in CPU memory", "nvme": "on NVMe storage"}
DEEPSPEED_OFFLOAD_DEVICES: frozenset[str] = frozenset(DEEPSPEED_OFFLOAD_PLACES)
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
GET_DEVICE_PROPERTIES: frozenset[str] = frozenset({"torch.cuda.get_device_properties"})
BF16_MIN_MAJOR = 8  # Ampere: the first compute capability with native BF16
BF16_EMULATION_KEYWORD = "including_emulation"
# Calls that end the process: failing fast as surely as a raise.
FAIL_FAST_CALLS: frozenset[str] = frozenset({"sys.exit", "os._exit", "os.abort", "exit", "quit"})
# What a failing branch does instead of raising (BLY304).
WARNING_CALLS: frozenset[str] = frozenset({"warnings.warn", "warnings.warn_explicit"})
LOG_METHODS: frozenset[str] = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
PRINT_CALLS: frozenset[str] = frozenset({"print"})
