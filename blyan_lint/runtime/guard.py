"""`require_policy(model)`: the runtime guard for node code, raising the policy's error.

    from blyan_lint.runtime import require_policy

    model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.bfloat16, device_map="cuda")
    require_policy(model)                  # student / inference / learning: all BF16 on CUDA
    require_policy(teacher, teacher=True)  # a frozen teacher may be INT8

It checks what loaded, not what was asked for: every parameter and persistent buffer, and
the device of each. BLY303 accepts a call to it as the module's capability guard.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .gpu import REQUIREMENT, GpuRequirementError, require_bf16_gpu

INT8_CLASSES = ("Linear8bitLt", "Int8Params")
LOW_BIT_CLASSES = ("Linear4bit", "Params4bit")


class PolicyViolation(RuntimeError):
    """A loaded model that is not what PRECISION_POLICY.md allows."""


def policy_problems(model: Any, *, teacher: bool = False) -> list[str]:
    """What is wrong with `model` under the policy (empty: nothing). No GPU check here."""
    dtypes: Counter[str] = Counter()
    devices: Counter[str] = Counter()
    persistent = set(model.state_dict(keep_vars=True).keys())
    tensors = [(name, p) for name, p in model.named_parameters()]
    tensors += [(name, b) for name, b in model.named_buffers() if name in persistent]
    for _, tensor in tensors:
        if tensor.is_floating_point():
            dtypes[str(tensor.dtype).replace("torch.", "")] += 1
        device = tensor.device.type
        devices[device] += 1
    classes = {type(m).__name__ for m in model.modules()}
    int8 = any(name in classes for name in INT8_CLASSES)
    problems = []
    if any(name in classes for name in LOW_BIT_CLASSES):
        problems.append("4-bit layers (Linear4bit): the policy allows no 4-bit quantization, teachers included")
    wrong = {dtype: n for dtype, n in dtypes.items() if dtype != "bfloat16"}
    if wrong and not (teacher and int8):
        listed = ", ".join(f"{n} {dtype}" for dtype, n in sorted(wrong.items()))
        problems.append(f"{listed} floating tensors (parameters and persistent buffers); the policy requires BF16")
    if int8 and not teacher:
        problems.append("INT8 layers (Linear8bitLt) outside a teacher: only frozen teacher models may be INT8")
    off_gpu = {device: n for device, n in devices.items() if device != "cuda"}
    if off_gpu:
        listed = ", ".join(f"{n} on {device}" for device, n in sorted(off_gpu.items()))
        problems.append(f"tensors off the GPU ({listed}); the policy has no CPU mode")
    return problems


def require_policy(model: Any, *, teacher: bool = False) -> None:
    """Raise unless the GPU meets the policy (CC 8.0+) and `model` is all BF16 on CUDA
    (a teacher: INT8 allowed). Call it at start-up, right after loading."""
    try:
        require_bf16_gpu()
    except GpuRequirementError as exc:
        raise GpuRequirementError(str(exc).replace(", or pass --allow-cpu to simulate", "")) from None
    problems = policy_problems(model, teacher=teacher)
    if problems:
        role = "teacher" if teacher else "student/inference"
        raise PolicyViolation(
            f"{type(model).__name__} ({role}) breaks the precision policy: "
            + "; ".join(problems)
            + f". {REQUIREMENT}; load it with dtype=torch.bfloat16 on CUDA"
        )
