"""BLY3xx: CPU mode and hardware guards (policy: "No CPU Mode", "No Fallbacks", "Clear Errors").

BF16 needs an NVIDIA GPU of compute capability 8.0 (Ampere) or newer. These rules flag code
that runs without one (a CPU fallback, a model placed on the CPU), modules that use BF16
without checking the GPU first, checks that do not fail fast, and errors that do not say
what is required.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from ..context import Context
from ..data import names as tables
from ..findings import Applicability, Edit, Fix, Position
from ..names import dotted_text, has_star_kwargs, is_true, keyword, string_value
from ._common import insert_keyword_fix, method_span, torch_name, walk_within
from .base import Report, Rule
from .precision import is_model_class

BF16 = tables.BF16
NO_CPU_MODE = "Enforcement: No CPU Mode: BF16 requires GPU support."
NO_FALLBACKS = "Enforcement: No Fallbacks: Code must fail fast if BF16 not supported."
CLEAR_ERRORS = "Enforcement: Clear Errors: Explicitly state GPU requirements in error messages."
HARDWARE = "Hardware Requirements: GPU: NVIDIA Ampere or newer (Compute Capability 8.0+)."

REQUIREMENT = "BF16 requires an NVIDIA Ampere or newer GPU (compute capability 8.0+)"
_HARDWARE_QUERIES = (
    tables.CUDA_IS_AVAILABLE | tables.GET_DEVICE_CAPABILITY | tables.IS_BF16_SUPPORTED | tables.GET_DEVICE_PROPERTIES
)
# How far chains of local bindings (`dev = DEVICE`, `DEVICE = "cpu"`) are followed.
_MAX_HOPS = 6

# What a true test means for the GPU: it lacks BF16 (`cap < 8`) or has it (`cap >= 8`).
_FAILS, _PASSES = "fails", "passes"


def _guard_text(torch: str = "torch") -> str:
    return f'if {torch}.cuda.get_device_capability()[0] < 8: raise RuntimeError("{REQUIREMENT}")'


# -- local bindings ------------------------------------------------------------------------


class _Bindings:
    """Assignments seen so far in one file: (frame, target) -> [(end of statement, value)].

    The engine keeps the last literal a name was bound to; these also keep attribute
    targets (`self.model = ...`), tuple unpacking (`major, minor = ...`) and any value, and
    answer "what was this bound to before this node", so `model = model.cpu()` reads the
    old `model` on its right-hand side.
    """

    def __init__(self) -> None:
        # end of the binding statement as (line, byte column): cheap to compare, no decoding
        self._table: dict[tuple[int, str], list[tuple[tuple[int, int], ast.expr | None]]] = {}
        self._recorded: set[int] = set()  # every BLY3xx rule sees each assignment; record it once
        # BLY303-305 all ask what each `if` checks: answered once per node.
        self.checks: dict[int, _Check | None] = {}

    def record(self, ctx: Context, node: ast.Assign | ast.AnnAssign) -> None:
        if node.value is None or id(node) in self._recorded:
            return
        self._recorded.add(id(node))
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        for target in targets:
            self._assign(ctx.frames[-1], target, node.value, end, 0)

    def _assign(self, frame: int, target: ast.expr, value: ast.expr | None, end: tuple[int, int], depth: int) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            starred = any(isinstance(e, ast.Starred) for e in elts)
            values: list[ast.expr | None]
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elts) and not starred:
                values = list(value.elts)
            elif value is not None and not starred and depth < 4:
                values = [
                    ast.copy_location(ast.Subscript(value, ast.Constant(i), ast.Load()), value)
                    for i in range(len(elts))
                ]
            else:
                values = [None] * len(elts)
            for element, element_value in zip(elts, values, strict=True):
                self._assign(frame, element, element_value, end, depth + 1)
            return
        if isinstance(target, ast.Starred):
            self._assign(frame, target.value, None, end, depth + 1)
            return
        key = dotted_text(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if key is not None:
            self._table.setdefault((frame, key), []).append((end, value))

    def lookup(self, ctx: Context, node: ast.expr, same_frame: bool = False) -> ast.expr | None:
        """The value `node` (a name or `self.attr`) was last bound to before it, or None."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return None
        key = dotted_text(node)
        if key is None or not hasattr(node, "lineno"):
            return None
        frames = ctx.frames[-1:] if same_frame else reversed(ctx.frames)
        found = [entries for entries in (self._table.get((frame, key)) for frame in frames) if entries]
        if not found:
            return None
        here = (node.lineno, node.col_offset)
        for entries in found:
            for end, value in reversed(entries):
                if end <= here:
                    return value
        return None


class _HardwareRule(Rule):
    """Per-file state (local bindings and what the rule has seen), kept in the file's
    context (`ctx.extras`) so it goes away with the file; the bindings are shared by all
    BLY3xx rules and recorded once whichever of them is selected."""

    applies_to_teacher = True

    def _state(self, ctx: Context) -> _FileState:
        state = ctx.extras.get(self)
        if state is None:
            bindings = ctx.extras.get(_Bindings)
            if bindings is None:
                bindings = ctx.extras[_Bindings] = _Bindings()
            state = ctx.extras[self] = _FileState(bindings)
        return state  # type: ignore[return-value]

    def _bind(self, node: ast.AST, ctx: Context) -> bool:
        """Record an assignment; True when `node` was one (and needs no other check)."""
        if type(node) is ast.Assign or type(node) is ast.AnnAssign:
            bindings = ctx.extras.get(_Bindings)
            if bindings is None:
                bindings = self._state(ctx).bindings
            bindings.record(ctx, node)  # type: ignore[union-attr, arg-type]
            return True
        return False


