"""BLY102 non-bf16-cast: a cast to a non-BF16 dtype (policy: "Precision by Component", "No Mixed Precision")."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.devices import DEVICE_MOVE_METHOD
from ...data.dtypes import BF16, CAST_METHODS, LEGACY_TYPE_STRINGS, TYPE_METHOD, dtype_label
from ...facts import CastFacts, Value
from ...findings import Applicability, Fix, Position
from ...fixes.edits import bf16_attr_fix, method_call_edits, method_span, torch_name, torch_spelling
from ...names import keyword, string_value
from .._loads import origin_of
from .._values import cast_reason, unsafe
from ..base import Report, Rule
from .dtype_arguments import CAST_WORDS, dtype_argument


class NonBf16Cast(Rule):
    code = "BLY102"
    name = "non-bf16-cast"
    summary = "A cast to a non-BF16 dtype: `.half()`, `.float()`, `.double()`, `.to(<dtype>)`, `.type(<dtype>)`."
    policy = "Precision by Component: Student, Inference and Learning models: BF16. No Mixed Precision."
    why = (
        "Casting a model or tensor away from BF16 changes the numbers every later op produces, and a "
        "`.float()` in the middle of a forward pass is mixed precision by another name. `.to(device)` and "
        "`.to(torch.bfloat16)` are fine."
    )
    example = (
        "import torch\n\n"
        "def prepare(model):\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        '        raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n'
        "    return model.half()\n"
    )
    fixed = (
        "import torch\n\n"
        "def prepare(model):\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        '        raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n'
        "    return model.to(torch.bfloat16)\n"
    )
    fix_safety = (
        "Safe: `.half()`, `.float()` and `.double()` become `.to(torch.bfloat16)` (using the file's alias for "
        "torch, adding `import torch` if needed); the dtype in `.to(...)` / `.type(...)` is replaced by BF16. "
        "This is safe only for a value known to be a model (a loader's result, an `nn.Module` construction or "
        "subclass, a parameter annotated as one, a name that says model and not data). A cast of anything else "
        "(`torch.arange(n).float()`, masks, positions, a tensor of unknown origin) is an unsafe fix, offered only "
        "with `--unsafe-fixes`, with a title that says why: BF16 holds integers exactly only up to 256. A dtype "
        "held in a variable is reported without a fix: fix it where it is bound."
    )
    methods = frozenset({*CAST_METHODS, DEVICE_MOVE_METHOD, TYPE_METHOD})
    supersedes = frozenset({"BLY101"})
    statement_words = CAST_WORDS  # `.to(x)` and `.type(x)` are flagged only for a dtype, which spells one

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        method = func.attr
        if method in CAST_METHODS:
            if ctx.qualified(func.value) is not None:
                return  # a module function (`np.float`), not a tensor method
            if node.args or any(kw.arg != "memory_format" for kw in node.keywords):
                return
            start, end = method_span(ctx, node)
            spelled = torch_name(ctx, node)
            torch = "torch" if spelled is None else spelled[0]
            facts = self._facts(ctx, node, start, method, "", CAST_METHODS[method], None)
            # `memory_format=` is kept: `.to()` takes it too, and dropping it changes the layout
            kept = [ctx.source(kw.value) for kw in node.keywords]
            # over several lines the arguments may hold comments, which the edit would drop
            keeps_arguments = all(kept) and (not kept or start.line == end.line)
            fix = None
            if spelled is not None and keeps_arguments and not _feeds_numpy(ctx, node):
                arguments = "".join((f"{torch}.bfloat16", *(f", memory_format={text}" for text in kept)))
                edits = method_call_edits(ctx, node, "to", arguments)
                fix = _cast_fix(ctx, Fix(Applicability.SAFE, self.fix_title(torch), edits, spelled[1]), func.value)
            yield Report(start, end, self.message(facts, torch), fix=fix, facts=facts)
        elif method == DEVICE_MOVE_METHOD:
            yield from self._to(node, ctx)
        elif method == TYPE_METHOD and len(node.args) == 1 and not node.keywords:
            yield from self._type(node, ctx)

    def _to(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        candidates = [*node.args]
        dtype_kw = keyword(node, "dtype")
        if dtype_kw is not None:
            candidates.append(dtype_kw.value)
        for arg in candidates:
            found = dtype_argument(ctx, arg)
            if found is None or found[1] == BF16:
                continue
            if dtype_kw is not None and arg is dtype_kw.value:
                found = (f"dtype={found[0]}", found[1], found[2])
            start, end = method_span(ctx, node)
            yield self._cast_report(ctx, node, start, end, arg, found, "to")
            return

    def _type(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        arg = node.args[0]
        found = dtype_argument(ctx, arg)
        text = string_value(arg)
        if found is None and text in LEGACY_TYPE_STRINGS:
            found = (f'"{text}"', LEGACY_TYPE_STRINGS[text], "")
        if found is None or found[1] == BF16:
            return
        start, end = method_span(ctx, node)
        yield self._cast_report(ctx, node, start, end, arg, found, "type")

    def _cast_report(
        self,
        ctx: Context,
        call: ast.Call,
        start: Position,
        end: Position,
        arg: ast.expr,
        found: tuple[str, str, str],
        method: str,
    ) -> Report:
        written, canonical, _ = found
        qualified = ctx.qualified(arg)
        fix = bf16_attr_fix(ctx, arg, qualified) if qualified else None
        fix = None if _feeds_numpy(ctx, call) else _cast_fix(ctx, fix, call.func.value)  # type: ignore[attr-defined]
        facts = self._facts(ctx, call, start, method, written, canonical, ctx.resolve(arg))
        return Report(
            start, end, self.message(facts, torch_spelling(ctx, call)), fix=fix, covers=(ctx.span(arg),), facts=facts
        )

    @staticmethod
    def _facts(
        ctx: Context, call: ast.Call, start: Position, method: str, spelling: str, dtype: str, argument: Value | None
    ) -> CastFacts:
        receiver = call.func.value  # type: ignore[attr-defined]
        return CastFacts(
            method=method,
            spelling=spelling,
            dtype=dtype,
            argument=argument,
            receiver=ctx.source(receiver),
            origin=origin_of(ctx, receiver),
            line=start.line,
            col=start.col,
        )

    @staticmethod
    def message(facts: CastFacts, torch: str) -> str:
        note = facts.argument.note() if facts.argument is not None else ""
        return (
            f"`.{facts.method}({facts.spelling})` casts to {dtype_label(facts.dtype)}{note}; the policy requires "
            f"BF16: use `.to({torch}.bfloat16)`"
        )

    @staticmethod
    def fix_title(torch: str) -> str:
        return f"Use `.to({torch}.bfloat16)`"


def _feeds_numpy(ctx: Context, call: ast.Call) -> bool:
    """`t.float().numpy()`, `np.asarray(t.half())`: NumPy has no bfloat16, so `.to(bfloat16)`
    there would raise; no fix can keep that code's meaning (a human decides)."""
    parent = ctx.parent
    if isinstance(parent, ast.Attribute) and parent.value is call and parent.attr == "numpy":
        return True
    if isinstance(parent, ast.Call) and call in parent.args:
        qualified = ctx.qualified(parent.func) or ""
        return qualified.startswith("numpy.")
    return False


def _cast_fix(ctx: Context, fix: Fix | None, receiver: ast.expr) -> Fix | None:
    """A cast's fix is safe only on a value known to be a model (RULES.md "Fix safety")."""
    reason = cast_reason(ctx, receiver)
    return fix if reason is None else unsafe(fix, reason)
