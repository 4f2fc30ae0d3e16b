"""A fix whose meaning cannot be kept is not offered; one that is offered keeps it (issue 13, defect 6)."""

from __future__ import annotations

import pytest

from blyan_lint.api import Overrides, fix_file

HEAD = "import torch\n\n\n"


def fixed(source: str, unsafe: bool = True) -> str:
    outcome = fix_file("m.py", Overrides(), unsafe, write=False, source=source.encode())
    assert outcome.error is None, outcome.error
    text = outcome.result.text if outcome.changed else source
    compile(text, "m.py", "exec")
    return text


SCALER = (
    "def train(model, loss_of, opt_a, opt_b, use_a, opts):\n"
    "    scaler = torch.cuda.amp.GradScaler()\n"
    "    scaler.scale({loss}).backward()\n"
    "    scaler.step({optimizer})\n"
    "    scaler.update()\n"
)


@pytest.mark.parametrize(
    ("loss", "optimizer", "after"),
    [
        ("loss", "opt_a if use_a else opt_b", "    (opt_a if use_a else opt_b).step()\n"),
        ("a + b", "opt_a", "    (a + b).backward()\n"),
        ("loss", "self.\\\n        opt", None),
    ],
)
def test_scaler_removal_keeps_the_receiver_whole(loss, optimizer, after):
    text = fixed(HEAD + SCALER.format(loss=loss, optimizer=optimizer))
    assert "scaler" not in text
    if after is not None:
        assert after in text


def test_no_scaler_fix_for_a_starred_optimizer():
    source = HEAD + SCALER.format(loss="loss", optimizer="*opts")
    assert fixed(source) == source, "`*opts.step()` parses but is no program: not offered"


@pytest.mark.parametrize(
    "test",
    [
        "torch.cuda.is_available() and ok",
        "ok and torch.cuda.is_available()",
        "torch.cuda.is_available() or force",
        "torch.cuda.is_available() and torch.cuda.device_count() > n",
    ],
)
def test_cpu_fallback_collapse_never_drops_a_condition(test):
    source = HEAD + f'device = "cuda" if {test} else "cpu"\n'
    assert fixed(source) == source


@pytest.mark.parametrize(
    "test",
    ["torch.cuda.is_available()", "not not torch.cuda.is_available()", "torch.cuda.device_count() > 0"],
)
def test_cpu_fallback_collapse_on_pure_hardware_queries(test):
    assert fixed(HEAD + f'device = "cuda" if {test} else "cpu"\n') == HEAD + 'device = "cuda"\n'


@pytest.mark.parametrize(
    "line",
    ["y = t.float().numpy()\n", "y = np.asarray(t.half())\n", "y = t.to(torch.float32).numpy()\n"],
)
def test_no_bf16_cast_fix_where_numpy_takes_the_result(line):
    source = HEAD + "import numpy as np\n" + line
    assert fixed(source) == source, "NumPy has no bfloat16: .to(torch.bfloat16).numpy() would raise"


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    import torch\nexcept ImportError:\n    pass\n\n\ndef f(model):\n    return model.half()\n",
        "def load():\n    import torch\n\n    return torch.nn.Linear(1, 1)\n\n\nmodel = load().half()\n",
    ],
)
def test_no_unconditional_import_for_a_module_that_imports_torch_conditionally(source):
    text = fixed(source, unsafe=True)
    assert "\nimport torch\n" not in "\n" + text.split("def")[0], "no module-level import added"


def test_a_file_that_does_not_compile_as_it_is_is_reported_as_such():
    """It parses, so it is checked, but `global` after a binding never compiled: the refusal
    names the file's own error, not the fix."""
    source = HEAD + "x = 1\nglobal x\ny = torch.zeros(2, dtype=torch.float16)\n"
    outcome = fix_file("m.py", Overrides(), False, write=False, source=source.encode())
    assert outcome.error is not None
    assert "does not compile as it is" in outcome.error and "global" in outcome.error


def test_one_fix_run_reaches_what_a_second_would_when_a_fix_lifts_the_condition():
    """Unwrapping the autocast makes `import torch` unconditional, so the cast fix becomes
    allowed in the same run (found by fuzzing, seed 523). Kept out of `fixtures/fixes/`: the
    per-family codemods run BLY1xx before BLY2xx, so they need a second run for this chain."""
    source = 'y = t.half()\nwith torch.autocast("cuda", dtype=torch.float16):\n    import torch\n\n    out = model(y)\n'
    once = fixed(source, unsafe=True)
    # the cast runs before the file's own `import torch`: the fix imports it first
    assert once == "import torch\ny = t.to(torch.bfloat16)\nimport torch\n\nout = model(y)\n"
    assert fixed(once, unsafe=True) == once
