"""The fuzzing oracle `unbound_loads` (tests/unbound_names.py) on programs whose answer
Python's scoping rules decide: each name listed raises NameError or UnboundLocalError where
it is read."""

from __future__ import annotations

import pytest

from .unbound_names import unbound_loads

CASES = {
    "module level, import after the use": ("y = t.to(torch.bfloat16)\nimport torch\n", {"t": 1, "torch": 1}),
    "module level, import before the use": ("import torch\ny = torch.bfloat16\n", {}),
    "function body, module import after the function": ("def f(t):\n    return torch.x\n\n\nimport torch\n", {}),
    "alias imported in another function": (
        "def g():\n    import torch as th\n    return th\n\ndef f(t):\n    return th.bfloat16\n",
        {"th": 1},
    ),
    "function local read before its import": (
        "import torch\ndef f():\n    y = torch.x\n    import torch\n",
        {"torch": 1},
    ),
    "class body falls back to the module": ("import torch\nclass K:\n    y = torch.x\n    import torch\n", {}),
    "class body without a module binding": ("class K:\n    y = torch.x\n    import torch\n", {"torch": 1}),
    "method does not see the class body": ("class K:\n    a = 1\n    def m(self):\n        return a\n", {"a": 1}),
    "closure over the enclosing function": ("def g():\n    import torch as tt\n    def h():\n        return tt\n", {}),
    "augmented assignment reads first": ("n += 1\n", {"n": 1}),
    "loop, with, except and walrus targets": (
        "for i in r:\n    i\nwith c as f:\n    f\ntry:\n    pass\nexcept E as e:\n    e\nif (w := 1):\n    w\n",
        {"r": 1, "c": 1, "E": 1},
    ),
    "comprehension targets are their own": ("z = [q for q in items if q]\nq\n", {"items": 1, "q": 1}),
    "match captures": ("match v:\n    case [a, *rest]:\n        a, rest\n", {"v": 1}),
}


@pytest.mark.parametrize("name", CASES)
def test_unbound_loads(name):
    source, expected = CASES[name]
    assert dict(unbound_loads(source)) == expected
