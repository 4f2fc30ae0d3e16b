"""Notebooks on disk through the real CLI: positions per cell, noqa, magics, fixes written back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = 'if torch.cuda.get_device_capability()[0] < 8:\n    raise RuntimeError("BF16 needs compute capability 8.0")\n'


def code(source: str, outputs: list | None = None, count: int | None = 1) -> dict:
    lines = source.splitlines(keepends=True)
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs or [], "source": lines}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def notebook(*cells: dict, language: str = "python") -> str:
    """The text Jupyter writes: indent 1, non-ASCII kept, sorted keys, a final newline."""
    meta = {"kernelspec": {"display_name": "K", "language": language, "name": "k"}, "language_info": {"name": language}}
    doc = {"cells": list(cells), "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def blyan(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--no-cache", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


IMAGE = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=\n"}, "metadata": {"isolated": True}}
CELLS = (
    markdown("# Training é\n"),
    code("import torch\n%matplotlib inline\n!nvidia-smi\n" + GUARD),
    code("x = torch.zeros(2, dtype=torch.float16)\ny = torch.ones(2, dtype=torch.float16)  # noqa: BLY101\n", [IMAGE]),
    code("%%bash\necho torch.float16\n"),
    code("if True:\n    files = !ls\n    z = model.half()\nlen?", count=None),
)


@pytest.fixture
def nb(tmp_path: Path) -> Path:
    path = tmp_path / "train.ipynb"
    path.write_text(notebook(*CELLS), encoding="utf-8")
    return path


def test_code_cells_are_checked_with_cell_positions(nb):
    result = blyan(nb.parent, nb.name)
    assert result.returncode == 1, result.stderr
    assert [line.split(" [*] ")[0] for line in result.stdout.splitlines()] == [
        "train.ipynb:cell 3:1:26: BLY101",
        "train.ipynb:cell 5:3:15: BLY102",
    ], "magics, shell escapes and the %%bash cell are skipped; the noqa line is silenced"
    assert "All checks passed" not in result.stderr


def test_json_and_sarif_locate_the_cell_and_the_file_line(nb):
    report = json.loads(blyan(nb.parent, "--output-format", "json", nb.name).stdout)
    first = report["findings"][0]
    assert (first["cell"], first["location"], first["end_location"]) == (
        3,
        {"row": 1, "column": 26},
        {"row": 1, "column": 39},
    )
    sarif = json.loads(blyan(nb.parent, "--output-format", "sarif", nb.name).stdout)
    result = sarif["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    file_line = nb.read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
    assert file_line[region["startColumn"] - 1 : region["endColumn"] - 1] == "torch.float16"
    assert (result["properties"]["cell"], result["properties"]["cell_line"]) == (3, 1)


def test_fix_rewrites_only_the_changed_sources(nb):
    before = nb.read_text(encoding="utf-8")
    result = blyan(nb.parent, "--fix", nb.name)
    assert result.returncode == 0, result.stdout + result.stderr
    after = nb.read_text(encoding="utf-8")
    old, new = json.loads(before), json.loads(after)
    assert "".join(new["cells"][2]["source"]).startswith("x = torch.zeros(2, dtype=torch.bfloat16)\n")
    assert "".join(new["cells"][4]["source"]) == "if True:\n    files = !ls\n    z = model.to(torch.bfloat16)\nlen?"
    for cell in (*old["cells"], *new["cells"]):
        cell.pop("source")
    assert old == new, "outputs, metadata and every other cell are untouched"
    changed = [i for i, (a, b) in enumerate(zip(before.splitlines(), after.splitlines(), strict=True)) if a != b]
    assert len(changed) == 2, "only the two fixed lines of the file differ: the formatting is kept"
    assert blyan(nb.parent, "--fix", nb.name).returncode == 0
    assert nb.read_text(encoding="utf-8") == after, "a second --fix changes nothing"


def test_fix_keeps_a_single_string_source_and_ascii_escapes(tmp_path):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ""}
    cell["source"] = "import torch\n" + GUARD + 'x = torch.zeros(2, dtype=torch.float16)  # "\u00e9"'
    path = tmp_path / "a.ipynb"
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}) + "\n"
    path.write_text(text, encoding="utf-8")
    assert blyan(tmp_path, "--fix", path.name).returncode == 0
    written = path.read_text(encoding="utf-8")
    assert written == text.replace("torch.float16", "torch.bfloat16")


def test_cross_cell_names_and_teacher_pragma(tmp_path):
    path = tmp_path / "t.ipynb"
    cells = (code("# blyan-lint: teacher\nfrom torch import float16 as f16\n"), code("x = f16\n"))
    path.write_text(notebook(*cells), encoding="utf-8")
    assert blyan(tmp_path, path.name).returncode == 0, "teacher scope applies to the whole notebook"
    path.write_text(notebook(code("from torch import float16 as f16\n"), code("x = f16\n")), encoding="utf-8")
    assert "cell 2:1:5: BLY101" in blyan(tmp_path, path.name).stdout


def test_syntax_error_is_reported_in_its_cell(tmp_path):
    path = tmp_path / "bad.ipynb"
    path.write_text(notebook(code("import torch\n"), markdown("x"), code("def f(:\n    pass\n")), encoding="utf-8")
    result = blyan(tmp_path, path.name)
    assert result.returncode == 2
    assert result.stdout.startswith("bad.ipynb:cell 3:1:"), result.stdout
    assert "BLY000" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "invalid JSON"), ('{"nbformat": 3, "worksheets": []}', "nbformat 3"), ("[1]", "no `cells`")],
)
def test_broken_notebooks_fail_closed(tmp_path, content, message):
    (tmp_path / "x.ipynb").write_text(content, encoding="utf-8")
    result = blyan(tmp_path, "x.ipynb")
    assert result.returncode == 2
    assert "BLY000" in result.stdout and message in result.stdout
    assert "Traceback" not in result.stderr


def test_other_kernels_are_not_python(tmp_path):
    (tmp_path / "r.ipynb").write_text(notebook(code("x <- torch.float16\n"), language="R"), encoding="utf-8")
    assert blyan(tmp_path, "r.ipynb").returncode == 0


def test_directories_include_notebooks(tmp_path, nb):
    result = blyan(tmp_path, "--output-format", "json", ".")
    assert {f["filename"] for f in json.loads(result.stdout)["findings"]} == {"train.ipynb"}


def test_flake8_given_a_notebook_points_into_the_file(nb):
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "BLY", nb.name],
        cwd=nb.parent,
        capture_output=True,
        text=True,
    )
    first = result.stdout.splitlines()[0]
    name, line, col, message = first.split(":", 3)
    assert "BLY101" in message and "(cell 3:1:26)" in message
    text = nb.read_text(encoding="utf-8").splitlines()[int(line) - 1]
    assert text[int(col) - 1 :].startswith("torch.float16")
