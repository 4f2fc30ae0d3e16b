"""The demo's tiny checkpoints: rebuilt from their script, byte for byte, and what they hold."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "fixtures" / "demo_repo" / "checkpoints"
SCRIPT = ROOT / "scripts" / "make_demo_checkpoints.py"


def _script():
    spec = importlib.util.spec_from_file_location("make_demo_checkpoints", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerating_the_checkpoints_writes_the_same_bytes(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    script = _script()
    assert script.main([str(tmp_path)]) == 0
    for name in script.VARIANTS:
        committed = sorted(p.name for p in (CHECKPOINTS / name).iterdir())
        rebuilt = sorted(p.name for p in (tmp_path / name).iterdir())
        assert rebuilt == committed
        for file_name in committed:
            assert (tmp_path / name / file_name).read_bytes() == (CHECKPOINTS / name / file_name).read_bytes(), (
                f"{name}/{file_name} differs: rerun scripts/make_demo_checkpoints.py and commit"
            )


@pytest.mark.parametrize(("name", "dtype"), [("tiny-llama-bf16", "BF16"), ("tiny-llama-fp32", "F32")])
def test_each_checkpoint_stores_one_dtype_and_stays_tiny(name, dtype):
    weights = CHECKPOINTS / name / "model.safetensors"
    header_len = int.from_bytes(weights.read_bytes()[:8], "little")
    header = json.loads(weights.read_bytes()[8 : 8 + header_len])
    dtypes = {entry["dtype"] for key, entry in header.items() if key != "__metadata__"}
    assert dtypes == {dtype}
    assert sum(p.stat().st_size for p in (CHECKPOINTS / name).iterdir()) < 64 * 1024
    config = json.loads((CHECKPOINTS / name / "config.json").read_text())
    assert config["dtype"] == {"BF16": "bfloat16", "F32": "float32"}[dtype]
