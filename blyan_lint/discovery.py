"""Walking paths: which files to check, honouring `exclude` and `.gitignore`.

Explicit file arguments are always checked (as with ruff), unless `--force-exclude`;
directories are walked recursively, skipping excluded and git-ignored entries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .config import Settings, settings_for_dir
from .scope import compiled_glob, glob_to_regex, relative_posix

PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
WEIGHT_SUFFIXES = (".safetensors",)
NOTEBOOK_SUFFIXES = (".ipynb",)
# JSON Lines is data (datasets, logs), not configuration: never checked, never a BLY000.
DATA_SUFFIXES = (".jsonl", ".ndjson")
DATA = "data"


def file_kind(path: str) -> str | None:
    lowered = path.lower()
    if lowered.endswith(PYTHON_SUFFIXES):
        return "python"
    if lowered.endswith(CONFIG_SUFFIXES):
        return "config"
    if lowered.endswith(WEIGHT_SUFFIXES):
        return "safetensors"
    if lowered.endswith(NOTEBOOK_SUFFIXES):
        return "notebook"
    if lowered.endswith(DATA_SUFFIXES):
        return DATA
    return None


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


def _excluded_with_parents(path: str) -> bool:
    """An explicit file is excluded when it or any directory above it (up to the
    settings' root) matches `exclude`."""
    settings = settings_for_dir(os.path.dirname(path))
    current = path
    while True:
        if is_excluded(current, settings):
            return True
        parent = os.path.dirname(current)
        if parent == current or not parent.startswith(settings.root.rstrip(os.sep) + os.sep):
            return False
        current = parent


def excluded_with_parents(path: str) -> bool:
    """Whether `exclude` applies to this (absolute) file path, as `--force-exclude` decides;
    for callers handed one file at a time (the flake8 plugin, the language server)."""
    return _excluded_with_parents(path)


def discover(paths: list[str], force_exclude: bool = False) -> Iterator[str]:
    """Yield the files to check, in a stable (sorted) order per directory."""
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            yield from _walk(path, seen)
        else:
            key = os.path.abspath(path)
            if key in seen:
                continue
            seen.add(key)
            if force_exclude and _excluded_with_parents(key):
                continue
            yield path


def _walk(top: str, seen: set[str]) -> Iterator[str]:
    ignores = _GitIgnores()
    # Outer .gitignore files (between the repository root and `top`) apply too.
    outer = _gitignores_above(os.path.abspath(top))
    for directory in outer:
        ignores.enter(directory)
    yield from _walk_dir(top, ignores, seen)


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


def _walk_dir(directory: str, ignores: _GitIgnores, seen: set[str]) -> Iterator[str]:
    settings = settings_for_dir(os.path.abspath(directory))
    entered = settings.respect_gitignore and ignores.enter(directory)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        entries = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_excluded(entry.path, settings):
            continue
        if settings.respect_gitignore and ignores.ignored(entry.path, is_dir):
            continue
        if is_dir:
            if not entry.is_symlink():
                yield from _walk_dir(entry.path, ignores, seen)
        elif file_kind(entry.name) not in (None, DATA):
            key = os.path.abspath(entry.path)
            if key not in seen:
                seen.add(key)
                yield os.path.normpath(entry.path)
    if entered:
        ignores.leave()
