"""BLY303 missing-capability-guard: a module that uses BF16 without checking, before it, that the
GPU is an Ampere or newer one."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...config import BUILTIN_GUARD_FUNCTIONS
from ...context import Context
from ...data.devices import (
    DEVICE_MOVE_METHOD,
)
from ...data.dtypes import BF16, BF16_CAST_METHODS, SET_DEFAULT_DTYPE
from ...data.loaders import LOADER_DTYPE_KEYWORDS, LOADER_METHODS, PIPELINE_FACTORIES
from ...facts import CapabilityGuardFacts
from ...findings import Position
from ...fixes.edits import method_span, torch_spelling
from ...names import keyword
from ..base import Report, last_segments
from .capability_checks import always_raises, capability_check, is_guard_call
from .shared import (
    BF16_WORDS,
    CAPABILITY_QUERIES,
    HARDWARE,
    NO_FALLBACKS,
    REQUIREMENT,
    FileState,
    HardwareRule,
)


def _guard_text(torch: str = "torch") -> str:
    return f'if {torch}.cuda.get_device_capability()[0] < 8: raise RuntimeError("{REQUIREMENT}")'


# -- BLY303 --------------------------------------------------------------------------------


class MissingCapabilityGuard(HardwareRule):
    code = "BLY303"
    name = "missing-capability-guard"
    summary = (
        "A student-scope module that loads or casts a model to BF16 but never checks "
        "`torch.cuda.get_device_capability()` against 8 and raises (nor calls a configured guard function)."
    )
    policy = f"{HARDWARE} {NO_FALLBACKS}"
    why = (
        "On a pre-Ampere GPU, BF16 either fails deep inside a kernel with an obscure error or runs through "
        "slow emulation whose numerics differ from the network's. The policy wants every module that puts a "
        "model in BF16 to check the GPU first and refuse to run with a clear error. A guard anywhere in the "
        "module counts (also inside a helper function), as does a call to a function listed in "
        "`guard-functions`. Teacher code may run on older GPUs and is not checked."
    )
    example = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "def load_student(name):\n"
        "    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)\n"
    )
    fixed = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "def load_student(name):\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        f'        raise RuntimeError("{REQUIREMENT}")\n'
        "    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)\n"
    )
    fix_safety = (
        "No automatic fix: where the guard belongs (module import, loader, server start-up) is a design "
        "decision. Add `if torch.cuda.get_device_capability()[0] < 8: raise RuntimeError(...)` as shown, or "
        "call your project's guard function and list it in `guard-functions`."
    )
    applies_to_teacher = False
    strings = BF16_WORDS  # any call may be a configured guard: every call is seen, no `watches`
    # Statement words: what `finish` judges from, a BF16 site, a capability check or the built-in
    # guard (configured `guard-functions` switch pruning off: any call may be one of them)
    statement_words = tuple(
        sorted(BF16_WORDS | last_segments(CAPABILITY_QUERIES) | last_segments(BUILTIN_GUARD_FUNCTIONS))
    )

    # Both visits only take notes; the module is judged once, in `finish`.
    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        if not ctx.file_holds(_QUERY_WORDS):
            return iter(())  # a capability check calls one of them, spelled somewhere in the file
        state = self._state(ctx)
        found = capability_check(ctx, node)
        if found is not None:
            if always_raises(ctx, found.failing):
                state.guarded = True
            elif state.soft_check_line is None:
                state.soft_check_line = node.lineno
        return iter(())

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        yield from ()
        state = self._state(ctx)
        if not _may_matter(ctx, node):
            return
        if is_guard_call(ctx, node):
            state.guarded = True
            return
        if state.first_bf16 is None and not ctx.scope.is_teacher:
            site = _bf16_site(ctx, node)
            if site is not None:
                state.first_bf16 = (torch_spelling(ctx, node), *site)  # `torch` as spelled there

    def finish(self, ctx: Context) -> Iterator[Report]:
        state = ctx.extras.get(self)
        if not isinstance(state, FileState) or state.first_bf16 is None or state.guarded:
            return
        torch, start, end, what = state.first_bf16
        guards = ctx.settings.guard_functions
        also = f", or call `{guards[0]}()`" if len(guards) == 1 else ""
        if len(guards) > 1:
            also = ", or call one of " + ", ".join(f"`{g}()`" for g in guards)
        soft = ""
        if state.soft_check_line is not None:
            soft = f" (the check on line {state.soft_check_line} does not raise)"
        yield Report(
            start,
            end,
            f"this module {what} but never checks that the GPU supports it{soft}; the policy requires an Ampere "
            f"GPU (compute capability 8.0+) and failing fast without one: add `{_guard_text(torch)}` before "
            f"it{also}",
            facts=CapabilityGuardFacts(what, start.line, state.soft_check_line, tuple(guards)),
        )


# The names a BF16 load or cast can be called by (`_bf16_site`), for a cheap first test.
_SITE_NAMES = frozenset(
    {
        *(q.rsplit(".", 1)[-1] for q in SET_DEFAULT_DTYPE | PIPELINE_FACTORIES),
        *LOADER_METHODS,
        *BF16_CAST_METHODS,
        DEVICE_MOVE_METHOD,
    }
)


_QUERY_WORDS = tuple(sorted(name.lower() for name in last_segments(CAPABILITY_QUERIES)))
_BUILTIN_GUARD_NAMES = frozenset(g.rsplit(".", 1)[-1] for g in BUILTIN_GUARD_FUNCTIONS)


def _may_matter(ctx: Context, call: ast.Call) -> bool:
    """Can this call be a BF16 site or a configured guard? Most calls are neither. (With
    guard functions configured, any call may be one under an alias: no shortcut then.)"""
    if ctx.settings.guard_functions:
        return True
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name is not None and name in _BUILTIN_GUARD_NAMES:
        return True
    return name is not None and (name in _SITE_NAMES or ctx.names.imported_last_segment(name) in _SITE_NAMES)


def _bf16_site(ctx: Context, call: ast.Call) -> tuple[Position, Position, str] | None:
    """(span, what it does) when a call loads a model in BF16 or casts to BF16."""
    func = call.func
    if ctx.qualified(func) in SET_DEFAULT_DTYPE:
        if call.args and ctx.dtype_value(call.args[0]) == BF16:
            return ctx.start(call), ctx.end(call), "makes BF16 the default dtype"
        return None
    if ctx.names.is_load(call):
        for name in LOADER_DTYPE_KEYWORDS:
            kw = keyword(call, name)
            if kw is not None and ctx.dtype_value(kw.value, strings=True) == BF16:
                start, end = method_span(ctx, call) if isinstance(func, ast.Attribute) else ctx.span(call)
                return start, end, "loads a model in BF16"
        return None
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in BF16_CAST_METHODS and not call.args and ctx.qualified(func.value) is None:
        return (*method_span(ctx, call), "casts to BF16")
    if func.attr == DEVICE_MOVE_METHOD:
        dtype_kw = keyword(call, "dtype")
        candidates = [*call.args, *([dtype_kw.value] if dtype_kw is not None else [])]
        if any(ctx.dtype_value(arg) == BF16 for arg in candidates):
            return (*method_span(ctx, call), "casts to BF16")
    return None
