"""The semantic model: one follow() for every rule, safe on any binding chain, and the same
verdict whether a value travels through a local name, a `self.` attribute or a tuple."""

from __future__ import annotations

import ast
import textwrap

import pytest

from blyan_lint.api import Overrides, check_file
from blyan_lint.bindings import MAX_HOPS
from blyan_lint.names import SemanticModel


def lint(tmp_path, text):
    path = tmp_path / "example.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return check_file(str(path), Overrides())


def codes(tmp_path, text):
    return sorted((f.start.line, f.code) for f in lint(tmp_path, text))


def _chain(n, name="a", attr=False):
    prefix = "self." if attr else ""
    lines = [f"    {prefix}{name}0 = torch.float16"]
    lines += [f"    {prefix}{name}{i} = {prefix}{name}{i - 1}" for i in range(1, n)]
    return "\n".join(lines), f"{prefix}{name}{n - 1}"


CYCLES = {
    "names": "def f():\n    a = b\n    b = a\n    return torch.zeros(1).to(a)\n",
    "self-reference": "def f(x):\n    x = x\n    x = x.to(x)\n    return x\n",
    "attributes": (
        "class A:\n    def f(self):\n        self.a = self.b\n        self.b = self.a\n"
        "        return self.m.to(self.a)\n"
    ),
    "tuple swap": "def f(a, b):\n" + "    a, b = b, a\n" * 300 + "    return torch.zeros(1).to(a).to(b)\n",
    "unpacked call": "def f():\n" + "    a, b = g(a, b)\n" * 300 + "    return torch.zeros(1).to(a)\n",
    "loop": "def f(xs):\n    d = None\n    for d in xs:\n        d = d\n    return torch.zeros(1).to(d)\n",
    "walrus": "def f():\n    while (d := d):\n        pass\n    return torch.zeros(1).to(d)\n",
    "module level": "a = b\nb = a\nx = torch.zeros(1).to(a)\n",
    "device": "def f(m):\n    d = d\n    m = m.to(d)\n    return m.cpu()\n",
}


@pytest.mark.parametrize("body", CYCLES.values(), ids=CYCLES.keys())
def test_cyclic_and_self_referential_bindings_check_cleanly(tmp_path, body):
    found = lint(tmp_path, "import torch\n\n" + body)
    assert [f for f in found if f.code == "BLY000"] == []


@pytest.mark.parametrize("attr", [False, True], ids=["names", "attributes"])
def test_chains_of_hundreds_of_hops_are_left_unresolved(tmp_path, attr):
    chain, last = _chain(500, attr=attr)
    text = f"import torch\n\nclass A:\n  def f(self, m):\n{textwrap.indent(chain, '  ')}\n      return m.to({last})\n"
    found = lint(tmp_path, text)
    assert [f.code for f in found if f.code == "BLY000"] == []
    assert [f for f in found if f.code == "BLY102"] == []  # beyond the hop limit: unresolved, not guessed
    assert len([f for f in found if f.code == "BLY101"]) == 1  # the float16 itself


def test_a_chain_within_the_hop_limit_is_followed(tmp_path):
    chain, last = _chain(MAX_HOPS)
    found = lint(tmp_path, f"import torch\n\ndef f(m):\n{chain}\n    return m.to({last})\n")
    cast = [f for f in found if f.code == "BLY102"]
    assert len(cast) == 1 and f"(`{last}` is `torch.float16`, line 4)" in cast[0].message


def test_position_aware_lookup_reads_the_old_binding_on_the_right_hand_side():
    tree = ast.parse("x = 1\nx = x + 1\ny = x\n")
    model = SemanticModel()
    for stmt in tree.body:
        model.bind_statement(stmt)
    rhs = tree.body[1].value.left  # the `x` in `x + 1`
    assert model.follow(rhs).value.value == 1  # type: ignore[attr-defined]
    assert isinstance(model.follow(tree.body[2].value).value, ast.BinOp)


def test_parameters_shadow_module_bindings_and_defaults_follow_only_on_request(tmp_path):
    text = """\
        import torch
        dt = torch.float16
        def f(m, dt):
            return m.to(dt)
        def g(m, dt=torch.float32):
            return m.to(dt)
    """
    assert [c for c in codes(tmp_path, text) if c[1] == "BLY102"] == []
    tree = ast.parse(textwrap.dedent(text))
    model = SemanticModel()
    g = tree.body[-1]
    model.enter_function(g)
    use = g.body[0].value.args[0]
    assert not model.follow(use).known
    assert model.qualified_name(model.follow(use, defaults=True).value) == "torch.float32"


# -- producer(): back through bindings and methods that return their receiver ----------


