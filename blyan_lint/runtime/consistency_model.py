"""The work every rank repeats: load a BF16 model, run fixed inputs, hash what it computed.

Shapes are fixed (batch, sequence length, no padding) and inputs come from a seeded
generator on the CPU, so every rank and every node feeds the same token ids. Tensors are
hashed with SHA-256 over their raw bytes (no upcast: BF16 bits are what the policy
promises), in the order they are computed, so the first differing hash names where two
nodes parted.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable
from typing import Any

from .consistency_compare import ConsistencyError
from .models import check_checkpoint

# Test seam (documented in docs/consistency.md): "RANK:PARAMETER" makes that rank nudge the
# parameter's first element by one BF16 ulp after loading, to plant a divergence in tests.
PERTURB_ENV = "BLYAN_CONSISTENCY_TEST_PERTURB"
_NOT_BF16_FLOATS = ("F16", "F32", "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0")


def bf16_problem(path: str) -> str | None:
    """Why the checkpoint is not a BF16 model, read from config.json and the safetensors
    headers alone (no torch); None when every floating tensor is BF16."""
    check_checkpoint(path)
    with open(os.path.join(path, "config.json"), encoding="utf-8") as fh:
        try:
            config = json.load(fh)
        except json.JSONDecodeError as exc:
            return f"config.json is not JSON ({exc})"
    declared = config.get("dtype") or config.get("torch_dtype")
    if declared not in (None, "bfloat16"):
        return f"config.json declares dtype {declared}, and transformers loads it so"
    files = sorted(name for name in os.listdir(path) if name.endswith(".safetensors"))
    if not files:
        return "no safetensors weights (the check reads only safetensors)"
    other: dict[str, list[str]] = {}
    for name in files:
        for tensor, dtype in _header_dtypes(os.path.join(path, name)).items():
            if dtype in _NOT_BF16_FLOATS:
                other.setdefault(dtype, []).append(tensor)
    if other:
        listed = ", ".join(f"{len(names)} {dtype} (e.g. {sorted(names)[0]})" for dtype, names in sorted(other.items()))
        return f"its weights include {listed}"
    return None


def _header_dtypes(path: str) -> dict[str, str]:
    with open(path, "rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise ConsistencyError(f"{path}: not a safetensors file (too short)")
        (size,) = struct.unpack("<Q", raw)
        if size > 100 * 1024 * 1024:
            raise ConsistencyError(f"{path}: not a safetensors file (header of {size} bytes)")
        try:
            header = json.loads(fh.read(size))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConsistencyError(f"{path}: not a safetensors file (unreadable header)") from None
    return {k: v.get("dtype", "") for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)}


def config_digest(path: str) -> str:
    with open(os.path.join(path, "config.json"), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def load_bf16_model(path: str, device: str) -> Any:
    """The model in BF16 on `device`; ConsistencyError when it is not a BF16 model, measured
    after loading too (transformers has ignored `dtype=` before: transformers#46459)."""
    import torch
    from transformers import AutoModelForCausalLM

    problem = bf16_problem(path)
    if problem:
        raise ConsistencyError(f"{path} is not a BF16 model: {problem}. {POLICY_LINE}")
    # The policy's GPU guard ran before this, in the worker: require_bf16_gpu (runtime/gpu.py).
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16, local_files_only=True)  # noqa: BLY303
    model.to(device)
    model.eval()
    # Modules transformers keeps in FP32 under BF16 by design (MoE routers): measured, not refused.
    strict = tuple(getattr(model, "_keep_in_fp32_modules_strict", None) or ())
    wrong = [
        f"{name} ({p.dtype})"
        for name, p in model.named_parameters()
        if p.is_floating_point() and p.dtype != torch.bfloat16 and not any(part in name for part in strict)
    ]
    if wrong:
        raise ConsistencyError(f"{path} loaded with non-BF16 parameters: {', '.join(wrong[:3])}. {POLICY_LINE}")
    return model


POLICY_LINE = "The policy's promise (all nodes produce identical outputs) is about BF16 models (PRECISION_POLICY.md)"


def plant_divergence(model: Any, rank: int) -> str | None:
    """The test seam: nudge one parameter by one BF16 ulp on one rank; the parameter's name."""
    spec = os.environ.get(PERTURB_ENV, "")
    if not spec:
        return None
    who, _, name = spec.partition(":")
    if not who.strip().isdigit() or int(who) != rank:
        return None
    params = dict(model.named_parameters())
    if name not in params:
        raise ConsistencyError(f"{PERTURB_ENV}: the model has no parameter `{name}`")
    import torch

    with torch.no_grad():
        flat = params[name].data.view(-1)
        bits = flat[:1].view(torch.int16)
        bits += 1  # the next representable BF16 value away from zero (for a positive element)
    return name


