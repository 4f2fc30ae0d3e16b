"""Hostile and odd inputs: one line naming the file and the reason, exit 2 where something
could not be checked, the other files still checked, bounded time (issue 13, defects 4, 5, 7)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from blyan_lint.config import clear_caches
from blyan_lint.findings import Finding, Position
from blyan_lint.post_walk import apply_precedence

BAD = "import torch\nx = torch.zeros(1, dtype=torch.float16)\n"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A directory with one good file with a finding; the test adds the hostile one."""
    monkeypatch.chdir(tmp_path)
    clear_caches()
    (tmp_path / "good.py").write_text(BAD)
    yield tmp_path
    clear_caches()


def cli(*args: str, cwd: Path, timeout: float = 60, user: int | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, so a hang is a failed test, not a stuck suite."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".xdg")}
    python = sys.executable
    if user is not None:  # the venv's interpreter may sit under a home only root can enter
        python = _PUBLIC_PYTHON
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    cmd = [python, "-m", "blyan_lint", "check", "--no-cache", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, user=user)


def _bly000(out: str) -> list[str]:
    return [line for line in out.splitlines() if " BLY000 " in line]


def assert_reported(result, name: str, reason: str) -> None:
    """Exit 2, one BLY000 line naming the file and the reason, the good file still checked."""
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = _bly000(result.stdout)
    assert line.startswith(name + ":") and reason in line, line
    assert "good.py:2:" in result.stdout and "BLY101" in result.stdout, "the other file was still checked"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("syntax.py", b"def f(:\n", "invalid syntax"),
        ("utf8.py", b"x = '\xff\xfe'\n", "cannot decode"),
        ("nul.py", b"x = 1\x00\n", "null bytes"),
        ("cookie.py", b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n", "cannot decode"),
        ("nested.py", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "cannot parse"),
    ],
)
def test_unparsable_files_are_one_line_each(tree, name, content, reason):
    (tree / name).write_bytes(content)
    assert_reported(cli(".", cwd=tree), name, reason)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xef\xbb\xbf# -*- coding: utf-8 -*-\nimport torch\n",  # BOM + a cookie that agrees
        b"import torch\r\nx = 1\ny = 2\rz = 3\n",  # mixed line endings
        b"\tif True:\n\t\tpass\n".replace(b"\tif", b"if"),  # tabs
        b"x = 1\n" * 200_000,  # 200k lines
    ],
)
def test_odd_but_valid_files_are_checked(tree, content):
    (tree / "odd.py").write_bytes(content)
    result = cli(".", cwd=tree)
    assert result.returncode == 1 and not _bly000(result.stdout), result.stdout + result.stderr


def test_a_fifo_named_like_python_does_not_block(tree):
    os.mkfifo(tree / "y.py")
    assert_reported(cli(".", cwd=tree, timeout=30), "y.py", "not a regular file (a FIFO)")
    assert_reported(cli("y.py", "good.py", cwd=tree, timeout=30), "y.py", "not a regular file (a FIFO)")


def test_a_symlink_to_dev_zero_is_not_read(tree):
    (tree / "z.py").symlink_to("/dev/zero")
    assert_reported(cli(".", cwd=tree, timeout=30), "z.py", "not a regular file (a character device)")


def test_files_over_the_size_limit_are_refused_naming_it(tree):
    (tree / "big.py").write_bytes(b"x = 1\n" * 2000)  # 12,000 bytes
    (tree / "pyproject.toml").write_text("[tool.blyan-lint]\nmax-file-size = 10000\n")
    assert_reported(cli(".", cwd=tree), "big.py", "over the max-file-size limit of 10,000 bytes")
    (tree / "pyproject.toml").write_text("[tool.blyan-lint]\nmax-file-size = 0\n")
    result = cli(".", cwd=tree)
    assert result.returncode == 2 and "`max-file-size` must be a positive whole number" in result.stdout


