"""BLY4xx: quantization and teacher models (policy: "EXCEPTION: Teacher Models").

INT8 is the one exception to BF16, and only for frozen teacher models (BLY401 is dropped in
teacher scope by the engine). Every other quantized format is banned everywhere (BLY402), and
a teacher must never be updated (BLY403).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import ClassVar, NamedTuple

from ..context import Context
from ..data import engines
from ..data import names as tables
from ..facts import Facts, LoadFacts, QuantizationFacts, TeacherUpdateFacts
from ..names import dotted_text, has_star_kwargs, keyword, string_value
from ._common import method_span
from ._engines import engine_name, quantization_reports
from ._loads import load_facts
from .base import Report, Rule, last_segments, spellings

INT8 = "int8"
UNSUPPORTED = "unsupported"

_TEACHER_ONLY = (
    "the policy allows INT8 only in teacher code, marked with `# blyan-lint: teacher`; students, inference and "
    "training use BF16"
)
_NOWHERE = "the policy allows no 4-bit, GPTQ, AWQ or FP8 anywhere, teachers included: use BF16 (INT8 for teachers)"
_FROZEN = "teachers are frozen checkpoints used only for validation"
_NO_GRAD = "run the teacher under `torch.no_grad()` with `requires_grad_(False)` and optimize only the student"

# -- shared: literal values ---------------------------------------------------------------

_UNKNOWN = object()


def _value(ctx: Context, node: ast.expr | None) -> object:
    """The constant an expression is, through local bindings; `_UNKNOWN` otherwise."""
    if node is None:
        return _UNKNOWN
    is_literal, value, _ = ctx.constant(node)
    return value if is_literal else _UNKNOWN


def _is_true(ctx: Context, node: ast.expr | None) -> bool:
    return _value(ctx, node) is True


def _string(ctx: Context, node: ast.expr | None) -> str | None:
    value = _value(ctx, node)
    return value if isinstance(value, str) else None


def _bound_note(ctx: Context, node: ast.expr) -> str:
    """` (`flag` is `True`, line 3)` when a literal came through a local name."""
    is_literal, _, note = ctx.constant(node)
    return note if is_literal else ""


# -- shared: what a name or string quantizes to -------------------------------------------


def _marker_kind(text: str) -> tuple[str, str] | None:
    """(kind, format) from the markers in a name or quantization-type string: (UNSUPPORTED, "4-bit")."""
    lowered = text.lower()
    for marker in tables.UNSUPPORTED_QUANT_MARKERS:
        if marker in lowered:
            return UNSUPPORTED, tables.QUANT_MARKER_LABELS.get(marker, "low-bit")
    if any(marker in lowered for marker in tables.INT8_MARKERS):
        return INT8, "INT8"
    return None


def _name_kind(qualified: str | None) -> tuple[str, str] | None:
    """(kind, what it is) for a library name that is quantization machinery, else None."""
    if qualified is None:
        return None
    if qualified in tables.INT8_DTYPES:
        return INT8, "an INT8 quantized dtype"
    if qualified in tables.FP8_DTYPES:
        return UNSUPPORTED, "an FP8 dtype"
    if qualified in tables.LOW_BIT_DTYPES:
        return UNSUPPORTED, "a sub-8-bit quantized dtype"
    if qualified in tables.INT8_CLASSES or qualified in tables.EETQ_CONFIG:
        return INT8, "INT8 quantization"
    if qualified.startswith(tables.INT8_MODULE_PREFIXES):
        return INT8, "INT8 quantization"
    last = qualified.rsplit(".", 1)[-1]
    if qualified in tables.FOUR_BIT_CLASSES or qualified in tables.UNSUPPORTED_QUANT_CONFIGS:
        found = _marker_kind(last)
        if found is None:
            method = next((m for m in tables.QUANT_METHOD_NAMES if m.lower() in last.lower()), None)
            found = UNSUPPORTED, method or last.removesuffix("Config")
        return found[0], f"{found[1]} quantization"
    if qualified.startswith(tables.QUANT_LIBRARY_PREFIXES):
        found = _marker_kind(last)
        return (found[0], f"{found[1]} quantization") if found is not None else None
    return None


# -- shared: findings, tagged with the rule they belong to --------------------------------


class _QuantizationRule(Rule):
    """BLY401 and BLY402 judge the same constructs; each reports the findings of its kind."""

    kind: ClassVar[str]

    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._mine(_reference(node, ctx))

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._mine(_reference(node, ctx))

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        engine = engine_name(ctx, node)
        if engine is not None:  # vLLM / SGLang: `quantization=` and `kv_cache_dtype=` (catalog 1.1)
            yield from self._mine(quantization_reports(ctx, node, engine))
        if any(_switch_name(kw.arg) for kw in node.keywords):
            load = load_facts(ctx, node) if ctx.names.is_load(node) else None
            yield from self._mine(_entries(_call_entries(node), ctx, load))
        yield from self._mine(_call(node, ctx))

    def visit_Dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        if any(_switch_name(string_value(k)) for k in node.keys):  # type: ignore[arg-type]
            yield from self._mine(_entries(_dict_entries(node), ctx, None))

    def _mine(self, found: Iterator[tuple[str, Report]]) -> Iterator[Report]:
        return (report for kind, report in found if kind == self.kind)


# What a finding of each kind cannot exist without: a marker or a name from the tables.
_INT8_WORDS = frozenset(
    {
        *spellings(tables.INT8_MARKERS),
        *last_segments(tables.INT8_CLASSES | tables.INT8_DTYPES | tables.EETQ_CONFIG),
        *last_segments(tables.QUANTO_CONFIG | tables.TORCHAO_CONFIG),
        *last_segments(tables.INT8_MODULE_PREFIXES),
        *tables.INT8_OPTIMIZER_STRINGS,
        *engines.INT8_QUANTIZATIONS,
        tables.INT8_KEYWORD,
        tables.OPTIM_BITS_KEYWORD,
    }
)
_UNSUPPORTED_WORDS = frozenset(
    {
        *spellings(tables.UNSUPPORTED_QUANT_MARKERS),
        *last_segments(tables.FOUR_BIT_CLASSES | tables.UNSUPPORTED_QUANT_CONFIGS),
        *last_segments(tables.FP8_DTYPES | tables.LOW_BIT_DTYPES),
        *last_segments(tables.QUANTO_CONFIG | tables.TORCHAO_CONFIG),
        *tables.FOUR_BIT_OPTIMIZER_STRINGS,
        f"{engines.QUANTIZATION_KEYWORD}=",
        engines.KV_CACHE_KEYWORD,
        tables.FOUR_BIT_KEYWORD,
        tables.FOUR_BIT_KEYWORD_PREFIX,
    }
)


_SWITCHES = frozenset({tables.INT8_KEYWORD, tables.FOUR_BIT_KEYWORD, *tables.OPTIMIZER_STRING_KEYWORDS})


def _switch_name(name: str | None) -> bool:
    """Is this keyword (or dict key) one `_entries` judges? Most calls have none."""
    return name is not None and (name in _SWITCHES or name.startswith(tables.FOUR_BIT_KEYWORD_PREFIX))


def _reference(node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[tuple[str, Report]]:
    if not isinstance(node.ctx, ast.Load):
        return
    qualified = ctx.qualified(node)
    found = _name_kind(qualified)
    if found is None or qualified is None:
        return
    parent = ctx.parent
    if isinstance(parent, ast.Attribute) and parent.value is node and _name_kind(ctx.qualified(parent)) is not None:
        return  # the longer name (`torch.ao.quantization.quantize_fx.prepare_fx`) reports
    if ctx.is_inspection(node):
        return  # `isinstance(m, bnb.nn.Linear4bit)` checks for it, it does not quantize
    call = parent if isinstance(parent, ast.Call) and parent.func is node else None
    if call is not None:
        if qualified in tables.DEQUANTIZING_CONFIGS:
            dequantize = keyword(call, tables.DEQUANTIZE_KEYWORD)
            if dequantize is not None and _is_true(ctx, dequantize.value):
                return  # `Mxfp4Config(dequantize=True)` unpacks the weights to the load's dtype
        if qualified in tables.BIT_WIDTH_CONFIGS:
            bits = _argument(call, 0, tables.BIT_WIDTH_CONFIGS[qualified])
            value = bits.value if isinstance(bits, ast.keyword) else bits
            if value is not None and _value(ctx, value) == tables.INT8_BITS:  # type: ignore[arg-type]
                found = INT8, f"8-bit {qualified.rsplit('.', 1)[-1].removesuffix('Config')} (INT8) quantization"
    kind, label = found
    written = dotted_text(node) or qualified
    aka = "" if written == qualified else f" (`{qualified}`)"
    remedy = _TEACHER_ONLY if kind == INT8 else _NOWHERE
    facts = QuantizationFacts(label, kind == INT8, "reference", qualified, None, None)
    yield kind, ctx.report(node, f"`{written}`{aka} is {label}; {remedy}", facts=facts)


class _Entry(NamedTuple):
    """A keyword argument or a string-keyed dict item."""

    name: str
    value: ast.expr
    first: ast.AST  # the span reported: the keyword, or the key through the value
    last: ast.AST

    def text(self, ctx: Context) -> str:
        if isinstance(self.first, ast.keyword):
            return f"{self.name}={ctx.source(self.value)}"
        return f'"{self.name}": {ctx.source(self.value)}'


def _call_entries(node: ast.Call) -> list[_Entry]:
    return [_Entry(kw.arg, kw.value, kw, kw) for kw in node.keywords if kw.arg is not None]


def _dict_entries(node: ast.Dict) -> list[_Entry]:
    entries: list[_Entry] = []
    for key, value in zip(node.keys, node.values, strict=True):
        text = string_value(key)  # type: ignore[arg-type]
        if text is not None and key is not None:
            entries.append(_Entry(text, value, key, value))
    return entries


def _at(kind: str, ctx: Context, first: ast.AST, last: ast.AST, message: str, facts: Facts) -> tuple[str, Report]:
    return kind, ctx.report_span(first, last, message, facts=facts)


def _entry_facts(ctx: Context, entry: _Entry, label: str, kind: str, form: str, load: LoadFacts | None) -> Facts:
    if form != "optimizer":
        form = "keyword" if isinstance(entry.first, ast.keyword) else "dict entry"
    return QuantizationFacts(label, kind == INT8, form, entry.name, ctx.resolve(entry.value), load)


def _entries(entries: list[_Entry], ctx: Context, load: LoadFacts | None) -> Iterator[tuple[str, Report]]:
    """Loader switches (`load_in_8bit`, `load_in_4bit`, `bnb_4bit_*`) and `optim=` strings."""
    by_name = {entry.name: entry for entry in entries}
    eight = by_name.get(tables.INT8_KEYWORD)
    eight_on = eight is not None and _is_true(ctx, eight.value)
    if eight is not None and eight_on:
        note = _bound_note(ctx, eight.value)
        message = f"`{eight.text(ctx)}`{note} loads the model in INT8; {_TEACHER_ONLY}"
        yield _at(INT8, ctx, eight.first, eight.last, message, _entry_facts(ctx, eight, "INT8", INT8, "", load))
    four = by_name.get(tables.FOUR_BIT_KEYWORD)
    options = [entry for entry in entries if entry.name.startswith(tables.FOUR_BIT_KEYWORD_PREFIX)]
    if four is not None:
        value = _value(ctx, four.value)
        # Passed to a call, any value but a false literal counts (`load_in_4bit=args.bits == 4`
        # loads 4-bit whenever it is true); a dict entry only with its 4-bit options beside it.
        passed = isinstance(four.first, ast.keyword)
        if value is True or (value is _UNKNOWN and (passed or options)):
            if value is True:
                how = "loads the model in 4-bit"
            elif options:
                how = f"with `{options[0].name}` configures a 4-bit load"
            else:
                how = "loads the model in 4-bit whenever the value is true"
            message = f"`{four.text(ctx)}`{_bound_note(ctx, four.value)} {how}; {_NOWHERE}"
            facts = _entry_facts(ctx, four, "4-bit", UNSUPPORTED, "", load)
            yield _at(UNSUPPORTED, ctx, four.first, four.last, message, facts)
    elif options and not eight_on:  # with load_in_8bit=True the 4-bit options are inert
        first = options[0]
        message = f"`{first.text(ctx)}` configures 4-bit bitsandbytes quantization; {_NOWHERE}"
        facts = _entry_facts(ctx, first, "4-bit", UNSUPPORTED, "", load)
        yield _at(UNSUPPORTED, ctx, first.first, first.last, message, facts)
    for entry in entries:
        if entry.name not in tables.OPTIMIZER_STRING_KEYWORDS:
            continue
        text = _string(ctx, entry.value)
        if text in tables.INT8_OPTIMIZER_STRINGS:
            message = f'`{entry.name}="{text}"` keeps the optimizer state in 8-bit; {_TEACHER_ONLY}'
            facts = _entry_facts(ctx, entry, "INT8", INT8, "optimizer", load)
            yield _at(INT8, ctx, entry.first, entry.last, message, facts)
        elif text in tables.FOUR_BIT_OPTIMIZER_STRINGS:
            message = f'`{entry.name}="{text}"` keeps the optimizer state in 4-bit; {_NOWHERE}'
            facts = _entry_facts(ctx, entry, "4-bit", UNSUPPORTED, "optimizer", load)
            yield _at(UNSUPPORTED, ctx, entry.first, entry.last, message, facts)


def _call(node: ast.Call, ctx: Context) -> Iterator[tuple[str, Report]]:
    """Configs whose format is an argument: QuantoConfig, TorchAoConfig, bnb `optim_bits=8`."""
    qualified = ctx.qualified(node.func)
    if qualified is None:
        return
    spelled = dotted_text(node.func) or qualified
    if qualified in tables.QUANTO_CONFIG:
        weights = _argument(node, 0, "weights")
        if weights is not None:
            yield from _quant_type(ctx, node, spelled, "weights", weights)
        elif not node.args and not has_star_kwargs(node):
            message = f"`{spelled}()` quantizes weights to INT8 (the default `weights`); {_TEACHER_ONLY}"
            facts = QuantizationFacts("INT8", True, "config", qualified, None, None)
            yield _at(INT8, ctx, node, node, message, facts)
        activations = _argument(node, 1, "activations")
        if activations is not None:
            yield from _quant_type(ctx, node, spelled, "activations", activations)
    elif qualified in tables.TORCHAO_CONFIG:
        quant_type = _argument(node, 0, "quant_type")
        if quant_type is not None:
            yield from _quant_type(ctx, node, spelled, "quant_type", quant_type)
    elif qualified.startswith(tables.BNB_OPTIM_PREFIX):
        bits = keyword(node, tables.OPTIM_BITS_KEYWORD)
        if bits is not None and _value(ctx, bits.value) == 8:
            message = f"`{spelled}(..., {bits.arg}=8)` keeps the optimizer state in 8-bit; {_TEACHER_ONLY}"
            facts = QuantizationFacts("INT8", True, "optimizer", qualified, ctx.resolve(bits.value), None)
            yield _at(INT8, ctx, bits, bits, message, facts)


def _argument(node: ast.Call, position: int, name: str) -> ast.AST | None:
    """The keyword `name` (reported as the whole keyword) or the positional argument."""
    kw = keyword(node, name)
    if kw is not None:
        return kw
    starred = any(isinstance(arg, ast.Starred) for arg in node.args[: position + 1])
    if len(node.args) > position and not starred:
        return node.args[position]
    return None


def _quant_type(ctx: Context, node: ast.Call, spelled: str, what: str, arg: ast.AST) -> Iterator[tuple[str, Report]]:
    """`weights="int4"`, `TorchAoConfig("int8_weight_only")`: a quantization type given as a string."""
    value = arg.value if isinstance(arg, ast.keyword) else arg
    text = _string(ctx, value)  # type: ignore[arg-type]
    if text is None:
        return  # a config object (`Int4WeightOnlyConfig()`) is judged where it is named
    found = _marker_kind(text)
    if found is None:
        return
    kind, label = found
    written = f'{what}="{text}"' if isinstance(arg, ast.keyword) else f'"{text}"'
    target = "" if what == "quant_type" else f" the {what}"
    remedy = _TEACHER_ONLY if kind == INT8 else _NOWHERE
    facts = QuantizationFacts(
        label, kind == INT8, "config", ctx.qualified(node.func) or spelled, ctx.resolve(value), None
    )
    yield kind, ctx.report(arg, f"`{spelled}({written})` quantizes{target} to {label}; {remedy}", facts=facts)


class Int8OutsideTeacher(_QuantizationRule):
    code = "BLY401"
    name = "int8-outside-teacher"
    summary = (
        "INT8 quantization outside teacher code: `load_in_8bit=True`, bitsandbytes 8-bit layers and optimizers, "
        "`torch.ao.quantization`, `torch.qint8`, INT8 Quanto/TorchAO/EETQ configs, 8-bit `optim=` strings."
    )
    policy = (
        "EXCEPTION: Teacher Models: Teacher models are the ONLY exception to the BF16 rule. [...] Teacher models "
        "MUST be clearly marked as INT8 in code. Student Models, Inference Models, Learning/Training: BF16."
    )
    why = (
        "INT8 rounds weights and activations differently from BF16, so a student or inference node running INT8 "
        "no longer produces the outputs every other node produces. Only a frozen teacher that gates quality may "
        "run INT8, and the policy wants that exception visible: put the teacher code in a module carrying "
        "`# blyan-lint: teacher` (or under a teacher path, or in a class or function named after the teacher), "
        "where this rule does not apply. `isinstance` checks against INT8 layer classes only inspect and are "
        "not flagged."
    )
    example = (
        "from transformers import AutoModelForCausalLM\n\n"
        "student = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18", load_in_8bit=True, device_map="auto"\n'
        ")\n"
    )
    fixed = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        "student = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18", torch_dtype=torch.bfloat16, device_map="auto"\n'
        ")\n"
    )
    fix_safety = (
        "No automatic fix: whether the code is a student (load it in BF16 with `torch_dtype=torch.bfloat16`) or "
        "a frozen teacher (mark its module with `# blyan-lint: teacher`) is a human decision."
    )
    kind = INT8
    strings = _INT8_WORDS


class UnsupportedQuantization(_QuantizationRule):
    code = "BLY402"
    name = "unsupported-quantization"
    summary = (
        "A quantized format the policy allows nowhere: 4-bit (`load_in_4bit` with any value but `False`, "
        "`bnb_4bit_*`, `Linear4bit`), GPTQ, AWQ and every transformers 5 quantization config that is neither INT8 "
        "nor BF16, FP8 dtypes, 4-bit/FP8 Quanto and TorchAO types, engines' `quantization=` formats and FP8 "
        "`kv_cache_dtype`."
    )
    policy = (
        "Precision by Component: Student, Inference, Learning and Blockchain Weights: BF16; Teacher Models: "
        "INT8* (EXCEPTION: Teacher Models: the ONLY exception to the BF16 rule)."
    )
    why = (
        "The policy knows two precisions: BF16 everywhere and INT8 for teacher models. 4-bit (NF4, FP4, GPTQ, "
        "AWQ, ...) and FP8 formats are neither, so they are reported in every scope, teacher code included: a "
        "teacher's 4-bit outputs drift further from BF16 than the INT8 the validation thresholds allow for. "
        "`bnb_4bit_*` options are reported once per call, at `load_in_4bit` (or the first option when it is "
        "absent), and not when the call sets `load_in_8bit=True`, which makes them inert. `load_in_4bit=` passed "
        "to a call counts whatever its value, unless it is a false literal (`load_in_4bit=args.bits == 4` loads "
        "4-bit whenever it is true). transformers 5's configs (`Mxfp4Config`, `FineGrainedFP8Config`, "
        "`HqqConfig`, `MetalConfig`, `GgufConfig`, ...) are flagged unless `dequantize=True` unpacks the weights "
        "to the load's dtype; at 8 bits a bit-width config (`HqqConfig(nbits=8)`) is INT8 (BLY401); "
        "`CompressedTensorsConfig` and `QuarkConfig` take their format from the checkpoint and are not judged. "
        'vLLM and SGLang engines: `quantization="awq"/"gptq"/"fp8"/...` and `kv_cache_dtype="fp8*"` '
        '(an FP8 KV cache) are flagged; an INT8 format (`"experts_int8"`) is BLY401\'s.'
    )
    example = (
        "# blyan-lint: teacher\n"
        "from transformers import AutoModelForCausalLM, BitsAndBytesConfig\n\n"
        'quantization_config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")\n'
        "teacher_model = AutoModelForCausalLM.from_pretrained(\n"
        '    "teacher_model_v17", quantization_config=quantization_config\n'
        ")\n"
    )
    fixed = (
        "# blyan-lint: teacher\n"
        "from transformers import AutoModelForCausalLM, BitsAndBytesConfig\n\n"
        "quantization_config = BitsAndBytesConfig(load_in_8bit=True)  # INT8: teacher only\n"
        "teacher_model = AutoModelForCausalLM.from_pretrained(\n"
        '    "teacher_model_v17", quantization_config=quantization_config\n'
        ")\n"
    )
    fix_safety = (
        "No automatic fix: load the model in BF16 (`torch_dtype=torch.bfloat16`), or, for a teacher model, in "
        "INT8 (`BitsAndBytesConfig(load_in_8bit=True)`); a GPTQ/AWQ/FP8 checkpoint has to be replaced by a BF16 "
        "one."
    )
    applies_to_teacher = True
    kind = UNSUPPORTED
    strings = _UNSUPPORTED_WORDS


# -- BLY403 -------------------------------------------------------------------------------

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_MAX_DEPTH = 3


def _is_optimizer(qualified: str | None) -> bool:
    if qualified is None or qualified.startswith(tables.NOT_OPTIMIZERS):
        return False
    return qualified.startswith(tables.OPTIMIZER_PREFIXES) or qualified in tables.OPTIMIZER_CLASSES


def _optimizer_params(call: ast.Call) -> ast.expr | None:
    kw = keyword(call, "params")
    if kw is not None:
        return kw.value
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return None


def _root(node: ast.AST) -> ast.AST:
    """The innermost object of `a.b().c[0]`: `a`."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return node


