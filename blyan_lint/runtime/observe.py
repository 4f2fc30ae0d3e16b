"""What a value is at run time, as JSON: measured, never inferred from kwargs or attributes.

Runs inside the replay subprocess (torch is imported there, lazily, by the caller).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

QUANTIZED_CLASSES = ("Linear8bitLt", "Linear4bit", "Int8Params", "Params4bit", "QuantLinear", "Linear8bit")
MAX_ITEMS = 8


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def _device_name(device: Any) -> str:
    text = str(device)
    return "cuda" if text.startswith("cuda") else text


def module_summary(model: Any) -> dict[str, Any]:
    """Parameter and buffer dtype histograms (tensor counts), devices, quantized layers,
    `model.dtype`, FP32-by-design modules with the attribute that keeps them FP32."""
    params: Counter[str] = Counter()
    buffers: Counter[str] = Counter()
    devices: Counter[str] = Counter()
    fp32_params: list[str] = []
    for name, param in model.named_parameters():
        params[_dtype_name(param.dtype)] += 1
        devices[_device_name(param.device)] += 1
        if _dtype_name(param.dtype) == "float32":
            fp32_params.append(name)
    for _, buffer in model.named_buffers():
        buffers[_dtype_name(buffer.dtype)] += 1
        devices[_device_name(buffer.device)] += 1
    hf_map = getattr(model, "hf_device_map", None)
    if isinstance(hf_map, dict):
        for where in hf_map.values():
            if str(where) in ("disk", "cpu"):
                devices[f"offloaded:{where}"] += 1
    quantized = Counter(
        type(m).__name__ for m in model.modules() if any(q in type(m).__name__ for q in QUANTIZED_CLASSES)
    )
    modules = list(model.modules())
    summary: dict[str, Any] = {
        "kind": "module",
        "class": type(model).__name__,
        "id": id(model),
        "params": dict(params),
        "buffers": dict(buffers),
        "devices": dict(devices),
        "quantized": dict(quantized),
        "training": sum(1 for m in modules if m.training),
        "modules": len(modules),
        "requires_grad": sum(1 for p in model.parameters() if p.requires_grad),
    }
    model_dtype = getattr(model, "dtype", None)
    if model_dtype is not None:
        summary["model_dtype"] = _dtype_name(model_dtype)
    keep = _keep_fp32(model, fp32_params)
    if keep:
        summary["fp32_by_design"] = keep
    return summary


def _keep_fp32(model: Any, fp32_params: list[str]) -> list[dict[str, Any]]:
    """FP32 parameters a library attribute keeps FP32 on purpose, with that attribute."""
    found = []
    for attribute in ("_keep_in_fp32_modules_strict", "_keep_in_fp32_modules"):
        patterns = getattr(model, attribute, None) or getattr(type(model), attribute, None) or []
        for pattern in patterns:
            hits = [name for name in fp32_params if pattern in name]
            if hits:
                found.append({"attribute": attribute, "pattern": pattern, "params": hits[:MAX_ITEMS]})
    return found


def summarize(value: Any, depth: int = 0) -> dict[str, Any]:
    import torch

    if isinstance(value, torch.nn.Module):
        return module_summary(value)
    if isinstance(value, torch.Tensor):
        return {
            "kind": "tensor",
            "dtype": _dtype_name(value.dtype),
            "device": _device_name(value.device),
            "shape": list(value.shape),
            "id": id(value),
        }
    if isinstance(value, torch.dtype):
        return {"kind": "dtype", "value": _dtype_name(value)}
    if isinstance(value, torch.device):
        return {"kind": "device", "value": _device_name(value)}
    if isinstance(value, torch.optim.Optimizer):
        return optimizer_summary(value)
    cls = type(value)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if hasattr(value, "_enabled") and "GradScaler" in cls.__name__:
        return scaler_summary(value)
    if "autocast" in cls.__name__:
        return {
            "kind": "autocast",
            "device": getattr(value, "device", None),
            "dtype": _dtype_name(getattr(value, "fast_dtype", "")),
            "enabled": bool(getattr(value, "_enabled", False)),
        }
    if hasattr(value, "model") and isinstance(getattr(value, "model", None), torch.nn.Module) and "Pipeline" in name:
        return {"kind": "pipeline", "class": name, "model": module_summary(value.model)}
    if isinstance(value, (list, tuple)) and depth < 2:
        return {"kind": "seq", "items": [summarize(item, depth + 1) for item in list(value)[:MAX_ITEMS]]}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return {"kind": "value", "value": value if not isinstance(value, str) else value[:200]}
    attrs: dict[str, Any] = {}
    for attr in ("mixed_precision", "fp16", "bf16", "optim", "precision", "native_amp"):
        item: Any = getattr(value, attr, None)
        if isinstance(item, (str, bool, int)) or item is None and hasattr(value, attr):
            attrs[attr] = getattr(item, "value", item)  # an enum: its value
        elif hasattr(item, "value"):
            attrs[attr] = str(item.value)
    return {"kind": "object", "class": name, "id": id(value), "attrs": attrs}


def scaler_summary(scaler: Any) -> dict[str, Any]:
    enabled = bool(scaler.is_enabled()) if hasattr(scaler, "is_enabled") else bool(scaler._enabled)
    scale = float(getattr(scaler, "_init_scale", 0.0) or 0.0) if enabled else 1.0
    return {"kind": "scaler", "class": type(scaler).__name__, "enabled": enabled, "scale": scale}


def optimizer_summary(optimizer: Any) -> dict[str, Any]:
    states: Counter[str] = Counter()
    for state in optimizer.state.values():
        for item in state.values():
            if hasattr(item, "dtype") and getattr(item, "numel", lambda: 0)() > 1:
                states[_dtype_name(item.dtype)] += 1
    cls = type(optimizer)
    summary: dict[str, Any] = {
        "kind": "optimizer",
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "state_dtypes": dict(states),
    }
    args: Any = getattr(optimizer, "args", None)  # bitsandbytes: 8-bit state only for tensors of min_8bit_size+
    if getattr(args, "optim_bits", None) is not None:
        sizes = [p.numel() for group in optimizer.param_groups for p in group["params"]]
        summary.update(optim_bits=args.optim_bits, min_8bit_size=args.min_8bit_size, largest=max(sizes, default=0))
    return summary


def snapshot(model: Any) -> dict[str, Any]:
    """A CPU copy of the weights, to count what a round trip of casts changed."""
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters()}


def changed_by_round_trip(before: dict[str, Any], model: Any) -> tuple[int, int]:
    """(elements that differ from their value before the first cast, elements compared)."""
    changed = total = 0
    for name, param in model.named_parameters():
        old = before.get(name)
        if old is None or old.shape != param.shape:
            continue
        now = param.detach().to("cpu").to(old.dtype)
        changed += int((now != old).sum().item())
        total += old.numel()
    return changed, total
