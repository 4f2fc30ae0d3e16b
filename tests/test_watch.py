"""`check --watch`: the real CLI re-checks when a file on disk changes, and stops on Ctrl-C."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

BAD = "import torch\nx = torch.zeros(2, dtype=torch.float16)\n"


def test_watch_rechecks_on_change(tmp_path: Path):
    (tmp_path / "m.py").write_text(BAD)
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--watch", "."]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    buffer = b""

    def until(text: str) -> str:
        nonlocal buffer
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if text.encode() in buffer:
                seen, _, buffer = buffer.partition(text.encode())
                return seen.decode()
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                buffer += os.read(proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
        raise AssertionError(f"never saw {text!r} in {buffer!r}")

    try:
        assert "m.py:2:26: BLY101" in until("waiting for changes")
        (tmp_path / "m.py").write_text(BAD.replace("float16", "bfloat16") + "y = torch.float64\n")
        again = until("waiting for changes")
        assert "m.py changed" in again and "m.py:3:5: BLY101" in again, again
        assert "m.py:2:" not in again
        (tmp_path / "pyproject.toml").write_text('[tool.blyan-lint]\nignore = ["BLY101"]\n')
        assert "All checks passed" in until("waiting for changes"), "config changes count"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
