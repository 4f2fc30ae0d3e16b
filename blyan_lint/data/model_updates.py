"""What updates a model (BLY403): the methods and attributes that train it, and the optimizers."""

from __future__ import annotations

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


def is_optimizer(qualified: str | None) -> bool:
    """Is this library name an optimizer class (not a scheduler or a helper of the optimizer modules)?"""
    if qualified is None or qualified.startswith(NOT_OPTIMIZERS):
        return False
    return qualified.startswith(OPTIMIZER_PREFIXES) or qualified in OPTIMIZER_CLASSES
