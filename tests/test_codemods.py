"""The fix families through LibCST's own codemod runner give what `check --fix` gives."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, SkipFile

from blyan_lint.api import Overrides, fix_file
from blyan_lint.fixes.codemods import FAMILIES, FixPrecision
from blyan_lint.fixes.source_io import source_encoding

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


def codemod_in_process(path: Path, unsafe: bool) -> bytes:
    """Every family in turn, through the codemod classes LibCST's runner instantiates."""
    source = path.read_bytes()
    name = str(path.relative_to(ROOT))
    for family in FAMILIES:
        command = family(CodemodContext(filename=name), unsafe=unsafe)
        try:
            module = command.transform_module_impl(cst.parse_module(source))
        except SkipFile:
            continue
        source = module.bytes
    return source


def fix_in_process(path: Path, unsafe: bool) -> bytes:
    source = path.read_bytes()
    outcome = fix_file(str(path.relative_to(ROOT)), Overrides(), unsafe, write=False, source=source)
    assert outcome.error is None, outcome.error
    if not outcome.changed:
        return source
    return outcome.result.text.encode(source_encoding(source))


FIXABLE = [p for p in sorted(FIXTURES.rglob("*.py")) if "BLY000" not in p.parts and not p.name.endswith(".out.py")]


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_codemods_apply_exactly_what_fix_applies(unsafe, monkeypatch):
    monkeypatch.chdir(ROOT)
    differ = [
        str(p.relative_to(FIXTURES)) for p in FIXABLE if codemod_in_process(p, unsafe) != fix_in_process(p, unsafe)
    ]
    assert not differ


def test_codemod_leaves_a_superseded_dtype_alone(tmp_path, monkeypatch):
    """`--fix` leaves the FP16 inside an autocast to BLY201 (which reports the whole autocast);
    the BLY1 codemod must not rewrite it either, as it did when it checked BLY1 alone."""
    monkeypatch.chdir(tmp_path)
    source = (
        b'import torch\n\n\ndef step(x):\n    with torch.autocast("cuda", dtype=torch.float16):\n        return x\n'
    )
    assert not fix_file("m.py", Overrides(), unsafe=False, write=False, source=source).changed
    command = FixPrecision(CodemodContext(filename="m.py"), unsafe=False)
    with pytest.raises(SkipFile):
        command.transform_module_impl(cst.parse_module(source))


def test_readme_codemod_command_works_as_pasted_in_a_user_project(tmp_path):
    """The README's command, in a project with no .libcst.codemod.yaml and no black."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("python -m libcst.tool codemod"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("import torch\nx = torch.zeros(1, dtype=torch.half)  # keep\n")
    args = [sys.executable, *command.split()[1:]]
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Failed to codemod 0 files" in result.stderr
    assert (tmp_path / "src" / "m.py").read_text() == "import torch\nx = torch.zeros(1, dtype=torch.bfloat16)  # keep\n"
