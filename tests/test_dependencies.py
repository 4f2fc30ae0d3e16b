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


# Rule modules load per rule, with the first file whose text holds one of the rule's trigger
# words (`registry.RuleSet`, from the generated `rule_table`); a cache hit needs none.
RULE_PROBE = """
import sys
from blyan_lint.cli import main
code = main(["check", *sys.argv[1:]])
print(code, sorted(m for m in sys.modules if m.startswith("blyan_lint.rules.") and m.count(".") == 3))
"""


def _rule_modules_loaded(cwd, *args: str) -> tuple[str, str]:
    out = subprocess.run([sys.executable, "-c", RULE_PROBE, *args], cwd=cwd, capture_output=True, text=True)
    return (out.stdout.strip().splitlines() or [out.stderr])[-1], out.stderr


def test_a_check_of_a_file_without_trigger_words_imports_no_rule_module(tmp_path):
    (tmp_path / "tiny.py").write_text("import os\nx = 1\n")
    assert _rule_modules_loaded(tmp_path, "--no-cache", "-q", "tiny.py")[0] == "0 []"


def test_a_check_imports_the_modules_of_the_rules_the_file_can_need_only(tmp_path):
    (tmp_path / "train.py").write_text("import torch\nx = torch.zeros(2, dtype=torch.float16)\n")
    loaded, _ = _rule_modules_loaded(tmp_path, "--no-cache", "-q", "train.py")
    assert loaded.startswith("1 [") and "blyan_lint.rules.precision.non_bf16_dtype" in loaded, loaded
    # no CPU, autocast, capability or weights word: those groups' modules stay unloaded
    assert not any(f"rules.{group}." in loaded for group in ("hardware", "mixed", "config_and_weights")), loaded


def test_a_warm_cache_answers_without_importing_a_rule_module(tmp_path):
    (tmp_path / "train.py").write_bytes((ROOT / "fixtures/rules/BLY101/aliases.py").read_bytes())
    first, _ = _rule_modules_loaded(tmp_path, "train.py")
    assert first.startswith("1 ['blyan_lint.rules.precision."), first
    warm, summary = _rule_modules_loaded(tmp_path, "train.py")
    assert warm == "1 []" and "1 from cache" in summary, summary  # the findings' facts decode without the rules


def test_a_pooled_run_imports_the_rules_once_before_the_workers_fork(tmp_path):
    for index in range(40):  # past the pool threshold
        (tmp_path / f"m{index}.py").write_text("x = 1\n")
    loaded, _ = _rule_modules_loaded(tmp_path, "--no-cache", "-q", "-j", "2", ".")
    assert loaded.startswith("0 [") and "blyan_lint.rules.hardware.fallback" in loaded, loaded
    loaded, _ = _rule_modules_loaded(tmp_path, "--no-cache", "-q", "-j", "1", ".")
    assert loaded == "0 []"  # in one process, no file here needs a rule
