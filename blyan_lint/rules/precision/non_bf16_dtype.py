"""BLY101 non-bf16-dtype: a non-BF16 floating dtype used as a value (policy: "Core Principle")."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.dtypes import BF16, BF16_STRING_FOR, DTYPE_ATTRS, DTYPE_KEYWORDS, DTYPE_STRINGS, dtype_label
from ...facts import DtypeFacts
from ...fixes.edits import bf16_attr_fix, bf16_string_fix
from ...names import dotted_text, string_value
from .._values import enclosing_integer_factory, integer_factory, integer_reason, unsafe
from ..base import Report, Rule
from .dtype_arguments import NON_BF16_STATEMENT_WORDS, NON_BF16_WORDS


class NonBf16Dtype(Rule):
    code = "BLY101"
    name = "non-bf16-dtype"
    summary = "A non-BF16 floating dtype used as a value (dtype objects, legacy tensor types, dtype strings)."
    policy = (
        "Core Principle: All models involved in learning and inference MUST use BF16 (bfloat16) precision "
        "to ensure numerical consistency across the distributed network."
    )
    why = (
        "Every node must compute bit-identical results. A tensor or model created in FP16, FP32 or FP64 "
        "rounds differently from BF16, so two nodes running the same step disagree. Comparisons such as "
        "`x.dtype == torch.float16`, `isinstance` checks, `match` patterns and annotations only inspect a "
        "dtype and are not flagged."
    )
    example = "import torch\n\ndef make_buffer(n):\n    return torch.zeros(n, dtype=torch.float16)\n"
    fixed = "import torch\n\ndef make_buffer(n):\n    return torch.zeros(n, dtype=torch.bfloat16)\n"
    fix_safety = (
        "Safe: the dtype is replaced by BF16 in the same spelling and alias (`th.half` -> `th.bfloat16`, "
        '`"fp16"` -> `"bf16"`, `"float16"` -> `"bfloat16"`). Names imported directly '
        "(`from torch import float16 as f16`) and strings built at run time are reported without a fix. The dtype "
        "of integer-valued data (`torch.arange(n, dtype=torch.float32)`, `linspace`, `randint`, ...) is an unsafe "
        "fix, offered only with `--unsafe-fixes`: BF16 holds integers exactly only up to 256, so position 257 "
        "would become 256."
    )
    watches = frozenset(DTYPE_ATTRS)
    methods = frozenset({"getattr"})  # getattr(torch, "float16")
    keywords = DTYPE_KEYWORDS
    strings = NON_BF16_WORDS
    statement_words = NON_BF16_STATEMENT_WORDS

    def visit_keyword(self, node: ast.keyword, ctx: Context) -> Iterator[Report]:
        factory = integer_factory(ctx, ctx.parent)
        yield from self._dtype_string(node.value, ctx, "keyword", node.arg, factory)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        is_getattr = isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2
        if is_getattr and ctx.qualified(node.args[0]) == "torch":
            yield from self._dtype_string(node.args[1], ctx, "getattr", None)

    def visit_Dict(self, node: ast.Dict, ctx: Context) -> Iterator[Report]:
        for key, value in zip(node.keys, node.values, strict=True):
            key_text = string_value(key)
            if key_text in DTYPE_KEYWORDS:
                yield from self._dtype_string(value, ctx, "dict entry", key_text)

    def visit_Attribute(self, node: ast.Attribute, ctx: Context) -> Iterator[Report]:
        return self._dtype_object(node, ctx)

    def visit_Name(self, node: ast.Name, ctx: Context) -> Iterator[Report]:
        return self._dtype_object(node, ctx)

    def _dtype_object(self, node: ast.Attribute | ast.Name, ctx: Context) -> Iterator[Report]:
        if not isinstance(node.ctx, ast.Load):
            return
        found = ctx.dtype_attr(node)
        if found is None or found[1] == BF16 or ctx.is_inspection(node):
            return
        qualified, canonical = found
        written = dotted_text(node) or qualified
        replacement = "BFloat16Tensor" if qualified.endswith("Tensor") else "bfloat16"
        if isinstance(node, ast.Attribute):
            target = written.rsplit(".", 1)[0] + "." + replacement  # keep the user's alias
        else:
            target = qualified.rsplit(".", 1)[0] + "." + replacement
        facts = DtypeFacts(canonical, written, "attribute", None, target, ctx.resolve(node))
        fix = bf16_attr_fix(ctx, node, qualified)
        factory = enclosing_integer_factory(ctx)
        fix = unsafe(fix, integer_reason(factory)) if factory else fix
        yield ctx.report(node, self.message(facts), fix=fix, facts=facts)

    def _dtype_string(
        self, value: ast.expr, ctx: Context, where: str, name: str | None, factory: str | None = None
    ) -> Iterator[Report]:
        text = string_value(value)
        fix = None
        if text is not None:
            fix = bf16_string_fix(ctx, value)
            fix = unsafe(fix, integer_reason(factory)) if factory else fix
        else:
            followed = ctx.follow(value)
            text = string_value(followed.value) if followed.via else None
        canonical = DTYPE_STRINGS.get(text) if text is not None else None
        if text is None or canonical is None or canonical == BF16:
            return
        facts = DtypeFacts(canonical, text, where, name, BF16_STRING_FOR[text], ctx.resolve(value))
        yield ctx.report(value, self.message(facts), fix=fix, facts=facts)

    @staticmethod
    def message(facts: DtypeFacts) -> str:
        label = dtype_label(facts.dtype)
        if facts.where == "attribute":
            return f"`{facts.spelling}` selects {label}; the policy requires BF16: use `{facts.use}`"
        where = {"keyword": f"`{facts.keyword}=`", "getattr": "`getattr(torch, ...)`"}.get(
            facts.where, f'the "{facts.keyword}" entry'
        )
        value = facts.value
        written = f"`{value.source}`{value.note()}" if value.via else f'"{facts.spelling}"'
        return f'{written} passed as {where} selects {label}; the policy requires BF16: use "{facts.use}"'
