"""Adopting on a codebase with findings, through the real CLI: --add-noqa, BLY001, reasons, hints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .test_notebooks import code, notebook

SOURCE = (
    "import torch\n"
    "\n"
    "x = torch.zeros(2, dtype=torch.float16)  # noqa\n"
    "y = torch.zeros(2, dtype=torch.float16).half()  # noqa: E501\n"
    's = """\n'
    'abc""" + str(torch.float16)\n'
    "z = torch.zeros(2, dtype=torch.float16)\n"
)


def blyan(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--no-cache", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(SOURCE)
    return tmp_path


def test_add_noqa_silences_every_finding_keeps_existing_codes_and_is_idempotent(project):
    assert blyan(project, "src").returncode == 1
    result = blyan(project, "--add-noqa", "src")  # the path is not taken for a reason
    assert result.returncode == 0, result.stderr
    assert "Added 4 noqa directives in 1 of 1 files." in result.stderr
    assert (project / "src" / "model.py").read_text().splitlines()[2:] == [
        "x = torch.zeros(2, dtype=torch.float16)  # noqa  # noqa: BLY101",
        "y = torch.zeros(2, dtype=torch.float16).half()  # noqa: E501, BLY101, BLY102",
        's = """',
        'abc""" + str(torch.float16)  # noqa: BLY101',
        "z = torch.zeros(2, dtype=torch.float16)  # noqa: BLY101",
    ]
    after = (project / "src" / "model.py").read_text()
    assert blyan(project, "src").returncode == 0
    again = blyan(project, "--add-noqa", "src")
    assert "Added 0 noqa directives" in again.stderr
    assert (project / "src" / "model.py").read_text() == after
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "BLY", "src"], cwd=project, capture_output=True, text=True
    )
    assert flake8.stdout == "", "flake8 reads the same directives"


def test_reasons_are_recorded_in_json_and_sarif(project):
    assert blyan(project, "--add-noqa=legacy export, see #12", "src").returncode == 0
    assert "# noqa: BLY101 -- legacy export, see #12" in (project / "src" / "model.py").read_text()
    report = json.loads(blyan(project, "--output-format", "json", "src").stdout)
    assert report["findings"] == []
    assert {(f["code"], f["suppression"]["reason"]) for f in report["suppressed"]} == {
        ("BLY101", "legacy export, see #12"),
        ("BLY102", "legacy export, see #12"),
    }
    assert len(report["suppressed"]) == 5
    sarif = json.loads(blyan(project, "--output-format", "sarif", "src").stdout)
    results = sarif["runs"][0]["results"]
    assert len(results) == 5
    assert all(r["suppressions"] == [{"kind": "inSource", "justification": "legacy export, see #12"}] for r in results)


def test_blanket_noqa_gets_a_hint(project):
    result = blyan(project, "src")
    assert "hint: 1 finding is on a line with a blanket `# noqa`" in result.stderr
    assert "hint" not in blyan(project, "-q", "src").stderr


def test_unused_suppression_is_off_by_default_and_its_fix_removes_the_stale_code(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "import torch\n"
        "x = torch.zeros(2, dtype=torch.bfloat16)  # noqa: BLY101 -- was fp16\n"
        "y = torch.zeros(2, dtype=torch.float16)  # noqa: E501, BLY101, BLY202\n"
        "z = 1  # noqa: BLY999\n"
    )
    assert blyan(tmp_path, "m.py").returncode == 0
    assert blyan(tmp_path, "--select", "ALL", "m.py").returncode == 0, "ALL means the rules on by default"
    result = blyan(tmp_path, "--extend-select", "BLY001", "m.py")
    assert [line.split(" [*] ")[0] for line in result.stdout.splitlines()] == [
        "m.py:2:51: BLY001",
        "m.py:3:64: BLY001",
        "m.py:4:16: BLY001",
    ]
    assert blyan(tmp_path, "--extend-select", "BLY001", "--fix", "m.py").returncode == 0
    assert path.read_text() == (
        "import torch\n"
        "x = torch.zeros(2, dtype=torch.bfloat16)\n"
        "y = torch.zeros(2, dtype=torch.float16)  # noqa: E501, BLY101\n"
        "z = 1\n"
    )


def test_add_noqa_in_a_notebook(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(notebook(code("import torch\n!nvidia-smi\nx = torch.zeros(2, dtype=torch.float16)")))
    assert blyan(tmp_path, "--add-noqa=notebook", "n.ipynb").returncode == 0
    source = json.loads(path.read_text())["cells"][0]["source"]
    assert source == [
        "import torch\n",
        "!nvidia-smi\n",
        "x = torch.zeros(2, dtype=torch.float16)  # noqa: BLY101 -- notebook",
    ]
    assert blyan(tmp_path, "n.ipynb").returncode == 0


def test_add_noqa_refuses_stdin_and_unparsable_files(tmp_path):
    (tmp_path / "bad.py").write_text("def f(:\n")
    result = blyan(tmp_path, "--add-noqa", "bad.py")
    assert result.returncode == 2 and "BLY000" in result.stderr
    assert (tmp_path / "bad.py").read_text() == "def f(:\n"
    assert blyan(tmp_path, "--add-noqa", "-").returncode == 2
