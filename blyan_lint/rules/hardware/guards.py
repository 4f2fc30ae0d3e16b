"""BLY303 and BLY304: a BF16 module without a capability guard, and a guard that does
not fail fast."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...config import BUILTIN_GUARD_FUNCTIONS
from ...context import Context
from ...data.devices import (
    BF16_EMULATION_KEYWORD,
    DEVICE_MOVE_METHOD,
    IS_BF16_SUPPORTED,
    LOG_METHODS,
    PRINT_CALLS,
    WARNING_CALLS,
)
from ...data.dtypes import BF16, BF16_CAST_METHODS, CAST_METHODS, DTYPE_KEYWORDS, SET_DEFAULT_DTYPE
from ...data.loaders import LOADER_DTYPE_KEYWORDS, LOADER_METHODS, PIPELINE_FACTORIES
from ...facts import ABSENT_VALUE, CapabilityGuardFacts, SoftCheckFacts
from ...findings import Applicability, Edit, Fix, Position
from ...fixes.edits import insert_keyword_fix, method_span, torch_name
from ...names import dotted_text, has_star_kwargs, keyword
from ..base import Report, last_segments
from .capability_checks import always_raises, capability_check, fails_fast, is_guard_call
from .shared import (
    BF16_WORDS,
    CAPABILITY_QUERIES,
    HARDWARE,
    NO_FALLBACKS,
    REQUIREMENT,
    FileState,
    HardwareRule,
    device_kind,
    followed_value,
    is_cpu,
    walk_no_defs,
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
                state.first_bf16 = (node, *site)

    def finish(self, ctx: Context) -> Iterator[Report]:
        state = ctx.extras.get(self)
        if not isinstance(state, FileState) or state.first_bf16 is None or state.guarded:
            return
        _, start, end, what = state.first_bf16
        torch, _ = torch_name(ctx)
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


# -- BLY304 --------------------------------------------------------------------------------


class SoftCapabilityCheck(HardwareRule):
    code = "BLY304"
    name = "soft-capability-check"
    summary = (
        "A capability check that does not fail fast: `torch.cuda.is_bf16_supported()` without "
        "`including_emulation=False`, or a `get_device_capability()` check whose failing branch warns, logs, "
        "passes or continues instead of raising."
    )
    policy = NO_FALLBACKS
    why = (
        "`torch.cuda.is_bf16_supported()` answers True on pre-Ampere GPUs because BF16 can be emulated there, "
        "so a check built on it lets exactly the unsupported GPUs through; `including_emulation=False` asks "
        "whether the GPU has BF16 in hardware. A check that only warns or logs lets the node run anyway, "
        "which is the fallback the policy forbids. A branch that only returns a value (`return False`) is a "
        "predicate for its caller and is not flagged."
    )
    example = (
        "import torch\n\n"
        "def require_bf16():\n"
        "    if not torch.cuda.is_bf16_supported():\n"
        f'        raise RuntimeError("{REQUIREMENT}")\n'
    )
    fixed = (
        "import torch\n\n"
        "def require_bf16():\n"
        "    if not torch.cuda.is_bf16_supported(including_emulation=False):\n"
        f'        raise RuntimeError("{REQUIREMENT}")\n'
    )
    fix_safety = (
        "Safe for `is_bf16_supported()`: `including_emulation=False` is added (or `True` becomes `False`), which "
        "only makes the check strict. A check that warns instead of raising is reported without a fix: the "
        "error and its message need a human."
    )
    watches = IS_BF16_SUPPORTED
    strings = last_segments(CAPABILITY_QUERIES)

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        if ctx.qualified(node.func) not in IS_BF16_SUPPORTED or has_star_kwargs(node):
            return
        spelled = dotted_text(node.func) or "is_bf16_supported"
        given = keyword(node, BF16_EMULATION_KEYWORD)
        value = given.value if given is not None else (node.args[0] if node.args else None)
        message = (
            f"`{spelled}()` also answers True on pre-Ampere GPUs that only emulate BF16; the policy requires "
            f"failing fast without BF16 hardware: pass `{BF16_EMULATION_KEYWORD}=False`"
        )
        if value is None:
            added = insert_keyword_fix(
                ctx, node, f"{BF16_EMULATION_KEYWORD}=False", "Add `including_emulation=False`", ()
            )
            yield ctx.report(node, message, fix=added, facts=SoftCheckFacts("is_bf16_supported", None, ABSENT_VALUE))
            return
        seen = followed_value(ctx, value)
        if isinstance(seen, ast.Constant) and seen.value is False:
            return
        fix: Fix | None = None
        if isinstance(value, ast.Constant) and value.value is True:
            fix = Fix(
                Applicability.SAFE,
                "Use `including_emulation=False`",
                (Edit(ctx.start(value), ctx.end(value), "False"),),
            )
        yield ctx.report(node, message, fix=fix, facts=SoftCheckFacts("is_bf16_supported", None, ctx.resolve(value)))

    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        found = capability_check(ctx, node)
        if found is None or always_raises(ctx, found.failing):
            return
        what = _soft_failure(ctx, found.failing, found.after)
        if what is None:
            return
        if found.after and what.startswith("it "):
            what = "the code after this `if` " + what[3:]
        if _picks_fallback(ctx, [*node.body, *node.orelse, *(found.failing if found.after else [])]):
            return  # a dtype or CPU fallback: BLY105 / BLY301 report this `if`
        test = "`is_bf16_supported()` check" if found.kind == "bf16" else "capability check"
        yield ctx.report_span(
            node,
            node.test,
            f"this {test} does not fail fast: on a GPU below compute capability 8.0 {what}; the policy says "
            f'code must fail fast if BF16 is not supported: `raise RuntimeError("{REQUIREMENT}")` there',
            facts=SoftCheckFacts(found.kind, what, None),
        )


def _soft_failure(ctx: Context, body: list[ast.stmt], after: bool) -> str | None:
    """What a failing branch does instead of raising, when we can tell it surely does not
    raise; None when it may (an unknown call) or when it only returns a value (a predicate
    helper such as `return False`: its caller decides)."""
    if not body:
        if after:
            return "the code after this `if` silently continues"
        return "the code silently continues (there is no `else`)"
    what: str | None = None
    for stmt in body:
        for node in walk_no_defs(stmt):
            if isinstance(node, ast.Raise):
                return None
            if isinstance(node, ast.Call) and fails_fast(ctx, node):
                return None
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                continue  # a docstring or `...`
            if not isinstance(value, ast.Call):
                return None
            said = _what_call_does(ctx, value)
            if said is None:
                return None
            what = what or said
        elif isinstance(stmt, ast.Pass):
            what = what or "it does nothing (`pass`)"
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            what = what or "it only sets a value"
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None and not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None):
                return what  # `return False`: a predicate; after a warning: still soft
            return what or "it returns without an error"
        elif isinstance(stmt, (ast.Continue, ast.Break)):
            return what or "it skips ahead without an error"
        else:
            return None  # loops, nested conditions, try blocks: not sure
    return what


def _what_call_does(ctx: Context, call: ast.Call) -> str | None:
    spelled = dotted_text(call.func) or ""
    qualified = ctx.qualified(call.func) or spelled
    if qualified in WARNING_CALLS:
        return f"it only warns (`{spelled}`)"
    if qualified in PRINT_CALLS or spelled in PRINT_CALLS:
        return "it only prints"
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
        receiver = (dotted_text(func.value) or "").lower()
        if "log" in receiver or qualified.startswith("logging."):
            return f"it only logs (`{spelled}`)"
    return None


def _picks_fallback(ctx: Context, stmts: list[ast.stmt]) -> bool:
    """Does this code choose a non-BF16 dtype or the CPU? BLY105 / BLY301 report that
    conditional already."""
    for stmt in stmts:
        for node in walk_no_defs(stmt):
            value: ast.expr | None = None
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)) or (
                isinstance(node, ast.keyword) and node.arg in DTYPE_KEYWORDS
            ):
                value = node.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CAST_METHODS
                and not node.args
            ):
                return True
            if value is not None:
                dtype = ctx.dtype_value(value, strings=True)
                if dtype is not None and dtype != BF16:
                    return True
                if is_cpu(device_kind(ctx, value), index=False):
                    return True
    return False
