"""Property-based fuzzing of the checker and the fixer (issue 13).

Programs come from hypothesmith (any grammatical Python) and from a generator of ordinary
code, and a mutator inserts the policy's constructs into them (dtypes, casts, autocast,
scalers, loaders, quantization configs, teacher code, noqa) and rewrites their bytes (CRLF,
BOM, tabs). Properties: the checker never raises; every position lies inside the file;
BLY000 appears only on input that does not decode or parse; findings are identical with
the prefilter on and off; `--fix --unsafe-fixes` output compiles, is idempotent, and
changes no line outside the fixed findings.

`make test` runs a small fixed-seed profile; `make fuzz` runs FUZZ_EXAMPLES examples
(default 100,000) and prints how many ran.
"""

from __future__ import annotations

import os
import warnings

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from blyan_lint import pyversion, registry
from blyan_lint.config import Settings
from blyan_lint.engine import check_python
from blyan_lint.fixes.apply import (
    MAX_PASSES,
    FixError,
    _non_overlapping,
    add_imports,
    apply_edits,
    conditional_imports,
    fix_text,
    wanted,
)
from blyan_lint.sources import decode_python

from .unbound_names import unbound_loads

LONG = os.environ.get("FUZZ_EXAMPLES")
EXAMPLES = int(LONG) if LONG else 40
SEED = int(os.environ.get("FUZZ_SEED", "13"))
RULES = registry.python_rules(frozenset(registry.all_rules()))
SETTINGS = Settings(root=os.getcwd())
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=not LONG,  # the short profile is the same every run
)

# The policy's constructs, one statement each (indented to fit where they are inserted).
CONSTRUCTS = [
    "x = torch.zeros(2, dtype=torch.float16)",
    "x = torch.zeros(2, dtype=th.half)",
    "dt = torch.float32",
    "y = t.half()",
    "y = t.float()",
    "y = t.float().numpy()",
    "y = t.double()",
    "y = (t.double)()",
    "y = t.to(torch.float16)",
    "y = t.to(dtype=dt)",
    "y = t.type(torch.HalfTensor)",
    "y = torch.arange(3).float()",
    "model = model.half().cuda()",
    "model.to(torch.bfloat16)",
    "with torch.autocast('cuda', dtype=torch.float16):\n    out = model(x)",
    "with torch.cuda.amp.autocast():\n    pass",
    "with autocast(enabled=use_amp):\n    out = model(x)",
    "scaler = torch.cuda.amp.GradScaler()",
    "scaler = GradScaler(enabled=fp16)",
    "scaler.scale(loss).backward()",
    "scaler.step(opt_a if use_a else opt_b)",
    "scaler.step(*opts)",
    "scaler.update()",
    "m = AutoModelForCausalLM.from_pretrained(name)",
    "m = AutoModel.from_pretrained((name), torch_dtype=torch.float16)",
    "m = AutoModel.from_pretrained(name, torch_dtype='auto')",
    "m = AutoModel.from_pretrained(name, load_in_8bit=True)",
    "q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.float16)",
    "teacher = AutoModel.from_pretrained(name, load_in_8bit=True)",
    "class TeacherNet:\n    def load(self):\n        return Model(load_in_8bit=True)",
    "device = 'cuda' if torch.cuda.is_available() else 'cpu'",
    "device = 'cuda' if torch.cuda.is_available() and ok else 'cpu'",
    "dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16",
    "if torch.cuda.is_bf16_supported():\n    dt = torch.float32\nelse:\n    dt = torch.float16",
    "if not torch.cuda.is_bf16_supported():\n    dt = torch.float16",
    "m = (model.half)()",
    "if not torch.cuda.is_available():\n    device = 'cpu'",
    "if torch.cuda.get_device_capability()[0] < 8:\n    raise RuntimeError('needs Ampere')",
    "ok = torch.cuda.is_bf16_supported()",
    "args = TrainingArguments(output_dir='o', fp16=True)",
    "acc = Accelerator(mixed_precision='fp16')",
    "x = torch.zeros(2, dtype=torch.float16)  # noqa: BLY101",
    "x = torch.zeros(2, dtype=torch.float16)  # noqa",
    "x = torch.zeros(2, dtype=torch.float16)  # noqa: BLY1",
    "x = y\ny = x\nz = torch.zeros(1, dtype=x)",
    "model = model.to(device)",
    "x = x.cpu()",
]
IMPORTS = [
    "import torch",
    "import torch as th",
    "from torch.cuda.amp import autocast, GradScaler",
    "from transformers import AutoModel, AutoModelForCausalLM, BitsAndBytesConfig, TrainingArguments",
    "from accelerate import Accelerator",
    "try:\n    import torch\nexcept ImportError:\n    torch = None",
    "# blyan-lint: teacher",
]
PLAIN = [
    "pass",
    "x = 1",
    "a = b + c * (d - 1)",
    "def f(a, *args, b=2, **kw):\n    return a",
    "class C(Base):\n    attr: int = 3",
    "for i in range(3):\n    total += i",
    "while False:\n    break",
    "try:\n    run()\nexcept Exception as exc:\n    raise ValueError() from exc",
    "lst = [i for i in range(10) if i % 2]",
    "s = f'{x!r:>10}'",
    "async def g():\n    async with lock:\n        await h()",
    "lambda: (yield)",
    "x = {**a, 'k': [1, 2, (3,)]}",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass",
    "match cmd:\n    case [x, *rest]:\n        pass\n    case _:\n        pass",
    "del x",
    "global g",
    "x: 'torch.float16' = None",
    "'''docstring with torch.float16 inside'''",
    "# a comment about .half()",
]
BLOCK_HEADERS = ["def fn():", "class K:", "if flag:", "with ctx:", "for item in items:", "try:", "async def run():"]


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


