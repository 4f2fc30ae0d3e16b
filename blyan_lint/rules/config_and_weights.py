"""BLY5xx: configuration and weight files (policy: "Blockchain Weights: BF16").

The checking lives in `blyan_lint.readers` (configs, safetensors headers); these classes
carry the documentation and the scope decision, as every rule class does.
"""

from __future__ import annotations

from .base import FileRule

_WEIGHTS_CLAUSE = "Blockchain Weights: BF16 — storage and reconstruction consistency."


class ConfigNonBf16(FileRule):
    code = "BLY501"
    name = "config-non-bf16"
    summary = (
        "A YAML/JSON/TOML config (accelerate, DeepSpeed, trainer arguments, Lightning, Hydra, model "
        "config.json, pyproject `[tool.*]`) that selects FP16/FP32/FP8, mixed precision (BF16 autocast "
        "included), INT8 outside teacher paths, 4-bit, CPU offload or an FP8 KV cache."
    )
    policy = (
        f"{_WEIGHTS_CLAUSE} All models involved in learning and inference MUST use BF16; No Mixed "
        "Precision; Teacher Models: INT8 (the only exception)."
    )
    why = (
        "Launchers and trainers read their precision from config files, so `mixed_precision: fp16` in an "
        'accelerate config or `"fp16": {"enabled": true}` in a DeepSpeed config changes the numbers every '
        "node computes as surely as `model.half()` does, without a line of Python. Only keys known to choose "
        "a precision are judged (`mixed_precision`, `fp16`, `fp16.enabled`, `amp.enabled`, `torch_dtype`, "
        "`dtype`, `precision`, `load_in_8bit`, `load_in_4bit`, ...); unknown keys and files pass. "
        "Catalog 1.1 adds the trainer keys `bf16: true` and `bf16_full_eval: true` (BF16 autocast, as BLY203), "
        "`optim:` naming an 8-bit optimizer (outside teacher paths) or a 4-bit one, DeepSpeed "
        "`offload_optimizer.device` / `offload_param.device` set to `cpu` or `nvme`, accelerate's "
        "`fsdp_offload_params: true` and TrainingArguments' `fsdp: ... offload`, and serving configs' "
        "`kv_cache_dtype: fp8*`; DeepSpeed's `bf16: {enabled: true}` section is a mapping, not the switch, and "
        "is not flagged. JSON Lines (`.jsonl`, or a `.json` holding one JSON value per line) is data, not "
        "configuration: it is skipped, never BLY000. "
        'DeepSpeed\'s `"enabled": "auto"` defers to the trainer arguments, which are checked where they are '
        "set, and is not flagged. In teacher paths `load_in_8bit: true` is allowed; everything else, 4-bit "
        "included, is flagged there too. Suppress a line with `# noqa: BLY501` (YAML, TOML) or a file with "
        "`per-file-ignores` (JSON has no comments)."
    )
    example = (
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: fp16\nnum_processes: 8\n"
    )
    fixed = (
        "compute_environment: LOCAL_MACHINE\n"
        "distributed_type: MULTI_GPU\n"
        "mixed_precision: 'no'  # no autocast: the model itself is loaded in BF16\n"
        "num_processes: 8\n"
    )
    example_path = "accelerate_config.yaml"
    applies_to_teacher = True  # teacher paths allow INT8 keys, and nothing else


class WeightsNotBf16(FileRule):
    code = "BLY502"
    name = "weights-not-bf16"
    summary = (
        "A `.safetensors` file holding floating-point tensors that are not BF16 (F16, F32, F64, FP8, ...), "
        "found from its header alone."
    )
    policy = _WEIGHTS_CLAUSE
    why = (
        "Weights are stored and reconstructed on every node; a checkpoint saved in FP16 or FP32 is rounded "
        "differently from the BF16 model that learns from it, so nodes that load it disagree. Only the 8-byte "
        "length and the JSON header are read, never the tensor data, so a 100 GB checkpoint is checked in "
        "milliseconds. Integer tensors (token ids, position ids, masks) are not flagged. A header that cannot "
        "be read (truncated file, header length past the end, invalid JSON) is BLY000. The example below is "
        "the file's JSON header."
    )
    example = (
        "{\n"
        '  "__metadata__": {"format": "pt"},\n'
        '  "lm_head.weight": {"dtype": "F16", "shape": [4, 4], "data_offsets": [0, 32]},\n'
        '  "position_ids": {"dtype": "I64", "shape": [1, 4], "data_offsets": [32, 64]}\n'
        "}\n"
    )
    fixed = (
        "{\n"
        '  "__metadata__": {"format": "pt"},\n'
        '  "lm_head.weight": {"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 32]},\n'
        '  "position_ids": {"dtype": "I64", "shape": [1, 4], "data_offsets": [32, 64]}\n'
        "}\n"
    )
    example_path = "model.safetensors"
    fix_safety = (
        "No automatic fix: re-save the weights in BF16 (`model.to(torch.bfloat16)` then `save_file`) and "
        "check the model still reproduces its outputs."
    )
    # RULES.md Scopes: in teacher scope only BLY402, BLY403 and BLY3xx apply. Teacher checkpoints are the
    # INT8 exception, whose scales and unquantized layers are FP16/FP32 by construction.
    applies_to_teacher = False


RULES = (ConfigNonBf16, WeightsNotBf16)
