"""The tools compared, each in a virtualenv under benchmarks/work/ (or, with `--tools-venv`,
blyan-lint and ruff from an existing one), and how each is called."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from .processes import SetupError, log, setup_cmd

REPO = Path(__file__).resolve().parent.parent.parent


class Venvs:
    """benchmarks/work/venv (ruff, flake8, this repo editable: flake8 has BLY),
    venv-noplugin (the same flake8, pycodestyle, pyflakes, mccabe versions, nothing else),
    venv-torchfix (TorchFix in its own environment: it registers a flake8 plugin (TOR) and
    brings its own libcst requirement, so it must not share an environment with the flake8 runs)."""

    def __init__(self, work: Path, python: str, tools_venv: Path | None = None) -> None:
        self.work, self.python = work, python
        self.tools_venv = tools_venv  # an existing venv with blyan-lint and ruff: used, not built
        self.main = tools_venv or work / "venv"
        self.noplugin = work / "venv-noplugin"
        self.torchfix = work / "venv-torchfix"
        self.torchfix_error: str | None = None

    def _create(self, path: Path, packages: list[str], key: str, what: str) -> None:
        marker = path / ".bench-installed"
        if marker.exists() and marker.read_text() == key and (path / "bin" / "python").exists():
            log(f"{what}: up to date ({path.name})")
            return
        log(f"{what}: creating {path}")
        if path.exists():
            shutil.rmtree(path)
        setup_cmd([self.python, "-m", "venv", str(path)], f"creating {path.name}")
        pip = [str(path / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
        setup_cmd(pip + packages, f"installing {' '.join(packages)} into {path.name}")
        marker.write_text(key)

    def ensure(self, want_flake8: bool, want_torchfix: bool) -> None:
        """The virtualenvs the chosen measurements use (flake8's two only for its targets)."""
        if self.tools_venv is None:
            pyproject = (REPO / "pyproject.toml").read_bytes()
            key = json.dumps({"python": self.python, "pyproject": hash_bytes(pyproject), "v": 1})
            self._create(self.main, ["ruff", "flake8", "-e", str(REPO)], key, "main virtualenv")
        # The editable install follows the working tree; its console scripts must be there.
        for tool in ("blyan-lint", "ruff") + (("flake8",) if want_flake8 else ()):
            if not (self.main / "bin" / tool).exists():
                raise SetupError(f"{self.main}/bin/{tool} is missing after the install")
        if want_flake8:
            self._ensure_noplugin()
        if want_torchfix:
            try:
                self._create(self.torchfix, ["torchfix"], json.dumps({"python": self.python}), "TorchFix virtualenv")
            except SetupError as exc:
                self.torchfix_error = str(exc)
                log(f"TorchFix could not be installed; its target will be reported as not measured:\n{exc}")

    def _ensure_noplugin(self) -> None:
        pins = self.flake8_pins()
        self._create(self.noplugin, pins, json.dumps({"python": self.python, "pins": pins}), "flake8 without BLY")
        self.check_plugin_difference()

    def flake8_pins(self) -> list[str]:
        script = (
            "import importlib.metadata as m, json\n"
            "print(json.dumps({d: m.version(d) for d in ('flake8', 'pycodestyle', 'pyflakes', 'mccabe')}))"
        )
        out = setup_cmd([str(self.main / "bin" / "python"), "-c", script], "reading flake8's versions")
        return [f"{name}=={version}" for name, version in json.loads(out).items()]

    def check_plugin_difference(self) -> None:
        """The two flake8 installs must differ by the BLY plugin and nothing else."""
        with_bly = " ".join(setup_cmd([str(self.main / "bin" / "flake8"), "--version"], "flake8 --version").split())
        without = " ".join(setup_cmd([str(self.noplugin / "bin" / "flake8"), "--version"], "flake8 --version").split())
        stripped = re.sub(r"blyan-lint: [^,)]+(, )?", "", with_bly)
        if "blyan-lint" not in with_bly or stripped != without:
            raise SetupError(
                "the two flake8 installs differ by more than the BLY plugin:\n"
                f"  with:    {with_bly}\n  without: {without}"
            )


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def ruff_isolated(ruff: str, *paths: str) -> list[str]:
    """Issue 16's reference command: ruff on its defaults whatever configuration is around."""
    return [ruff, "check", "--isolated", "--no-cache", "--select", "E,F,B", "--exit-zero", "--quiet", *paths]


def blyan_check(blyan_lint: str, *args: str) -> list[str]:
    """Issue 16's blyan-lint command: a cold check, findings to /dev/null, exit 0."""
    return [blyan_lint, "check", "--no-cache", "--exit-zero", "-q", *args]
