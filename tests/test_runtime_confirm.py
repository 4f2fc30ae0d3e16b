"""`blyan-lint confirm --allow-cpu` on a small project: real torch on the CPU, tiny Llamas
built in the test from transformers' config class, no mocks. One replay of the project
serves every test here (a module-scoped fixture); each asserts one verdict and its reason."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROJECT = """
import torch
from transformers import AutoModelForCausalLM

MODEL = "org/tiny"


def load_default():
    return AutoModelForCausalLM.from_pretrained(MODEL)


def load_fp32_checkpoint():
    return AutoModelForCausalLM.from_pretrained("org/tiny-fp32")


def load_by_parameter(checkpoint="org/by-parameter"):
    return AutoModelForCausalLM.from_pretrained(checkpoint)


def adapt():
    from peft import LoraConfig, get_peft_model

    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.bfloat16)
    return get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"]))


def load_unmapped():
    return AutoModelForCausalLM.from_pretrained("org/not-mapped")


def half_then_back():
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.bfloat16)
    model = model.half()
    return model.to(torch.bfloat16)


def pick_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def guarded_device():
    if torch.cuda.get_device_capability()[0] < 8:
        raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0)")
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype():
    return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16


def forward_under_cpu_autocast(steps: int):
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(input_ids=torch.ones(1, 4, dtype=torch.long))


def forward_under_cuda_autocast(steps: int):
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.bfloat16)
    with torch.autocast("cuda", dtype=torch.float16):
        model(input_ids=torch.ones(1, 4, dtype=torch.long))
"""


# A replay whose process dies outright (user code calling os._exit): its findings are
# unresolved with what happened, never a traceback from the harness.
DIES = """import os

from transformers import AutoModelForCausalLM

MODEL = "org/tiny"


def load_and_die():
    model = AutoModelForCausalLM.from_pretrained(MODEL)
    os._exit(3)
