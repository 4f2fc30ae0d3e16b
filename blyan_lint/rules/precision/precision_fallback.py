"""BLY105 precision-fallback: a conditional that picks BF16 or another dtype (policy: "No Fallbacks")."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.devices import CUDA_IS_AVAILABLE, GET_DEVICE_CAPABILITY, IS_BF16_SUPPORTED
from ...data.dtypes import BF16, BF16_CAST_METHODS, CAST_METHODS, DTYPE_KEYWORDS, dtype_label
from ...facts import PrecisionFallbackFacts
from ...findings import Applicability, Edit, Fix
from ...fixes.edits import remove_statements, replace_by_block, statement_blocks
from .._conditionals import conditional_parts, if_chain, is_elif, walk_within
from ..base import Report, Rule
from .dtype_arguments import NON_BF16_STATEMENT_WORDS, NON_BF16_WORDS

_CAPABILITY_CHECKS = IS_BF16_SUPPORTED | GET_DEVICE_CAPABILITY
_KNOWN_CONDITION_CALLS = IS_BF16_SUPPORTED | GET_DEVICE_CAPABILITY | CUDA_IS_AVAILABLE


class PrecisionFallback(Rule):
    code = "BLY105"
    name = "precision-fallback"
    summary = "A conditional that picks BF16 on one branch and another dtype on the other."
    policy = "Enforcement: No Fallbacks: code must fail fast if BF16 is not supported."
    why = (
        "A fallback makes the precision depend on the node's hardware: an older GPU quietly computes in "
        "FP16 or FP32 and its results no longer match the network's. The policy wants the node to refuse "
        "to run instead (see BLY303 for the guard). Reported once, at the conditional."
    )
    example = (
        "import torch\n\n"
        "def pick_dtype():\n"
        "    return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16\n"
    )
    fixed = "import torch\n\ndef pick_dtype():\n    return torch.bfloat16\n"
    fix_safety = (
        "Unsafe (opt-in with `--unsafe-fixes`): a conditional expression is replaced by its BF16 branch; an "
        "if/elif/else statement by its BF16 block, re-indented, or removed when BF16 was chosen before it (a "
        "path through it does nothing and every name it binds is bound before it). Offered only when every "
        "condition calls nothing but capability checks and every branch that goes away only assigns or returns "
        "a dtype; a branch with side effects (logging, loading), or a removal that would leave a name unbound, "
        "means no fix."
    )
    supersedes = frozenset({"BLY101"})
    strings = NON_BF16_WORDS
    statement_words = NON_BF16_STATEMENT_WORDS

    def visit_IfExp(self, node: ast.IfExp, ctx: Context) -> Iterator[Report]:
        parts = conditional_parts(ctx, node)
        if parts is None:
            return  # the outermost conditional of a chain reports for the whole chain
        leaves, tests = parts
        picked = [(leaf, ctx.dtype_value(leaf, strings=True)) for leaf in leaves]
        dtypes = {d for _, d in picked if d}
        if BF16 not in dtypes or len(dtypes) < 2:
            return
        others = sorted(dtype_label(d) for d in dtypes if d != BF16)
        fix = None
        bf16_leaf = next(leaf for leaf, d in picked if d == BF16)
        if all(_only_known_calls(ctx, test) for test in tests):
            fix = Fix(
                Applicability.UNSAFE,
                "Keep only the BF16 branch",
                (Edit(ctx.start(node), ctx.end(node), ctx.source(bf16_leaf)),),
            )
        yield ctx.report(
            node,
            f"precision fallback: picks BF16 or {' / '.join(others)} depending on a condition; the policy allows "
            "no fallbacks: use BF16 unconditionally and fail fast on unsupported GPUs",
            fix=fix,
            facts=PrecisionFallbackFacts(
                "expression", tuple(sorted(dtypes)), any(ctx.calls_any(t, _CAPABILITY_CHECKS) for t in tests)
            ),
        )

    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        if is_elif(ctx, node):
            return  # its chain was judged at the first `if`
        if not ctx.text_has(node, self.triggers):
            return  # no dtype is spelled anywhere in this `if`: nothing to walk
        tests, branches, last = if_chain(node)
        branches.append(last.orelse)
        picks = [_branch_picks(ctx, body) for body in branches]
        capability_test = any(ctx.calls_any(test, _CAPABILITY_CHECKS) for test in tests)
        dtypes = {d for branch in picks for _, d in branch}
        non_bf16 = dtypes - {BF16}
        if not non_bf16 or not (BF16 in dtypes or capability_test):
            return
        covered = tuple(ctx.span(n) for branch in picks for n, _ in branch)
        others = " / ".join(sorted(dtype_label(d) for d in non_bf16))
        yield ctx.report_span(
            node,
            node.test,
            f"precision fallback: this `if` picks {others} instead of BF16 on some GPUs; the policy allows no "
            "fallbacks: use BF16 unconditionally and fail fast on unsupported GPUs",
            covers=covered,
            fix=_collapse_fix(ctx, node, branches, picks, tests),
            facts=PrecisionFallbackFacts("statement", tuple(sorted(dtypes)), capability_test),
        )


def _collapse_fix(
    ctx: Context,
    node: ast.If,
    branches: list[list[ast.stmt]],
    picks: list[list[tuple[ast.expr, str]]],
    tests: list[ast.expr],
) -> Fix | None:
    """Keep only the BF16 branch of a fallback `if`, or drop the `if` when BF16 was chosen
    before it. Only when every condition calls nothing but capability checks and every
    branch that goes away merely assigns or returns a dtype (no side effects)."""
    if not all(_only_known_calls(ctx, test) for test in tests):
        return None
    bf16 = [i for i, branch in enumerate(picks) if branch and all(d == BF16 for _, d in branch)]
    if len(bf16) > 1 or any(not _side_effect_free(b) for i, b in enumerate(branches) if i not in bf16):
        return None
    if bf16:
        index = bf16[0]
        kept = branches[index]
        if index < len(tests):  # an `if` / `elif` body starts after its condition
            keep_from = (tests[index].end_lineno or tests[index].lineno) + 1
        else:  # the `else` body starts after the previous branch (its `else:` line is skipped)
            keep_from = (branches[index - 1][-1].end_lineno or 0) + 1
        edit = replace_by_block(ctx, node, kept, keep_from)
        title = "Keep only the BF16 branch"
        edits: tuple[Edit, ...] | None = (edit,) if edit is not None else None
    else:
        if not _removal_keeps_meaning(ctx, node, branches):
            return None
        removal = remove_statements(ctx, [node], statement_blocks(ctx.stack[0]))
        title = "Remove the fallback; BF16 was already chosen"
        edits = tuple(removal) if removal is not None else None
    return Fix(Applicability.UNSAFE, title, edits) if edits else None


def _removal_keeps_meaning(ctx: Context, node: ast.If, branches: list[list[ast.stmt]]) -> bool:
    """Dropping the whole `if` is the policy GPU's path only when one path through it does
    nothing (BF16 was chosen before it) and every name it binds is bound before it: else the
    names it binds would be left unbound (`if ok: d = fp32 else: d = fp16` has no BF16 path)."""
    if not any(all(isinstance(stmt, ast.Pass) for stmt in body) for body in branches):
        return False
    bound = {name for body in branches for stmt in body for name in _bound_by(stmt)}
    return bound <= _bound_before(ctx, node)


def _bound_before(ctx: Context, node: ast.stmt) -> set[str]:
    """Names surely bound when `node` runs: by the statements before it in its block and in
    each enclosing block of the same scope, and a function's parameters."""
    names: set[str] = set()
    child: ast.AST = node
    for parent in reversed(ctx.stack):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and any(stmt is child for stmt in block):
                for stmt in block[: next(i for i, stmt in enumerate(block) if stmt is child)]:
                    if isinstance(stmt, ast.Delete):
                        names -= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
                    names |= _bound_by(stmt)
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = parent.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            return names | {a.arg for a in every if a is not None}
        if isinstance(parent, ast.ClassDef):
            return names
        child = parent
    return names


