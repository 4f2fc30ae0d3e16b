"""The fix families through LibCST's own codemod runner give what `check --fix` gives."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from blyan_lint.fixes.codemods import FAMILIES

from .helpers import FIXTURES, ROOT

PAIRS = sorted((FIXTURES / "fixes").rglob("*.in.py"))


def codemod(command: str, path, unsafe: bool, external: bool = False) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "libcst.tool", "codemod", *(["-x"] if external else []), command, str(path)]
    args += ["--no-format", "-j", "1", *(["--unsafe"] if unsafe else [])]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.parent.name}/{p.name[:-6]}")
def test_every_family_through_libcst_runner(pair, tmp_path):
    unsafe = pair.parent.name == "unsafe"
    target = tmp_path / pair.name.replace(".in.py", ".py")
    shutil.copyfile(pair, target)
    for family in FAMILIES:
        result = codemod(f"codemods.{family.__name__}", target, unsafe)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert target.read_bytes() == pair.with_name(pair.name.replace(".in.py", ".out.py")).read_bytes()


def test_external_spelling_needs_no_config(tmp_path):
    target = tmp_path / "m.py"
    target.write_text("import torch\nx = torch.zeros(1, dtype=torch.half)\n")
    result = codemod("blyan_lint.fixes.codemods.FixPrecision", target, unsafe=False, external=True)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "import torch\nx = torch.zeros(1, dtype=torch.bfloat16)\n"
