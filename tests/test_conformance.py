"""RULES.md conformance anchors: the policy's own snippets, linted as the catalog says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blyan_lint.api import Overrides, check_file

from .helpers import FIXTURES, ROOT

POLICY = ROOT.parent / "shared" / "PRECISION_POLICY.md"
CORRECT = FIXTURES / "policy" / "correct_implementation.py"
TEACHER = FIXTURES / "policy" / "teacher_exception.py"


def codes(path: str, source: bytes) -> list[str]:
    return [f.code for f in check_file(path, Overrides(), source)]


def test_correct_implementation_is_clean():
    assert codes("node/student_loader.py", CORRECT.read_bytes()) == []


def test_teacher_exception_is_clean_in_a_teacher_module():
    assert codes("node/teacher/validator.py", TEACHER.read_bytes()) == []
    pragma = b"# blyan-lint: teacher\n" + TEACHER.read_bytes()
    assert codes("node/validator.py", pragma) == []


def test_teacher_exception_gives_bly401_alone_in_a_student_module():
    assert codes("node/student_loader.py", TEACHER.read_bytes()) == ["BLY401"]


@pytest.mark.skipif(not POLICY.exists(), reason="shared/PRECISION_POLICY.md is not beside the checkout")
@pytest.mark.parametrize("fixture", [CORRECT, TEACHER], ids=lambda p: p.stem)
def test_snippets_are_the_policys_own(fixture: Path):
    blocks = re.findall(r"```python\n(.*?)```", POLICY.read_text(encoding="utf-8"), re.S)
    assert fixture.read_text(encoding="utf-8").replace("\n\n", "\n") in [b.replace("\n\n", "\n") for b in blocks]
