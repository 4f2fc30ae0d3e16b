"""Walking paths: which files to check, honouring `exclude` and `.gitignore`.

Explicit file arguments are always checked (as with ruff), unless `--force-exclude`;
directories are walked recursively, skipping excluded and git-ignored entries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .config import ConfigError, Settings, settings_for_dir
from .kinds import DATA, file_kind
from .scope import compiled_glob, glob_to_regex, relative_posix


@dataclass(frozen=True)
class _IgnoreRule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def parse_gitignore(text: str) -> list[_IgnoreRule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        if line.startswith("\\"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        pattern = line if anchored else "**/" + line
        rules.append(_IgnoreRule(glob_to_regex(pattern), negate, dir_only))
    return rules


class _GitIgnores:
    """The stack of .gitignore files that apply to the directory being walked."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, list[_IgnoreRule]]] = []

    def enter(self, directory: str) -> bool:
        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                rules = parse_gitignore(fh.read())
        except OSError:
            return False
        self.stack.append((directory, rules))
        return True

    def leave(self) -> None:
        self.stack.pop()

    def ignored(self, path: str, is_dir: bool) -> bool:
        result = False
        for base, rules in self.stack:
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            for rule in rules:
                if rule.dir_only and not is_dir:
                    continue
                if rule.regex.match(rel):
                    result = not rule.negate
        return result


def is_excluded(path: str, settings: Settings) -> bool:
    rel = relative_posix(path, settings.root)
    name = os.path.basename(path)
    for pattern in (*settings.exclude, *settings.extend_exclude):
        regex = compiled_glob(pattern.rstrip("/"))
        if regex.match(name) or regex.match(rel):
            return True
    return False


def _excluded_with_parents(path: str, fixed: Settings | None = None) -> bool:
    """An explicit file is excluded when it or any directory above it (up to the
    settings' root) matches `exclude`. A broken config is not an exclusion: the file is
    then reported for it."""
    try:
        settings = fixed or settings_for_dir(os.path.dirname(path))
    except ConfigError:
        return False
    current = path
    while True:
        if is_excluded(current, settings):
            return True
        parent = os.path.dirname(current)
        if parent == current or not parent.startswith(settings.root.rstrip(os.sep) + os.sep):
            return False
        current = parent


def excluded_with_parents(path: str, fixed: Settings | None = None) -> bool:
    """Whether `exclude` applies to this (absolute) file path, as `--force-exclude` decides;
    for callers handed one file at a time (stdin, the flake8 plugin, the language server)."""
    return _excluded_with_parents(path, fixed)


def discover(paths: list[str], force_exclude: bool = False, fixed: Settings | None = None) -> Iterator[str]:
    """Yield the files to check, in a stable (sorted) order per directory. `fixed` (from
    `--config FILE`) replaces every configuration file found in the tree, as in ruff."""
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            yield from _walk(path, seen, fixed)
        else:
            key = os.path.abspath(path)
            if key in seen:
                continue
            seen.add(key)
            if force_exclude and _excluded_with_parents(key, fixed):
                continue
            yield path


def _walk(top: str, seen: set[str], fixed: Settings | None = None) -> Iterator[str]:
    ignores = _GitIgnores()
    # Outer .gitignore files (between the repository root and `top`) apply too.
    outer = _gitignores_above(os.path.abspath(top))
    for directory in outer:
        ignores.enter(directory)
    yield from _walk_dir(top, ignores, seen, fixed)


def _gitignores_above(directory: str) -> list[str]:
    found: list[str] = []
    current = os.path.dirname(directory)
    while True:
        if os.path.isfile(os.path.join(current, ".gitignore")):
            found.append(current)
        if os.path.isdir(os.path.join(current, ".git")):
            break
        parent = os.path.dirname(current)
        if parent == current:
            return []  # not inside a repository: outer ignores do not apply
        current = parent
    return list(reversed(found))


class Unreachable(str):
    """A path the user asked to check (or that lies in a tree they asked to check) that
    cannot be listed or followed; it is reported as BLY000, never skipped silently."""

    reason: str

    def __new__(cls, path: str, reason: str) -> Unreachable:
        made = super().__new__(cls, path)
        made.reason = reason
        return made

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # crosses to worker processes intact
        return (Unreachable, (str(self), self.reason))


def _walk_dir(top: str, ignores: _GitIgnores, seen: set[str], fixed: Settings | None) -> Iterator[str]:
    """Depth first in sorted order, with an explicit stack: directory depth is bounded by
    the file system, not by Python's recursion limit."""
    # Each open directory: its entries, whether it entered a .gitignore, its settings, and
    # why its files cannot be checked (an invalid config governing them), if so.
    stack: list[tuple[Iterator[os.DirEntry[str]] | None, bool, Settings, str | None]] = []
    entries, entered, settings, broken, problem = _open_dir(top, ignores, fixed, None)
    if problem is not None:
        yield problem
    stack.append((entries, entered, settings, broken))
    while stack:
        entries, entered, settings, broken = stack[-1]
        entry = next(entries, None) if entries is not None else None
        if entry is None:
            stack.pop()
            if entered:
                ignores.leave()
            continue
        if is_excluded(entry.path, settings):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError as exc:  # a symlink loop, a permission error on the entry itself
            if os.path.abspath(entry.path) not in seen:
                seen.add(os.path.abspath(entry.path))
                yield Unreachable(os.path.normpath(entry.path), f"cannot follow: {exc.strerror or exc}")
            continue
        if settings.respect_gitignore and ignores.ignored(entry.path, is_dir):
            continue
        if is_dir:
            if not entry.is_symlink():  # symlinked directories are not followed: no loops, no escapes
                opened = _open_dir(entry.path, ignores, fixed, settings)
                if opened[-1] is not None:
                    yield opened[-1]
                stack.append(opened[:-1])
        elif file_kind(entry.name) not in (None, DATA):
            key = os.path.abspath(entry.path)
            if key not in seen:
                seen.add(key)
                path = os.path.normpath(entry.path)
                yield path if broken is None else Unreachable(path, f"not checked: {broken}")


def _open_dir(
    directory: str, ignores: _GitIgnores, fixed: Settings | None, parent: Settings | None
) -> tuple[Iterator[os.DirEntry[str]] | None, bool, Settings, str | None, str | None]:
    """(sorted entries, whether a .gitignore was entered, the directory's settings, why its
    files cannot be checked, the problem if it cannot be listed). A directory under an
    invalid config is still walked, with its parent's settings, so each file it governs is
    reported and the rest of the tree is checked."""
    broken = None
    try:
        settings = fixed or settings_for_dir(os.path.abspath(directory))
    except ConfigError as exc:
        settings, broken = parent or Settings(), str(exc)
    entered = settings.respect_gitignore and ignores.enter(directory)
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        problem = Unreachable(os.path.normpath(directory), f"cannot list directory: {exc.strerror or exc}")
        return None, entered, settings, broken, problem
    return iter(entries), entered, settings, broken, None