def _function_model(text):
    """The model as the walk leaves it at the end of the only function in `text` (module
    statements and the function's own bound in order), and the value it returns."""
    tree = ast.parse(textwrap.dedent(text))
    model = SemanticModel()
    function = None
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            function = stmt
        else:
            model.bind_statement(stmt)
    model.enter_function(function)
    for stmt in function.body:
        model.bind_statement(stmt)
    return model, function.body[-1].value


def _spelled(produced):
    return [name for name, _ in produced.via]


def test_producer_goes_back_through_names_attributes_and_module_methods():
    model, returned = _function_model("""\
        def f(self, name):
            loaded = AutoModel.from_pretrained(name)
            self.model = loaded.eval().to("cuda")
            ready = self.model.train()
            return ready
    """)
    produced = model.producer(returned)
    assert isinstance(produced.value, ast.Call) and produced.value.func.attr == "from_pretrained"
    assert _spelled(produced) == ["ready", "self.model", "loaded"] and produced.known
    assert isinstance(model.follow(returned).value, ast.Call)  # follow() stops at `self.model.train()`
    assert model.follow(returned).value.func.attr == "train"
    assert model.producer(returned, through=frozenset()) == model.follow(returned)


def test_the_hop_limit_counts_bindings_not_method_calls():
    rebound = "\n".join(["    model = model.eval().train()"] * (MAX_HOPS - 1))
    model, returned = _function_model(f"def f():\n    model = load()\n{rebound}\n    return model\n")
    produced = model.producer(returned)
    assert isinstance(produced.value, ast.Call) and produced.value.func.id == "load"
    assert len(produced.via) == MAX_HOPS
    chain = "\n".join(f"    a{i} = a{i - 1}" for i in range(1, MAX_HOPS + 1))
    model, returned = _function_model(f"def f():\n    a0 = load()\n{chain}\n    return a{MAX_HOPS}\n")
    produced = model.producer(returned)
    assert isinstance(produced.value, ast.Name) and produced.value.id == "a0"  # the limit: a0 is not followed
    assert len(produced.via) == MAX_HOPS


def test_producer_stops_at_what_it_cannot_follow():
    model, returned = _function_model("def f(x):\n    x = x.eval()\n    y = x\n    return y.cpu()\n")
    produced = model.producer(returned)
    assert isinstance(produced.value, ast.Name) and produced.value.id == "x" and not produced.known
    assert _spelled(produced) == ["y", "x"]
    model, returned = _function_model("def f():\n    a = b\n    b = a\n    return a.eval()\n")
    produced = model.producer(returned)
    assert isinstance(produced.value, ast.Name) and produced.value.id == "b" and produced.known
    assert _spelled(produced) == ["a"]


def test_producer_in_the_same_frame_only_and_through_other_methods():
    model, returned = _function_model("m = load()\ndef f():\n    return m.eval()\n")
    assert isinstance(model.producer(returned).value, ast.Call)
    assert isinstance(model.producer(returned, same_frame=True).value, ast.Name)
    model, returned = _function_model("def f(d):\n    p = torch.arange(3).unsqueeze(0)\n    return p.to(d).long()\n")
    assert model.producer(returned).value.func.attr == "long"  # `.long()` keeps data, not a module
    data = frozenset({"to", "long", "unsqueeze"})
    assert model.producer(returned, through=data).value.func.attr == "arange"


# -- the same value through a local, a `self.` attribute or a tuple: the same verdict ------

SAME_VERDICT = {
    "BLY102": (
        "import torch\n\nclass A:\n    def f(self, model):\n        {bind} torch.float16\n        model.to({use})\n",
        6,
    ),
    "BLY302": (
        "from transformers import AutoModelForCausalLM\n\nclass A:\n    def f(self):\n"
        "        {bind} 'cpu'\n        model = AutoModelForCausalLM.from_pretrained('m')\n"
        "        return model.to({use})\n",
        7,
    ),
    "BLY301": (
        "import torch\n\nclass A:\n    def f(self):\n        {bind} torch.cuda.is_available()\n"
        "        return 'cuda' if {use} else 'cpu'\n",
        6,
    ),
}
SPELLINGS = {
    "local": ("value =", "value"),
    "attribute": ("self.value =", "self.value"),
    "tuple": ("value, other = None, None\n        other, value = None,", "value"),
    "attribute tuple": ("self.other, self.value = None,", "self.value"),
}


