"""flake8 with the BLY plugin and `blyan-lint check` agree on every Python fixture."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

from blyan_lint.suppress import suppressed_codes

from .helpers import FIXTURES, ROOT

FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"


def blanket_noqa_lines(root, path: str) -> set[int]:
    lines = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
    return {i for i, text in enumerate(lines, 1) if suppressed_codes(text) == ()}


def _flake8(cwd, *args: str) -> set[tuple[str, ...]]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "BLY", f"--format={FORMAT}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return {tuple(line.split("|")) for line in result.stdout.splitlines()}


def _cli(cwd, *args: str) -> set[tuple[str, ...]]:
    result = subprocess.run(
        [sys.executable, "-m", "blyan_lint", "check", "--no-cache", "--output-format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    found = set()
    for f in json.loads(result.stdout)["findings"]:
        if not f["filename"].endswith(".py") or f["code"] == "BLY000":
            continue  # flake8 sees only Python it can parse (it reports E999 itself)
        if f["location"]["row"] in blanket_noqa_lines(cwd, f["filename"]):
            continue  # flake8 applies a blanket noqa comment before the plugin can object
        found.add((os.path.normpath(f["filename"]), str(f["location"]["row"]), str(f["location"]["column"]), f["code"]))
    return found


def test_flake8_and_cli_report_the_same_findings(tmp_path):
    """Over every fixture, with a project config that excludes a directory and ignores a code
    for some files: walking a tree, and handed files one by one (the CLI's --force-exclude)."""
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.blyan-lint]\n"
        'extend-exclude = ["fixtures/rules/BLY102", "*_excluded.py"]\n'
        "[tool.blyan-lint.per-file-ignores]\n"
        '"fixtures/rules/BLY201/*" = ["BLY201"]\n'
    )
    (tmp_path / "fixtures" / "rules" / "BLY101" / "copy_excluded.py").write_text("import torch\nx = torch.half\n")
    files = [str(p.relative_to(tmp_path)) for p in sorted((tmp_path / "fixtures").rglob("*.py"))]
    files = [f for f in files if "BLY000" not in f]
    assert len(files) > 20
    walked = _flake8(tmp_path, "fixtures")
    assert walked, "the fixtures produce findings"
    assert walked == _cli(tmp_path, "fixtures")
    codes = {(path.split(os.sep)[2], code) for path, _, _, code in walked}
    assert not any(rule == "BLY102" for rule, _ in codes), "the excluded directory is skipped"
    assert ("BLY201", "BLY201") not in codes, "per-file-ignores apply"
    assert not any("copy_excluded" in path for path, *_ in walked)
    assert _flake8(tmp_path, *files) == _cli(tmp_path, "--force-exclude", *files) == walked


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
