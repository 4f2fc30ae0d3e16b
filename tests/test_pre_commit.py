"""The hooks as users run them: the real `pre-commit` program, the README's config as pasted,
a clone of this repository tagged `v0.2.0` (the tag lives only in the test's clone), real commits.

pre-commit installs blyan-lint from the clone's tag into its own environment (once per
test module), so this exercises `.pre-commit-hooks.yaml` as published at HEAD.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
GUARD = 'if torch.cuda.get_device_capability()[0] < 8:\n    raise RuntimeError("BF16 needs compute capability 8.0")\n'
BAD = "import torch\n" + GUARD + "x = torch.zeros(2, dtype=torch.float16)\n"
GOOD = "import torch\n" + GUARD + "x = torch.zeros(2, dtype=torch.bfloat16)\n"
SUMMARY = re.compile(r"^(All checks passed|Found \d+ finding|No files to check)", re.M)

pytestmark = pytest.mark.skipif(not os.path.exists(PRE_COMMIT), reason="pre-commit is not installed")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=check)


def readme_config() -> str:
    """The README's `.pre-commit-config.yaml`, exactly as a user would paste it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", readme, re.S)
    assert block, "the README shows a .pre-commit-config.yaml"
    return block.group(1)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A clone of this repository at HEAD with the release tag, and a pre-commit cache for the module."""
    if git(ROOT, "rev-parse", "HEAD", check=False).returncode != 0:
        pytest.skip("this checkout has no commits for pre-commit to install from")
    clone = tmp_path_factory.mktemp("published") / "blyan-lint"
    git(ROOT, "clone", "-q", str(ROOT), str(clone))
    # -f: the clone carries the repository's own tags; the release tag must point at HEAD here
    git(clone, "tag", "-f", "v0.2.0")
    return clone, tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path, published, monkeypatch):
    clone, home = published
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
    git(tmp_path, "init", "-q")
    config = readme_config()
    assert "rev: v0.2.0" in config
    # The one change a user makes to the pasted config: where the repository is.
    config = re.sub(r"(- repo: )\S+", lambda m: m.group(1) + str(clone), config)
    (tmp_path / ".pre-commit-config.yaml").write_text(config)
    subprocess.run([PRE_COMMIT, "install"], cwd=tmp_path, check=True, capture_output=True)
    git(tmp_path, "add", ".pre-commit-config.yaml")
    git(tmp_path, "commit", "-qm", "config")
    return tmp_path


def commit(repo: Path, message: str) -> tuple[int, str]:
    result = git(repo, "commit", "-m", message, check=False)
    return result.returncode, result.stdout + result.stderr


def test_staged_violation_is_fixed_and_the_commit_stops_for_review(repo):
    (repo / "model.py").write_text(BAD)
    git(repo, "add", "model.py")
    status, output = commit(repo, "bad")
    assert status != 0
    assert "files were modified by this hook" in output
    assert (repo / "model.py").read_text() == GOOD, "the hook applied the safe fix"
    git(repo, "add", "model.py")
    assert commit(repo, "fixed")[0] == 0


def test_unfixable_violation_is_blocked_and_printed_once(repo):
    source = "from torch.cuda.amp import GradScaler\nscaler = GradScaler()\n"
    (repo / "train.py").write_text(source)
    for i in range(12):  # enough files that pre-commit would split them across processes
        (repo / f"clean_{i}.py").write_text("x = 1\n")
    git(repo, "add", ".")
    status, output = commit(repo, "scaler")
    assert status != 0
    assert output.count("BLY202") == 1, output
    assert len(SUMMARY.findall(output)) == 1, f"one process, one summary:\n{output}"
    assert "Found 1 finding in 1 of 13 files" in output
    assert (repo / "train.py").read_text() == source, "unsafe fixes are never applied by the hook"


def test_clean_commit_passes(repo):
    (repo / "model.py").write_text(GOOD)
    git(repo, "add", "model.py")
    assert commit(repo, "clean")[0] == 0


def test_commit_without_checkable_files_passes(repo):
    (repo / "notes.txt").write_text("no code here\n")
    git(repo, "add", "notes.txt")
    assert commit(repo, "notes")[0] == 0


def test_configs_safetensors_and_notebooks_are_checked(repo):
    (repo / "accelerate.yaml").write_text("mixed_precision: fp16\n")
    header = json.dumps({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    (repo / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ["%pip list\n"]}
    cell["source"].append("from torch.cuda.amp import GradScaler\nGradScaler()\n")
    (repo / "train.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    git(repo, "add", ".")
    status, output = commit(repo, "inputs")
    assert status != 0
    assert "accelerate.yaml:1:" in output and "BLY501" in output
    assert "model.safetensors:" in output and "BLY502" in output
    assert "train.ipynb:cell 1:3:1: BLY202" in output
