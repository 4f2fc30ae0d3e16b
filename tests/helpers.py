"""Shared test helpers: fixture discovery and snapshot comparison."""

from __future__ import annotations

import os
from pathlib import Path

from blyan_lint.api import Overrides, check_file
from blyan_lint.findings import Finding
from blyan_lint.kinds import file_kind

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULE_FIXTURES = FIXTURES / "rules"
# The policy's own correct snippet, verbatim (tests/test_conformance.py holds it to
# PRECISION_POLICY.md). One file: every rule counts it as a negative fixture.
POLICY_SNIPPET = FIXTURES / "policy" / "correct_implementation.py"
TEACHER_SNIPPET = FIXTURES / "policy" / "teacher_exception.py"
UPDATE = os.environ.get("BLYAN_UPDATE_SNAPSHOTS") == "1"


def rule_fixture_files() -> list[Path]:
    """Every checkable file under fixtures/rules (fix pairs live in fixtures/fixes)."""
    files = []
    for path in sorted(RULE_FIXTURES.rglob("*")):
        if path.is_file() and file_kind(path.name) is not None:
            files.append(path)
    return files


def expected_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name.split(".", 1)[0] + ".expected")


def snapshot_line(finding: Finding) -> str:
    marker = f" {finding.fix_marker}" if finding.fix_marker else ""
    return f"{finding.start.line}:{finding.start.col} {finding.code}{marker} {finding.message}"


def lint(path: Path) -> list[Finding]:
    old = os.getcwd()
    os.chdir(ROOT)  # findings carry paths relative to the repository, as CI sees them
    try:
        return sorted(check_file(str(path.relative_to(ROOT)), Overrides()), key=lambda f: f.sort_key)
    finally:
        os.chdir(old)


def codes_in(expected: Path) -> set[str]:
    codes = set()
    for line in expected.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            codes.add(parts[1])
    return codes


def tiny_llama(dtype: str = "bfloat16", seed: int | None = None, **sizes: int):
    """A real LlamaForCausalLM small enough for CPU tests (needs torch and transformers)."""
    import torch
    import transformers

    config = transformers.LlamaConfig(**sizes)
    if seed is not None:
        torch.manual_seed(seed)
    return transformers.LlamaForCausalLM(config).to(getattr(torch, dtype))
