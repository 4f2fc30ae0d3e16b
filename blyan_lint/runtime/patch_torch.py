"""Instrumented torch: the user's module casts and moves, `set_default_dtype`, autocast
entries, GradScalers and capability queries are recorded; the compute capability torch
reports can be simulated (a pre-Ampere GPU; a policy GPU for CPU-only runs)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .observe import module_summary, scaler_summary
from .recorder import Recorder

# The nn.Module methods whose calls by the user are recorded with the module before and after.
MODULE_CAST_METHODS = ("to", "half", "float", "double", "bfloat16", "cpu", "cuda", "train", "eval", "requires_grad_")

# The compute capability torch reports while a simulation is on (None: the real one).
SIMULATED: dict[str, Any] = {"capability": None}


def simulate_capability(capability: tuple[int, int] | None) -> None:
    """From now on torch reports `capability` (e.g. (7, 5)); None restores the real one."""
    SIMULATED["capability"] = capability


class _Properties:
    """`get_device_properties` of the real GPU, reporting another compute capability."""

    def __init__(self, real: Any, capability: tuple[int, int]) -> None:
        self._real = real
        self.major, self.minor = capability

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def patch_module_methods(recorder: Recorder, torch: Any) -> None:
    def make(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if recorder.depth("module") or recorder.depth("load"):
                return original(self, *args, **kwargs)
            where = recorder.direct()
            if where is None:  # a library moving or casting on its own: not the user's event
                return original(self, *args, **kwargs)
            before = module_summary(self)
            recorder.enter("module")
            try:
                result = original(self, *args, **kwargs)
            finally:
                recorder.leave("module")
            recorder.add(
                {
                    "event": "module." + name,
                    "where": where,
                    "args": [repr(a)[:60] for a in args],
                    "before": before,
                    "after": module_summary(self),
                }
            )
            return result

        return method

    owners = [torch.nn.Module]
    try:  # transformers overrides some of them (quantized-model checks) and calls super()
        from transformers.modeling_utils import PreTrainedModel

        owners.append(PreTrainedModel)
    except ImportError:
        pass
    for owner in owners:
        for name in MODULE_CAST_METHODS:
            if name in owner.__dict__:
                setattr(owner, name, make(name, owner.__dict__[name]))


def patch_torch_calls(recorder: Recorder, torch: Any) -> None:
    original_default = torch.set_default_dtype

    @functools.wraps(original_default)
    def set_default_dtype(dtype: Any) -> Any:
        where = recorder.direct()
        if where is not None:  # transformers sets it temporarily inside from_pretrained: not the user's
            recorder.add({"event": "set_default_dtype", "where": where, "dtype": str(dtype)})
        return original_default(dtype)

    torch.set_default_dtype = set_default_dtype

    autocast_cls = torch.amp.autocast_mode.autocast  # noqa: BLY201 (observed, not used)
    original_enter = autocast_cls.__enter__

    @functools.wraps(original_enter)
    def enter(self: Any) -> Any:
        result = original_enter(self)
        where = recorder.direct()
        if where is None:  # transformers enters autocast(enabled=False) around RoPE: not the user's
            return result
        effective = bool(torch.is_autocast_enabled(self.device)) if self.device in ("cuda", "cpu") else False
        recorder.add(
            {
                "event": "autocast",
                "where": where,
                "device": self.device,
                "dtype": str(self.fast_dtype).replace("torch.", ""),
                "enabled": bool(self._enabled),
                "effective": effective,
            }
        )
        return result

    autocast_cls.__enter__ = enter

    scaler_cls = torch.amp.grad_scaler.GradScaler  # noqa: BLY202 (observed, not used)
    original_init = scaler_cls.__init__

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        recorder.add({"event": "grad_scaler", "where": recorder.where(), **scaler_summary(self)})

    scaler_cls.__init__ = init
    _patch_capability(recorder, torch)


def _patch_capability(recorder: Recorder, torch: Any) -> None:
    original_capability = torch.cuda.get_device_capability
    original_properties = torch.cuda.get_device_properties
    original_bf16 = torch.cuda.is_bf16_supported

    @functools.wraps(original_capability)
    def get_device_capability(*args: Any, **kwargs: Any) -> Any:
        result = SIMULATED["capability"] or original_capability(*args, **kwargs)
        recorder.add({"event": "capability.get_device_capability", "where": recorder.where(), "result": repr(result)})
        return result

    @functools.wraps(original_properties)
    def get_device_properties(*args: Any, **kwargs: Any) -> Any:
        if SIMULATED["capability"] is None:
            return original_properties(*args, **kwargs)
        try:
            real = original_properties(*args, **kwargs)
        except (AssertionError, RuntimeError):  # no real GPU: a CPU-simulated run
            real = object()
        return _Properties(real, SIMULATED["capability"])

    @functools.wraps(original_bf16)
    def is_bf16_supported(*args: Any, **kwargs: Any) -> Any:
        result = original_bf16(*args, **kwargs)
        recorder.add({"event": "capability.is_bf16_supported", "where": recorder.where(), "result": repr(result)})
        return result

    torch.cuda.get_device_capability = get_device_capability
    torch.cuda.get_device_properties = get_device_properties
    torch.cuda.is_bf16_supported = is_bf16_supported