@pytest.mark.parametrize("code", SAME_VERDICT)
@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLINGS.keys())
def test_locals_attributes_and_tuples_give_the_same_verdict(tmp_path, code, spelling):
    template, line = SAME_VERDICT[code]
    bind, use = SPELLINGS[spelling]
    text = template.format(bind=bind, use=use)
    found = [f for f in lint(tmp_path, text) if f.code == code]
    assert [f.start.line for f in found] == [line + bind.count("\n")], text  # the tuple variant adds a line


def test_a_model_kept_in_a_self_attribute_is_the_loaded_model(tmp_path):
    text = """\
        from transformers import AutoModelForCausalLM
        class Node:
            def start(self):
                self.model = AutoModelForCausalLM.from_pretrained("m")
                self.model.cpu()
    """
    found = [f for f in lint(tmp_path, text) if f.code == "BLY302"]
    assert len(found) == 1 and found[0].facts.model_line == 4


# -- rules declare what they watch; the engine derives the rest ------------------------

DECLARATIVE_MODULES = ("blyan_lint.rules.precision", "blyan_lint.rules.mixed", "blyan_lint.rules.quantization")


def _declarative_rules():
    from blyan_lint import registry

    return [
        rule
        for rule in registry.all_rules().values()
        if rule.__module__.startswith(DECLARATIVE_MODULES) or rule.__module__.startswith("blyan_lint.rules.hardware")
    ]


def test_rules_keep_no_hand_written_dispatch_or_trigger_lists():
    import inspect

    for rule in _declarative_rules():
        source = inspect.getsource(rule)
        for derived in ("node_types =", "names =", "triggers =", "def check("):
            assert f"    {derived}" not in source, f"{rule.code} writes {derived!r} by hand"
        assert rule.node_types, rule.code
        for node_type in rule.node_types:
            assert callable(getattr(rule, f"visit_{node_type.__name__}")), rule.code


def test_trigger_words_come_from_the_declarations():
    from blyan_lint.rules.base import last_segments, trigger_words

    for rule in _declarative_rules():
        words = rule.strings or {*last_segments(rule.watches), *(f".{m}" for m in rule.methods)}
        assert rule.triggers == trigger_words(words), rule.code
        if rule.watches or rule.methods:
            assert rule.names == last_segments(rule.watches) | rule.methods, rule.code


def test_trigger_words_are_the_fewest_that_find_the_same_files():
    from blyan_lint.rules.base import spellings, trigger_words

    assert trigger_words(["float16", "float", "fp16", "torch.float16", ""]) == ("float", "fp16")
    assert {"int4", "Int4", "INT4"} <= spellings(["int4"])


def test_the_engine_hands_a_rule_only_what_it_declared(tmp_path):
    from blyan_lint.config import Settings
    from blyan_lint.engine import check_python
    from blyan_lint.rules.base import Rule

    seen = []

    class Probe(Rule):
        code, name = "BLY999", "probe"
        summary = policy = why = example = fixed = ""
        watches = frozenset({"torch.zeros"})
        keywords = frozenset({"dtype"})

        def visit_Call(self, node, ctx):
            seen.append(("call", ctx.qualified(node.func)))
            return iter(())

        def visit_keyword(self, node, ctx):
            seen.append(("keyword", node.arg))
            return iter(())

    assert Probe.node_types == (ast.Call, ast.keyword) and Probe.triggers == ("zeros",)
    source = b"import torch\nx = torch.zeros(1, dtype=d, out=None)\ny = torch.ones(2, dtype=d)\nprint(x)\n"
    check_python(str(tmp_path / "a.py"), source, Settings(root=str(tmp_path)), [Probe()])
    assert seen == [("call", "torch.zeros"), ("keyword", "dtype"), ("keyword", "dtype")]
    seen.clear()
    check_python(str(tmp_path / "b.py"), b"import torch\nx = torch.ones(1)\n", Settings(root=str(tmp_path)), [Probe()])
    assert seen == []  # no `zeros` in the file: the prefilter skips the walk


def test_source_reads_exactly_what_ast_get_source_segment_reads():
    from blyan_lint.config import Settings
    from blyan_lint.context import Context
    from blyan_lint.findings import STUDENT_DEFAULT
    from blyan_lint.sources import split_lines

    text = 'é = "ünï"  # ß\r\nx = f(\r\n    "ö", [1,\r\n  2])\r\ny = {"k": é}\n'
    lines = split_lines(text)
    ctx = Context("a.py", lines, Settings(root="."), STUDENT_DEFAULT)
    tree = ast.parse(text)
    joined = "\n".join(lines)
    nodes = [n for n in ast.walk(tree) if hasattr(n, "end_col_offset")]
    assert len(nodes) > 10
    for node in nodes:
        assert ctx.source(node) == (ast.get_source_segment(joined, node) or "")
