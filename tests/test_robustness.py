"""Zero crashes on odd code: fuzzed programs, the standard library, hostile bytes."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blyan_lint import registry
from blyan_lint.api import Overrides, check_file
from blyan_lint.cli import main
from blyan_lint.config import Settings
from blyan_lint.engine import check_python
from blyan_lint.pyversion import needed_python, parses

ALL_RULES = registry.python_rules(frozenset(registry.all_rules()))
SETTINGS = Settings(root=os.getcwd())


# hypothesmith compiles what it generates, and CPython warns about odd-but-valid code
# there; the checker itself silences the parser's warnings (see the next test).
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_fuzzed_programs_never_crash(source):
    for finding in check_python("fuzz.py", source.encode("utf-8", "surrogatepass"), SETTINGS, ALL_RULES):
        assert finding.start.line >= 1 and finding.start.col >= 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data):
    findings = check_python("bytes.py", data, SETTINGS, ALL_RULES)
    assert all(f.code.startswith("BLY") for f in findings)


def test_standard_library_never_crashes():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(stdlib.glob("*.py"))[:400]
    assert files
    for path in files:
        findings = check_file(str(path), Overrides())
        assert all(f.code != "BLY000" for f in findings), path


def test_the_checkers_parse_prints_no_warnings(recwarn):
    check_python("warn.py", b"x = 1 is 1\ny = '\\d'\nz = (1)(2)\n", SETTINGS, ALL_RULES)
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


def test_deeply_nested_code_is_reported_not_raised():
    source = ("x = " + "(" * 400 + "1" + ")" * 400 + "\n").encode()  # the parser's own limit: 200
    assert [f.code for f in check_python("deep.py", source, SETTINGS, ALL_RULES)] == ["BLY000"]
    deeper = ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode()
    assert [f.code for f in check_python("deeper.py", deeper, SETTINGS, ALL_RULES)] == ["BLY000"]


HEADER = "import torch\ny = torch.zeros(1, dtype=torch.float16)\n"
LONG_SHAPES = {
    "sum": lambda n: "x = " + " + ".join(["a"] * n),
    "attribute chain": lambda n: "x = a" + ".b" * n,
    "call chain": lambda n: "x = f" + "()" * n,
    "subscripts": lambda n: "x = a" + "[0]" * n,
    "unary": lambda n: "x = " + "not " * n + "a",
    "power": lambda n: "x = " + " ** ".join(["a"] * n),
    "conditional chain": lambda n: "x = " + " if c else ".join(["torch.float16"] * n),
    "elif chain": lambda n: "if a:\n    pass\n" + "elif a:\n    pass\n" * n,
    "lambdas": lambda n: "x = " + "lambda: " * n + "a",
    "casts": lambda n: "x = t" + ".float()" * n,
}


@pytest.mark.parametrize("shape", sorted(LONG_SHAPES))
def test_long_valid_code_is_checked_not_refused(shape):
    """Depth is no reason for BLY000: up to what Python parses, the file is checked (497 terms
    used to fail, CPython compiles about 2,900); only beyond it is it unparsable."""
    make = LONG_SHAPES[shape]
    for n in (497, 1200):
        text = HEADER + make(n) + "\n"
        assert parses(text.encode()), (shape, n)
        findings = check_python("long.py", text.encode(), SETTINGS, ALL_RULES)
        assert not [f.message for f in findings if f.code == "BLY000"], (shape, n)
        assert any(f.code == "BLY101" and f.start.line == 2 for f in findings), "and really checked"
    too_deep = HEADER + make(40_000) + "\n"
    assert not parses(too_deep.encode())
    (finding,) = check_python("deep.py", too_deep.encode(), SETTINGS, ALL_RULES)
    assert finding.code == "BLY000" and finding.message.startswith("cannot parse")


def test_long_valid_code_is_fixed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(HEADER + "x = " + " + ".join(["torch.zeros(1, dtype=torch.float16)"] * 600) + "\n")
    assert main(["check", "-q", "--fix", "--exit-zero", "m.py"]) == 0
    fixed = (tmp_path / "m.py").read_text()
    assert "torch.float16" not in fixed and fixed.count("torch.bfloat16") == 601
    compile(fixed, "m.py", "exec")


@pytest.mark.parametrize(
    ("source", "running", "needs"),
    [
        ("type Dtype = str\n", (3, 11), (3, 12)),
        ("def pick[T](x: T) -> T:\n    return x\n", (3, 11), (3, 12)),
        ("class Box[T]:\n    pass\n", (3, 11), (3, 12)),
        ("try:\n    pass\nexcept* ValueError:\n    pass\n", (3, 10), (3, 11)),
        ("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", (3, 12), (3, 14)),
        ('name = t"hello {x}"\n', (3, 12), (3, 14)),
        ("type Dtype = str\n", (3, 12), None),
        ("def pick[T = int](x: T) -> T:\n    return x\n", (3, 11), (3, 13)),
        ("class Box[T = int]:\n    pass\n", (3, 12), (3, 13)),
        ("x = (1,\n", (3, 11), None),
    ],
)
def test_newer_syntax_is_named(source, running, needs):
    found = needed_python(source, running)
    assert (found[0] if found else None) == needs


def test_bom_crlf_and_latin1_cookie_keep_columns():
    crlf = b"import torch\r\nx = torch.zeros(2, dtype=torch.float16)\r\n"
    bom = b"\xef\xbb\xbf" + crlf
    latin = "# -*- coding: latin-1 -*-\nimport torch\nname = 'é'; x = torch.zeros(2, dtype=torch.half)\n".encode(
        "latin-1"
    )
    for source, where in ((crlf, (2, 26)), (bom, (2, 26)), (latin, (3, 38))):
        (finding,) = check_python("m.py", source, SETTINGS, ALL_RULES)
        assert (finding.code, finding.start.line, finding.start.col) == ("BLY101", *where)


@pytest.mark.parametrize("newline", ["\r", "\r\r\n", "\n\r"])
def test_noqa_lines_are_counted_as_python_counts_them(newline):
    """Found by the fuzzer: a lone CR put BLY001 on a line that does not exist."""
    source = (
        f"import torch{newline}x = torch.zeros(2, dtype=torch.float16)  # noqa: BLY101{newline}y = 1  # noqa: BLY102\n"
    )
    text_lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    findings = check_python("m.py", source.encode(), SETTINGS, ALL_RULES)
    unused = [f for f in findings if f.code == "BLY001"]
    assert [text_lines[f.start.line - 1][f.start.col - 1 : f.end.col - 1] for f in unused] == ["BLY102"]
    assert not [f for f in findings if f.code == "BLY101"]