"""


def _checkpoint_script():
    spec = importlib.util.spec_from_file_location(
        "make_demo_checkpoints", ROOT / "scripts" / "make_demo_checkpoints.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from blyan_lint.runtime.confirm import ConfirmOptions, confirm

    root = tmp_path_factory.mktemp("project")
    script = _checkpoint_script()
    bf16 = script.write_checkpoint(str(root / "ckpt"), "tiny-bf16", "bfloat16")
    fp32 = script.write_checkpoint(str(root / "ckpt"), "tiny-fp32", "float32")
    package = root / "node"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "loads.py").write_text(textwrap.dedent(PROJECT))
    (package / "dies.py").write_text(DIES)
    (root / "pyproject.toml").write_text(
        f'[tool.blyan-lint]\n[tool.blyan-lint.runtime]\nmodel-map = {{ "MODEL" = "{bf16}" }}\n'
    )
    options = ConfirmOptions(model_map=(f"org/tiny-fp32={fp32}", f"checkpoint={fp32}"), cpu=True, timeout=120, jobs=2)
    result = confirm([str(package)], options)
    source = (package / "loads.py").read_text().splitlines()
    return result, source


def verdict_at(replayed, code: str, text: str):
    result, source = replayed
    for index, finding in enumerate(result.findings):
        if finding.path.endswith("loads.py") and finding.code == code and text in source[finding.start.line - 1]:
            return result.verdicts[index]
    raise AssertionError(f"no {code} finding on a line with {text!r}")


def test_a_load_without_dtype_of_a_bf16_checkpoint_is_refuted(replayed):
    verdict = verdict_at(replayed, "BLY103", "from_pretrained(MODEL)")
    assert verdict.verdict == "refuted"
    assert "21 bfloat16" in verdict.observation and verdict.simulated


def test_a_load_without_dtype_of_an_fp32_checkpoint_is_confirmed(replayed):
    verdict = verdict_at(replayed, "BLY103", "org/tiny-fp32")
    assert verdict.verdict == "confirmed"
    assert "21 float32" in verdict.observation


def test_a_name_the_id_is_bound_through_maps_it(replayed):
    # `checkpoint=PATH` maps the parameter's default id: the load's typed facts name the binding.
    verdict = verdict_at(replayed, "BLY103", "from_pretrained(checkpoint)")
    assert verdict.verdict == "confirmed" and "21 float32" in verdict.observation


def test_peft_adapters_upcast_to_fp32_are_confirmed(replayed):
    pytest.importorskip("peft")
    verdict = verdict_at(replayed, "BLY106", "get_peft_model(model")
    assert verdict.verdict == "confirmed"
    assert "adapter weights" in verdict.observation and "float32" in verdict.observation


def test_a_replay_process_that_dies_leaves_its_findings_unresolved(replayed):
    result, _ = replayed
    died = [result.verdicts[i] for i, f in enumerate(result.findings) if f.path.endswith("dies.py")]
    assert died and all(v.verdict == "unresolved" for v in died)
    assert "the replay process died" in died[0].observation and "Traceback" not in died[0].observation


def test_an_unmapped_checkpoint_is_unresolved_never_a_stand_in(replayed):
    verdict = verdict_at(replayed, "BLY103", "org/not-mapped")
    assert verdict.verdict == "unresolved"
    assert "`org/not-mapped` is not mapped" in verdict.observation


def test_a_cast_undone_later_is_refuted_with_the_round_trip_count(replayed):
    verdict = verdict_at(replayed, "BLY102", "model.half()")
    assert verdict.verdict == "refuted"
    assert "undone later" in verdict.observation and "the round trip changed" in verdict.observation


def test_a_cpu_fallback_is_confirmed_with_cuda_hidden(replayed):
    verdict = verdict_at(replayed, "BLY301", 'return "cuda" if')
    assert verdict.verdict == "confirmed"
    assert "'cpu'" in verdict.observation


def test_a_fallback_behind_a_raising_guard_is_refuted(replayed):
    result, source = replayed
    fallbacks = [
        result.verdicts[i]
        for i, f in enumerate(result.findings)
        if f.code == "BLY301" and f.start.line > source.index("def guarded_device():")
    ]
    assert fallbacks and fallbacks[0].verdict == "refuted"
    assert "never reached" in fallbacks[0].observation


def test_a_precision_fallback_shows_the_dtype_it_picks(replayed):
    verdict = verdict_at(replayed, "BLY105", "torch.bfloat16 if")
    assert verdict.verdict == "confirmed"
    assert "torch.float16" in verdict.observation


def test_cpu_autocast_is_measured_by_a_differential_op_trace(replayed):
    verdict = verdict_at(replayed, "BLY201", 'torch.autocast("cpu"')
    assert verdict.verdict == "confirmed"
    changed = {c["op"]: c for c in verdict.changed_ops}
    # FP32 weights under CPU autocast(bf16): the matmuls produce BF16 only with the construct.
    assert any(name in changed for name in ("mm", "addmm", "bmm", "linear"))
    assert verdict.ops_with.get("bfloat16", 0) > verdict.ops_without.get("bfloat16", 0)


def test_cuda_autocast_without_a_gpu_is_unresolved_not_refuted(replayed):
    verdict = verdict_at(replayed, "BLY201", 'torch.autocast("cuda"')
    assert verdict.verdict == "unresolved"
    assert "needs a GPU" in verdict.observation


def test_verdicts_merge_into_json_and_sarif(replayed):
    from blyan_lint.runtime.output import json_report, sarif_report

    result, _ = replayed
    doc = json.loads(json_report(result.findings, result.verdicts, {"device": "cpu"}))
    with_runtime = [f for f in doc["findings"] if "runtime" in f]
    assert len(with_runtime) == len(result.verdicts)
    assert {f["runtime"]["verdict"] for f in with_runtime} == {"confirmed", "refuted", "unresolved"}
    sarif = json.loads(sarif_report(result.findings, result.verdicts, {"device": "cpu"}))
    runtime = [r["properties"]["runtime"] for r in sarif["runs"][0]["results"] if "runtime" in r["properties"]]
    assert [r["verdict"] for r in runtime] == [f["runtime"]["verdict"] for f in with_runtime]


def test_html_report_is_one_self_contained_page_with_an_svg_chart(replayed):
    from blyan_lint.runtime.report_html import render

    result, _ = replayed
    page = render(result.findings, result.verdicts, "cpu", 1.0)
    assert page.count("<section") == len(result.verdicts)
    assert "<svg" in page and "with the construct" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "CPU-simulated" in page