@dataclass
class _FileState:
    bindings: _Bindings
    first_bf16: tuple[ast.AST, Position, Position, str] | None = None
    guarded: bool = False
    soft_check_line: int | None = None


def _followed(ctx: Context, bindings: _Bindings, node: ast.expr) -> ast.expr:
    """What a name stands for, through a few local bindings; the node itself otherwise."""
    current = node
    for _ in range(_MAX_HOPS):
        if not isinstance(current, (ast.Name, ast.Attribute)):
            break
        bound = bindings.lookup(ctx, current)
        if bound is None or bound is current:
            break
        current = bound
    return current


# -- devices -------------------------------------------------------------------------------

_CPU, _CPU_INDEX, _GPU = "cpu", "cpu-index", "gpu"


def _device_kind(ctx: Context, bindings: _Bindings, node: ast.expr | None, depth: int = 0) -> str | None:
    """`"cpu"` / `torch.device("cpu")` -> cpu; `"cuda:0"` / `torch.device("cuda")` -> gpu;
    -1 -> cpu-index and other ints -> gpu (the transformers pipeline convention)."""
    if node is None or depth > _MAX_HOPS:
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in tables.CPU_DEVICE_STRINGS or text.split(":", 1)[0] in tables.CPU_DEVICE_STRINGS:
                return _CPU
            if text.startswith(tables.GPU_DEVICE_PREFIXES):
                return _GPU
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return _CPU_INDEX if value == tables.CPU_DEVICE_INDEX else (_GPU if value >= 0 else None)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        operand = node.operand.value
        if isinstance(operand, int) and not isinstance(operand, bool) and -operand == tables.CPU_DEVICE_INDEX:
            return _CPU_INDEX
        return None
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        return _GPU if text.lower().startswith(tables.GPU_DEVICE_PREFIXES) else None
    if isinstance(node, ast.Call):
        if ctx.qualified(node.func) in tables.TORCH_DEVICE:
            arg = node.args[0] if node.args else None
            if arg is None:
                found = keyword(node, "type")
                arg = found.value if found is not None else None
            kind = _device_kind(ctx, bindings, arg, depth + 1)
            return _CPU if kind == _CPU else (_GPU if kind == _GPU else None)
        return None
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = bindings.lookup(ctx, node)
        if bound is not None and bound is not node:
            return _device_kind(ctx, bindings, bound, depth + 1)
    return None


def _is_cpu(kind: str | None, index: bool) -> bool:
    return kind == _CPU or (index and kind == _CPU_INDEX)


def _hardware_query(ctx: Context, bindings: _Bindings, test: ast.AST) -> str | None:
    """The hardware query a test asks (`torch.cuda.is_available`), directly or through a
    local name bound to one (`use_cuda = torch.cuda.is_available()`)."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            qualified = ctx.qualified(node.func)
            if qualified in _HARDWARE_QUERIES:
                return qualified
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(getattr(node, "ctx", None), ast.Load):
            bound = _followed(ctx, bindings, node)
            if bound is not node:
                for inner in ast.walk(bound):
                    if isinstance(inner, ast.Call) and ctx.qualified(inner.func) in _HARDWARE_QUERIES:
                        return ctx.qualified(inner.func)
    return None


def _flag_test(test: ast.expr) -> str | None:
    """A bare switch (`args.cpu`, `not use_gpu`): the spelling of the flag, else None."""
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, (ast.Name, ast.Attribute)):
        return dotted_text(test)
    return None


def _when(query: str | None, flag: str | None) -> str:
    if query in tables.CUDA_IS_AVAILABLE:
        return "when CUDA is unavailable"
    if query is not None:
        return "when the GPU lacks BF16 support"
    return f"depending on `{flag}`"


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _walk_no_defs(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of a statement, without descending into nested functions and classes."""
    return walk_within(node, _DEFS)


def _ifexp_leaves(node: ast.expr, leaves: list[ast.expr], tests: list[ast.expr]) -> None:
    if isinstance(node, ast.IfExp):
        tests.append(node.test)
        _ifexp_leaves(node.body, leaves, tests)
        _ifexp_leaves(node.orelse, leaves, tests)
    else:
        leaves.append(node)


def _block_of(ctx: Context, node: ast.stmt) -> tuple[list[ast.stmt], int] | None:
    """The statement list holding `node` in its parent, and its index there."""
    parent = ctx.parent
    if parent is None:
        return None
    for _, value in ast.iter_fields(parent):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is node:
                    return value, i
    return None


