"""BLY1xx: non-BF16 precision (policy: "BF16 for all learning and inference", "No Fallbacks"),
including PEFT adapters that PEFT upcasts to FP32 (BLY106)."""

from __future__ import annotations


def __getattr__(name: str) -> tuple[type, ...]:
    """`RULES`, this group's rule classes in catalog order, imported when first asked for:
    a check imports a rule's module only for a file that can need it (`registry.RuleSet`)."""
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .fp32_adapter_weights import Fp32AdapterWeights
    from .implicit_dtype_load import ImplicitDtypeLoad
    from .non_bf16_cast import NonBf16Cast
    from .non_bf16_default_dtype import NonBf16DefaultDtype
    from .non_bf16_dtype import NonBf16Dtype
    from .precision_fallback import PrecisionFallback

    return (NonBf16Dtype, NonBf16Cast, ImplicitDtypeLoad, NonBf16DefaultDtype, PrecisionFallback, Fp32AdapterWeights)
