"""A release users can install: build the wheel and sdist, install the wheel into a fresh
virtualenv, run the installed program.

The fresh virtualenv gets the built wheel alone (`--no-deps`, nothing downloaded); its
dependencies (libcst, flake8, pyyaml) come from this interpreter's site-packages through a
`.pth` file, so the test stays fast and offline while the code that runs is the wheel's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from blyan_lint import __version__

from .helpers import ROOT

pytest.importorskip("build")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # not a packaging warning
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    for noise in ("Warning", "deprecated", "!!"):
        assert noise not in output, f"packaging warning in the build:\n{output}"
    return out


def test_wheel_and_sdist_carry_the_metadata_and_licence(dist):
    wheel = dist / f"blyan_lint-{__version__}-py3-none-any.whl"
    sdist = dist / f"blyan_lint-{__version__}.tar.gz"
    assert wheel.exists() and sdist.exists(), sorted(p.name for p in dist.iterdir())
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(f"blyan_lint-{__version__}.dist-info/METADATA").decode()
    assert f"blyan_lint-{__version__}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: Apache-2.0" in metadata
    assert f"Version: {__version__}" in metadata
    assert "blyan_lint/py.typed" in names and "blyan_lint/notebooks.py" in names
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names), "tests and fixtures stay out of the wheel"
    with tarfile.open(sdist) as tf:
        members = {Path(m).relative_to(f"blyan_lint-{__version__}").as_posix() for m in tf.getnames() if "/" in m}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"} <= members


def test_the_installed_wheel_runs_in_a_fresh_virtualenv(dist, tmp_path):
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    wheel = dist / f"blyan_lint-{__version__}-py3-none-any.whl"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_deps_from_test_interpreter.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = subprocess.run(
        [str(python), "-c", "import blyan_lint; print(blyan_lint.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(site), "the wheel's code runs, not this checkout's"
    program = env_dir / "bin" / "blyan-lint"
    version = subprocess.run([str(program), "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"blyan-lint {__version__}"
    (tmp_path / "model.py").write_text("import torch\nx = torch.zeros(2, dtype=torch.float16)\n")
    check = subprocess.run(
        [str(program), "check", "--no-cache", "model.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 1 and "model.py:2:26: BLY101" in check.stdout, check.stdout + check.stderr
    page = subprocess.run([str(program), "rule", "BLY001"], capture_output=True, text=True)
    assert page.returncode == 0 and "unused-suppression" in page.stdout