def _binds(target: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def _target_source(target: ast.AST, iterable: ast.expr, name: str) -> ast.expr | None:
    """What a loop variable iterates over: `p` in `for n, p in zip(a, teacher.parameters())` -> the second."""
    if isinstance(target, ast.Name):
        return iterable if target.id == name else None
    if isinstance(target, ast.Starred):
        return _target_source(target.value, iterable, name)
    if not isinstance(target, (ast.Tuple, ast.List)) or not _binds(target, name):
        return None
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
        args = iterable.args
        if iterable.func.id == "zip" and len(args) == len(target.elts):
            for element, arg in zip(target.elts, args, strict=True):
                if _binds(element, name):
                    return _target_source(element, arg, name)
        if iterable.func.id == "enumerate" and len(target.elts) == 2 and args:
            return _target_source(target.elts[1], args[0], name)  # None for the counter
    return iterable  # `for name, p in teacher.named_parameters()`: both come from it


def _loop_source(ctx: Context, name: str) -> ast.expr | None:
    for parent in reversed(ctx.stack):
        if isinstance(parent, (ast.For, ast.AsyncFor)):
            source = _target_source(parent.target, parent.iter, name)
            if source is not None:
                return source
        elif isinstance(parent, _COMPREHENSIONS):
            for generator in parent.generators:
                source = _target_source(generator.target, generator.iter, name)
                if source is not None:
                    return source
        elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
    return None


def _names_teacher(ctx: Context, node: ast.AST | None, depth: int = 0) -> bool:
    """Does an object name a teacher: by its own name, the loop it comes from, or its binding?"""
    if node is None or depth > _MAX_DEPTH:
        return False
    if ctx.is_teacher_name(node):
        return True
    root = _root(node)
    if not isinstance(root, ast.Name):
        return False
    source = _loop_source(ctx, root.id)
    if source is not None and _mentions_teacher(ctx, source, depth + 1):
        return True
    followed = ctx.follow(root)
    if not followed.via:
        return False
    bound = followed.value
    if isinstance(bound, ast.Call) and _is_optimizer(ctx.qualified(bound.func)):
        return _mentions_teacher(ctx, _optimizer_params(bound), depth + 1)
    return _names_teacher(ctx, bound, depth + 1)


def _mentions_teacher(ctx: Context, node: ast.AST | None, depth: int = 0) -> bool:
    """Does any part of an expression name a teacher (`chain(student.parameters(), teacher.parameters())`)?"""
    if node is None or depth > _MAX_DEPTH:
        return False
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and ctx.teacher_regex.search(part.attr):
            return True
        if isinstance(part, ast.Name) and _names_teacher(ctx, part, depth + 1):
            return True
    return False


def _optimizer_like(ctx: Context, node: ast.expr) -> bool:
    """`optimizer`, `self.t_opt`, `opts[0]`, or a name bound to an optimizer construction."""
    while isinstance(node, ast.Subscript):
        node = node.value
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name is None:
        return False
    if {word.lower() for word in _WORDS.findall(name)} & tables.OPTIMIZER_NAME_WORDS:
        return True
    bound = ctx.follow(node).value
    return isinstance(bound, ast.Call) and _is_optimizer(ctx.qualified(bound.func))


def _switch_on(ctx: Context, call: ast.Call, name: str) -> bool:
    """`m.train()`, `m.train(True)`, `p.requires_grad_(requires_grad=True)`: the switch is on."""
    if call.args:
        arg = call.args[0]
    else:
        kw = keyword(call, name)
        if kw is None:
            return not has_star_kwargs(call)
        arg = kw.value
    value = _value(ctx, arg)
    return isinstance(value, (bool, int)) and bool(value)


def _short(ctx: Context, node: ast.AST) -> str:
    """The source of a call or statement, or its dotted name when it is long or spans lines."""
    text = ctx.source(node)
    if text and len(text) <= 70 and "\n" not in text:
        return text
    if isinstance(node, ast.Call):
        return f"{dotted_text(node.func) or '...'}(...)"
    if isinstance(node, ast.Assign):
        return f"{dotted_text(node.targets[0]) or '...'} = {_short(ctx, node.value)}"
    return "..."


class TeacherNotFrozen(Rule):
    code = "BLY403"
    name = "teacher-not-frozen"
    summary = (
        "An update to a teacher model: `.train()`, `.backward()`, `optimizer.step()`, optimizer construction, "
        "`requires_grad_(True)`, `requires_grad = True` (any in a teacher module; on a teacher-named object elsewhere)."
    )
    policy = (
        "EXCEPTION: Teacher Models: Why INT8 for Teacher Models? 1. Frozen Checkpoints: Teacher models are N-1 "
        "generation, never updated. 2. Validation Only: Used solely for quality gating, not learning."
    )
    why = (
        "The INT8 exception holds only because a teacher never learns: it is a frozen N-1 checkpoint that gates "
        "quality. Training an INT8 teacher, or training a teacher at all, breaks that premise and puts non-BF16 "
        "numbers into learning. In a teacher module (pragma or path) every update is reported. Elsewhere, "
        "including in classes and functions named after the teacher, only updates whose object or argument names "
        "a teacher are (`teacher.train()`, `SGD(teacher_model.parameters())`, `p.requires_grad = True` for `p` in "
        "`teacher.parameters()`), so a distillation loop that trains its student is not flagged."
    )
    example = (
        "import torch\n\n\n"
        "def distill_step(student, teacher, batch, optimizer):\n"
        "    teacher.train()\n"
        "    with torch.no_grad():\n"
        "        target = teacher(batch)\n"
        "    loss = torch.nn.functional.mse_loss(student(batch), target)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
    )
    fixed = (
        "import torch\n\n\n"
        "def distill_step(student, teacher, batch, optimizer):\n"
        "    teacher.eval()\n"
        "    teacher.requires_grad_(False)\n"
        "    with torch.no_grad():\n"
        "        target = teacher(batch)\n"
        "    loss = torch.nn.functional.mse_loss(student(batch), target)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
    )
    fix_safety = (
        "No automatic fix: freeze the teacher (`teacher.eval()`, `teacher.requires_grad_(False)`, run it under "
        "`torch.no_grad()`) and build optimizers from the student's parameters only; if the code really trains "
        "the model, it is not a teacher and must move out of teacher scope and run in BF16."
    )
    applies_to_teacher = True
    # Every update names its method, `requires_grad`, or an optimizer (by module or class).
    strings = frozenset(
        {
            tables.TRAIN_METHOD,
            tables.BACKWARD_METHOD,
            tables.STEP_METHOD,
            tables.REQUIRES_GRAD_ATTRIBUTE,
            *last_segments(tables.OPTIMIZER_PREFIXES),
            *last_segments(tables.OPTIMIZER_CLASSES),
        }
    )

    def visit_Assign(self, node: ast.Assign, ctx: Context) -> Iterator[Report]:
        return self._assign(node, ctx, ctx.file_scope.is_teacher)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        whole = ctx.file_scope.is_teacher
        func = node.func
        if isinstance(func, ast.Attribute):
            update = self._UPDATES.get(func.attr)
            if update is not None:
                yield from update(self, node, func, ctx, whole)
                return
        if _is_optimizer(ctx.qualified(func)):
            yield from self._construction(node, ctx, whole)

    @staticmethod
    def _message(ctx: Context, call: ast.AST, does: str, whole: bool, remedy: str) -> str:
        """`does` names the model as `{model}`: "a model" in a teacher module, where every model is the teacher."""
        where = " in a teacher module" if whole else ""
        does = does.format(model="a model" if whole else "a teacher model")
        return f"`{_short(ctx, call)}` {does}{where}; {_FROZEN}: {remedy}"

    def _train(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        receiver = func.value
        if ctx.qualified(receiver) is not None or not _switch_on(ctx, node, "mode"):
            return  # `Trainer.train(...)` on a library name, or `.train(False)`
        if whole or _names_teacher(ctx, receiver):
            start, end = method_span(ctx, node)
            does = "puts {model} in training mode"
            message = self._message(ctx, node, does, whole, "call `.eval()` instead")
            yield Report(start, end, message, facts=TeacherUpdateFacts("train", ctx.source(receiver), whole))

    def _backward(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        receiver = func.value
        first = node.args[0] if node.args else None  # `torch.autograd.backward(t)`, `accelerator.backward(loss)`
        if whole or _names_teacher(ctx, receiver) or _names_teacher(ctx, first):
            start, end = method_span(ctx, node)
            does = "computes gradients for {model}"
            facts = TeacherUpdateFacts("backward", ctx.source(receiver), whole)
            yield Report(start, end, self._message(ctx, node, does, whole, _NO_GRAD), facts=facts)

    def _step(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        receiver = func.value
        if ctx.qualified(receiver) is not None:
            return
        if _optimizer_like(ctx, receiver):
            optimizer: ast.expr = receiver
        elif node.args and _optimizer_like(ctx, node.args[0]):
            optimizer = node.args[0]  # `scaler.step(optimizer)`
        else:
            return  # `scheduler.step()`, `env.step(action)`
        if whole or _names_teacher(ctx, optimizer):
            start, end = method_span(ctx, node)
            does = "updates {model}'s weights"
            facts = TeacherUpdateFacts("step", ctx.source(optimizer), whole)
            yield Report(start, end, self._message(ctx, node, does, whole, _NO_GRAD), facts=facts)

    def _requires_grad_(self, node: ast.Call, func: ast.Attribute, ctx: Context, whole: bool) -> Iterator[Report]:
        if not _switch_on(ctx, node, "requires_grad"):
            return
        if whole or _names_teacher(ctx, func.value):
            start, end = method_span(ctx, node)
            does = "unfreezes {model}'s weights"
            message = self._message(ctx, node, does, whole, "use `requires_grad_(False)`")
            facts = TeacherUpdateFacts("requires_grad", ctx.source(func.value), whole)
            yield Report(start, end, message, facts=facts)

    def _assign(self, node: ast.Assign, ctx: Context, whole: bool) -> Iterator[Report]:
        if not _is_true(ctx, node.value):
            return
        for target in node.targets:
            if not isinstance(target, ast.Attribute) or target.attr != tables.REQUIRES_GRAD_ATTRIBUTE:
                continue
            if whole or _names_teacher(ctx, target.value):
                does = "unfreezes {model}'s weights"
                message = self._message(ctx, node, does, whole, "set it to False or call `requires_grad_(False)`")
                facts = TeacherUpdateFacts("requires_grad", ctx.source(target.value), whole)
                yield ctx.report_span(target, node.value, message, facts=facts)

    def _construction(self, node: ast.Call, ctx: Context, whole: bool) -> Iterator[Report]:
        if whole:
            does = "builds an optimizer"
        elif _mentions_teacher(ctx, _optimizer_params(node)):
            does = "builds an optimizer over {model}'s weights"
        else:
            return
        params = _optimizer_params(node)
        facts = TeacherUpdateFacts("optimizer", ctx.source(params) if params is not None else "", whole)
        yield ctx.report(node, self._message(ctx, node, does, whole, _NO_GRAD), facts=facts)

    # What each updating method call is, by method name.
    _UPDATES = {
        tables.TRAIN_METHOD: _train,
        tables.BACKWARD_METHOD: _backward,
        tables.STEP_METHOD: _step,
        tables.REQUIRES_GRAD_METHOD: _requires_grad_,
    }


RULES = (Int8OutsideTeacher, UnsupportedQuantization, TeacherNotFrozen)
