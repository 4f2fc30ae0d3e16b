"""Mixed precision: autocast and gradient scalers (BLY201, BLY202), and the training
frameworks' precision switches with what each value runs (BLY203 in Python, BLY501 in configs)."""

from __future__ import annotations

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
BF16_SWITCH = "bf16"
FP16_SWITCH = "fp16"
# What each switch makes TrainingArguments do, as BLY203's messages say it. BF16 autocast
# (training) and a BF16 cast for evaluation only are mixed precision too (1.1).
TRAINING_ARGUMENT_MEANINGS: dict[str, str] = {
    "fp16": "train in FP16 mixed precision",
    "fp16_full_eval": "evaluate in FP16",
    "bf16": "train under BF16 autocast, which computes its FP32 op list (softmax, norms, losses) in FP32",
    "bf16_full_eval": "cast the model to BF16 for evaluation only, so training and evaluation differ in precision",
}
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
# DeepSpeed's config sections that turn on mixed precision, and what each runs.
DEEPSPEED_MIXED_MEANINGS: dict[str, str] = {
    "fp16": "DeepSpeed FP16 mixed precision (FP32 master weights, loss scaling)",
    "amp": "DeepSpeed's NVIDIA Apex AMP (mixed precision)",
}
DEEPSPEED_MIXED_SECTIONS: frozenset[str] = frozenset(DEEPSPEED_MIXED_MEANINGS)