def test_a_directory_named_like_a_file_and_a_dangling_symlink(tree):
    (tree / "dir.py").mkdir()
    (tree / "gone.py").symlink_to(tree / "missing.py")
    result = cli("dir.py", "gone.py", "good.py", "nowhere.py", cwd=tree)
    assert result.returncode == 2
    lines = _bly000(result.stdout)
    assert any(line.startswith("gone.py:") and "No such file" in line for line in lines), lines
    assert any(line.startswith("nowhere.py:") and "No such file" in line for line in lines), lines
    assert "BLY101" in result.stdout


def test_symlink_loops_are_reported_not_followed(tree):
    (tree / "loop.py").symlink_to("loop.py")
    (tree / "sub").mkdir()
    (tree / "sub" / "back").symlink_to("..")  # a directory loop: not followed
    (tree / "sub" / "m.py").write_text(BAD)
    result = cli(".", cwd=tree, timeout=30)
    assert_reported(result, "loop.py", "Too many levels of symbolic links")
    assert result.stdout.count("sub/m.py:2:") == 1, "the loop was not walked again"


_PUBLIC_PYTHON = os.path.realpath(sys.executable)
for _candidate in (f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}", _PUBLIC_PYTHON):
    if os.access(_candidate, os.X_OK):
        _PUBLIC_PYTHON = _candidate
        break


def _as_nobody() -> int:
    """Run the CLI as user nobody: as root (capabilities intact) no permission refuses a read."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    try:
        probe = cli("--version", cwd=Path(tempfile.gettempdir()), user=65534)
    except OSError as exc:  # no interpreter here that user nobody may execute
        pytest.skip(f"cannot run Python as user nobody here: {exc}")
    if probe.returncode not in (0, 2) or "blyan-lint" not in probe.stdout + probe.stderr:
        pytest.skip(f"cannot run blyan-lint as user nobody here: {probe.stderr.strip()[-200:]}")
    return 65534


@pytest.fixture
def public_tree():
    """A tree user nobody can reach (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="blyan-public-"))
    root.chmod(0o777)
    (root / "good.py").write_text(BAD)
    (root / "good.py").chmod(0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_an_unreadable_file_and_an_unlistable_directory(public_tree):
    nobody = _as_nobody()
    (public_tree / "secret.py").write_text(BAD)
    (public_tree / "secret.py").chmod(0o000)
    assert_reported(cli(".", cwd=public_tree, user=nobody), "secret.py", "Permission denied")
    (public_tree / "secret.py").unlink()
    (public_tree / "closed").mkdir()
    (public_tree / "closed" / "m.py").write_text(BAD)
    (public_tree / "closed").chmod(0o000)
    assert_reported(cli(".", cwd=public_tree, user=nobody), "closed", "cannot list directory: Permission denied")


def test_an_empty_selection_is_a_usage_error(tree):
    for empty in ("", ",", " "):
        result = cli("--select", empty, ".", cwd=tree)
        assert result.returncode == 2 and "--select" in result.stderr and "All checks passed" not in result.stderr


def test_an_explicit_notebook_is_checked(tree):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": BAD.splitlines(True)}
    import json

    (tree / "n.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    result = cli("n.ipynb", cwd=tree)
    assert result.returncode == 1 and "n.ipynb:" in result.stdout and "BLY101" in result.stdout


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ("[tool.blyan-lint]\nselekt = ['BLY1']\n", "unknown key `selekt`"),
        ("[tool.blyan-lint\nselect = \n", "invalid TOML"),
    ],
)
def test_config_errors_name_the_file_and_the_key(tree, config, reason):
    (tree / "pyproject.toml").write_text(config)
    result = cli(".", cwd=tree)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in _bly000(result.stdout) if line.startswith("good.py:")]
    assert reason in line and "pyproject.toml" in line, line


