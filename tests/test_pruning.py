"""Statement pruning changes nothing (issue 16): findings and fixes are identical with it
on and off, and with the prefilter on and off, over every fixture, every fix pair and
fuzzed programs built to stress what pruning must keep (bindings across statements,
aliases, subclasses, walrus targets, imports inside skipped functions)."""

from __future__ import annotations

import os
import warnings

import hypothesmith
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from blyan_lint import registry
from blyan_lint.config import Settings
from blyan_lint.engine import PRUNE_SWITCH, check_python, decode_python
from blyan_lint.fixes.apply import FixError, fix_text
from blyan_lint.prune import statement_words

from .helpers import FIXTURES
from .test_robustness_fuzz import EXAMPLES, PROFILE, SEED, mutated, ordinary_programs

RULES = registry.python_rules(frozenset(registry.all_rules()))
SETTINGS = Settings(root=os.getcwd())
VARIANTS = [(prune, prefilter) for prune in (True, False) for prefilter in (True, False)]


def rendered(findings) -> list[tuple]:
    return [(f.start, f.end, f.code, f.message, f.fix, f.facts, f.scope) for f in findings]


def assert_same_findings(data: bytes, path: str = "p.py", settings_: Settings = SETTINGS) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [
            rendered(check_python(path, data, settings_, RULES, prefilter=prefilter, prune=prune))
            for prune, prefilter in VARIANTS
        ]
    for (prune, prefilter), result in zip(VARIANTS[1:], results[1:], strict=True):
        assert result == results[0], f"prune={prune} prefilter={prefilter} changed the findings of {path}"
    return results[0]


PYTHON_FIXTURES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".py", ".pyi"))


def test_every_fixture_has_the_same_findings_with_pruning_on_and_off():
    assert len(PYTHON_FIXTURES) > 50
    found = 0
    for path in PYTHON_FIXTURES:
        found += len(assert_same_findings(path.read_bytes(), str(path.relative_to(FIXTURES.parent))))
    assert found > 100, "the fixtures hold findings"


@pytest.mark.parametrize("pair", sorted((FIXTURES / "fixes").rglob("*.in.py")), ids=lambda p: p.name)
def test_every_fix_pair_is_fixed_the_same_with_pruning_on_and_off(pair):
    text = decode_python(pair.read_bytes())
    outputs = []
    for prune in (True, False):

        def lint(candidate: str, prune: bool = prune) -> list:
            return check_python(pair.name, candidate.encode("utf-8"), SETTINGS, RULES, prune=prune)

        try:
            outputs.append(fix_text(text, lint, unsafe=True).text)
        except FixError as exc:
            outputs.append(f"refused: {exc}")
    assert outputs[0] == outputs[1]


def test_the_switch_turns_pruning_off(monkeypatch):
    source = b"import torch\nDT = torch.float16\n\ndef f(x):\n    return x.to(DT)\n"
    with_pruning = rendered(check_python("s.py", source, SETTINGS, RULES))
    monkeypatch.setenv(PRUNE_SWITCH, "0")
    assert rendered(check_python("s.py", source, SETTINGS, RULES)) == with_pruning


def test_rules_that_need_every_statement_switch_pruning_off():
    class Judge(registry.Rule):  # a finish() rule without statement words: needs every statement
        code = "BLY999"

        def finish(self, ctx):
            return iter(())

    assert Judge.statement_words is None
    assert statement_words([*RULES, Judge()]) is None
    assert statement_words(RULES) is not None


# Programs whose findings hang on what a skipped statement leaves behind.
NAMES = ["dt", "dev", "flag", "cfg", "Base", "alias"]
VALUES = [
    "torch.float16",
    "torch.bfloat16",
    '"fp16"',
    "'half'",
    '"cpu"',
    "-1",
    "- 1",
    "torch.cuda.is_available()",
    "torch.cuda.get_device_capability()",
    "1",
    "{other}",
    "({other} := torch.float32)",
    "'cp' 'u'",
    '"\\x63pu"',
]
UNITS = [
    "{name} = {value}",
    "{name}: object = {value}",
    "{name}, {other} = {value}, {value}",
    "from torch import float16 as {name}",
    "from transformers import pipeline as {name}",
    "import torch.cuda as {name}",
    "def f_{name}(x):\n    return x.to({name})",
    "def g_{name}(x):\n    return 'cuda' if {name} else {other}",
    "def h_{name}(x):\n    if {name}:\n        return 'cuda'\n    return {other}",
    "def k_{name}():\n    import torch as {name}\n    return {name}",
    "def p_{name}():\n    return {name}('text-generation', device={value})",
    "def m_{name}(model):\n    return model.to(dtype={name}).half()",
    "for {name} in range(2):\n    {other} = {value}",
    "if ({name} := {value}):\n    pass",
    "if {name}:\n    raise RuntimeError('no GPU')",
    "if torch.cuda.is_available():\n    {name} = 'cuda'",
    "class {name}(TrainingArguments):\n    fp16 = True",
    "class C_{name}({name}):\n    {other} = {value}\n\n    def run(self):\n        return self.{other}",
    "{name}(output_dir='o')",
    "with open('f') as {name}:\n    pass",
    "try:\n    import torch as {name}\nexcept ImportError:\n    {name} = None",
    "x = AutoModel.from_pretrained('m', torch_dtype={name})",
    "scaler = {name}.amp.GradScaler()",
    "'''A docstring that names torch.float16 and {name}.'''",
]


