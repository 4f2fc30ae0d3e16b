"""`--statistics` in JSON, and colour: on a real terminal (a pty), never in a pipe, NO_COLOR honoured."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

# The cast is of a model (an nn.Linear), so its fix is safe (RULES.md "Fix safety").
SOURCE = (
    "import torch\nx = torch.zeros(2, dtype=torch.float16)\ny = torch.nn.Linear(2, 2, dtype=torch.float16).half()\n"
)
ESC = "\x1b["


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "m.py").write_text(SOURCE)
    return tmp_path


def blyan(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--no-cache", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)


def on_a_terminal(cwd: Path, *args: str, env: dict) -> str:
    """stdout of the CLI when it writes to a pseudo-terminal, as in an interactive shell."""
    leader, follower = pty.openpty()
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--no-cache", *args]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the program exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait()
    os.close(leader)
    return b"".join(chunks).decode()


def test_statistics_honour_json(project):
    rows = json.loads(blyan(project, "--statistics", "--output-format", "json", "m.py").stdout)
    assert rows == [
        {"code": "BLY101", "name": "non-bf16-dtype", "count": 2, "fixable": 2},
        {"code": "BLY102", "name": "non-bf16-cast", "count": 1, "fixable": 1},
    ]
    text = blyan(project, "--statistics", "m.py").stdout
    assert text.split() == ["2", "BLY101", "non-bf16-dtype", "1", "BLY102", "non-bf16-cast"]


def test_colour_on_a_terminal_only(project):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    coloured = on_a_terminal(project, "m.py", env=env)
    assert f"{ESC}31mBLY101{ESC}0m" in coloured
    assert ESC not in blyan(project, "m.py", env=env).stdout, "a pipe gets plain text"
    assert ESC not in on_a_terminal(project, "m.py", env={**env, "NO_COLOR": "1"})
    assert ESC not in on_a_terminal(project, "--color", "never", "m.py", env=env)
    assert ESC in blyan(project, "--color", "always", "m.py", env={**env, "NO_COLOR": "1"}).stdout
    full = blyan(project, "--color", "always", "--output-format", "full", "m.py", env=env).stdout
    assert f"{ESC}31m^^^^^^^^^^^^^{ESC}0m" in full
    assert ESC not in blyan(project, "--color", "always", "--output-format", "json", "m.py", env=env).stdout
