"""Comparing what ranks and nodes computed: like with like, bit for bit. Pure Python, no torch.

A rank's record holds its environment, its determinism settings and an ordered list of
(tensor name, SHA-256) pairs. Two records are compared only when their environments may
promise the same bits: cuBLAS guarantees run-to-run identity only "on GPUs with the same
architecture and the same number of SMs", A100 and H100/H200 tensor cores round
differently, and another torch/CUDA/cuBLAS/cuDNN/transformers build may pick other
kernels. Records that differ there are `not comparable` with the reason, never `diverged`.
The NCCL version and the driver are shown but not compared: no reduction collective
touches the checked tensors (each rank computes alone, NCCL only carries hashes), and the
driver does not choose kernels.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

FORMAT = "blyan-lint-consistency"
VERSION = 1
IDENTICAL, DIVERGED, NOT_COMPARABLE = "identical", "diverged", "not comparable"
NOTHING_COMPARED = "nothing compared"  # one rank and no reference: no peer to agree with

# Environment fields that must agree before bits may be compared, with the words the report uses.
COMPARED_FIELDS = (
    ("device_type", "device type"),
    ("gpu_name", "GPU"),
    ("capability", "architecture (compute capability)"),
    ("sm_count", "SM count"),
    ("cpu_capability", "CPU instruction set"),
    ("threads", "CPU threads"),
    ("torch", "torch version"),
    ("cuda", "CUDA version"),
    ("cublas", "cuBLAS version"),
    ("cudnn", "cuDNN version"),
    ("transformers", "transformers version"),
)
# What the run computed: a result is only comparable to one made from the same model and inputs.
SAME_WORK_FIELDS = ("seed", "seq_len", "batch", "steps", "batch_sizes", "lr")


class ConsistencyError(ValueError):
    """Bad input to the check (model, flags, reference file); one line, exit 2."""


@dataclass
class Comparison:
    """One record against its baseline (rank 0 of this run, or the reference's rank 0)."""

    subject: str
    baseline: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    tensor: str | None = None
    max_abs_diff: float | None = None
    detail: str = ""
    rank: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "baseline": self.baseline,
            "verdict": self.verdict,
            "reasons": self.reasons,
            "tensor": self.tensor,
            "max_abs_diff": self.max_abs_diff,
            "detail": self.detail,
        }


def environment_differences(env: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """Why two environments cannot promise the same bits; empty when they can."""
    reasons = []
    for key, words in COMPARED_FIELDS:
        if env.get(key) != base.get(key):
            reasons.append(f"{words}: {_shown(env.get(key))} vs {_shown(base.get(key))}")
    return reasons


def work_differences(doc: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """Different model or inputs: the hashes describe different computations."""
    reasons = []
    model, base_model = doc.get("model", {}), base.get("model", {})
    if model.get("config_sha256") != base_model.get("config_sha256"):
        reasons.append(f"model config: {model.get('name')} vs {base_model.get('name')} (config.json differs)")
    inputs, base_inputs = doc.get("inputs", {}), base.get("inputs", {})
    for key in SAME_WORK_FIELDS:
        if inputs.get(key) != base_inputs.get(key):
            reasons.append(f"inputs {key}: {_shown(inputs.get(key))} vs {_shown(base_inputs.get(key))}")
    return reasons


def settings_differences(settings: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """Determinism settings that differ: not a reason to refuse the comparison, but a likely cause."""
    return [
        f"{key}: {_shown(settings.get(key))} vs {_shown(base.get(key))}"
        for key in sorted(set(settings) | set(base))
        if settings.get(key) != base.get(key)
    ]


def first_difference(hashes: list[list[str]], base: list[list[str]]) -> str | None:
    """The first tensor, in the baseline's (computation) order, whose hash differs or is missing
    (hashes: [name, digest] pairs)."""
    mine = {name: digest for name, digest in hashes}
    for name, digest in base:
        if mine.get(name) != digest:
            return name
    extra = [name for name, _ in hashes if name not in {n for n, _ in base}]
    return extra[0] if extra else None


def compare(
    record: dict[str, Any], base: dict[str, Any], subject: str, baseline: str, work: list[str] | None = None
) -> Comparison:
    """`identical`, `diverged` (naming the first tensor) or `not comparable` (with the reasons).

    When the environments differ, the first differing tensor is still named, as information."""
    reasons = (work or []) + environment_differences(record["environment"], base["environment"])
    tensor = first_difference(record["hashes"], base["hashes"])
    rank = int(record.get("rank", 0))
    if reasons:
        detail = f"hashes first differ at {tensor} (information only)" if tensor else "the hashes agree nonetheless"
        return Comparison(subject, baseline, NOT_COMPARABLE, reasons, tensor, None, detail, rank)
    if tensor is None:
        return Comparison(subject, baseline, IDENTICAL, rank=rank)
    causes = settings_differences(record.get("settings", {}), base.get("settings", {}))
    detail = f"settings that differ: {'; '.join(causes)}" if causes else ""
    return Comparison(subject, baseline, DIVERGED, [], tensor, None, detail, rank)


def compare_ranks(records: list[dict[str, Any]]) -> list[Comparison]:
    """Every rank of one run against rank 0 (inputs and model are the same by construction)."""
    base = records[0]
    return [compare(r, base, f"rank {r['rank']}", "rank 0") for r in records[1:]]


def compare_to_reference(doc: dict[str, Any], reference: dict[str, Any]) -> list[Comparison]:
    """Every rank of this run against the reference node's rank 0."""
    base = reference["ranks"][0]
    work = work_differences(doc, reference)
    where = reference.get("ranks", [{}])[0].get("environment", {}).get("host", "?")
    return [compare(r, base, f"rank {r['rank']}", f"reference ({where}) rank 0", work) for r in doc["ranks"]]


def overall(verdicts: list[str]) -> str:
    """A definite divergence outranks `not comparable`."""
    if not verdicts:
        return NOTHING_COMPARED
    if DIVERGED in verdicts:
        return DIVERGED
    if NOT_COMPARABLE in verdicts:
        return NOT_COMPARABLE
    return IDENTICAL


def batch_invariant(records: list[dict[str, Any]]) -> bool | None:
    """None when no batch sizes were checked."""
    entries = [entry for record in records for entry in record.get("batch_invariance", [])]
    return all(entry["identical"] for entry in entries) if entries else None


def write_document(path: str, doc: dict[str, Any]) -> None:
    """Written whole to a temporary file, then renamed: a failed write never leaves half a reference."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def load_document(path: str) -> dict[str, Any]:
    """A reference or result file of this format and version, or ConsistencyError."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise ConsistencyError(f"{path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConsistencyError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConsistencyError(f"{path}: not a {FORMAT} file (written by `blyan-lint consistency --reference`)")
    if doc.get("version") != VERSION:
        found = doc.get("version")
        raise ConsistencyError(f"{path}: format version {found!r}; this blyan-lint reads version {VERSION}")
    ranks = doc.get("ranks")
    if not isinstance(ranks, list) or not ranks or not all(_is_record(r) for r in ranks):
        raise ConsistencyError(f"{path}: no usable rank records (each needs environment, settings and hashes)")
    return doc


def _is_record(record: object) -> bool:
    if not isinstance(record, dict):
        return False
    hashes = record.get("hashes")
    pairs_ok = isinstance(hashes, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in hashes
    )
    return pairs_ok and isinstance(record.get("environment"), dict) and isinstance(record.get("settings"), dict)


def _shown(value: object) -> str:
    return "unset" if value is None else str(value)
