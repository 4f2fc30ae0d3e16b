"""`blyan-lint consistency` end to end on the CPU: torchrun, gloo, two processes, real torch.

Each launch costs a torch + transformers import per rank, so the runs are shared: one clean
run writes a reference, one run plants a one-ulp divergence and checks against it.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest

from .helpers import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

PLANTED = "model.layers.0.mlp.down_proj.weight"
# The demo's BF16 Llama (2 layers, hidden 16, vocabulary 64), shared with `confirm` and `trace`;
# docs/gpu-validation.md records the same work on an H200.
DEMO = ROOT / "fixtures" / "demo_repo" / "checkpoints" / "tiny-llama-bf16"
WORK = ["--steps", "3", "--batch-sizes", "1,8"]


def consistency(*args: str, env: dict | None = None, torchrun: list[str] = ()) -> subprocess.CompletedProcess:
    """The command, or with `torchrun` the operator's own multi-node launch line around it."""
    environ = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    environ.update(env or {})
    launcher = [sys.executable, "-m", "torch.distributed.run", *torchrun] if torchrun else [sys.executable]
    command = [*launcher, "-m", "blyan_lint", "consistency", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environ, timeout=300)


@pytest.fixture(scope="module")
def checkpoint():
    if not (DEMO / "model.safetensors").is_file():
        pytest.skip("the demo checkpoint is missing (scripts/make_demo_checkpoints.py)")
    return str(DEMO)


