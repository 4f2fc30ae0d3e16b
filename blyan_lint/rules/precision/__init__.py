"""BLY1xx: non-BF16 precision (policy: "BF16 for all learning and inference", "No Fallbacks"),
including PEFT adapters that PEFT upcasts to FP32 (BLY106)."""

from __future__ import annotations

from .fp32_adapter_weights import Fp32AdapterWeights
from .implicit_dtype_load import ImplicitDtypeLoad
from .non_bf16_cast import NonBf16Cast
from .non_bf16_default_dtype import NonBf16DefaultDtype
from .non_bf16_dtype import NonBf16Dtype
from .precision_fallback import PrecisionFallback

RULES = (NonBf16Dtype, NonBf16Cast, ImplicitDtypeLoad, NonBf16DefaultDtype, PrecisionFallback, Fp32AdapterWeights)
