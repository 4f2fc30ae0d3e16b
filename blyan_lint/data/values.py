"""What a value holds, for fix safety (RULES.md "Fix safety (1.1)") and BLY404: a model,
whose cast to BF16 only rounds weights, or data that may hold integers, which BF16 holds
exactly only up to 256."""

from __future__ import annotations

# Factories of integer-valued tensors (indices, positions, counts, samples).
INTEGER_FACTORIES: frozenset[str] = frozenset(
    {
        "torch.arange",
        "torch.range",
        "torch.linspace",
        "torch.randint",
        "torch.randint_like",
        "torch.randperm",
        "torch.tril_indices",
        "torch.triu_indices",
        "torch.bincount",
        "torch.argsort",
        "torch.argmax",
        "torch.argmin",
        "torch.nonzero",
        "torch.searchsorted",
        "torch.bucketize",
    }
)
# Methods that hand back (a view or copy of) the same data: `arange(n).unsqueeze(0).float()`
# still casts integers.
SAME_DATA_METHODS: frozenset[str] = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "long",
        "int",
        "unsqueeze",
        "squeeze",
        "view",
        "reshape",
        "expand",
        "expand_as",
        "repeat",
        "flatten",
        "contiguous",
        "clone",
        "detach",
        "t",
        "transpose",
        "permute",
    }
)
# Words (split on `_` and case) that make a name read as a model, and words that make it
# read as data even beside a model word (`teacher_logits`, `model_inputs`).
MODEL_WORDS: frozenset[str] = frozenset(
    {
        "model",
        "models",
        "teacher",
        "student",
        "net",
        "network",
        "module",
        "lm",
        "llm",
        "encoder",
        "decoder",
        "backbone",
        "unet",
        "vae",
        "transformer",
        "classifier",
    }
)
DATA_WORDS: frozenset[str] = frozenset(
    {
        "logits",
        "logit",
        "loss",
        "losses",
        "out",
        "output",
        "outputs",
        "prob",
        "probs",
        "score",
        "scores",
        "hidden",
        "state",
        "states",
        "emb",
        "embeds",
        "embedding",
        "embeddings",
        "feature",
        "features",
        "pred",
        "preds",
        "prediction",
        "predictions",
        "target",
        "targets",
        "label",
        "labels",
        "mask",
        "masks",
        "ids",
        "idx",
        "index",
        "indices",
        "input",
        "inputs",
        "batch",
        "tensor",
        "tensors",
        "pos",
        "position",
        "positions",
        "count",
        "counts",
        "step",
        "steps",
        "grad",
        "grads",
        "param",
        "params",
        "weight",
        "weights",
        "buffer",
        "buffers",
        "dict",
        "size",
        "shape",
    }
)
# A call whose function name starts with one of these and names a model builds or loads
# one (`load_model()`, `build_teacher()`); `model(batch)` calls one and returns data.
FACTORY_VERBS: frozenset[str] = frozenset({"load", "build", "create", "make", "get", "init", "instantiate", "new"})
# Base classes and annotations that make a value a model.
MODULE_CLASSES: frozenset[str] = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        "transformers.PreTrainedModel",
        "transformers.modeling_utils.PreTrainedModel",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "pytorch_lightning.LightningModule",
    }
)
# `torch.nn.Linear(...)` and other layers build modules; these under torch.nn do not.
TORCH_NN_PREFIX = "torch.nn."
NOT_MODULE_PREFIXES: tuple[str, ...] = ("torch.nn.functional.", "torch.nn.init.", "torch.nn.utils.")
NOT_MODULE_NAMES: frozenset[str] = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
