"""`blyan-lint trace --allow-cpu -- python script.py`: a real program on real torch (CPU)."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest

from blyan_lint.cli import main

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys

import torch
from transformers import AutoModelForCausalLM

MODEL = "org/tiny-fp32"


def never_called(model):
    return model.float()


if __name__ == "__main__":
    model = AutoModelForCausalLM.from_pretrained(MODEL)
    model = model.half()
    dtype = getattr(torch, "bfloat" + "16")
    model = model.to(dtype)
    for _ in range(int(sys.argv[1])):
        model(input_ids=torch.ones(1, 4, dtype=torch.long))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("traced")
    spec = importlib.util.spec_from_file_location("ckpt", ROOT / "scripts" / "make_demo_checkpoints.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    checkpoint = script.write_checkpoint(str(root), "tiny-fp32", "float32")
    (root / "run.py").write_text(textwrap.dedent(SCRIPT))
    return root, checkpoint


def _trace(project, *extra):
    root, checkpoint = project
    out = root / f"trace{len(extra)}.json"
    code = main(
        [
            "trace",
            "--allow-cpu",
            "--model-map",
            f"org/tiny-fp32={checkpoint}",
            "--output-format",
            "json",
            "-o",
            str(out),
            *extra,
            "--",
            "python",
            str(root / "run.py"),
            "50",
        ]
    )
    return code, json.loads(out.read_text())


def test_trace_cross_references_events_with_static_findings(project):
    code, report = _trace(project, "--max-steps", "3")
    rows = {(r["code"], r["place"].rsplit(":", 1)[1]): r for r in report["findings"]}
    source = (project[0] / "run.py").read_text().splitlines()
    load_line = str(next(i for i, t in enumerate(source, 1) if "from_pretrained(MODEL)" in t))
    half_line = str(next(i for i, t in enumerate(source, 1) if "model.half()" in t))
    float_line = str(next(i for i, t in enumerate(source, 1) if "model.float()" in t))
    assert rows[("BLY103", load_line)]["status"] == "confirmed"
    assert "21 float32" in rows[("BLY103", load_line)]["observation"]
    assert rows[("BLY102", half_line)]["status"] == "confirmed"
    assert rows[("BLY102", float_line)]["status"] == "not reached"
    assert code == 1


def test_trace_stops_long_programs_at_max_steps(project):
    _, report = _trace(project, "--max-steps", "3")
    assert report["outcome"]["status"] == "stopped"
    assert report["steps"]["model forward"] == 3
    assert report["op_dtypes"].get("bfloat16", 0) > 0


def test_trace_refuses_something_that_is_not_a_python_script(project, capsys):
    assert main(["trace", "--allow-cpu", "--", "python", str(project[0] / "missing.py")]) == 2
    assert "is not `python SCRIPT.py ARGS`" in capsys.readouterr().err