def test_yaml_billion_laughs_through_merge_keys_is_bounded(tree):
    lines = ["a0: &a0 {mixed_precision: fp16}"]
    lines += [f"a{i}: &a{i}\n  <<: [*a{i - 1}, *a{i - 1}]\n  k{i}: v" for i in range(1, 30)]
    (tree / "laughs.yaml").write_text("\n".join(lines) + "\n")
    aliases = ["a0: &a0 [fp16, fp16, fp16, fp16, fp16, fp16, fp16, fp16, fp16]"]
    aliases += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    (tree / "lol.yaml").write_text("\n".join(aliases) + "\nmixed_precision: *a11\n")
    result = cli(".", cwd=tree, timeout=60)
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr
    assert "laughs.yaml:1:" in result.stdout and "BLY101" in result.stdout


def test_yaml_tags_are_never_constructed(tree):
    marker = tree / "constructed"
    (tree / "evil.yaml").write_text(f'x: !!python/object/apply:os.system ["touch {marker}"]\nmixed_precision: fp16\n')
    result = cli(".", cwd=tree)
    assert not marker.exists() and "Traceback" not in result.stderr


def _alarm(seconds: int):
    def expired(*_):
        raise TimeoutError(f"took more than {seconds} s: not linear")

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


def test_precedence_is_not_quadratic_in_findings():
    """60,000 covering and 60,000 covered findings: a pairwise test (3.6e9 pairs) would not
    finish; a hang guard, not a timing."""
    n = 60_000
    covering = [
        Finding("m.py", Position(2 * i + 1, 1), Position(2 * i + 1, 80), "BLY105", "fallback") for i in range(n)
    ]
    inside = [Finding("m.py", Position(2 * i + 1, 10), Position(2 * i + 1, 20), "BLY101", "dtype") for i in range(n)]
    outside = [Finding("m.py", Position(2 * i + 2, 10), Position(2 * i + 2, 20), "BLY101", "dtype") for i in range(n)]
    _alarm(60)
    try:
        kept = apply_precedence(covering + inside + outside, {"BLY105": frozenset({"BLY101"})})
    finally:
        signal.alarm(0)
    assert kept == covering + outside


def test_a_broken_pyproject_elsewhere_does_not_abort_the_run(tree):
    """An invalid pyproject.toml (no [tool.blyan-lint] needed) is reported for the files it
    governs; the rest of the tree is checked."""
    (tree / "vendored").mkdir()
    (tree / "vendored" / "pyproject.toml").write_text("[project\nname = ")
    (tree / "vendored" / "m.py").write_text(BAD)
    result = cli(".", cwd=tree)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "good.py:2:" in result.stdout
    assert any("vendored/pyproject.toml" in line and "invalid TOML" in line for line in _bly000(result.stdout))


def test_config_file_isolates_from_the_repository_config(tree):
    (tree / "pyproject.toml").write_text("[tool.blyan-lint]\nexclude = ['good.py']\n")
    (tree / "other.toml").write_text("select = ['ALL']\n")
    assert "good.py" not in cli(".", cwd=tree).stdout
    isolated = cli("--config", "other.toml", ".", cwd=tree)
    assert "good.py:2:" in isolated.stdout, "--config ignores every other config file, as ruff's does"


def test_force_exclude_applies_to_stdin_filename(tree):
    (tree / "pyproject.toml").write_text("[tool.blyan-lint]\nextend-exclude = ['generated']\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tree / ".xdg")}
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--force-exclude", "--stdin-filename", "generated/m.py", "-"]
    result = subprocess.run(cmd, cwd=tree, input=BAD, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and "BLY101" not in result.stdout, result.stdout
    cmd.remove("--force-exclude")
    result = subprocess.run(cmd, cwd=tree, input=BAD, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1 and "BLY101" in result.stdout


def test_a_directory_named_like_python_is_walked_not_read(tree):
    (tree / "pkg.py").mkdir()
    (tree / "pkg.py" / "inner.py").write_text(BAD)
    result = cli(".", cwd=tree)
    assert result.returncode == 1 and "pkg.py/inner.py:2:" in result.stdout and not _bly000(result.stdout)
