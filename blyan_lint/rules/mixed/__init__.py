"""BLY2xx: mixed precision (policy: "No Mixed Precision: All computations in BF16 (except teacher)")."""

from __future__ import annotations


def __getattr__(name: str) -> tuple[type, ...]:
    """`RULES`, this group's rule classes in catalog order, imported when first asked for:
    a check imports a rule's module only for a file that can need it (`registry.RuleSet`)."""
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .autocast import Autocast
    from .framework_mixed_precision import FrameworkMixedPrecision
    from .grad_scaler import GradScaler

    return (Autocast, GradScaler, FrameworkMixedPrecision)
