"""Teacher or student: decided once per file and per enclosing class/function, with a reason.

RULES.md: code is teacher when its module carries `# blyan-lint: teacher`, when its path
matches a `teacher-paths` glob, or when it sits inside a class or function whose name
matches `teacher-name-regex`. Rules never decide scope themselves.
"""

from __future__ import annotations

import os
import re

from .findings import STUDENT_DEFAULT, Scope

PRAGMA = re.compile(rb"^[ \t]*#[ \t]*blyan-lint:[ \t]*teacher\b", re.MULTILINE)


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-style glob: `**` spans directories, `*` and `?` stay inside one."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
                continue
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE)


def relative_posix(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive on Windows
        rel = path
    if rel.startswith(".."):
        rel = path
    return rel.replace(os.sep, "/")


def file_scope(source: bytes | None, rel_path: str, teacher_paths: tuple[str, ...]) -> Scope:
    """The scope of a whole file: its pragma, else its path. `source` is None for a file
    that is not read whole (a checkpoint, judged from its header): its path decides."""
    if source is not None and PRAGMA.search(source):
        return Scope("teacher", "teacher: module carries `# blyan-lint: teacher`")
    return path_scope(rel_path, teacher_paths) or STUDENT_DEFAULT


def path_scope(rel_path: str, teacher_paths: tuple[str, ...]) -> Scope | None:
    for glob in teacher_paths:
        if compiled_glob(glob).match(rel_path):
            return Scope("teacher", f"teacher: path matches {glob}")
    return None


_CACHE: dict[str, re.Pattern[str]] = {}


def compiled_glob(glob: str) -> re.Pattern[str]:
    pattern = _CACHE.get(glob)
    if pattern is None:
        pattern = _CACHE[glob] = glob_to_regex(glob)
    return pattern


def enclosing_scope(kind: str, name: str, regex: re.Pattern[str]) -> Scope | None:
    if regex.search(name):
        return Scope("teacher", f"teacher: inside {kind} {name}")
    return None
