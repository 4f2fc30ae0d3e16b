"""What a construct quantizes to: the one analysis behind BLY401 (INT8) and BLY402 (formats allowed nowhere).

Both rules judge the same constructs (library names, loader switches, `optim=` strings,
Quanto/TorchAO configs, engines' `quantization=`); the analysis tags each finding with its
kind and each rule keeps the findings of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import ClassVar, NamedTuple

from ...context import Context
from ...data import engines
from ...data.quantized_formats import (
    BIT_WIDTH_CONFIGS,
    BNB_OPTIM_PREFIX,
    DEQUANTIZE_KEYWORD,
    DEQUANTIZING_CONFIGS,
    FOUR_BIT_KEYWORD,
    FOUR_BIT_KEYWORD_PREFIX,
    FOUR_BIT_OPTIMIZER_STRINGS,
    INT8,
    INT8_BITS,
    INT8_KEYWORD,
    INT8_OPTIMIZER_STRINGS,
    OPTIM_BITS_KEYWORD,
    OPTIMIZER_STRING_KEYWORDS,
    QUANTO_CONFIG,
    TORCHAO_CONFIG,
    UNSUPPORTED,
    marker_kind,
    name_kind,
)
from ...facts import Facts, LoadFacts, QuantizationFacts
from ...names import dotted_text, has_star_kwargs, keyword, string_value
from .._engines import engine_name
from .._literals import UNKNOWN, bound_note, is_true_literal, literal, string_literal
from .._loads import load_facts
from ..base import Report, Rule, shared

TEACHER_ONLY = (
    "the policy allows INT8 only in teacher code, marked with `# blyan-lint: teacher`; students, inference and "
    "training use BF16"
)
NOWHERE = "the policy allows no 4-bit, GPTQ, AWQ or FP8 anywhere, teachers included: use BF16 (INT8 for teachers)"


class QuantizationRule(Rule):
    """BLY401 and BLY402 judge the same constructs; each reports the findings of its kind."""

    kind: ClassVar[str]

    # Both rules ask about each node; it is judged once (`shared`), each keeps its kind.
    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._mine(shared(ctx, QuantizationRule, node, lambda: _reference(node, ctx)))

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._mine(shared(ctx, QuantizationRule, node, lambda: _reference(node, ctx)))

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        return self._mine(shared(ctx, QuantizationRule, node, lambda: _call_reports(node, ctx)))

    def visit_Dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        if any(_switch_name(string_value(k)) for k in node.keys):
            yield from self._mine(shared(ctx, QuantizationRule, node, lambda: _entries(_dict_entries(node), ctx, None)))

    def _mine(self, found: Iterable[tuple[str, Report]]) -> Iterator[Report]:
        return (report for kind, report in found if kind == self.kind)


def _call_reports(node: ast.Call, ctx: Context) -> Iterator[tuple[str, Report]]:
    engine = engine_name(ctx, node)
    if engine is not None:  # vLLM / SGLang: `quantization=` and `kv_cache_dtype=` (catalog 1.1)
        yield from _engine_reports(ctx, node, engine)
    if any(_switch_name(kw.arg) for kw in node.keywords):
        load = load_facts(ctx, node) if ctx.names.is_load(node) else None
        yield from _entries(_call_entries(node), ctx, load)
    yield from _call(node, ctx)


_SWITCHES = frozenset({INT8_KEYWORD, FOUR_BIT_KEYWORD, *OPTIMIZER_STRING_KEYWORDS})


def _switch_name(name: str | None) -> bool:
    """Is this keyword (or dict key) one `_entries` judges? Most calls have none."""
    return name is not None and (name in _SWITCHES or name.startswith(FOUR_BIT_KEYWORD_PREFIX))


def _reference(node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[tuple[str, Report]]:
    if not isinstance(node.ctx, ast.Load):
        return
    qualified = ctx.qualified(node)
    found = name_kind(qualified)
    if found is None or qualified is None:
        return
    parent = ctx.parent
    if isinstance(parent, ast.Attribute) and parent.value is node and name_kind(ctx.qualified(parent)) is not None:
        return  # the longer name (`torch.ao.quantization.quantize_fx.prepare_fx`) reports
    if ctx.is_inspection(node):
        return  # `isinstance(m, bnb.nn.Linear4bit)` checks for it, it does not quantize
    call = parent if isinstance(parent, ast.Call) and parent.func is node else None
    if call is not None:
        if qualified in DEQUANTIZING_CONFIGS:
            dequantize = keyword(call, DEQUANTIZE_KEYWORD)
            if dequantize is not None and is_true_literal(ctx, dequantize.value):
                return  # `Mxfp4Config(dequantize=True)` unpacks the weights to the load's dtype
        if qualified in BIT_WIDTH_CONFIGS:
            bits = _argument(call, 0, BIT_WIDTH_CONFIGS[qualified])
            value = bits.value if isinstance(bits, ast.keyword) else bits
            if value is not None and literal(ctx, value) == INT8_BITS:
                found = INT8, f"8-bit {qualified.rsplit('.', 1)[-1].removesuffix('Config')} (INT8) quantization"
    kind, label = found
    written = dotted_text(node) or qualified
    aka = "" if written == qualified else f" (`{qualified}`)"
    remedy = TEACHER_ONLY if kind == INT8 else NOWHERE
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
        text = string_value(key)
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
    eight = by_name.get(INT8_KEYWORD)
    eight_on = eight is not None and is_true_literal(ctx, eight.value)
    if eight is not None and eight_on:
        note = bound_note(ctx, eight.value)
        message = f"`{eight.text(ctx)}`{note} loads the model in INT8; {TEACHER_ONLY}"
        yield _at(INT8, ctx, eight.first, eight.last, message, _entry_facts(ctx, eight, "INT8", INT8, "", load))
    four = by_name.get(FOUR_BIT_KEYWORD)
    options = [entry for entry in entries if entry.name.startswith(FOUR_BIT_KEYWORD_PREFIX)]
    if four is not None:
        value = literal(ctx, four.value)
        # Passed to a call, any value but a false literal counts (`load_in_4bit=args.bits == 4`
        # loads 4-bit whenever it is true); a dict entry only with its 4-bit options beside it.
        passed = isinstance(four.first, ast.keyword)
        if value is True or (value is UNKNOWN and (passed or options)):
            if value is True:
                how = "loads the model in 4-bit"
            elif options:
                how = f"with `{options[0].name}` configures a 4-bit load"
            else:
                how = "loads the model in 4-bit whenever the value is true"
            message = f"`{four.text(ctx)}`{bound_note(ctx, four.value)} {how}; {NOWHERE}"
            facts = _entry_facts(ctx, four, "4-bit", UNSUPPORTED, "", load)
            yield _at(UNSUPPORTED, ctx, four.first, four.last, message, facts)
    elif options and not eight_on:  # with load_in_8bit=True the 4-bit options are inert
        first = options[0]
        message = f"`{first.text(ctx)}` configures 4-bit bitsandbytes quantization; {NOWHERE}"
        facts = _entry_facts(ctx, first, "4-bit", UNSUPPORTED, "", load)
        yield _at(UNSUPPORTED, ctx, first.first, first.last, message, facts)
    for entry in entries:
        if entry.name not in OPTIMIZER_STRING_KEYWORDS:
            continue
        text = string_literal(ctx, entry.value)
        if text in INT8_OPTIMIZER_STRINGS:
            message = f'`{entry.name}="{text}"` keeps the optimizer state in 8-bit; {TEACHER_ONLY}'
            facts = _entry_facts(ctx, entry, "INT8", INT8, "optimizer", load)
            yield _at(INT8, ctx, entry.first, entry.last, message, facts)
        elif text in FOUR_BIT_OPTIMIZER_STRINGS:
            message = f'`{entry.name}="{text}"` keeps the optimizer state in 4-bit; {NOWHERE}'
            facts = _entry_facts(ctx, entry, "4-bit", UNSUPPORTED, "optimizer", load)
            yield _at(UNSUPPORTED, ctx, entry.first, entry.last, message, facts)


def _call(node: ast.Call, ctx: Context) -> Iterator[tuple[str, Report]]:
    """Configs whose format is an argument: QuantoConfig, TorchAoConfig, bnb `optim_bits=8`."""
    qualified = ctx.qualified(node.func)
    if qualified is None:
        return
    spelled = dotted_text(node.func) or qualified
    if qualified in QUANTO_CONFIG:
        weights = _argument(node, 0, "weights")
        if weights is not None:
            yield from _quant_type(ctx, node, spelled, "weights", weights)
        elif not node.args and not has_star_kwargs(node):
            message = f"`{spelled}()` quantizes weights to INT8 (the default `weights`); {TEACHER_ONLY}"
            facts = QuantizationFacts("INT8", True, "config", qualified, None, None)
            yield _at(INT8, ctx, node, node, message, facts)
        activations = _argument(node, 1, "activations")
        if activations is not None:
            yield from _quant_type(ctx, node, spelled, "activations", activations)
    elif qualified in TORCHAO_CONFIG:
        quant_type = _argument(node, 0, "quant_type")
        if quant_type is not None:
            yield from _quant_type(ctx, node, spelled, "quant_type", quant_type)
    elif qualified.startswith(BNB_OPTIM_PREFIX):
        bits = keyword(node, OPTIM_BITS_KEYWORD)
        if bits is not None and literal(ctx, bits.value) == 8:
            message = f"`{spelled}(..., {bits.arg}=8)` keeps the optimizer state in 8-bit; {TEACHER_ONLY}"
            facts = QuantizationFacts("INT8", True, "optimizer", qualified, ctx.resolve(bits.value), None)
            yield _at(INT8, ctx, bits, bits, message, facts)


def _argument(node: ast.Call, position: int, name: str) -> ast.keyword | ast.expr | None:
    """The keyword `name` (reported as the whole keyword) or the positional argument."""
    kw = keyword(node, name)
    if kw is not None:
        return kw
    starred = any(isinstance(arg, ast.Starred) for arg in node.args[: position + 1])
    if len(node.args) > position and not starred:
        return node.args[position]
    return None


def _quant_type(
    ctx: Context, node: ast.Call, spelled: str, what: str, arg: ast.keyword | ast.expr
) -> Iterator[tuple[str, Report]]:
    """`weights="int4"`, `TorchAoConfig("int8_weight_only")`: a quantization type given as a string."""
    value = arg.value if isinstance(arg, ast.keyword) else arg
    text = string_literal(ctx, value)
    if text is None:
        return  # a config object (`Int4WeightOnlyConfig()`) is judged where it is named
    found = marker_kind(text)
    if found is None:
        return
    kind, label = found
    written = f'{what}="{text}"' if isinstance(arg, ast.keyword) else f'"{text}"'
    target = "" if what == "quant_type" else f" the {what}"
    remedy = TEACHER_ONLY if kind == INT8 else NOWHERE
    facts = QuantizationFacts(
        label, kind == INT8, "config", ctx.qualified(node.func) or spelled, ctx.resolve(value), None
    )
    yield kind, ctx.report(arg, f"`{spelled}({written})` quantizes{target} to {label}; {remedy}", facts=facts)


def _engine_reports(ctx: Context, call: ast.Call, engine: str) -> Iterator[tuple[str, Report]]:
    """(kind, report) for `quantization=` and `kv_cache_dtype=` of an engine."""
    spelled = dotted_text(call.func) or engine
    kw = keyword(call, engines.QUANTIZATION_KEYWORD)
    if kw is not None:
        is_literal, value, note = ctx.constant(kw.value)
        if is_literal and isinstance(value, str):
            name = value.strip().lower()
            facts = QuantizationFacts(value, False, "keyword", kw.arg or "", ctx.resolve(kw.value), None)
            written = f"`{spelled}(..., quantization={ctx.source(kw.value)})`{note}"
            if name in engines.INT8_QUANTIZATIONS:
                facts = QuantizationFacts("INT8", True, "keyword", kw.arg or "", ctx.resolve(kw.value), None)
                yield INT8, ctx.report(kw, f"{written} serves the model in INT8; {TEACHER_ONLY}", facts=facts)
            elif name not in engines.CHECKPOINT_DEFINED_QUANTIZATIONS:
                message = f'{written} serves the model quantized as "{value}"; {NOWHERE}'
                yield UNSUPPORTED, ctx.report(kw, message, facts=facts)
    kv = keyword(call, engines.KV_CACHE_KEYWORD)
    if kv is not None:
        is_literal, value, note = ctx.constant(kv.value)
        if is_literal and isinstance(value, str) and value.strip().lower().startswith(engines.FP8_KV_PREFIX):
            facts = QuantizationFacts("FP8", False, "keyword", kv.arg or "", ctx.resolve(kv.value), None)
            message = (
                f"`{spelled}(..., kv_cache_dtype={ctx.source(kv.value)})`{note} stores the KV cache in FP8, so "
                f'attention reads FP8 keys and values; {NOWHERE} (`kv_cache_dtype="auto"` keeps the model\'s BF16)'
            )
            yield UNSUPPORTED, ctx.report(kv, message, facts=facts)
