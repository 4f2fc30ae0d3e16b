"""The per-file steps that used to be quadratic give what their plain definitions give.

`Context.source` slices the file's lines instead of re-splitting the file per call;
`apply_precedence` and the `noqa` pass index what they look up. Their timing curve is in
benchmarks/size_curve.py; here, only that the results did not change.
"""

from __future__ import annotations

import ast
import random

import pytest

from blyan_lint.api import Overrides, check_file
from blyan_lint.context import Context
from blyan_lint.findings import Finding, Position
from blyan_lint.post_walk import apply_precedence
from blyan_lint.sources import decode_python, split_lines

from .helpers import FIXTURES

ODD_TEXTS = [
    "x = 'éé' + f(\r\n  1,\r\n 2)\rfoo('€', 'a')\n",
    "def f():\n    return (\n\t1\n\t\t+ '😀'  # ünïcode\n    )\n",
    "s = '''a\nb\n''' ; t = [1,\n 2]",
]


def _texts() -> list[str]:
    texts = list(ODD_TEXTS)
    for path in sorted(FIXTURES.rglob("*.py")):  # small files: get_source_segment re-splits per node
        try:
            texts.append(decode_python(path.read_bytes()))
        except (UnicodeDecodeError, SyntaxError, LookupError):
            continue
    return texts


def test_context_source_is_the_source_segment_of_every_node():
    compared = 0
    for text in _texts():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lines = split_lines(text)
        ctx = Context.__new__(Context)  # only `lines` matters to `source`
        ctx.lines = lines
        joined = "\n".join(lines)
        for node in ast.walk(tree):
            assert ctx.source(node) == (ast.get_source_segment(joined, node) or "")
            compared += 1
    assert compared > 10_000


def _naive_precedence(findings: list[Finding], supersedes: dict[str, frozenset[str]]) -> list[Finding]:
    """The definition: a finding goes when it lies inside a range of a superseding finding."""
    return [
        f
        for f in findings
        if not any(
            f.code in supersedes.get(c.code, ())
            and any(s <= f.start and f.end <= e for s, e in (c.covers or ((c.start, c.end),)))
            for c in findings
        )
    ]


def _finding(rng: random.Random, code: str) -> Finding:
    line = rng.randint(1, 6)
    start = Position(line, rng.randint(1, 8))
    end = Position(line + rng.randint(0, 2), rng.randint(1, 12))
    covers = None
    if rng.random() < 0.5:
        covers = tuple((Position(line, c), Position(line + rng.randint(0, 1), c + rng.randint(0, 6))) for c in (1, 5))
    return Finding("m.py", start, end, code, "m", covers=covers)


@pytest.mark.parametrize("seed", range(200))
def test_apply_precedence_drops_what_the_definition_drops(seed):
    rng = random.Random(seed)
    supersedes = {"BLY105": frozenset({"BLY101", "BLY102"}), "BLY303": frozenset({"BLY101"})}
    codes = ["BLY101", "BLY102", "BLY105", "BLY303", "BLY201"]
    findings = [_finding(rng, rng.choice(codes)) for _ in range(rng.randint(0, 30))]
    assert apply_precedence(list(findings), supersedes) == _naive_precedence(findings, supersedes)


def test_noqa_on_many_lines_silences_each_line_and_reports_the_unused(tmp_path):
    lines = ["import torch"]
    for i in range(300):
        lines.append(f"a{i} = torch.zeros(1).half()  # noqa: BLY102")
        lines.append(f"b{i} = torch.zeros(1).half()  # noqa: BLY101")
    path = tmp_path / "m.py"
    path.write_text("\n".join(lines) + "\n")
    findings = check_file(str(path), Overrides(extend_select=("BLY001",)))
    by_code: dict[str, set[int]] = {}
    for f in findings:
        by_code.setdefault(f.code, set()).add(f.start.line)
    b_lines = {3 + 2 * i for i in range(300)}  # a tensor's `.half()` is BLY102; BLY101 is unused there
    assert by_code == {"BLY102": b_lines, "BLY001": b_lines}
