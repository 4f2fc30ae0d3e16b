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
