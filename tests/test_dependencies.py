"""The static core stays light: no torch/transformers/bitsandbytes, and no LibCST on a check."""

from __future__ import annotations

import subprocess
import sys

from .helpers import ROOT

PROBE = """
import sys
from blyan_lint.cli import main
code = main(["check", "--no-cache", "-q", "fixtures/rules", "fixtures/demo_repo"])
heavy = sorted(m for m in ("torch", "transformers", "bitsandbytes", "accelerate", "libcst") if m in sys.modules)
print(code, heavy)
"""


def test_a_check_imports_no_ml_framework_and_no_libcst():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "2 []", out.stdout + out.stderr


# What a plain check of a few files does not need, so start-up does not pay for it: the
# fixer (the rules build their edits with `fixes.edits`, applying them waits for --fix or
# --diff), the runtime harness and its commands, rule docs, the report formats not asked
# for, and the process pool (only for 32 files or more).
DEFERRED = (
    "libcst",
    "blyan_lint.fixes.apply",
    "blyan_lint.fixes.source_io",
    "blyan_lint.fixes.codemods",
    "blyan_lint.runtime",
    "blyan_lint.cli.confirm",
    "blyan_lint.cli.trace",
    "blyan_lint.cli.consistency",
    "blyan_lint.cli.harness",
    "blyan_lint.cli.fix",
    "blyan_lint.cli.watch",
    "blyan_lint.cli.add_noqa",
    "blyan_lint.docs",
    "blyan_lint.report.json_format",
    "blyan_lint.report.sarif",
    "blyan_lint.readers.safetensors",
    "blyan_lint.readers.configs",  # the config readers, and pyyaml with them, load with the first config file
    "yaml",
    "multiprocessing",
    "concurrent.futures",
    "difflib",
)

SMALL_CHECK = """
import sys
from blyan_lint.cli import main
code = main(["check", *sys.argv[1:]])
print(code, sorted(m for m in {deferred!r} if m in sys.modules))
"""


def _deferred_loaded(cwd, *args: str) -> str:
    probe = SMALL_CHECK.format(deferred=DEFERRED)
    out = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr


def test_a_small_check_with_findings_and_cache_imports_none_of_the_deferred_modules(tmp_path):
    (tmp_path / "train.py").write_bytes((ROOT / "fixtures/rules/BLY101/aliases.py").read_bytes())
    assert _deferred_loaded(tmp_path, "-q", "train.py") == "1 []"
    assert _deferred_loaded(tmp_path, "-q", "train.py") == "1 []"  # answered from the cache


def test_the_deferred_modules_load_when_their_feature_is_used(tmp_path):
    (tmp_path / "train.py").write_bytes((ROOT / "fixtures/rules/BLY101/aliases.py").read_bytes())
    loaded = _deferred_loaded(tmp_path, "-q", "--no-cache", "--output-format", "sarif", "train.py")
    assert loaded.startswith("1 ") and "blyan_lint.report.sarif" in loaded, loaded
    loaded = _deferred_loaded(tmp_path, "-q", "--no-cache", "--diff", "train.py")
    assert "blyan_lint.fixes.apply" in loaded and "difflib" in loaded, loaded
