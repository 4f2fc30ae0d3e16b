"""The prefilter fails closed: a file that can hold a finding is never dropped (issue 13).

Each case is a spelling Python reads as the flagged code although its bytes do not hold
the rule's trigger word; each must be found with the prefilter on, as with it off.
"""

from __future__ import annotations

import os

import pytest

from blyan_lint import registry
from blyan_lint.config import Settings
from blyan_lint.engine import check_python
from blyan_lint.prefilter import Words, active_rules

RULES = registry.python_rules(frozenset(registry.all_rules()))
SETTINGS = Settings(root=os.getcwd())
TORCH = "import torch\n"
CUDA_OR = "import torch\ndevice = 'cuda' if torch.cuda.is_available() else "
PIPELINE = "from transformers import pipeline\np = pipeline('text-generation', device="

CASES = {
    "blank after the dot": (TORCH + "def f(t):\n    return t. half()\n", "BLY102"),
    "comment between dot and name": (TORCH + "def f(t):\n    return (t.  # why\n        half)()\n", "BLY102"),
    "line continuation after the dot": (TORCH + "def f(t):\n    return t.\\\n        double()\n", "BLY102"),
    "tab after the dot": (TORCH + "def f(t):\n    return t.\tfloat()\n", "BLY102"),
    "NFKC-normalized identifier": (TORCH + "def f(t):\n    return t.\uff48\uff41\uff4c\uff46()\n", "BLY102"),
    "implicitly joined literals": (CUDA_OR + "'cp' 'u'\n", "BLY301"),
    "joined across lines": (CUDA_OR + "('cp'\n    'u')\n", "BLY301"),
    "hex escape": (CUDA_OR + "'\\x63pu'\n", "BLY301"),
    "octal escape": (CUDA_OR + "'\\143pu'\n", "BLY301"),
    "named escape": (CUDA_OR + "'\\N{LATIN SMALL LETTER C}pu'\n", "BLY301"),
    "escaped newline in a string": (CUDA_OR + "'cp\\\nu'\n", "BLY301"),
    "blank inside -1": (PIPELINE + "- 1)\n", "BLY302"),
    "parenthesized 1": (PIPELINE + "-(1))\n", "BLY302"),
    "hexadecimal 1": (PIPELINE + "-0x1)\n", "BLY302"),
    "blanks around a keyword's =": ("from vllm import LLM\nllm = LLM('m', quantization = 'awq')\n", "BLY402"),
    "an FSDP offload option (no CPU word)": (
        "from transformers import TrainingArguments\nargs = TrainingArguments('o', fsdp='full_shard offload')\n",
        "BLY302",
    ),
    "a letter that lower-cases to ASCII": (
        "from transformers import AutoModelForCausalLM\n"
        "m = AutoModelForCausalLM.from_pretrained('m', torch_dtype='auto', device_map='dis\u212a')\n",
        "BLY302",
    ),
}


def codes(findings) -> list[tuple]:
    return [(f.code, f.start, f.end, f.message) for f in findings]


@pytest.mark.parametrize("name", sorted(CASES))
def test_spellings_python_accepts_are_not_dropped(name):
    source, code = CASES[name]
    data = source.encode("utf-8")
    without = check_python("case.py", data, SETTINGS, RULES, prefilter=False)
    assert code in [f.code for f in without], "the case must hold a finding"
    assert codes(check_python("case.py", data, SETTINGS, RULES)) == codes(without)


def test_plain_files_still_skip_rules():
    text = b"def f(a, b):\n    return a + b\n"
    assert active_rules(RULES, text) == ()
    active = {rule.code for rule in active_rules(RULES, b"x = t.half()\n")}
    assert "BLY102" in active and "BLY301" not in active


def test_a_word_is_known_absent_when_a_shorter_word_in_it_is():
    words = Words([b"half", b".half", b"float", b"float16"])
    tester = words.tester(b"x = t. half()\n")
    assert not tester.has(2)
    assert not tester.has(3)  # known without a search: float is absent
    assert tester.has(1)  # `.half` spelled with a blank after the dot
    assert tester.known == {1: True, 2: False, 3: False}


# Rule-level prechecks skip work where a file's words rule a finding out (BLY303 judges an
# `if` only in a file that names a capability query; BLY403, outside a teacher module, only
# an update in a file that spells the teacher regex's word). Each case would be lost, or a
# guard missed, if the precheck read the file's words too narrowly.
GUARDED_LOAD = (
    "import torch\nfrom transformers import AutoModelForCausalLM\n\n"
    "{imports}if {query}()[0] < 8:\n    raise RuntimeError('BF16 needs an Ampere GPU (compute capability 8.0+)')\n"
    "model = AutoModelForCausalLM.from_pretrained('m', torch_dtype=torch.bfloat16)\n"
)


@pytest.mark.parametrize(
    ("imports", "query"),
    [
        ("", "torch.cuda.get_device_capability"),
        ("", "torch.cuda.\uff47et_device_capability"),  # NFKC: the attribute is `get_device_capability`
        ("from torch.cuda import get_device_capability as cap\n", "cap"),
    ],
    ids=["plain", "NFKC identifier", "alias"],
)
def test_a_capability_guard_is_seen_in_every_spelling(imports, query):
    source = GUARDED_LOAD.format(imports=imports, query=query).encode("utf-8")
    assert "BLY303" not in [f.code for f in check_python("load.py", source, SETTINGS, RULES)]
    unguarded = GUARDED_LOAD.format(imports="", query="torch.cuda.other_query").encode("utf-8")
    assert "BLY303" in [f.code for f in check_python("load.py", unguarded, SETTINGS, RULES)]


@pytest.mark.parametrize(
    ("source", "settings"),
    [
        ("def fit(teacher):\n    teacher.train()\n", SETTINGS),
        ("def fit(TEACHER):\n    TEACHER.train()\n", SETTINGS),
        ("def fit(\uff54eacher):\n    \uff54eacher.train()\n", SETTINGS),  # NFKC: the name is `teacher`
        ("def fit(t_model):\n    t_model.train()\n", Settings(root=os.getcwd(), teacher_name_regex="^t_")),
    ],
    ids=["plain", "upper case", "NFKC identifier", "custom regex"],
)
def test_a_teacher_update_is_found_in_every_spelling_of_its_name(source, settings):
    assert "BLY403" in [f.code for f in check_python("fit.py", source.encode("utf-8"), settings, RULES)]
