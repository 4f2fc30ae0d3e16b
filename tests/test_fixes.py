"""Autofix: `.in.py` -> `.out.py` pairs, idempotence, verification and safe writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from blyan_lint.api import Overrides, check_file, fix_file
from blyan_lint.cli import main
from blyan_lint.config import clear_caches
from blyan_lint.fixes import apply as apply_module
from blyan_lint.fixes.apply import wanted

from .helpers import FIXTURES, ROOT

PAIRS = sorted((FIXTURES / "fixes").rglob("*.in.py"))


def fixed_bytes(source: bytes, name: str, unsafe: bool) -> bytes:
    outcome = fix_file(name, Overrides(), unsafe, write=False, source=source)
    assert outcome.error is None, outcome.error
    if not outcome.changed:
        return source
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return outcome.result.text.encode(encoding)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.parent.name}/{p.name[:-6]}")
def test_fix_pair(pair: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    unsafe = pair.parent.name == "unsafe"
    name = str(pair.relative_to(ROOT))
    expected = pair.with_name(pair.name.replace(".in.py", ".out.py")).read_bytes()
    first = fixed_bytes(pair.read_bytes(), name, unsafe)
    assert first == expected
    compile(first, name, "exec", dont_inherit=True)  # compiles, not only parses (`*opts.step()` parses)
    assert fixed_bytes(first, name, unsafe) == first, "a second --fix changes nothing"
    left = check_file(name, Overrides(), first)
    assert not [f for f in left if wanted(f, unsafe)], "no fixable finding is left"


def all_python_fixtures() -> list[Path]:
    return [p for p in sorted(FIXTURES.rglob("*.py")) if "BLY000" not in p.parts]


def test_unsafe_fix_of_every_fixture_compiles_and_is_idempotent(monkeypatch):
    monkeypatch.chdir(ROOT)
    for path in all_python_fixtures():
        name = str(path.relative_to(ROOT))
        once = fixed_bytes(path.read_bytes(), name, unsafe=True)
        compile(once, name, "exec", dont_inherit=True)
        assert fixed_bytes(once, name, unsafe=True) == once, name


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clear_caches()
    return tmp_path


GUARD = 'if torch.cuda.get_device_capability()[0] < 8:\n    raise RuntimeError("BF16 needs compute capability 8.0")\n'
SOURCE = "import torch\n" + GUARD + "x = torch.zeros(2, dtype=torch.float16)\nm = model.half()\n"
FIXED = "import torch\n" + GUARD + "x = torch.zeros(2, dtype=torch.bfloat16)\nm = model.to(torch.bfloat16)\n"


def test_fix_writes_keeps_permissions_and_exit_codes(workdir, capsys):
    path = workdir / "m.py"
    path.write_text(SOURCE)
    os.chmod(path, 0o754)
    assert main(["check", "m.py", "--fix"]) == 0
    assert path.read_text() == FIXED
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o754
    assert "Fixed 2 findings in 1 file." in capsys.readouterr().err
    assert main(["check", "m.py", "--fix"]) == 0, "second run: nothing to do"
    path.write_text(SOURCE)
    assert main(["check", "m.py", "--fix", "--exit-non-zero-on-fix"]) == 1
    assert not list(workdir.glob(".blyan-lint-*")), "no temporary file is left behind"


def test_fix_leaves_unfixable_findings_and_exits_1(workdir, capsys):
    (workdir / "m.py").write_text("import torch\nfrom torch.cuda.amp import GradScaler\nscaler = GradScaler()\n")
    assert main(["check", "m.py", "--fix"]) == 1
    assert "BLY202" in capsys.readouterr().out


def test_diff_writes_nothing(workdir, capsys):
    (workdir / "m.py").write_text(SOURCE)
    assert main(["check", "m.py", "--diff"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "+x = torch.zeros(2, dtype=torch.bfloat16)\n" in out
    assert (workdir / "m.py").read_text() == SOURCE
    (workdir / "clean.py").write_text("x = 1\n")
    assert main(["check", "clean.py", "--diff"]) == 0


def test_fix_only_and_show_fixes(workdir, capsys):
    (workdir / "m.py").write_text(SOURCE + "from torch.cuda.amp import GradScaler\ns = GradScaler()\n")
    assert main(["check", "m.py", "--fix-only", "--show-fixes"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "Fixed in m.py: 1 x BLY101, 1 x BLY102" in err


def test_unsafe_fixes_need_the_flag(workdir, capsys):
    test = "torch.cuda.is_bf16_supported(including_emulation=False)"
    src = f"import torch\nd = torch.bfloat16 if {test} else torch.half\n"
    (workdir / "m.py").write_text(src)
    assert main(["check", "m.py", "--fix"]) == 1
    assert (workdir / "m.py").read_text() == src
    assert main(["check", "m.py", "--fix", "--unsafe-fixes"]) == 0
    assert (workdir / "m.py").read_text() == "import torch\nd = torch.bfloat16\n"


def test_fix_that_would_not_parse_is_not_written(workdir, capsys, monkeypatch):
    (workdir / "m.py").write_text(SOURCE)
    monkeypatch.setattr(apply_module, "apply_edits", lambda text, edits: text + "def broken(:\n")
    assert main(["check", "m.py", "--fix"]) == 2
    assert "would not compile" in capsys.readouterr().err
    assert (workdir / "m.py").read_text() == SOURCE


def test_interrupted_write_leaves_the_original(workdir, monkeypatch):
    path = workdir / "m.py"
    path.write_text(SOURCE)

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        fix_file("m.py", Overrides(), unsafe=False, write=True)
    assert path.read_text() == SOURCE
    assert not list(workdir.glob(".blyan-lint-*"))


def test_stdin_fix_prints_the_fixed_source(workdir):
    proc = subprocess.run(
        [sys.executable, "-m", "blyan_lint", "check", "--fix", "-", "--stdin-filename", "m.py"],
        input=SOURCE,
        capture_output=True,
        text=True,
    )
    assert proc.stdout == FIXED
    assert proc.returncode == 0


def test_parallel_fix_matches_serial_fix(workdir, capsys):
    for jobs in ("1", "2"):
        tree = workdir / f"tree{jobs}"
        for index in range(40):  # enough files for worker processes
            (tree / f"pkg{index % 4}").mkdir(parents=True, exist_ok=True)
            (tree / f"pkg{index % 4}" / f"m{index}.py").write_text(SOURCE)
        assert main(["check", str(tree), "--fix", "-j", jobs]) == 0
        assert "Fixed 80 findings in 40 files." in capsys.readouterr().err
    one = sorted((p.relative_to(workdir / "tree1"), p.read_text()) for p in (workdir / "tree1").rglob("*.py"))
    two = sorted((p.relative_to(workdir / "tree2"), p.read_text()) for p in (workdir / "tree2").rglob("*.py"))
    assert one == two and all(text == FIXED for _, text in one)


def test_unwritable_fix_is_an_error_not_a_traceback(workdir, capsys, monkeypatch):
    (workdir / "m.py").write_text(SOURCE)
    (workdir / "n.py").write_text(SOURCE)

    def vanished(prefix, suffix, dir):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr("tempfile.mkstemp", lambda **kw: vanished(**kw))
    assert main(["check", "m.py", "n.py", "--fix"]) == 2
    err = capsys.readouterr().err
    assert "m.py: error: cannot write the fixed file: No such file or directory" in err
    assert "n.py: error: cannot write" in err, "every file is still attempted"
    assert (workdir / "m.py").read_text() == SOURCE


def test_cast_of_integer_data_is_an_unsafe_fix_whose_title_says_why(workdir):
    """RULES.md "Fix safety": `arange(300)` in BF16 turns position 257 into 256, so the
    pre-commit fix hook (safe fixes only) must not rewrite it; a model's cast stays safe."""
    src = (
        "import torch\n\n\ndef rotary(seq_len, model_path):\n"
        "    positions = torch.arange(seq_len).float()\n"
        "    steps = torch.arange(0, seq_len, 2, dtype=torch.float32)\n"
        "    model = AutoModelForCausalLM.from_pretrained(model_path, torch_dtype=torch.bfloat16).half()\n"
        "    return positions, steps, model\n"
    )
    findings = {
        f.start.line: f for f in check_file("m.py", Overrides(), src.encode()) if f.code in ("BLY101", "BLY102")
    }
    for line in (5, 6):
        fix = findings[line].fix
        assert fix.applicability.value == "unsafe"
        assert "torch.arange(...)" in fix.title and "up to 256" in fix.title
    assert findings[7].fix.applicability.value == "safe"
    safe = fix_file("m.py", Overrides(), unsafe=False, write=False, source=src.encode()).result.text
    assert "torch.arange(seq_len).float()" in safe and "dtype=torch.float32" in safe
    assert ").to(torch.bfloat16)\n    return" in safe
    unsafe = fix_file("m.py", Overrides(), unsafe=True, write=False, source=src.encode()).result.text
    assert "torch.arange(seq_len).to(torch.bfloat16)" in unsafe and "dtype=torch.bfloat16" in unsafe
