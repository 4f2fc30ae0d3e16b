"""The GPU the policy requires, and the one clear error when it is missing.

PRECISION_POLICY.md: BF16 needs an NVIDIA Ampere-or-newer GPU (compute capability 8.0+),
no CPU mode, and errors that state the requirement. Every runtime command goes through
`require_bf16_gpu` before it loads anything.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CAPABILITY = (8, 0)
REQUIREMENT = "BF16 needs an NVIDIA GPU of compute capability 8.0 or newer (Ampere, e.g. A100, RTX 30xx, H100)"


class GpuRequirementError(RuntimeError):
    """No GPU that meets the policy; the CLI prints the message and exits 2."""


@dataclass(frozen=True)
class GpuStatus:
    """What this process sees: enough to decide, and to say why not."""

    available: bool
    name: str | None = None
    capability: tuple[int, int] | None = None
    reason: str = ""

    @property
    def meets_policy(self) -> bool:
        return self.available and self.capability is not None and self.capability >= MIN_CAPABILITY


def gpu_status() -> GpuStatus:
    try:
        import torch
    except ImportError:
        return GpuStatus(False, reason="torch is not installed (pip install 'blyan-lint[runtime]')")
    if not torch.cuda.is_available():
        return GpuStatus(False, reason="no CUDA device is visible to torch")
    capability = tuple(torch.cuda.get_device_capability(0))
    name = torch.cuda.get_device_name(0)
    status = GpuStatus(True, name, (int(capability[0]), int(capability[1])))
    if not status.meets_policy:
        major, minor = status.capability or (0, 0)
        return GpuStatus(True, name, status.capability, f"{name} has compute capability {major}.{minor}")
    return status


def require_bf16_gpu(*, allow_cpu: bool = False) -> str:
    """The device to run on: "cuda" when the GPU meets the policy; "cpu" only when the
    caller opted in (`--allow-cpu`, for tests and CI). Otherwise GpuRequirementError."""
    status = gpu_status()
    # The harness's own opt-in simulation (--allow-cpu), not a model placed on the CPU.
    if status.meets_policy:  # noqa: BLY301
        return "cuda"
    if allow_cpu:
        return "cpu"
    raise GpuRequirementError(f"{REQUIREMENT}; {status.reason}. Run on such a GPU, or pass --allow-cpu to simulate.")
