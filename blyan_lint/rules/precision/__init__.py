"""BLY1xx: non-BF16 precision (policy: "BF16 for all learning and inference", "No Fallbacks")."""

from __future__ import annotations

from .implicit_dtype_load import ImplicitDtypeLoad
from .non_bf16_cast import NonBf16Cast
from .non_bf16_default_dtype import NonBf16DefaultDtype
from .non_bf16_dtype import NonBf16Dtype
from .precision_fallback import PrecisionFallback

RULES = (NonBf16Dtype, NonBf16Cast, ImplicitDtypeLoad, NonBf16DefaultDtype, PrecisionFallback)
