"""BLY2xx: mixed precision (policy: "No Mixed Precision: All computations in BF16 (except teacher)")."""

from __future__ import annotations

from .autocast import Autocast
from .framework_mixed_precision import FrameworkMixedPrecision
from .grad_scaler import GradScaler

RULES = (Autocast, GradScaler, FrameworkMixedPrecision)