@st.composite
def ordinary_programs(draw) -> str:
    """Plain statements, some nested in blocks."""
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        statement = draw(st.sampled_from(PLAIN))
        if draw(st.booleans()):
            header = draw(st.sampled_from(BLOCK_HEADERS))
            body = _indent(statement, "    ")
            tail = "\nexcept Exception:\n    pass" if header == "try:" else ""
            statement = f"{header}\n{body}{tail}"
        parts.append(statement)
    return "\n".join(parts) + "\n"


@st.composite
def mutated(draw, base: st.SearchStrategy[str]) -> bytes:
    """A program with policy constructs inserted at line boundaries (at the indentation of
    the line they precede), then its bytes rewritten."""
    lines = draw(base).split("\n")
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(lines)))
        following = next((line for line in lines[at:] if line.strip()), "")
        indent = following[: len(following) - len(following.lstrip())]
        construct = draw(st.sampled_from(CONSTRUCTS + IMPORTS))
        lines[at:at] = _indent(construct, indent).split("\n")
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(IMPORTS)))
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text.replace("    ", "\t")
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    elif draw(st.integers(0, 9)) == 0:  # mixed line endings
        text = text.replace("\n", "\r\n", 1)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 19)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=4)) + data[cut:]  # stray bytes: may not decode or parse
    return data


def _rendered(findings) -> list[tuple]:
    return [(f.start, f.end, f.code, f.message, f.fix) for f in findings]


def check_properties(data: bytes) -> None:
    findings = check_python("fuzz.py", data, SETTINGS, RULES)
    without_prefilter = check_python("fuzz.py", data, SETTINGS, RULES, prefilter=False)
    assert _rendered(findings) == _rendered(without_prefilter), "the prefilter changed the findings"
    parses = pyversion.parses(data)
    unreadable = [f for f in findings if f.code == "BLY000"]
    if parses:
        assert not unreadable, f"BLY000 on parsable input: {unreadable[0].message}"
    else:
        assert unreadable, "unparsable input passed"
        return
    text = decode_python(data).lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for f in findings:
        for pos in (f.start, f.end):
            assert 1 <= pos.line <= len(lines), (f.code, pos)
            assert 1 <= pos.col <= len(lines[pos.line - 1]) + 1, (f.code, pos)
        assert f.start <= f.end, f.code
    check_fix(text, findings)


