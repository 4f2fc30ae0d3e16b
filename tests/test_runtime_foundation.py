"""The GPU requirement and the model map, on the CPU (CI has no GPU)."""

from __future__ import annotations

import pytest

from blyan_lint.runtime.gpu import GpuRequirementError, gpu_status, require_bf16_gpu
from blyan_lint.runtime.models import ModelMapError, check_checkpoint, parse_model_map


def test_model_map_resolves_relative_paths_from_its_base(tmp_path):
    mapped = parse_model_map(["org/llama=ckpt/llama", "MODEL_PATH = /abs/m"], base=str(tmp_path))
    assert mapped.get("org/llama") == str(tmp_path / "ckpt" / "llama")
    assert mapped.get("MODEL_PATH") == "/abs/m"
    assert mapped.get("other") is None


@pytest.mark.parametrize("spec", ["no-equals", "=path", "id="])
def test_malformed_model_map_entry_is_an_error(spec):
    with pytest.raises(ModelMapError, match="ID=PATH"):
        parse_model_map([spec])


def test_pickled_only_checkpoint_is_refused_without_allow_pickle(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(ModelMapError, match="--allow-pickle"):
        check_checkpoint(str(tmp_path))
    check_checkpoint(str(tmp_path), allow_pickle=True)


def test_without_a_policy_gpu_the_error_names_the_requirement():
    pytest.importorskip("torch")
    if gpu_status().meets_policy:
        pytest.skip("this machine has a policy GPU")
    with pytest.raises(GpuRequirementError) as raised:
        require_bf16_gpu()
    message = str(raised.value)
    assert "BF16" in message and "8.0" in message and "Ampere" in message
    assert require_bf16_gpu(allow_cpu=True) == "cpu"


@pytest.mark.gpu
def test_policy_gpu_is_accepted():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    assert require_bf16_gpu() == "cuda"