def _terminates(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _after(ctx: Context, node: ast.stmt) -> list[ast.stmt]:
    """The statements that run after `node` in its block, up to the first that leaves it."""
    found = _block_of(ctx, node)
    if found is None:
        return []
    block, index = found
    following: list[ast.stmt] = []
    for stmt in block[index + 1 :]:
        following.append(stmt)
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            break
    return following


# -- capability checks ---------------------------------------------------------------------


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _version(node: ast.expr) -> tuple[float, ...] | None:
    if isinstance(node, ast.Tuple) and node.elts:
        numbers = [_number(e) for e in node.elts]
        if all(n is not None for n in numbers):
            return tuple(n for n in numbers if n is not None)
    return None


def _capability_value(ctx: Context, bindings: _Bindings, node: ast.expr, depth: int = 0) -> str | None:
    """ "tuple" for `get_device_capability()`, "major" for its `[0]` (or a name bound to it,
    or `get_device_properties(...).major`), "props" for `get_device_properties(...)`."""
    if depth > _MAX_HOPS:
        return None
    if isinstance(node, ast.NamedExpr):  # `if (major := cap()[0]) < 8:`
        return _capability_value(ctx, bindings, node.value, depth + 1)
    if isinstance(node, ast.Call):
        qualified = ctx.qualified(node.func)
        if qualified in tables.GET_DEVICE_CAPABILITY:
            return "tuple"
        if qualified in tables.GET_DEVICE_PROPERTIES:
            return "props"
        return None
    if isinstance(node, ast.Tuple) and len(node.elts) >= 2:
        # `(major, minor) < (8, 0)`
        return "tuple" if _capability_value(ctx, bindings, node.elts[0], depth + 1) == "major" else None
    if isinstance(node, ast.Subscript):
        index = node.slice
        if (
            isinstance(index, ast.Constant)
            and index.value == 0
            and not isinstance(index.value, bool)
            and _capability_value(ctx, bindings, node.value, depth + 1) == "tuple"
        ):
            return "major"
        return None
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "major"
        and _capability_value(ctx, bindings, node.value, depth + 1) == "props"
    ):
        return "major"
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = bindings.lookup(ctx, node)
        if bound is not None and bound is not node:
            return _capability_value(ctx, bindings, bound, depth + 1)
    return None


_MIRROR: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def _compare_means(ctx: Context, bindings: _Bindings, node: ast.Compare) -> str | None:
    """What a true `cap()[0] < 8`-like comparison means: the GPU fails or passes."""
    if len(node.ops) != 1 or len(node.comparators) != 1:
        return None
    op, left, right = type(node.ops[0]), node.left, node.comparators[0]
    kind = _capability_value(ctx, bindings, left)
    other = right
    if kind is None:
        kind = _capability_value(ctx, bindings, right)
        other = left
        if kind is None or op not in _MIRROR:
            return None
        op = _MIRROR[op]
    major = float(tables.BF16_MIN_MAJOR)
    if kind == "major":
        bound = _number(other)
        if bound is None:
            return None
        if (op is ast.Lt and bound == major) or (op is ast.LtE and bound == major - 1):
            return _FAILS
        if (op is ast.GtE and bound == major) or (op is ast.Gt and bound == major - 1):
            return _PASSES
        return None
    if kind == "tuple":
        version = _version(other)
        if version is None or version[0] != major or any(v != 0 for v in version[1:]):
            return None
        if op is ast.Lt:
            return _FAILS
        if op is ast.GtE:
            return _PASSES
    return None


def _atom_means(ctx: Context, bindings: _Bindings, node: ast.expr, depth: int) -> tuple[str, str] | None:
    """(fails/passes when true, "capability" or "bf16") for one operand of a test."""
    if isinstance(node, ast.Compare):
        means = _compare_means(ctx, bindings, node)
        return (means, "capability") if means else None
    if isinstance(node, ast.Call) and ctx.qualified(node.func) in tables.IS_BF16_SUPPORTED:
        return _PASSES, "bf16"
    if isinstance(node, (ast.Name, ast.Attribute)) and depth < _MAX_HOPS:
        bound = bindings.lookup(ctx, node)
        if bound is not None and bound is not node:
            return _test_means(ctx, bindings, bound, depth + 1)
    return None