@st.composite
def linked_programs(draw) -> bytes:
    head = draw(st.sampled_from(["import torch\n", "import torch as th\ntorch = th\n", ""]))
    head += "from transformers import AutoModel, TrainingArguments\n"
    units = []
    for _ in range(draw(st.integers(1, 10))):
        template = draw(st.sampled_from(UNITS))
        name, other = draw(st.sampled_from(NAMES)), draw(st.sampled_from(NAMES))
        value = draw(st.sampled_from(VALUES)).format(other=other)
        unit = template.format(name=name, other=other, value=value)
        if draw(st.integers(0, 4)) == 0:  # sometimes inside a class body
            unit = "class Holder:\n" + "\n".join("    " + line for line in unit.split("\n"))
        units.append(unit)
    return (head + "\n".join(units) + "\n").encode("utf-8")


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@seed(SEED)
@settings(PROFILE, max_examples=max(EXAMPLES * 2, 80))
@given(linked_programs())
def test_fuzz_linked_programs(data):
    assert_same_findings(data)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@seed(SEED)
@PROFILE
@given(mutated(ordinary_programs()))
def test_fuzz_mutated_ordinary_code(data):
    assert_same_findings(data)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@seed(SEED)
@settings(PROFILE, max_examples=max(EXAMPLES // 20, 20))  # hypothesmith is slow; a share of the budget
@given(mutated(hypothesmith.from_grammar()))
def test_fuzz_mutated_grammatical_code(data):
    assert_same_findings(data)


CASES = {
    "a dtype bound at module level": "import torch\nDT = torch.float16\n\ndef f(x):\n    return x.to(DT)\n",
    "through two bindings": "import torch\nA = torch.float16\nB = A\n\ndef f(x):\n    return x.to(B)\n",
    "an alias of the dtype": "from torch import float16 as f16\n\ndef f(x):\n    return x.to(f16)\n",
    "an import inside a skipped function": (
        "def setup():\n    import torch as th\n\nx = th.zeros(1, dtype=th.float16)\n"
    ),
    "a CPU default before the test": (
        "import torch\ndevice = 'cpu'\nif torch.cuda.is_available():\n    device = 'cuda'\n"
    ),
    "a walrus at module level": "import torch\nif (d := torch.float16):\n    pass\n\ndef f(x):\n    return x.to(d)\n",
    "a subclass of a subclass": (
        "from transformers import TrainingArguments\n\nclass A(TrainingArguments):\n    pass\n\n"
        "class B(A):\n    pass\n\nargs = B(output_dir='o', fp16=True)\n"
    ),
    "a -1 device through a pipeline alias": (
        "from transformers import pipeline as make\n\ndef build():\n    return make('text-generation', device=-1)\n"
    ),
    "a query bound far from its -1": (
        "import torch\nUSE = torch.cuda.is_available()\n\ndef index():\n    return 0 if USE else -1\n"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_findings_that_hang_on_a_skipped_statement_are_kept(name):
    findings = assert_same_findings(CASES[name].encode("utf-8"))
    assert findings, "the case holds a finding"


def test_guard_functions_switch_pruning_off(tmp_path):
    configured = Settings(root=os.getcwd(), guard_functions=("ensure_gpu",))
    source = b"import torch\nfrom transformers import AutoModel\n\ndef ensure_gpu():\n    pass\n\n" + (
        b"m = AutoModel.from_pretrained('m', torch_dtype=torch.bfloat16)\nensure_gpu()\n"
    )
    assert_same_findings(source, settings_=configured)


def test_the_word_index_skips_only_words_the_prefilter_found_missing():
    """The prefilter's absences feed the pruner's word index: the same positions either way."""
    from blyan_lint.prefilter import active_rules
    from blyan_lint.prune import _plan

    words = statement_words(RULES)
    assert words is not None
    plan = _plan(words)
    skipped = 0
    for path in [*PYTHON_FIXTURES, *sorted((FIXTURES / "fixes").rglob("*.in.py"))]:
        try:
            text = decode_python(path.read_bytes())
        except (UnicodeDecodeError, SyntaxError, LookupError):
            continue  # BLY000 fixtures: never walked
        data = "\n".join(text.splitlines()).encode("utf-8", "surrogatepass")
        lowered, absent = data.lower(), set()
        active_rules(RULES, data, lowered, absent=absent)
        assert plan.positions(lowered, frozenset(absent)) == plan.positions(lowered), path
        skipped += sum(1 for part in plan.parts if part in absent)
    assert skipped > 100  # the prefilter's absences do cover statement words
