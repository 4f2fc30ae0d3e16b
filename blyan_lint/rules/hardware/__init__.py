"""BLY3xx: CPU mode and hardware guards (policy: "No CPU Mode", "No Fallbacks", "Clear Errors").

BF16 needs an NVIDIA GPU of compute capability 8.0 (Ampere) or newer. These rules flag code
that runs without one (a CPU fallback, a model placed on the CPU), modules that use BF16
without checking the GPU first, checks that do not fail fast, and errors that do not say
what is required.
"""

from __future__ import annotations

from .capability_guard import MissingCapabilityGuard
from .fallback import CpuFallback
from .messages import UnclearGpuError
from .placement import CpuPlacement
from .soft_capability_check import SoftCapabilityCheck

RULES = (CpuFallback, CpuPlacement, MissingCapabilityGuard, SoftCapabilityCheck, UnclearGpuError)
