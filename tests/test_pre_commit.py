"""The hooks as users run them: the real `pre-commit` program, real commits, a temporary repository.

pre-commit installs blyan-lint from this repository's HEAD into its own environment (once
per test session), so this exercises `.pre-commit-hooks.yaml` as published.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
GUARD = 'if torch.cuda.get_device_capability()[0] < 8:\n    raise RuntimeError("BF16 needs compute capability 8.0")\n'
BAD = "import torch\n" + GUARD + "x = torch.zeros(2, dtype=torch.float16)\n"
GOOD = "import torch\n" + GUARD + "x = torch.zeros(2, dtype=torch.bfloat16)\n"

pytestmark = pytest.mark.skipif(not os.path.exists(PRE_COMMIT), reason="pre-commit is not installed")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def hook_home(tmp_path_factory):
    """A pre-commit cache shared by the tests of this module (the hook env is built once)."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("this checkout has no commits for pre-commit to install from")
    return tmp_path_factory.mktemp("pre-commit-home"), head.stdout.strip()


@pytest.fixture
def repo(tmp_path, hook_home, monkeypatch):
    home, rev = hook_home
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
    git(tmp_path, "init", "-q")
    config = f"repos:\n- repo: {ROOT}\n  rev: {rev}\n  hooks:\n  - id: blyan-lint\n  - id: blyan-lint-fix\n"
    (tmp_path / ".pre-commit-config.yaml").write_text(config)
    subprocess.run([PRE_COMMIT, "install"], cwd=tmp_path, check=True, capture_output=True)
    git(tmp_path, "add", ".pre-commit-config.yaml")
    git(tmp_path, "commit", "-qm", "config")
    return tmp_path


def commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    return git(repo, "commit", "-m", message, check=False)


def test_staged_violation_fails_the_commit_and_the_fix_hook_rewrites(repo):
    (repo / "model.py").write_text(BAD)
    git(repo, "add", "model.py")
    result = commit(repo, "bad")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "BLY101" in output
    assert (repo / "model.py").read_text() == GOOD, "the fix hook rewrote the file"
    git(repo, "add", "model.py")
    assert commit(repo, "fixed").returncode == 0


def test_unfixable_violation_stays_blocked(repo):
    source = "from torch.cuda.amp import GradScaler\nscaler = GradScaler()\n"
    (repo / "train.py").write_text(source)
    git(repo, "add", "train.py")
    result = commit(repo, "scaler")
    assert result.returncode != 0
    assert "BLY202" in result.stdout + result.stderr
    assert (repo / "train.py").read_text() == source, "unsafe fixes are never applied by the hook"


def test_clean_commit_passes(repo):
    (repo / "model.py").write_text(GOOD)
    git(repo, "add", "model.py")
    assert commit(repo, "clean").returncode == 0


def test_commit_without_python_files_passes(repo):
    (repo / "notes.txt").write_text("no code here\n")
    git(repo, "add", "notes.txt")
    assert commit(repo, "notes").returncode == 0


def test_config_files_are_checked(repo):
    (repo / "accelerate.yaml").write_text("mixed_precision: fp16\n")
    git(repo, "add", "accelerate.yaml")
    result = commit(repo, "config")
    assert result.returncode != 0
    assert "BLY501" in result.stdout + result.stderr
