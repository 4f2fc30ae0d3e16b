"""Room for deeply nested but valid code, so depth alone never fails the gate.

Python's default recursion limit (1,000) is well below the nesting the parser accepts:
`a + a + ...` with 2,900 terms parses and compiles, and every recursive pass over its tree
(the engine's walk, the rules' helpers, `ast.get_source_segment`, the fixer's re-parse)
would raise RecursionError. Ordinary files never come near it, so they run as they are; a
file that does is checked again in a thread with a large stack and a raised limit. The
parse itself always runs under CPython's default limit, so "parses" means what `python3`
compiles out of the box: deeper input is unparsable (BLY000) and is never half-checked,
and the depth any rule has to walk stays bounded.
"""

from __future__ import annotations

import ast
import sys
import threading
import warnings
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# ast.parse accepts about 3x the recursion limit in nesting (CPython scales the limit for
# its C recursion), about 3,000 levels at the default; the walk takes about two frames per
# level and the rules' helpers a few more.
PARSE_LIMIT = 1_000
CHECK_LIMIT = 100_000
STACK_BYTES = 512 * 1024 * 1024
_LOCK = threading.Lock()  # the recursion limit and the thread stack size are process-wide
_STATE = threading.local()


def deep() -> bool:
    """True inside `with_depth`: a RecursionError there is final, not a reason to retry."""
    return getattr(_STATE, "deep", False)


def with_depth(work: Callable[[], T]) -> T:
    """`work()` with room for recursion as deep as any tree `parse` can return."""
    outcome: dict[str, object] = {}

    def run() -> None:
        _STATE.deep = True
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the calling thread as it is
            outcome["error"] = exc

    with _LOCK:
        old_limit, old_size = sys.getrecursionlimit(), threading.stack_size()
        try:
            threading.stack_size(STACK_BYTES)
            sys.setrecursionlimit(max(old_limit, CHECK_LIMIT))
            thread = threading.Thread(target=run, name="blyan-lint-deep")
            thread.start()
            thread.join()
        finally:
            threading.stack_size(old_size)
            sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse` without the user's SyntaxWarnings, under CPython's default recursion
    limit even inside `with_depth`, so it accepts exactly what `python3` parses."""
    return _at_default_limit(lambda: ast.parse(text, filename=filename))


def compile_check(text: str, filename: str = "<unknown>") -> None:
    """Raise SyntaxError (or ValueError, RecursionError) unless `python3` would compile the
    text: stricter than parsing (`*a.b()` as a statement, `return` outside a function)."""
    _at_default_limit(lambda: compile(text, filename, "exec", dont_inherit=True))


def _at_default_limit(work: Callable[[], T]) -> T:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the user's SyntaxWarnings are not ours to print
        if not deep():
            return work()
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(PARSE_LIMIT)
        try:
            return work()
        finally:
            sys.setrecursionlimit(limit)