def _bound_by(stmt: ast.stmt) -> set[str]:
    """Names a statement binds whenever it runs to its end."""
    if isinstance(stmt, ast.Assign):
        return {n.id for target in stmt.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return {stmt.target.id}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".", 1)[0] for a in stmt.names if a.name != "*"}
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    return set()


def _side_effect_free(body: list[ast.stmt]) -> bool:
    """Statements that only bind or return literal values and library names (dtypes)."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Return)) or stmt.value is None:
            return False
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        if any(t is not None and not isinstance(t, ast.Name) for t in targets):
            return False
        if any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)) for n in ast.walk(stmt)):
            return False
    return True


def _branch_picks(ctx: Context, body: list[ast.stmt]) -> list[tuple[ast.expr, str]]:
    """The dtype values a branch chooses: assigned, returned or passed as a dtype keyword."""
    picks: list[tuple[ast.expr, str]] = []
    for stmt in body:
        for node in _walk_no_defs(stmt):
            value: ast.expr | None = None
            strings = False
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)):
                value = node.value
                strings = True
            elif isinstance(node, ast.keyword) and node.arg in DTYPE_KEYWORDS:
                value, strings = node.value, True
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in CAST_METHODS and not node.args:
                    picks.append((node, CAST_METHODS[node.func.attr]))
                elif node.func.attr in BF16_CAST_METHODS:
                    picks.append((node, BF16))
            if value is not None and not isinstance(value, ast.IfExp):
                canonical = ctx.dtype_value(value, strings=strings)
                if canonical is not None:
                    picks.append((value, canonical))
    return picks


# A branch's own picks stop at nested definitions and at nested `if`s: a nested
# conditional is judged on its own, so an outer `if` is not blamed for its choice.
_OWN_SCOPE_ENDS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.If)


def _walk_no_defs(node: ast.AST) -> Iterator[ast.AST]:
    return walk_within(node, _OWN_SCOPE_ENDS)


def _only_known_calls(ctx: Context, node: ast.AST) -> bool:
    return all(ctx.qualified(n.func) in _KNOWN_CONDITION_CALLS for n in ast.walk(node) if isinstance(n, ast.Call))