def _test_means(ctx: Context, bindings: _Bindings, test: ast.expr, depth: int = 0) -> tuple[str, str] | None:
    """What a true test says about the GPU, when every capability operand in it agrees
    (`not a or cap < 8` fails when true; `ok and cap >= 8` passes when true)."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.expr, negated: bool) -> None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            visit(node.operand, not negated)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                visit(value, negated)
        else:
            atom = _atom_means(ctx, bindings, node, depth)
            if atom is not None:
                means, kind = atom
                if negated:
                    means = _PASSES if means == _FAILS else _FAILS
                found.append((means, kind))

    visit(test, False)
    meanings = {means for means, _ in found}
    if len(meanings) != 1:
        return None
    kinds = {kind for _, kind in found}
    return meanings.pop(), ("capability" if "capability" in kinds else "bf16")


@dataclass(frozen=True)
class _Check:
    """A capability check and the code that runs when the GPU lacks BF16."""

    node: ast.If
    kind: str  # "capability" (get_device_capability) or "bf16" (is_bf16_supported)
    failing: list[ast.stmt]
    after: bool  # the failing side is the code after the `if` (its body returns early)


def _capability_check(ctx: Context, bindings: _Bindings, node: ast.If) -> _Check | None:
    key = id(node)
    if key not in bindings.checks:
        bindings.checks[key] = _judge_check(ctx, bindings, node)
    return bindings.checks[key]


def _judge_check(ctx: Context, bindings: _Bindings, node: ast.If) -> _Check | None:
    found = _test_means(ctx, bindings, node.test)
    if found is None:
        return None
    means, kind = found
    if means == _FAILS:
        return _Check(node, kind, node.body, False)
    if node.orelse:
        return _Check(node, kind, node.orelse, False)
    if _terminates(node.body):
        return _Check(node, kind, _after(ctx, node), True)
    return _Check(node, kind, [], False)


def _is_guard_call(ctx: Context, call: ast.Call) -> bool:
    """A call to one of the configured `guard-functions`."""
    guards = ctx.settings.guard_functions
    if not guards:
        return False
    spelled = dotted_text(call.func)
    qualified = ctx.qualified(call.func)
    last = spelled.rsplit(".", 1)[-1] if spelled else None
    for guard in guards:
        if guard in (last, spelled, qualified):
            return True
        if any(name and name.endswith("." + guard) for name in (spelled, qualified)):
            return True
    return False


def _fails_fast(ctx: Context, call: ast.Call) -> bool:
    name = ctx.qualified(call.func) or dotted_text(call.func)
    return name in tables.FAIL_FAST_CALLS or _is_guard_call(ctx, call)


def _always_raises(ctx: Context, body: list[ast.stmt]) -> bool:
    """Does this block always raise (or exit, or call a guard function) before leaving?"""
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _fails_fast(ctx, stmt.value):
            return True
        if isinstance(stmt, ast.If) and _always_raises(ctx, stmt.body) and _always_raises(ctx, stmt.orelse):
            return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and _always_raises(ctx, stmt.body):
            return True
        if isinstance(stmt, (ast.Return, ast.Continue, ast.Break)):
            return False
    return False


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
        for node in _walk_no_defs(stmt):
            if isinstance(node, ast.Raise):
                return None
            if isinstance(node, ast.Call) and _fails_fast(ctx, node):
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
    if qualified in tables.WARNING_CALLS:
        return f"it only warns (`{spelled}`)"
    if qualified in tables.PRINT_CALLS or spelled in tables.PRINT_CALLS:
        return "it only prints"
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in tables.LOG_METHODS:
        receiver = (dotted_text(func.value) or "").lower()
        if "log" in receiver or qualified.startswith("logging."):
            return f"it only logs (`{spelled}`)"
    return None


def _picks_fallback(ctx: Context, bindings: _Bindings, stmts: list[ast.stmt]) -> bool:
    """Does this code choose a non-BF16 dtype or the CPU? BLY105 / BLY301 report that
    conditional already."""
    for stmt in stmts:
        for node in _walk_no_defs(stmt):
            value: ast.expr | None = None
            dtype_keyword = isinstance(node, ast.keyword) and node.arg in tables.DTYPE_KEYWORDS
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)) or dtype_keyword:
                value = node.value  # type: ignore[union-attr]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in tables.CAST_METHODS
                and not node.args
            ):
                return True
            if value is not None:
                dtype = ctx.dtype_value(value, strings=True)
                if dtype is not None and dtype != BF16:
                    return True
                if _is_cpu(_device_kind(ctx, bindings, value), index=False):
                    return True
    return False


# -- BLY301 --------------------------------------------------------------------------------


class CpuFallback(_HardwareRule):
    code = "BLY301"
    name = "cpu-fallback"
    summary = (
        'Device selection that falls back to the CPU: `"cuda" if torch.cuda.is_available() else "cpu"`, '
        'the same as an if/else statement, a `"cpu"` default overridden under a CUDA test, or an early '
        '`return "cpu"`.'
    )
    policy = NO_CPU_MODE
    why = (
        "BF16 inference and learning need an Ampere-or-newer GPU. A node that quietly picks the CPU when "
        "CUDA is missing computes with different kernels (and often another dtype), so its results no "
        "longer match the network's; the policy wants it to stop instead. A bare switch such as "
        '`"cpu" if args.cpu else "cuda"` is a CPU mode too and is reported the same way.'
    )
    example = (
        'import torch\n\ndef pick_device():\n    return torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
    )
    fixed = 'import torch\n\ndef pick_device():\n    return torch.device("cuda")\n'
    fix_safety = (
        "Unsafe: a conditional expression is replaced by its CUDA branch, which removes the test; offered "
        "only when the test calls nothing but CUDA queries. if/else statements, defaults and early returns "
        "are reported without a fix."
    )
    node_types = (ast.IfExp, ast.If, ast.Assign, ast.AnnAssign)
    triggers = ("cpu", "CPU", "-1")

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        if self._bind(node, ctx):
            return
        bindings = self._state(ctx).bindings
        if isinstance(node, ast.IfExp):
            yield from self._expression(node, ctx, bindings)
        elif isinstance(node, ast.If):
            yield from self._statement(node, ctx, bindings)

    def _expression(self, node: ast.IfExp, ctx: Context, bindings: _Bindings) -> Iterator[Report]:
        parent = ctx.parent
        if isinstance(parent, ast.IfExp) and node is not parent.test:
            return  # the outermost conditional of a chain reports for the whole chain
        leaves: list[ast.expr] = []
        tests: list[ast.expr] = []
        _ifexp_leaves(node, leaves, tests)
        query = next((q for q in (_hardware_query(ctx, bindings, t) for t in tests) if q), None)
        flag = None if query else next((f for f in map(_flag_test, tests) if f), None)
        kinds = [_device_kind(ctx, bindings, leaf) for leaf in leaves]
        if not _falls_back(kinds, query, flag):
            return
        gpu_leaves = [leaf for leaf, kind in zip(leaves, kinds, strict=True) if kind == _GPU]
        others = [leaf for leaf, kind in zip(leaves, kinds, strict=True) if not _is_cpu(kind, index=True)]
        keep = gpu_leaves[0] if len(gpu_leaves) == 1 else (others[0] if len(others) == 1 else None)
        fix = None
        if keep is not None and all(_only_queries(ctx, test) for test in tests):
            fix = Fix(
                Applicability.UNSAFE,
                "Keep only the CUDA branch",
                (Edit(ctx.start(node), ctx.end(node), ctx.source(keep)),),
            )
        use = f"`{ctx.source(keep)}`" if keep is not None else "a CUDA device"
        yield ctx.report(
            node,
            f"{'CPU fallback' if query else 'CPU mode'}: selects the CPU {_when(query, flag)}; the policy has no "
            f"CPU mode (BF16 requires GPU support): use {use} unconditionally and fail fast without a suitable GPU",
            fix=fix,
        )

    def _statement(self, node: ast.If, ctx: Context, bindings: _Bindings) -> Iterator[Report]:
        parent = ctx.parent
        if isinstance(parent, ast.If) and len(parent.orelse) == 1 and parent.orelse[0] is node:
            return  # an elif: its chain was judged at the first `if`
        tests: list[ast.expr] = []
        branches: list[list[ast.stmt]] = []
        current = node
        while True:
            tests.append(current.test)
            branches.append(current.body)
            if len(current.orelse) == 1 and isinstance(current.orelse[0], ast.If):
                current = current.orelse[0]
                continue
            break
        query = next((q for q in (_hardware_query(ctx, bindings, t) for t in tests) if q), None)
        flag = None if query else next((f for f in map(_flag_test, tests) if f), None)
        if query is None and flag is None:
            return
        picks = [p for body in branches for p in _device_picks(ctx, bindings, body)]
        if current.orelse:
            picks.extend(_device_picks(ctx, bindings, current.orelse))
        else:
            picks.extend(self._implicit_else(node, current, ctx, bindings, picks))
        if not _falls_back([kind for _, kind in picks], query, flag):
            return
        yield ctx.report_span(
            node,
            node.test,
            f"{'CPU fallback' if query else 'CPU mode'}: this `if` selects the CPU {_when(query, flag)}; the policy "
            "has no CPU mode (BF16 requires GPU support): use a CUDA device unconditionally and fail fast "
            "without a suitable GPU",
        )

    @staticmethod
    def _implicit_else(
        node: ast.If, last: ast.If, ctx: Context, bindings: _Bindings, picks: list[tuple[str, str | None]]
    ) -> list[tuple[str, str | None]]:
        """What runs when no branch is taken: a `"cpu"` default assigned before the `if`
        (`device = "cpu"` then `if cuda: device = "cuda"`), or, after an early return,
        the statements that follow (`return "cpu"`)."""
        if last.body and isinstance(last.body[-1], ast.Return):
            return _device_picks(ctx, bindings, _after(ctx, node))
        found: list[tuple[str, str | None]] = []
        block = _block_of(ctx, node)
        for target, _ in picks:
            if target == "return":
                continue
            default: ast.expr | None = None
            if block is not None:
                for stmt in reversed(block[0][: block[1]]):
                    value = _assigned(stmt, target)
                    if value is not None:
                        default = value
                        break
            if default is None and "." not in target:
                default = bindings.lookup(ctx, ast.copy_location(ast.Name(target, ast.Load()), node))
            if default is not None:
                found.append((target, _device_kind(ctx, bindings, default)))
        return found


def _assigned(stmt: ast.stmt, target: str) -> ast.expr | None:
    if isinstance(stmt, ast.Assign) and any(dotted_text(t) == target for t in stmt.targets):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and dotted_text(stmt.target) == target:
        return stmt.value
    return None


def _device_picks(ctx: Context, bindings: _Bindings, body: list[ast.stmt]) -> list[tuple[str, str | None]]:
    """(target, device kind) for each device a block assigns or returns."""
    picks: list[tuple[str, str | None]] = []
    for stmt in body:
        for node in _walk_no_defs(stmt):
            if isinstance(node, ast.Return) and node.value is not None and not isinstance(node.value, ast.IfExp):
                picks.append(("return", _device_kind(ctx, bindings, node.value)))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                if isinstance(node.value, ast.IfExp):
                    continue  # reported as an expression
                kind = _device_kind(ctx, bindings, node.value)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    spelled = dotted_text(target)
                    if spelled is not None and kind is not None:
                        picks.append((spelled, kind))
    return picks


def _falls_back(kinds: list[str | None], query: str | None, flag: str | None) -> bool:
    """CPU on one side and a hardware query deciding (or a bare switch choosing against a
    GPU); -1 counts as the CPU only against a GPU index (`0 if cuda else -1`)."""
    if _CPU in kinds:
        return query is not None or (flag is not None and _GPU in kinds)
    if _CPU_INDEX in kinds:
        return query is not None and _GPU in kinds
    return False


def _only_queries(ctx: Context, test: ast.AST) -> bool:
    return all(ctx.qualified(n.func) in _HARDWARE_QUERIES for n in ast.walk(test) if isinstance(n, ast.Call))


# -- BLY302 --------------------------------------------------------------------------------


class CpuPlacement(_HardwareRule):
    code = "BLY302"
    name = "cpu-placement"
    summary = (
        'A model or inference placed on the CPU: `device_map="cpu"` or `"cpu"`/`"disk"` in a `device_map` '
        'dict, `llm_int8_enable_fp32_cpu_offload=True`, `pipeline(..., device="cpu"/-1)`, or `.to("cpu")` / '
        "`.cpu()` on a model loaded in the same function."
    )
    policy = NO_CPU_MODE
    why = (
        "A model on the CPU (or offloaded to CPU memory or disk) runs BF16 through CPU kernels or upcasts "
        "it, so its outputs differ from the GPU nodes'. Tensors moved to the host for serialization or "
        "metrics (`logits.cpu().numpy()`, `state_dict` values) are not flagged; only values bound to a model "
        "loaded in the same function are."
    )
    example = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        "model = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18", torch_dtype=torch.bfloat16, device_map="cpu"\n'
        ")\n"
    )
    fixed = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        "model = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18", torch_dtype=torch.bfloat16, device_map="auto"\n'
        ")\n"
    )
    node_types = (ast.Call, ast.keyword, ast.Dict, ast.Assign, ast.AnnAssign)
    names = frozenset(
        {tables.CPU_MOVE_METHOD, tables.DEVICE_MOVE_METHOD, *(q.rsplit(".", 1)[-1] for q in tables.PIPELINE_FACTORIES)}
    )
    triggers = ("cpu", "CPU", "disk", "-1")

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        if self._bind(node, ctx):
            return
        bindings = self._state(ctx).bindings
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if string_value(key) == tables.DEVICE_MAP_KEYWORD:  # type: ignore[arg-type]
                    yield from self._device_map(value, ctx, bindings)
            return
        if isinstance(node, ast.keyword):
            if node.arg == tables.DEVICE_MAP_KEYWORD:
                yield from self._device_map(node.value, ctx, bindings)
            elif node.arg in tables.CPU_OFFLOAD_KEYWORDS and is_true(node.value):
                yield ctx.report(
                    node,
                    f"`{node.arg}=True` keeps the modules that do not fit on the GPU on the CPU in FP32; the policy "
                    "has no CPU mode (BF16 requires GPU support): fit the model on the GPU and drop this flag",
                )
            return
        assert isinstance(node, ast.Call)
        if ctx.qualified(node.func) in tables.PIPELINE_FACTORIES:
            device = keyword(node, tables.DEVICE_KEYWORD)
            if device is not None and _is_cpu(_device_kind(ctx, bindings, device.value), index=True):
                yield ctx.report(
                    device.value,
                    f"`pipeline(device={ctx.source(device.value)})` runs inference on the CPU; the policy has no "
                    'CPU mode (BF16 requires GPU support): use a CUDA device (`device=0`) or `device_map="auto"`',
                )
        yield from self._move(node, ctx, bindings)

    def _device_map(self, value: ast.expr, ctx: Context, bindings: _Bindings) -> Iterator[Report]:
        mapping = _followed(ctx, bindings, value)
        if isinstance(mapping, ast.Dict):
            for key, target in zip(mapping.keys, mapping.values, strict=True):
                where = _offload_target(ctx, bindings, target)
                if where is not None:
                    module = string_value(key)  # type: ignore[arg-type]
                    what = f'"{module}"' if module else "the whole model" if module == "" else "a module"
                    yield ctx.report(
                        target,
                        f"`device_map` sends {what} to {where}; the policy has no CPU mode (BF16 requires GPU "
                        'support): place every module on a GPU (`device_map="auto"` with enough GPU memory)',
                    )
            return
        where = _offload_target(ctx, bindings, value)
        if where is None:
            return
        followed = _followed(ctx, bindings, value)
        note = (
            ""
            if followed is value
            else f" (`{dotted_text(value)}` is `{ctx.source(followed)}`, line {followed.lineno})"
        )
        yield ctx.report(
            value,
            f"`device_map={ctx.source(value)}`{note} places the model on {where}; the policy has no CPU mode "
            '(BF16 requires GPU support): use `device_map="auto"` or a CUDA device',
        )

    def _move(self, node: ast.Call, ctx: Context, bindings: _Bindings) -> Iterator[Report]:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        if func.attr == tables.CPU_MOVE_METHOD:
            if node.args:
                return
        elif func.attr == tables.DEVICE_MOVE_METHOD:
            device = keyword(node, tables.DEVICE_KEYWORD)
            targets = [*node.args[:1], *([device.value] if device is not None else [])]
            if not any(_is_cpu(_device_kind(ctx, bindings, t), index=False) for t in targets):
                return
        else:
            return
        loaded = _loaded_model(ctx, bindings, func.value)
        if loaded is None:
            return
        start, end = method_span(ctx, node)
        receiver = dotted_text(func.value)
        if receiver is None or isinstance(func.value, ast.Call):
            what = "the freshly loaded model"
        else:
            what = f"`{receiver}` (the model loaded on line {loaded.lineno})"
        written = ctx.lines[start.line - 1][start.col - 1 : end.col - 1] if start.line == end.line else ""
        yield Report(
            start,
            end,
            f"`.{written or func.attr + '(...)'}` moves {what} to the CPU; the policy has no CPU mode (BF16 "
            "requires GPU support): keep the model on the GPU",
        )


def _offload_target(ctx: Context, bindings: _Bindings, value: ast.expr) -> str | None:
    followed = _followed(ctx, bindings, value)
    text = string_value(followed)  # type: ignore[arg-type]
    if text is not None and text.strip().lower() in tables.OFFLOAD_DEVICE_STRINGS:
        return "the disk" if text.strip().lower() == "disk" else "the CPU"
    if isinstance(followed, ast.Call) and _device_kind(ctx, bindings, followed) == _CPU:
        return "the CPU"
    return None


def _loaded_model(ctx: Context, bindings: _Bindings, node: ast.expr, depth: int = 0) -> ast.Call | None:
    """The loader call (`X.from_pretrained(...)`, `pipeline(...)`) a value comes from, through
    names and `self.` attributes bound in the same function and module methods that return
    the module (`model.eval()`)."""
    if depth > _MAX_HOPS:
        return None
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in tables.LOADER_METHODS and is_model_class(ctx, func.value):
                return node
            if func.attr in tables.MODULE_CHAIN_METHODS:
                return _loaded_model(ctx, bindings, func.value, depth + 1)
        if ctx.qualified(func) in tables.PIPELINE_FACTORIES:
            return node
        return None
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = bindings.lookup(ctx, node, same_frame=True)
        if bound is not None and bound is not node:
            return _loaded_model(ctx, bindings, bound, depth + 1)
    return None


# -- BLY303 --------------------------------------------------------------------------------


class MissingCapabilityGuard(_HardwareRule):
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
    node_types = (ast.Call, ast.If, ast.Assign, ast.AnnAssign)
    triggers = ("bfloat16", "bf16", "BFloat16")

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        yield from ()  # reports once per module, in `finish`
        if self._bind(node, ctx):
            return
        state = self._state(ctx)
        if isinstance(node, ast.If):
            found = _capability_check(ctx, state.bindings, node)
            if found is not None:
                if _always_raises(ctx, found.failing):
                    state.guarded = True
                elif state.soft_check_line is None:
                    state.soft_check_line = node.lineno
            return
        assert isinstance(node, ast.Call)
        if _is_guard_call(ctx, node):
            state.guarded = True
            return
        if state.first_bf16 is None and not ctx.scope.is_teacher:
            site = _bf16_site(ctx, node)
            if site is not None:
                state.first_bf16 = (node, *site)

    def finish(self, ctx: Context) -> Iterator[Report]:
        state = ctx.extras.get(self)
        if not isinstance(state, _FileState) or state.first_bf16 is None or state.guarded:
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
        )


def _bf16_site(ctx: Context, call: ast.Call) -> tuple[Position, Position, str] | None:
    """(span, what it does) when a call loads a model in BF16 or casts to BF16."""
    func = call.func
    if ctx.qualified(func) in tables.SET_DEFAULT_DTYPE:
        if call.args and ctx.dtype_value(call.args[0]) == BF16:
            return ctx.start(call), ctx.end(call), "makes BF16 the default dtype"
        return None
    loader = isinstance(func, ast.Attribute) and func.attr in tables.LOADER_METHODS and is_model_class(ctx, func.value)
    if loader or ctx.qualified(func) in tables.PIPELINE_FACTORIES:
        for name in tables.LOADER_DTYPE_KEYWORDS:
            kw = keyword(call, name)
            if kw is not None and ctx.dtype_value(kw.value, strings=True) == BF16:
                start, end = method_span(ctx, call) if isinstance(func, ast.Attribute) else ctx.span(call)
                return start, end, "loads a model in BF16"
        return None
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in tables.BF16_CAST_METHODS and not call.args and ctx.qualified(func.value) is None:
        return (*method_span(ctx, call), "casts to BF16")
    if func.attr == tables.DEVICE_MOVE_METHOD:
        dtype_kw = keyword(call, "dtype")
        candidates = [*call.args, *([dtype_kw.value] if dtype_kw is not None else [])]
        if any(ctx.dtype_value(arg) == BF16 for arg in candidates):
            return (*method_span(ctx, call), "casts to BF16")
    return None


# -- BLY304 --------------------------------------------------------------------------------


class SoftCapabilityCheck(_HardwareRule):
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
    node_types = (ast.Call, ast.If, ast.Assign, ast.AnnAssign)
    names = frozenset(q.rsplit(".", 1)[-1] for q in tables.IS_BF16_SUPPORTED)
    triggers = ("is_bf16_supported", "get_device_capability", "get_device_properties")

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        if self._bind(node, ctx):
            return
        bindings = self._state(ctx).bindings
        if isinstance(node, ast.Call):
            yield from self._emulation(node, ctx, bindings)
        elif isinstance(node, ast.If):
            yield from self._soft(node, ctx, bindings)

    def _emulation(self, node: ast.Call, ctx: Context, bindings: _Bindings) -> Iterator[Report]:
        if ctx.qualified(node.func) not in tables.IS_BF16_SUPPORTED or has_star_kwargs(node):
            return
        spelled = dotted_text(node.func) or "is_bf16_supported"
        given = keyword(node, tables.BF16_EMULATION_KEYWORD)
        value = given.value if given is not None else (node.args[0] if node.args else None)
        message = (
            f"`{spelled}()` also answers True on pre-Ampere GPUs that only emulate BF16; the policy requires "
            f"failing fast without BF16 hardware: pass `{tables.BF16_EMULATION_KEYWORD}=False`"
        )
        if value is None:
            fix = insert_keyword_fix(
                ctx, node, f"{tables.BF16_EMULATION_KEYWORD}=False", "Add `including_emulation=False`", ()
            )
            yield ctx.report(node, message, fix=fix)
            return
        seen = _followed(ctx, bindings, value)
        if isinstance(seen, ast.Constant) and seen.value is False:
            return
        fix = None
        if isinstance(value, ast.Constant) and value.value is True:
            fix = Fix(
                Applicability.SAFE,
                "Use `including_emulation=False`",
                (Edit(ctx.start(value), ctx.end(value), "False"),),
            )
        yield ctx.report(node, message, fix=fix)

    def _soft(self, node: ast.If, ctx: Context, bindings: _Bindings) -> Iterator[Report]:
        found = _capability_check(ctx, bindings, node)
        if found is None or _always_raises(ctx, found.failing):
            return
        what = _soft_failure(ctx, found.failing, found.after)
        if what is None:
            return
        if found.after and what.startswith("it "):
            what = "the code after this `if` " + what[3:]
        if _picks_fallback(ctx, bindings, [*node.body, *node.orelse, *(found.failing if found.after else [])]):
            return  # a dtype or CPU fallback: BLY105 / BLY301 report this `if`
        test = "`is_bf16_supported()` check" if found.kind == "bf16" else "capability check"
        yield ctx.report_span(
            node,
            node.test,
            f"this {test} does not fail fast: on a GPU below compute capability 8.0 {what}; the policy says "
            f'code must fail fast if BF16 is not supported: `raise RuntimeError("{REQUIREMENT}")` there',
        )


# -- BLY305 --------------------------------------------------------------------------------


class UnclearGpuError(_HardwareRule):
    code = "BLY305"
    name = "unclear-gpu-error"
    summary = (
        "The error raised by a capability guard does not state the requirement (no mention of BF16, "
        "compute capability 8.0 or Ampere)."
    )
    policy = f"{CLEAR_ERRORS} {HARDWARE}"
    why = (
        "The operator of a node with an old GPU sees only this message. `unsupported GPU` or a bare "
        "`RuntimeError()` does not tell them what to buy or why their node cannot join; naming BF16 and "
        "Ampere / compute capability 8.0 does. Messages held in variables of unknown value are not flagged."
    )
    example = (
        "import torch\n\n"
        "def require_gpu():\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        '        raise RuntimeError("unsupported GPU")\n'
    )
    fixed = (
        "import torch\n\n"
        "def require_gpu():\n"
        "    if torch.cuda.get_device_capability()[0] < 8:\n"
        f'        raise RuntimeError("{REQUIREMENT}")\n'
    )
    node_types = (ast.If, ast.Assign, ast.AnnAssign)
    triggers = ("is_bf16_supported", "get_device_capability", "get_device_properties")

    def check(self, node: ast.AST, ctx: Context) -> Iterator[Report]:
        if self._bind(node, ctx):
            return
        bindings = self._state(ctx).bindings
        assert isinstance(node, ast.If)
        found = _capability_check(ctx, bindings, node)
        if found is None:
            return
        if found.after:
            raises = [s for s in found.failing if isinstance(s, ast.Raise)][:1]
        else:
            raises = [n for s in found.failing for n in _walk_no_defs(s) if isinstance(n, ast.Raise)]
        for stmt in sorted(raises, key=lambda r: (r.lineno, r.col_offset)):
            unclear = _unclear(ctx, bindings, stmt)
            if unclear is not None:
                yield ctx.report(
                    stmt,
                    f"this capability guard raises {unclear}, which does not state the requirement; the policy "
                    f'wants clear errors that state GPU requirements: say "{REQUIREMENT}"',
                )


def _unclear(ctx: Context, bindings: _Bindings, stmt: ast.Raise) -> str | None:
    """How an unclear raise reads (`RuntimeError("unsupported GPU")`); None when clear or unseen."""
    exc = stmt.exc
    if exc is None:
        return None  # a re-raise
    if isinstance(exc, (ast.Name, ast.Attribute)):
        bound = bindings.lookup(ctx, exc)
        if isinstance(bound, ast.Call):
            exc = bound
        elif not (exc.id if isinstance(exc, ast.Name) else exc.attr)[:1].isupper():
            return None  # an exception object we cannot see, not a class
    if isinstance(exc, (ast.Name, ast.Attribute)):
        spelled = dotted_text(exc)
        return None if spelled is None or _states_requirement(spelled) else f"a bare `{spelled}`"
    if not isinstance(exc, ast.Call):
        return None  # `raise errors[0]`: nothing we can read
    spelled = dotted_text(exc.func)
    if spelled is None:
        return None  # `raise make_error()()`
    if not exc.args:
        if exc.keywords or _states_requirement(spelled):
            return None
        return f"a bare `{spelled}()`"
    message = exc.args[0]
    text = _message_text(ctx, bindings, message)
    if text is None or _states_requirement(text) or _states_requirement(spelled):
        return None
    source = _shorten(ctx.source(message))
    if isinstance(message, ast.Constant) or not source:
        shown = repr(_shorten(text))
    elif isinstance(message, (ast.Name, ast.Attribute)):
        shown = f"`{source}` ({_shorten(text)!r})"
    else:
        shown = f"`{source}`"
    return f"`{spelled}` with the message {shown}"


def _shorten(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _visible(parts: list[str | None]) -> str | None:
    """The literal parts of a built message (`f"GPU {name} is too old"`, `"GPU " + name`);
    None when no words of it are literal (`f"{prefix}: {detail}"`, `message + detail`)."""
    text = "".join(part or "" for part in parts)
    if None in parts and not any(c.isalpha() for c in text):
        return None
    return text


def _states_requirement(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in tables.GPU_REQUIREMENT_WORDS)


def _message_text(ctx: Context, bindings: _Bindings, node: ast.expr, depth: int = 0) -> str | None:
    """The visible text of a message: literals, f-string constant parts, concatenations,
    `%`/`.format` templates and locals bound to those; None when some of it is unseen."""
    if depth > _MAX_HOPS:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None for v in node.values]
        return _visible(parts)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            left = _message_text(ctx, bindings, node.left, depth + 1)
            right = _message_text(ctx, bindings, node.right, depth + 1)
            return _visible([left, right])
        if isinstance(node.op, ast.Mod):
            return _message_text(ctx, bindings, node.left, depth + 1)
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _message_text(ctx, bindings, node.func.value, depth + 1)
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = bindings.lookup(ctx, node)
        if bound is not None and bound is not node:
            return _message_text(ctx, bindings, bound, depth + 1)
    return None


RULES = (CpuFallback, CpuPlacement, MissingCapabilityGuard, SoftCapabilityCheck, UnclearGpuError)
