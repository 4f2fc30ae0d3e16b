"""RULES.md conformance anchors: the policy's own snippets, linted as the catalog says.

The snippets live once, in fixtures/policy/ (tests/helpers.py names them); rule fixtures
do not copy them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blyan_lint.api import Overrides, check_file

from .helpers import POLICY_SNIPPET, ROOT, TEACHER_SNIPPET

POLICY = ROOT.parent / "shared" / "PRECISION_POLICY.md"
CORRECT = POLICY_SNIPPET
TEACHER = TEACHER_SNIPPET


def codes(path: str, source: bytes) -> list[str]:
    return [f.code for f in check_file(path, Overrides(), source)]


def test_correct_implementation_is_clean():
    assert codes("node/student_loader.py", CORRECT.read_bytes()) == []


def test_teacher_exception_is_clean_in_a_teacher_module():
    assert codes("node/teacher/validator.py", TEACHER.read_bytes()) == []
    pragma = b"# blyan-lint: teacher\n" + TEACHER.read_bytes()
    assert codes("node/validator.py", pragma) == []


def test_teacher_exception_gives_bly401_alone_in_a_student_module():
    findings = check_file("node/student_loader.py", Overrides(), TEACHER.read_bytes())
    assert [(f.code, f.start.line, f.start.col) for f in findings] == [("BLY401", 5, 5)]  # `load_in_8bit=True`
    assert "only in teacher code" in findings[0].message


@pytest.mark.skipif(not POLICY.exists(), reason="shared/PRECISION_POLICY.md is not beside the checkout")
@pytest.mark.parametrize("fixture", [CORRECT, TEACHER], ids=lambda p: p.stem)
def test_snippets_are_the_policys_own(fixture: Path):
    blocks = re.findall(r"```python\n(.*?)```", POLICY.read_text(encoding="utf-8"), re.S)
    assert fixture.read_text(encoding="utf-8").replace("\n\n", "\n") in [b.replace("\n\n", "\n") for b in blocks]