@pytest.fixture(scope="module")
def clean_run(checkpoint, tmp_path_factory):
    """Started as docs/consistency.md starts a multi-node check (here one node of two ranks):
    inside torchrun the command is a worker and rank 0 reports."""
    reference = tmp_path_factory.mktemp("ref") / "reference.json"
    torchrun = ["--nnodes", "1", "--nproc-per-node", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint", "localhost:0"]
    args = ["--model", checkpoint, "--allow-cpu", *WORK, "--strict", "--reference", str(reference)]
    out = consistency(*args, "--output-format", "json", torchrun=torchrun)
    return out, reference


@pytest.fixture(scope="module")
def planted_run(checkpoint, clean_run):
    _, reference = clean_run
    env = {"BLYAN_CONSISTENCY_TEST_PERTURB": f"1:{PLANTED}"}
    args = ["--model", checkpoint, "--nproc", "2", "--allow-cpu", "--against", str(reference)]
    return consistency(*args, "--output-format", "json", env=env)


def test_two_ranks_agree_and_the_reference_is_written(clean_run):
    out, reference = clean_run
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["verdict"] == "identical" and doc["simulated_on_cpu"] is True
    assert [c["verdict"] for c in doc["comparisons"]] == ["identical"]
    ranks = doc["ranks"]
    assert [r["rank"] for r in ranks] == [0, 1]
    assert ranks[0]["hashes"] == ranks[1]["hashes"]
    names = [name for name, _ in ranks[0]["hashes"]]
    # weights as loaded, activations, logits, then the step's loss, gradients and trained weights
    assert names[0].startswith("loaded:") and "logits" in names and "loss[step 3]" in names
    assert any(n.startswith("grad:") for n in names) and any(n.startswith("trained:") for n in names)
    assert all(len(digest) == 64 for _, digest in ranks[0]["hashes"])
    written = json.loads(reference.read_text())
    assert written["kind"] == "reference" and written["version"] == 1
    assert written["format"] == "blyan-lint-consistency"
    assert written["ranks"][0]["hashes"] == ranks[0]["hashes"]


def test_training_changes_the_weights_it_hashes(clean_run):
    hashes = dict(json.loads(clean_run[0].stdout)["ranks"][0]["hashes"])
    changed = [n for n in hashes if n.startswith("loaded:") and hashes[n] != hashes["trained:" + n[len("loaded:") :]]]
    assert changed, "one SGD step left every weight as loaded: the trained hashes would prove nothing"


def test_strict_lists_what_it_turned_and_reports_the_settings(clean_run):
    rank0 = json.loads(clean_run[0].stdout)["ranks"][0]
    turned = {c["setting"]: (c["from"], c["to"]) for c in rank0["strict_changes"]}
    assert turned["use_deterministic_algorithms"] == (False, True)
    assert turned["CUBLAS_WORKSPACE_CONFIG"][1] == ":4096:8"
    assert turned["matmul.allow_bf16_reduced_precision_reduction"] == (True, False)
    settings = rank0["settings"]
    assert settings["use_deterministic_algorithms"] is True
    assert settings["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert settings["NCCL_NVLS_ENABLE"] == "0"  # strict never enables multicast
    assert settings["sdpa_kernel"] and settings["attn_implementation"]


def test_batch_invariance_is_reported_per_batch_size(clean_run):
    entries = json.loads(clean_run[0].stdout)["ranks"][0]["batch_invariance"]
    assert [e["batch_size"] for e in entries] == [1, 8]
    vocabulary = json.loads((DEMO / "config.json").read_text())["vocab_size"]
    for entry in entries:
        assert entry["identical"] == (entry["differing_elements"] == 0)
        assert entry["elements"] == 16 * vocabulary  # one prompt's logits: tokens x vocabulary


def test_a_one_ulp_weight_on_one_rank_is_diverged_with_its_name(planted_run, checkpoint):
    from safetensors.torch import load_file

    assert planted_run.returncode == 1, planted_run.stderr
    doc = json.loads(planted_run.stdout)
    assert doc["verdict"] == "diverged"
    (ranks,) = doc["comparisons"]
    assert ranks["verdict"] == "diverged" and ranks["tensor"] == f"loaded:{PLANTED}"
    weight = load_file(os.path.join(checkpoint, "model.safetensors"))[PLANTED]
    nudged = weight.reshape(-1)[:1].clone()
    nudged.view(torch.int16).add_(1)
    one_ulp = abs(nudged.float().item() - weight.reshape(-1)[0].float().item())
    assert ranks["max_abs_diff"] == one_ulp  # fetched from rank 1, exactly the planted step
    assert f"1 of {weight.numel()} elements differ" in ranks["detail"]


def test_against_a_reference_names_the_rank_that_left_it(planted_run):
    doc = json.loads(planted_run.stdout)
    against = {c["subject"]: c for c in doc["against"]["comparisons"]}
    assert against["rank 0"]["verdict"] == "identical"
    assert against["rank 1"]["verdict"] == "diverged" and against["rank 1"]["tensor"] == f"loaded:{PLANTED}"
    # the reference's inputs were repeated: 3 steps and batch sizes 1,8, though not given again
    assert doc["inputs"]["steps"] == 3 and doc["inputs"]["batch_sizes"] == [1, 8]


H200_REFERENCE = ROOT / "fixtures" / "consistency" / "h200-tiny-llama-bf16.json"


def test_a_cpu_node_is_not_comparable_with_the_real_h200_reference(clean_run):
    """The reference written on the lent H200 (docs/gpu-validation.md), same model, same work."""
    out = consistency("--against", str(H200_REFERENCE), "--result", str(clean_run[1]), "--output-format", "json")
    assert out.returncode == 3, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["verdict"] == "not comparable"
    for comparison in doc["against"]["comparisons"]:
        assert comparison["verdict"] == "not comparable"
        assert "device type: cpu vs cuda" in comparison["reasons"]
        assert not any(reason.startswith(("model", "inputs")) for reason in comparison["reasons"])


def as_gpu(doc: dict, name: str, capability: str, sms: int, **libraries: str) -> dict:
    """The document as if its ranks had run on that GPU (only the environment is rewritten)."""
    gpu = copy.deepcopy(doc)
    for record in gpu["ranks"]:
        record["environment"].update(
            device_type="cuda", gpu_name=name, capability=capability, sm_count=sms, cpu_capability=None, threads=None
        )
        record["environment"].update(libraries)
    return gpu


def test_references_from_different_gpu_architectures_are_not_comparable(tmp_path):
    h200 = json.loads(H200_REFERENCE.read_text())  # written on the lent H200
    a100 = as_gpu(h200, "NVIDIA A100-SXM4-80GB", "8.0", 108)  # the same stack on an A100
    name, _ = h200["ranks"][0]["hashes"][-1]
    for record in h200["ranks"]:
        record["hashes"][-1] = [name, "0" * 64]  # even differing bits must not read `diverged`
    (tmp_path / "a100.json").write_text(json.dumps(a100))
    (tmp_path / "h200.json").write_text(json.dumps(h200))
    out = consistency("--against", str(tmp_path / "a100.json"), "--result", str(tmp_path / "h200.json"))
    assert out.returncode == 3, out.stdout + out.stderr
    assert "verdict: not comparable" in out.stdout and "diverged" not in out.stdout
    assert "architecture (compute capability): 9.0 vs 8.0" in out.stdout
    assert "SM count: 132 vs 108" in out.stdout
    assert "GPU: NVIDIA H200 vs NVIDIA A100-SXM4-80GB" in out.stdout
    assert f"hashes first differ at {name} (information only)" in out.stdout


def test_same_architecture_references_are_compared_bit_for_bit(clean_run, tmp_path):
    doc = json.loads(clean_run[1].read_text())
    stack = {"torch": "2.11.0+cu130", "cuda": "13.0", "cublas": "13.1.0", "cudnn": "91900"}
    one, other = as_gpu(doc, "NVIDIA H200", "9.0", 132, **stack), as_gpu(doc, "NVIDIA H200", "9.0", 132, **stack)
    name, _ = other["ranks"][0]["hashes"][5]
    for record in other["ranks"]:
        record["hashes"][5] = [name, "0" * 64]
    (tmp_path / "one.json").write_text(json.dumps(one))
    (tmp_path / "other.json").write_text(json.dumps(other))
    same = consistency("--against", str(tmp_path / "one.json"), "--result", str(tmp_path / "one.json"))
    assert same.returncode == 0 and "verdict: identical" in same.stdout, same.stdout + same.stderr
    moved = consistency("--against", str(tmp_path / "one.json"), "--result", str(tmp_path / "other.json"))
    assert moved.returncode == 1 and f"diverged at {name}" in moved.stdout


def test_without_a_policy_gpu_the_workers_refuse_with_the_policy_message(checkpoint):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = consistency("--model", checkpoint, "--nproc", "1")
    assert out.returncode == 2 and out.stdout == ""
    assert "BF16 needs an NVIDIA GPU of compute capability 8.0" in out.stderr and "--allow-cpu" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 2  # progress + error


def test_a_non_bf16_model_is_refused_before_any_worker_starts():
    out = consistency("--model", str(DEMO.with_name("tiny-llama-fp32")), "--allow-cpu")
    assert out.returncode == 2
    assert "is not a BF16 model" in out.stderr and "float32" in out.stderr and "torchrun" not in out.stderr
    assert "Traceback" not in out.stderr