def check_fix(text: str, findings) -> None:
    def lint(candidate: str):
        return check_python("fuzz.py", candidate.encode("utf-8", "surrogatepass"), SETTINGS, RULES)

    try:
        result = fix_text(text, lint, unsafe=True, findings=lint(text))
    except FixError:
        return  # refused: nothing would be written, the findings stand
    if not result.changed:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(result.text, "fuzz.py", "exec", dont_inherit=True)
    _assert_fixes_bind_what_they_write(text, result.text)
    again = fix_text(result.text, lint, unsafe=True)
    assert again.text == result.text, "a second --fix changed the file"
    blocked = conditional_imports(result.text)  # such fixes are not applied, by design
    assert not [f for f in again.remaining if wanted(f, True) and not blocked & set(f.fix.imports)], "fixable left"
    _assert_each_pass_changes_only_its_fixes(text, lint, result.text)


def _assert_fixes_bind_what_they_write(before: str, after: str) -> None:
    """No fix loads a name that nothing binds where it runs (`torch.bfloat16` above the
    file's `import torch`, an alias imported in another function) or unbinds one still used."""
    try:
        grown = unbound_loads(after) - unbound_loads(before)
    except RecursionError:
        return  # nesting deeper than the oracle's recursion; the other properties still hold
    assert not grown, f"the fixed program loads names nothing binds there: {dict(grown)}"


def _assert_each_pass_changes_only_its_fixes(text: str, lint, final: str) -> None:
    """Replays the fixer's passes: each changes only lines its own fixes span (a later pass
    may fix what an earlier one made fixable)."""
    current = lint(text)
    for _ in range(MAX_PASSES):
        blocked = conditional_imports(text)  # per pass, as the fixer: a fix may lift the condition
        chosen = _non_overlapping([f for f in current if wanted(f, True) and not blocked & set(f.fix.imports)])
        if not chosen:
            break
        candidate = apply_edits(text, [e for f in chosen for e in f.fix.edits])
        candidate = add_imports(candidate, sorted({m for f in chosen for m in f.fix.imports}))
        _assert_only_fixed_lines_changed(text, candidate, chosen)
        text, current = candidate, lint(candidate)
    assert text == final, "the replayed passes end where the fixer ended"


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _assert_only_fixed_lines_changed(before: str, after: str, fixable) -> None:
    """Lines the fixes do not span stay as they were (edits may add lines: `import torch`)."""
    allowed: set[int] = set()
    for finding in fixable:
        first = min([finding.start.line, *(e.start.line for e in finding.fix.edits)])
        last = max([finding.end.line, *(e.end.line for e in finding.fix.edits)])
        allowed.update(range(first, last + 1))
    old, new = _lines(before), _lines(after)  # as Python counts lines: not at \f or \v
    # Every line no fix spans survives, in order (a subsequence test: a diff would pair
    # equal lines across an edit, such as a dedented `out = model(x)`).
    kept = iter(new)
    for number, line in enumerate(old, 1):
        if number in allowed or not line.strip():
            continue
        assert any(candidate == line for candidate in kept), f"line {number} changed but no fix spans it: {line!r}"


_RUN = {"examples": 0}


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@seed(SEED)
@PROFILE
@given(mutated(ordinary_programs()))
def test_fuzz_mutated_ordinary_code(data):
    _RUN["examples"] += 1
    check_properties(data)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@seed(SEED)
@settings(PROFILE, max_examples=max(EXAMPLES // 20, 20))  # hypothesmith is slow; a share of the budget
@given(mutated(hypothesmith.from_grammar()))
def test_fuzz_mutated_grammatical_code(data):
    _RUN["examples"] += 1
    check_properties(data)


def test_fuzz_report():
    """Runs last in this module: how many examples passed every property."""
    print(f"\nfuzz: {_RUN['examples']} examples, every property held")
    assert _RUN["examples"] > 0
