"""flake8 with the BLY plugin and `blyan-lint check` agree on every Python fixture."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from blyan_lint.suppress import suppressed_codes

from .helpers import FIXTURES, ROOT

FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"


def python_fixtures() -> list[str]:
    files = []
    for path in sorted(FIXTURES.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "BLY000" in rel.parts:
            continue  # flake8 reports unparsable files itself (E999); BLY000 is the CLI's
        files.append(str(rel))
    return files


def blanket_noqa_lines(path: str) -> set[int]:
    lines = (ROOT / path).read_text(encoding="utf-8", errors="replace").splitlines()
    return {i for i, text in enumerate(lines, 1) if suppressed_codes(text) == ()}


def test_flake8_and_cli_report_the_same_findings():
    files = python_fixtures()
    assert len(files) > 20
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "BLY", f"--format={FORMAT}", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert flake8.returncode in (0, 1), flake8.stderr
    assert "Traceback" not in flake8.stderr
    from_flake8 = {tuple(line.split("|")) for line in flake8.stdout.splitlines()}
    cli = subprocess.run(
        [sys.executable, "-m", "blyan_lint", "check", "--output-format", "json", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    from_cli = set()
    for f in json.loads(cli.stdout)["findings"]:
        if f["location"]["row"] in blanket_noqa_lines(f["filename"]):
            continue  # flake8 applies a blanket noqa comment before the plugin can object
        from_cli.add((f["filename"], str(f["location"]["row"]), str(f["location"]["column"]), f["code"]))
    assert from_cli, "the fixtures produce findings"
    assert from_flake8 == from_cli


def test_plugin_columns_are_not_shifted():
    out = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "BLY", "-"],
        input="import torch\nx = torch.zeros(2, dtype=torch.float16)\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    assert re.match(r"stdin:2:26: BLY101 ", out), out


def test_flake8_options_and_config_drive_scope(tmp_path):
    (tmp_path / "validators").mkdir()
    (tmp_path / "validators" / "v.py").write_text("import torch\nx = torch.zeros(2, dtype=torch.float16)\n")

    def flake8(*extra: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "flake8", "--select", "BLY", *extra, "validators/v.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout

    assert "BLY101" in flake8()
    assert flake8("--blyan-teacher-paths", "validators/**") == ""
    (tmp_path / "pyproject.toml").write_text('[tool.blyan-lint]\nteacher-paths = ["validators/**"]\n')
    assert flake8() == "", "the plugin reads [tool.blyan-lint] like the CLI"
