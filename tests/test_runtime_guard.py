"""`require_policy`: the runtime guard for node code, and BLY303 accepting it."""

from __future__ import annotations

import pytest

from blyan_lint.api import Overrides, check_file
from blyan_lint.cli import main

from . import helpers

LOAD = 'model = AutoModelForCausalLM.from_pretrained("x", torch_dtype=torch.bfloat16, device_map="cuda")\n'
HEADER = "import torch\nfrom transformers import AutoModelForCausalLM\n"


def _tiny(dtype_name: str):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return helpers.tiny_llama(
        dtype_name,
        vocab_size=32,
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
    )


def test_bly303_accepts_require_policy_as_the_guard(tmp_path):
    guarded = tmp_path / "guarded.py"
    guarded.write_text(HEADER + "from blyan_lint.runtime import require_policy\n" + LOAD + "require_policy(model)\n")
    bare = tmp_path / "bare.py"
    bare.write_text(HEADER + LOAD)
    assert [f.code for f in check_file(str(bare), Overrides())] == ["BLY303"]
    assert check_file(str(guarded), Overrides()) == []


def test_a_bf16_model_on_the_cpu_breaks_the_no_cpu_rule_only():
    from blyan_lint.runtime.guard import policy_problems

    problems = policy_problems(_tiny("bfloat16"))
    assert len(problems) == 1 and "off the GPU" in problems[0] and "on cpu" in problems[0]


def test_an_fp16_model_is_named_with_its_dtypes():
    from blyan_lint.runtime.guard import policy_problems

    problems = policy_problems(_tiny("float16"))
    assert "float16 floating tensors" in problems[0]


def test_without_a_policy_gpu_require_policy_raises_the_policy_error():
    pytest.importorskip("torch")
    from blyan_lint.runtime import require_policy
    from blyan_lint.runtime.gpu import GpuRequirementError, gpu_status

    if gpu_status().meets_policy:
        pytest.skip("this machine has a policy GPU")
    with pytest.raises(GpuRequirementError) as raised:
        require_policy(_tiny("bfloat16"))
    assert all(word in str(raised.value) for word in ("BF16", "Ampere", "8.0"))


def test_confirm_without_a_policy_gpu_exits_2_and_says_why(capsys):
    from blyan_lint.runtime.gpu import gpu_status

    if gpu_status().meets_policy:
        pytest.skip("this machine has a policy GPU")
    assert main(["confirm", "fixtures/demo_repo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("blyan-lint: error: BF16 needs an NVIDIA GPU of compute capability 8.0")
    assert "Ampere" in err and "--allow-cpu" in err and "Traceback" not in err


@pytest.mark.gpu
def test_require_policy_accepts_a_bf16_model_on_the_gpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from blyan_lint.runtime import PolicyViolation, require_policy

    require_policy(_tiny("bfloat16").to("cuda"))
    with pytest.raises(PolicyViolation, match="float16"):
        require_policy(_tiny("float16").to("cuda"))
