"""`--fix` never corrupts a file: killed at random points, or run twice at once (issue 13, defect 2)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blyan_lint.api import Overrides, fix_file
from blyan_lint.fixes import source_io

FILES = 120
KILLS = int(os.environ.get("BLYAN_KILL_ITERATIONS", "4"))
CONCURRENT_TRIALS = int(os.environ.get("BLYAN_CONCURRENT_TRIALS", "2"))
BODY = (
    "import torch\n"
    "\n"
    "def build_{i}(x):\n"
    "    y = torch.zeros({i}, dtype=torch.float16)\n"
    "    z = x.half() + y\n"
    "    return z.to(torch.float16)\n"
)


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Files with safe fixes, in assorted encodings and modes: name -> (bytes, mode)."""
    made = {}
    for i in range(FILES):
        text = BODY.format(i=i)
        data = text.encode()
        if i % 3 == 1:
            data = text.replace("\n", "\r\n").encode()
        if i % 5 == 2:
            data = b"\xef\xbb\xbf" + data
        mode = 0o755 if i % 4 == 0 else 0o640
        path = root / f"pkg{i % 7}" / f"m{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
        made[str(path.relative_to(root))] = (data, mode)
    return made


def _fix_cmd(root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "blyan_lint",
        "check",
        "--fix",
        "--no-cache",
        "-q",
        "--exit-zero",
        "-j",
        "2",
        str(root),
    ]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The original tree and, fixed by one quiet run, what every file must become."""
    root = tmp_path_factory.mktemp("reference")
    originals = _tree(root)
    assert subprocess.run(_fix_cmd(root), capture_output=True).returncode == 0
    fixed = {name: (root / name).read_bytes() for name in originals}
    assert all(fixed[n] != originals[n][0] for n in originals), "every file has a fix"
    return originals, fixed


def _assert_whole(root: Path, originals, fixed, allow_original: bool) -> None:
    for name, (data, mode) in originals.items():
        now = (root / name).read_bytes()
        allowed = (data, fixed[name]) if allow_original else (fixed[name],)
        assert now in allowed, f"{name} is neither original nor fixed:\n{now!r}"
        assert (root / name).stat().st_mode & 0o7777 == mode, name


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(source_io.TEMP_PREFIX)]


def _wait_gone(pgid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_sigkill_at_random_points_leaves_every_file_whole(tmp_path, reference):
    originals, fixed = reference
    rng = random.Random(13)
    root = tmp_path / "tree"
    start = time.monotonic()
    subprocess.run(_fix_cmd(_fresh(root, originals)), capture_output=True)
    duration = time.monotonic() - start
    for _ in range(KILLS):
        _fresh(root, originals)
        proc = subprocess.Popen(
            _fix_cmd(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        time.sleep(rng.uniform(0.05, duration))
        proc.send_signal(signal.SIGKILL)  # the main process only: its workers must notice and exit
        proc.wait()
        assert _wait_gone(proc.pid), "worker processes outlived their killed parent"
        _assert_whole(root, originals, fixed, allow_original=True)
        rerun = subprocess.run(_fix_cmd(root), capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
        _assert_whole(root, originals, fixed, allow_original=False)
        assert _temp_files(root) == []


def _fresh(root: Path, originals) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    for name, (data, mode) in originals.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    return root


def test_two_concurrent_fix_runs_leave_every_file_fixed(tmp_path, reference):
    originals, fixed = reference
    root = tmp_path / "tree"
    for _ in range(CONCURRENT_TRIALS):
        _fresh(root, originals)
        runs = [subprocess.Popen(_fix_cmd(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err.decode()
        _assert_whole(root, originals, fixed, allow_original=False)
        assert _temp_files(root) == []


def test_a_file_changed_between_read_and_write_is_rechecked_not_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "m.py"
    target.write_text("import torch\nx = torch.zeros(1, dtype=torch.float16)\n")
    edited = "import torch\nx = torch.zeros(22, dtype=torch.float16)  # edited meanwhile\n"
    real_replace = source_io.replace_if_unchanged
    calls = []

    def racing(path, expected, data):
        if not calls:  # someone saves the file just before our first write
            target.write_text(edited)
        calls.append(data)
        return real_replace(path, expected, data)

    monkeypatch.setattr(source_io, "replace_if_unchanged", racing)  # api imports it per fix, lazily
    outcome = fix_file("m.py", Overrides(), unsafe=False, write=True)
    assert outcome.error is None and len(calls) == 2
    assert target.read_text() == edited.replace("float16", "bfloat16"), "the edit was kept and fixed"


def test_temp_files_of_killed_runs_are_removed_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("import torch\nx = torch.zeros(1, dtype=torch.float16)\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{source_io.TEMP_PREFIX}{dead.pid}-abcd.tmp"
    live = tmp_path / f"{source_io.TEMP_PREFIX}{os.getpid()}-efgh.tmp"  # a run still writing
    stale.write_text("half a file")
    live.write_text("half a file")
    subprocess.run(_fix_cmd(tmp_path), capture_output=True, check=True)
    assert not stale.exists() and live.exists()


def test_a_symlinked_file_is_fixed_through_its_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "real.py"
    real.write_text("import torch\nx = torch.zeros(1, dtype=torch.float16)\n")
    (tmp_path / "link.py").symlink_to(real)
    assert fix_file("link.py", Overrides(), unsafe=False, write=True).error is None
    assert (tmp_path / "link.py").is_symlink() and "bfloat16" in real.read_text()


def test_a_worker_orphaned_before_its_initializer_ran_still_exits():
    """The parent pid comes from the main process: a worker forked just before its parent was
    killed sees getppid() == 1 already, and must not take 1 for its parent and wait forever."""
    code = "import time\nfrom blyan_lint.runner import _worker_init\n_worker_init({pid})\ntime.sleep(30)\n"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", code.format(pid=gone.pid)], timeout=20, check=False)
    assert time.monotonic() - start < 15, "the orphan noticed its parent was not there"
