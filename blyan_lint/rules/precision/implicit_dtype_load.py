"""BLY103 implicit-dtype-load: a model load that lets the checkpoint decide the dtype (policy: "Correct
Implementation")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from ...context import Context
from ...data import engines
from ...data.loaders import LOADER_METHODS, QUANTIZED_LOAD_KEYWORDS
from ...facts import LoadFacts
from ...findings import Applicability, Edit, Fix
from ...fixes.edits import insert_keyword_fix, method_span, torch_name
from ...names import has_star_kwargs, string_value
from .._engines import dtype_report, engine_name
from .._loads import EXAMPLE_LOAD_OPENING, dtype_keyword, load_facts
from ..base import Report, Rule


class ImplicitDtypeLoad(Rule):
    code = "BLY103"
    name = "implicit-dtype-load"
    summary = (
        'A model loaded with `from_pretrained` / `from_config` without `torch_dtype=` (or with `"auto"`); an '
        'inference engine (`vllm.LLM`, `EngineArgs`, `AsyncEngineArgs`, `sglang.Engine`) without `dtype="bfloat16"`.'
    )
    policy = (
        "Correct Implementation: `AutoModelForCausalLM.from_pretrained(model_name, torch_dtype=torch.bfloat16, "
        "...)  # NO FALLBACKS`"
    )
    why = (
        "Without an explicit dtype, transformers 4 loads FP32 and transformers 5 loads whatever dtype the "
        'checkpoint was saved in; `"auto"` does the same. Either way the precision is decided by a file, not '
        "by the policy. Inference engines load models too: vLLM's `LLM`, `EngineArgs` and `AsyncEngineArgs` and "
        'SGLang\'s `Engine` default to `dtype="auto"`, which serves an FP32 or FP16 checkpoint in FP16. '
        "Tokenizers, processors and configs load no weights and are not flagged; quantized loads (an engine's "
        "`quantization=` too) are BLY401/BLY402's business, and a non-BF16 dtype given is BLY101's."
    )
    example = EXAMPLE_LOAD_OPENING + '    "blyan/student-v18",\n    device_map="auto",\n)\n'
    fixed = EXAMPLE_LOAD_OPENING + (
        '    "blyan/student-v18",\n    device_map="auto",\n    torch_dtype=torch.bfloat16,\n)\n'
    )
    fix_safety = (
        'Safe: `torch_dtype=torch.bfloat16` is added (or `dtype=` replaces `"auto"` when the call already uses '
        "the transformers 5 spelling), following the call's layout; `import torch` is added if missing. An engine "
        'gets `dtype="bfloat16"` (added, or replacing `"auto"`). A call that passes `**kwargs` is not flagged, '
        "since the dtype may be among them."
    )
    methods = LOADER_METHODS
    watches = engines.ENGINES  # vLLM and SGLang load models too (catalog 1.1)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        engine = engine_name(ctx, node)
        if engine is not None:
            report = dtype_report(ctx, node, engine)
            if report is not None:
                yield replace(report, facts=load_facts(ctx, node))
            return
        if not isinstance(func, ast.Attribute) or func.attr not in LOADER_METHODS:
            return
        if has_star_kwargs(node) or any(kw.arg in QUANTIZED_LOAD_KEYWORDS for kw in node.keywords):
            return
        if not ctx.names.is_model_class(func.value):
            return
        kw = dtype_keyword(node)
        if kw is not None and string_value(kw.value) != "auto":
            return  # an explicit dtype: BLY101 judges it
        spelled = torch_name(ctx, node)
        torch, imports = spelled or ("torch", ())
        facts = load_facts(ctx, node)
        fix: Fix | None = None
        if kw is not None:
            if spelled is not None:
                edit = Edit(ctx.start(kw.value), ctx.end(kw.value), f"{torch}.bfloat16")
                fix = Fix(Applicability.SAFE, self.fix_title(facts, torch), (edit,), imports)
            yield ctx.report(kw.value, self.message(facts, torch), fix=fix, facts=facts)
            return
        start, end = method_span(ctx, node)
        if spelled is not None:
            keyword_text = f"torch_dtype={torch}.bfloat16"
            fix = insert_keyword_fix(ctx, node, keyword_text, self.fix_title(facts, torch), imports)
        yield Report(start, end, self.message(facts, torch), fix=fix, facts=facts)

    @staticmethod
    def message(facts: LoadFacts, torch: str) -> str:
        if facts.dtype == "auto":
            name = facts.dtype_keyword
            return (
                f'`{name}="auto"` lets the checkpoint decide the precision; the policy requires BF16: '
                f"use `{name}={torch}.bfloat16`"
            )
        method = facts.loader.rsplit(".", 1)[-1]
        return (
            f"`{method}()` without `torch_dtype=` loads FP32 (transformers 4) or the checkpoint's dtype "
            f"(transformers 5); the policy requires BF16: pass `torch_dtype={torch}.bfloat16`"
        )

    @staticmethod
    def fix_title(facts: LoadFacts, torch: str) -> str:
        if facts.dtype == "auto":
            return f"Use `{facts.dtype_keyword}={torch}.bfloat16`"
        return "Add `torch_dtype` BF16"
