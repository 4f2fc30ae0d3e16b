"""The comparison and the command's bad-input paths: pure Python, so they run without torch too."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

from blyan_lint.runtime.consistency_compare import (
    DIVERGED,
    IDENTICAL,
    NOT_COMPARABLE,
    NOTHING_COMPARED,
    compare,
    compare_to_reference,
    first_difference,
    overall,
)

from .helpers import ROOT

H200 = {"device_type": "cuda", "gpu_name": "NVIDIA H200", "capability": "9.0", "sm_count": 132, "torch": "2.11.0"}


def record(rank=0, env=None, hashes=None, settings=None):
    return {
        "rank": rank,
        "environment": dict(env or H200),
        "settings": dict(settings or {"use_deterministic_algorithms": False}),
        "hashes": [list(pair) for pair in (hashes or [("loaded:w", "a" * 64), ("logits", "b" * 64)])],
    }


def document(*records, steps=0):
    return {
        "format": "blyan-lint-consistency",
        "version": 1,
        "model": {"name": "tiny", "config_sha256": "c" * 64},
        "inputs": {"seed": 0, "seq_len": 16, "batch": 4, "steps": steps, "batch_sizes": [], "lr": 0.01},
        "ranks": list(records),
    }


def consistency(*args):
    command = [sys.executable, "-m", "blyan_lint", "consistency", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_first_difference_follows_the_baseline_order():
    base = [["loaded:w", "1"], ["hidden_states[0]", "2"], ["logits", "3"]]
    assert first_difference(base, base) is None
    assert first_difference([["loaded:w", "1"], ["hidden_states[0]", "x"], ["logits", "y"]], base) == "hidden_states[0]"
    assert first_difference(base[:2], base) == "logits"  # a missing tensor is a difference
    assert first_difference([*base, ["extra", "4"]], base) == "extra"


def test_a_hash_difference_on_the_same_hardware_is_diverged_and_names_the_tensor():
    hashes = [("loaded:w", "a" * 64), ("logits", "0" * 64)]
    other = record(1, hashes=hashes, settings={"use_deterministic_algorithms": True})
    result = compare(other, record(), "rank 1", "rank 0")
    assert result.verdict == DIVERGED and result.tensor == "logits"
    assert "use_deterministic_algorithms: True vs False" in result.detail  # a likely cause, said


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("capability", "8.0", "architecture"),
        ("sm_count", 114, "SM count"),
        ("torch", "2.13.0", "torch version"),
        ("cublas", "12.9.1", "cuBLAS version"),
    ],
)
def test_different_hardware_or_libraries_are_never_diverged(field, value, words):
    other = record(1, env={**H200, field: value}, hashes=[("loaded:w", "f" * 64)])
    result = compare(other, record(), "rank 1", "rank 0")
    assert result.verdict == NOT_COMPARABLE
    assert any(reason.startswith(words) for reason in result.reasons)
    assert "loaded:w" in result.detail  # the differing tensor is still shown, as information


def test_the_driver_and_nccl_are_shown_but_do_not_block_the_comparison():
    other = record(1, env={**H200, "driver": "580.1", "nccl": "2.28.3"})
    assert compare(other, record(env={**H200, "driver": "575.0", "nccl": "2.27.7"}), "r1", "r0").verdict == IDENTICAL


def test_other_inputs_or_another_model_are_not_comparable_with_a_reference():
    reference = document(record())
    this = document(record(), steps=3)
    (result,) = compare_to_reference(this, reference)
    assert result.verdict == NOT_COMPARABLE and "inputs steps: 3 vs 0" in result.reasons


def test_overall_verdict():
    assert overall([]) == NOTHING_COMPARED
    assert overall([IDENTICAL, IDENTICAL]) == IDENTICAL
    assert overall([IDENTICAL, NOT_COMPARABLE]) == NOT_COMPARABLE
    assert overall([NOT_COMPARABLE, DIVERGED]) == DIVERGED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"format": "other"}), "not a blyan-lint-consistency file"),
        (json.dumps({"format": "blyan-lint-consistency", "version": 99, "ranks": []}), "format version 99"),
        (json.dumps({"format": "blyan-lint-consistency", "version": 1, "ranks": [{"rank": 0}]}), "no usable rank"),
    ],
)
def test_a_bad_reference_file_is_one_clear_error(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = consistency("--against", str(bad), "--result", str(bad))
    assert out.returncode == 2 and out.stdout == ""
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_result_without_a_reference_is_refused(tmp_path):
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(document(record())))
    out = consistency("--result", str(saved))
    assert out.returncode == 2 and "--against" in out.stderr


def test_an_unwritable_reference_is_refused_before_the_run(tmp_path):
    out = consistency("--model", str(tmp_path), "--reference", str(tmp_path / "absent" / "ref.json"))
    assert out.returncode == 2 and "no such directory" in out.stderr and "torchrun" not in out.stderr


def test_a_missing_model_is_one_clear_error(tmp_path):
    out = consistency("--allow-cpu")
    assert out.returncode == 2 and "--model" in out.stderr and "Traceback" not in out.stderr
    out = consistency("--model", str(tmp_path / "absent"), "--allow-cpu")
    assert out.returncode == 2 and "not a checkpoint directory" in out.stderr


def write_safetensors(path, tensors: dict[str, str]) -> None:
    header = {name: {"dtype": dtype, "shape": [1], "data_offsets": [0, 2]} for name, dtype in tensors.items()}
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0\0")


def test_fp32_weights_are_refused_from_the_header_alone(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    write_safetensors(tmp_path / "model.safetensors", {"lm_head.weight": "F32", "embed.weight": "BF16", "ids": "I64"})
    out = consistency("--model", str(tmp_path), "--allow-cpu")
    assert out.returncode == 2
    assert "is not a BF16 model: its weights include 1 F32 (e.g. lm_head.weight)" in out.stderr
    assert "PRECISION_POLICY.md" in out.stderr


def test_batch_sizes_must_be_positive_integers():
    out = consistency("--batch-sizes", "1,x", "--allow-cpu")
    assert out.returncode == 2 and "batch" in out.stderr.lower()


def test_strict_sets_only_unset_variables_and_never_enables_nvls(monkeypatch):
    from blyan_lint.runtime.consistency_env import STRICT_ENVIRONMENT, apply_strict_environment

    for name in STRICT_ENVIRONMENT:  # recorded by monkeypatch, so whatever strict sets is undone
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("NCCL_ALGO", "Tree")  # the operator's choice stays
    monkeypatch.setenv("NCCL_NVLS_ENABLE", "1")  # multicast on: strict turns it off
    monkeypatch.delenv("NCCL_PROTO")
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG")
    changes = {c["setting"]: (c["from"], c["to"]) for c in apply_strict_environment()}
    assert changes == {
        "CUBLAS_WORKSPACE_CONFIG": (None, ":4096:8"),
        "NCCL_PROTO": (None, "Simple"),
        "NCCL_NVLS_ENABLE": ("1", "0"),
    }
    assert os.environ["NCCL_ALGO"] == "Tree" and os.environ["NCCL_NVLS_ENABLE"] == "0"
    monkeypatch.setenv("NCCL_NVLS_ENABLE", "0")  # as the multi-GPU machines set it: left alone
    assert "NCCL_NVLS_ENABLE" not in {c["setting"] for c in apply_strict_environment()}
