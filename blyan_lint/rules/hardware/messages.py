"""BLY305: a capability guard whose error does not state the GPU requirement."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.devices import GPU_REQUIREMENT_WORDS
from ...facts import GpuErrorFacts
from ...names import dotted_text
from ..base import Report, last_segments
from .capability_checks import capability_check
from .shared import CAPABILITY_QUERIES, CLEAR_ERRORS, HARDWARE, REQUIREMENT, HardwareRule, walk_no_defs

# How deep a built message (`"a" + b % c`) is taken apart.
_MAX_DEPTH = 8

# -- BLY305 --------------------------------------------------------------------------------


class UnclearGpuError(HardwareRule):
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
    strings = last_segments(CAPABILITY_QUERIES)

    def visit_If(self, node: ast.If, ctx: Context) -> Iterator[Report]:
        found = capability_check(ctx, node)
        if found is None:
            return
        if found.after:
            raises = [s for s in found.failing if isinstance(s, ast.Raise)][:1]
        else:
            raises = [n for s in found.failing for n in walk_no_defs(s) if isinstance(n, ast.Raise)]
        for stmt in sorted(raises, key=lambda r: (r.lineno, r.col_offset)):
            unclear = _unclear(ctx, stmt)
            if unclear is not None:
                yield ctx.report(
                    stmt,
                    f"this capability guard raises {unclear}, which does not state the requirement; the policy "
                    f'wants clear errors that state GPU requirements: say "{REQUIREMENT}"',
                    facts=_facts(ctx, stmt),
                )


def _facts(ctx: Context, stmt: ast.Raise) -> GpuErrorFacts:
    exc = ctx.follow(stmt.exc).value if stmt.exc is not None else None
    text = None
    if isinstance(exc, ast.Call) and exc.args:
        text = _message_text(ctx, exc.args[0])
    return GpuErrorFacts(ctx.source(exc) if exc is not None else "", text)


def _unclear(ctx: Context, stmt: ast.Raise) -> str | None:
    """How an unclear raise reads (`RuntimeError("unsupported GPU")`); None when clear or unseen."""
    exc = stmt.exc
    if exc is None:
        return None  # a re-raise
    if isinstance(exc, (ast.Name, ast.Attribute)):
        bound = ctx.follow(exc).value
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
    text = _message_text(ctx, message)
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
    return any(word in lowered for word in GPU_REQUIREMENT_WORDS)


def _message_text(ctx: Context, node: ast.expr, depth: int = 0) -> str | None:
    """The visible text of a message: literals, f-string constant parts, concatenations,
    `%`/`.format` templates and locals bound to those; None when some of it is unseen."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None for v in node.values]
        return _visible(parts)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            left = _message_text(ctx, node.left, depth + 1)
            right = _message_text(ctx, node.right, depth + 1)
            return _visible([left, right])
        if isinstance(node.op, ast.Mod):
            return _message_text(ctx, node.left, depth + 1)
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _message_text(ctx, node.func.value, depth + 1)
    if isinstance(node, (ast.Name, ast.Attribute)):
        followed = ctx.follow(node)
        if followed.followed:
            return _message_text(ctx, followed.value, depth + 1)
    return None
