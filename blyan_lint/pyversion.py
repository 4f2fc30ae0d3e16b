"""What the running Python accepts, and syntax errors that are really "this file needs a
newer Python".

The checker parses with the running interpreter's grammar (so it agrees with what will
run the code). When that fails on syntax a newer Python accepts, say which one.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings

# (minimum version, what it is, pattern) -- looked for only after a SyntaxError.
NEWER_SYNTAX: tuple[tuple[tuple[int, int], str, re.Pattern[str]], ...] = (
    ((3, 11), "except* (exception groups)", re.compile(r"^[ \t]*except[ \t]*\*", re.M)),
    ((3, 12), "a `type` alias statement", re.compile(r"^[ \t]*type[ \t]+\w+[ \t]*(\[[^\]]*\])?[ \t]*=", re.M)),
    (
        (3, 12),
        "type parameters on a def or class",
        re.compile(r"^[ \t]*(async[ \t]+)?(def|class)[ \t]+\w+[ \t]*\[", re.M),
    ),
    (
        (3, 13),
        "a default on a type parameter",
        re.compile(r"^[ \t]*(?:(?:async[ \t]+)?(?:def|class)|type)[ \t]+\w+[ \t]*\[[^\]\n]*=", re.M),
    ),
    ((3, 14), "an unparenthesised multi-except clause", re.compile(r"^[ \t]*except[ \t]+[\w.]+[ \t]*,[^:\n]*:", re.M)),
    ((3, 14), "a template string (t-string)", re.compile(r"(?<![\w'\"])(?:[rR]?[tT]|[tT][rR])['\"]")),
)


def needed_python(text: str, running: tuple[int, int] | None = None) -> tuple[tuple[int, int], str] | None:
    running = running or (sys.version_info.major, sys.version_info.minor)
    found = [(version, what) for version, what, pattern in NEWER_SYNTAX if version > running and pattern.search(text)]
    return max(found) if found else None  # the newest feature used decides


def syntax_error_message(exc: SyntaxError, text: str) -> str:
    running = (sys.version_info.major, sys.version_info.minor)
    where = f" (line {exc.lineno})" if exc.lineno else ""
    base = f"cannot parse: {exc.msg}{where}"
    found = needed_python(text, running)
    if found is not None:
        (major, minor), what = found
        return (
            f"{base}; the file uses {what}, which needs Python {major}.{minor}+, but the checker "
            f"runs on Python {running[0]}.{running[1]}: run blyan-lint under Python {major}.{minor} or newer"
        )
    if running < (3, 12) and "f-string" in exc.msg:
        return (
            f"{base}; nested quotes in f-strings need Python 3.12+, but the checker runs on "
            f"Python {running[0]}.{running[1]}: run blyan-lint under Python 3.12 or newer"
        )
    return base


def parses(source: bytes) -> bool:
    """Whether the running Python decodes (BOM, PEP 263 cookie, UTF-8) and parses `source`.

    The oracle BLY000 is held to (tests/test_robustness_fuzz.py, scripts/corpus_check.py):
    the standard library alone, independent of the checker it judges."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError):
        return False
    return True
