"""BLY3xx: CPU mode and hardware guards (policy: "No CPU Mode", "No Fallbacks", "Clear Errors").

BF16 needs an NVIDIA GPU of compute capability 8.0 (Ampere) or newer. These rules flag code
that runs without one (a CPU fallback, a model placed on the CPU), modules that use BF16
without checking the GPU first, checks that do not fail fast, and errors that do not say
what is required.
"""

from __future__ import annotations


def __getattr__(name: str) -> tuple[type, ...]:
    """`RULES`, this group's rule classes in catalog order, imported when first asked for:
    a check imports a rule's module only for a file that can need it (`registry.RuleSet`)."""
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .capability_guard import MissingCapabilityGuard
    from .fallback import CpuFallback
    from .messages import UnclearGpuError
    from .placement import CpuPlacement
    from .soft_capability_check import SoftCapabilityCheck

    return (CpuFallback, CpuPlacement, MissingCapabilityGuard, SoftCapabilityCheck, UnclearGpuError)