def prompts(vocab_size: int, batch: int, seq_len: int, seed: int, device: str) -> Any:
    """Token ids from a seeded CPU generator: the same on every rank and every node."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab_size, (batch, seq_len), generator=generator).to(device)


def digest(tensor: Any) -> str:
    """SHA-256 over the tensor's raw bytes in memory order of a contiguous copy."""
    import torch

    raw = tensor.detach().contiguous().reshape(-1).view(torch.uint8).cpu().numpy()
    return hashlib.sha256(raw).hexdigest()


def forward_tensors(model: Any, ids: Any) -> dict[str, Any]:
    """Loaded weights and buffers, then every hidden state and the logits of one forward."""
    import torch

    tensors = {f"loaded:{name}": p.detach() for name, p in model.named_parameters()}
    tensors.update({f"buffer:{name}": b for name, b in model.named_buffers()})
    with torch.no_grad():
        out = model(input_ids=ids, output_hidden_states=True, use_cache=False)
    tensors.update({f"hidden_states[{i}]": h for i, h in enumerate(out.hidden_states)})
    tensors["logits"] = out.logits
    return tensors


def batch_invariance(model: Any, ids: Any, sizes: list[int]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Prompt 0 alone against prompt 0 in batches of each size (a batch of 1 is a rerun)."""
    import torch

    with torch.no_grad():
        alone = model(input_ids=ids[:1], use_cache=False).logits[0]
        entries: list[dict[str, Any]] = []
        tensors: dict[str, Any] = {}
        for size in sizes:
            row = model(input_ids=ids[:size], use_cache=False).logits[0]
            differing = int((_bits(row) != _bits(alone)).sum().item())
            entries.append(
                {
                    "batch_size": size,
                    "identical": differing == 0,
                    "max_abs_diff": _abs_difference(row, alone).max().item(),
                    "differing_elements": differing,
                    "elements": row.numel(),
                }
            )
            tensors[f"logits[0] in a batch of {size}"] = row
    return entries, tensors


def train_tensors(model: Any, ids_for_step: Callable[[int], Any], steps: int, seed: int, lr: float) -> dict[str, Any]:
    """K SGD steps from a fixed seed on each rank alone (no gradient all-reduce: a divergence
    is this rank's arithmetic, not the network's); losses, then gradients in backward order,
    then the trained parameters."""
    import torch

    torch.manual_seed(seed)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    tensors: dict[str, Any] = {}
    for step in range(1, steps + 1):
        ids = ids_for_step(step)
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        loss.backward()
        optimizer.step()
        tensors[f"loss[step {step}]"] = loss.detach()
    named = list(model.named_parameters())
    tensors.update({f"grad:{name}": p.grad for name, p in reversed(named) if p.grad is not None})
    tensors.update({f"trained:{name}": p.detach() for name, p in named})
    model.eval()
    return tensors


def attention_kernels(model: Any, ids: Any) -> dict[str, Any]:
    """Which attention kernel really ran (the dispatched aten op), seen on one short forward."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class AttentionOps(TorchDispatchMode):  # type: ignore[misc]  # torch is typed as Any
        def __init__(self) -> None:
            super().__init__()
            self.seen: set[str] = set()

        def __torch_dispatch__(
            self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
        ) -> Any:
            name = func.__name__.split(".")[0]
            if "attention" in name:
                self.seen.add(name)
            return func(*args, **(kwargs or {}))

    mode = AttentionOps()
    with torch.no_grad(), mode:
        model(input_ids=ids[:1], use_cache=False)
    implementation = getattr(model.config, "_attn_implementation", None)
    kernel = ",".join(sorted(mode.seen)) or ("math (matmul + softmax)" if implementation else "none seen")
    return {"attn_implementation": implementation, "sdpa_kernel": kernel}


def max_abs_diff(a: Any, b: Any) -> tuple[float, str]:
    """The largest absolute difference and the first differing element, for the report."""
    import torch

    if a.shape != b.shape:
        return float("nan"), f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}"
    unequal = torch.nonzero(_bits(a) != _bits(b))
    if not len(unequal):
        return 0.0, "bitwise equal"
    index = tuple(int(i) for i in unequal[0])
    values = f"{a[index].item()!r} vs {b[index].item()!r}"
    where = f"first at {list(index)}: {values}; {len(unequal)} of {a.numel()} elements differ"
    return float(_abs_difference(a, b).max().item()), where


def _abs_difference(a: Any, b: Any) -> Any:
    # A measurement, not model compute: FP32 holds every BF16 value, so the difference is exact.
    return (a.float() - b.float()).abs()  # noqa: BLY102


def _bits(t: Any) -> Any:
    """The tensor's bits as integers of its width: equality that NaN and -0.0 cannot fool."""
    import torch

    width = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
    return t.contiguous().view(width)
