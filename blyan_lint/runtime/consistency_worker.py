"""One rank of `blyan-lint consistency`, inside torchrun: torch.distributed does the talking.

Each rank loads the model on its own device, runs the fixed work alone and hashes it;
`all_gather_object` carries only the hashes (NCCL on GPUs, gloo on CPUs). When a rank
differs from rank 0, its first differing tensor is sent to rank 0 (point-to-point) for the
maximum absolute difference. Nothing here assumes one host: devices come from LOCAL_RANK,
peers from RANK/WORLD_SIZE, and rank 0 alone writes.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import __version__
from .consistency_compare import FORMAT, VERSION, ConsistencyError, compare_ranks, first_difference
from .consistency_env import apply_strict_environment, apply_strict_torch, determinism_settings, environment
from .consistency_model import (
    attention_kernels,
    batch_invariance,
    config_digest,
    digest,
    forward_tensors,
    load_bf16_model,
    max_abs_diff,
    plant_divergence,
    prompts,
    train_tensors,
)
from .gpu import require_bf16_gpu
from .models import set_offline

DEFAULT_BATCH = 4


@dataclass(frozen=True)
class RunSpec:
    """The work, identical on every rank; stored in results so only like work is compared."""

    model: str
    seed: int = 0
    seq_len: int = 16
    steps: int = 0
    batch_sizes: tuple[int, ...] = ()
    lr: float = 1e-2
    strict: bool = False
    allow_cpu: bool = False
    timeout_s: int = 600
    batch: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "batch", max(self.batch_sizes) if self.batch_sizes else DEFAULT_BATCH)

    def inputs(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "seq_len": self.seq_len,
            "batch": self.batch,
            "steps": self.steps,
            "batch_sizes": list(self.batch_sizes),
            "lr": self.lr,
            "padding": "none",
        }


def run_rank(spec: RunSpec) -> dict[str, Any] | None:
    """This rank's share of the check; rank 0 returns the result document, the others None."""
    strict_changes = apply_strict_environment() if spec.strict else []  # before CUDA starts
    import torch
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    device = _device(torch, require_bf16_gpu(allow_cpu=spec.allow_cpu))
    timeout = datetime.timedelta(seconds=spec.timeout_s)
    if device == "cpu":
        dist.init_process_group("gloo", timeout=timeout)
    else:
        dist.init_process_group("nccl", timeout=timeout, device_id=torch.device(device))
    try:
        if spec.strict:
            strict_changes += apply_strict_torch()
        set_offline()
        clock = time.perf_counter()
        model = load_bf16_model(spec.model, device)
        timings = {"load": time.perf_counter() - clock}
        planted = plant_divergence(model, rank)
        vocab = model.config.vocab_size
        ids = prompts(vocab, spec.batch, spec.seq_len, spec.seed, device)
        attention = attention_kernels(model, ids)

        clock = time.perf_counter()
        hashes, fetched = _stage(dist, forward_tensors(model, ids), rank, world)
        timings["forward"] = time.perf_counter() - clock
        entries: list[dict[str, Any]] = []
        if spec.batch_sizes:
            entries, rows = batch_invariance(model, ids, sorted(set(spec.batch_sizes)))
            more, more_fetched = _stage(dist, rows, rank, world)
            hashes += more
            fetched = {**more_fetched, **fetched}
        clock = time.perf_counter()
        if spec.steps:

            def ids_for_step(step: int) -> Any:
                return prompts(vocab, spec.batch, spec.seq_len, spec.seed + step, device)

            trained = train_tensors(model, ids_for_step, spec.steps, spec.seed, spec.lr)
            more, more_fetched = _stage(dist, trained, rank, world)
            hashes += more
            fetched = {**more_fetched, **fetched}
            timings["steps"] = time.perf_counter() - clock
        record = {
            "rank": rank,
            "environment": environment(device),  # after the first matmul: cuBLAS is loaded
            "settings": determinism_settings(attention),
            "strict_changes": strict_changes,
            "hashes": hashes,
            "batch_invariance": entries,
            "planted_divergence": planted,
            "timings": {name: round(seconds, 3) for name, seconds in timings.items()},
        }
        records: list[Any] = [None] * world
        dist.all_gather_object(records, record)
        doc = _document(spec, model, records, fetched) if rank == 0 else None
        dist.barrier()  # no rank tears its group down while a peer may still be talking to it
        return doc
    finally:
        dist.destroy_process_group()


def _device(torch: Any, kind: str) -> str:
    if kind == "cpu":
        return "cpu"
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if local >= torch.cuda.device_count():
        raise ConsistencyError(f"local rank {local} has no GPU: {torch.cuda.device_count()} visible on this host")
    torch.cuda.set_device(local)
    return f"cuda:{local}"


def _stage(dist: Any, tensors: dict[str, Any], rank: int, world: int) -> tuple[list[Any], dict[int, dict[str, Any]]]:
    """Hash, gather, and fetch each differing rank's first differing tensor to rank 0."""
    hashes = [[name, digest(t)] for name, t in tensors.items()]
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, hashes)
    fetched: dict[int, dict[str, Any]] = {}
    names0 = {name for name, _ in gathered[0]}
    for other in range(1, world):
        name = first_difference(gathered[other], gathered[0])
        if name is None or name not in names0 or name not in {n for n, _ in gathered[other]}:
            continue  # every rank takes the same decision from the same gathered hashes
        if rank == other:
            dist.send(_raw(tensors[name]), dst=0)
        elif rank == 0:
            mine = tensors[name]
            received = _raw(mine).clone()
            dist.recv(received, src=other)
            diff, where = max_abs_diff(received.view(mine.dtype).reshape(mine.shape), mine)
            fetched[other] = {"tensor": name, "max_abs_diff": diff, "detail": where}
    return hashes, fetched


def _raw(tensor: Any) -> Any:
    """The tensor as its bytes: uint8 travels over NCCL and gloo alike (NCCL has no int16)."""
    import torch

    return tensor.detach().contiguous().reshape(-1).view(torch.uint8)


def _document(
    spec: RunSpec, model: Any, records: list[dict[str, Any]], fetched: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    comparisons = []
    for comparison in compare_ranks(records):
        found = fetched.get(comparison.rank)
        if found and found["tensor"] == comparison.tensor:
            comparison.max_abs_diff = found["max_abs_diff"]
            comparison.detail = "; ".join(part for part in (found["detail"], comparison.detail) if part)
        comparisons.append(comparison.as_dict())
    options = asdict(spec)
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": "result",
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "blyan_lint": __version__,
        "simulated_on_cpu": records[0]["environment"]["device_type"] == "cpu",
        "model": {
            "path": spec.model,
            "name": os.path.basename(os.path.normpath(spec.model)),
            "config_sha256": config_digest(spec.model),
            "architectures": list(getattr(model.config, "architectures", None) or []),
            "parameters": sum(p.numel() for p in model.parameters()),
        },
        "inputs": spec.inputs(),
        "launch": {
            "world_size": len(records),
            "hosts": sorted({r["environment"]["host"] for r in records}),
            "strict": options["strict"],
        },
        "ranks": records,
        "comparisons": comparisons,
    }
