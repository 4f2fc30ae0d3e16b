"""Checking files and trees: settings per file, rule selection, dispatch by file kind.

A file's settings and selected codes are resolved once (`FileSettings`) and handed to every
stage of its check. Python and notebooks go to the engine's walk; every other kind to the
pipeline of `file_checks`, whose rules declare the kinds they read.

The CLI, the flake8 plugin and the tests all go through here, so they agree.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from . import registry
from .config import ConfigError, Settings, expand_selectors, load_settings, settings_for_dir
from .discovery import Unreachable, discover
from .engine import check_python
from .file_checks import READERS, check_input, reads_whole_file
from .findings import UNREADABLE, Finding, unreadable
from .kinds import DATA, NOTEBOOK, PYTHON, file_kind
from .scope import compiled_glob, relative_posix
from .sources import read_bytes

if TYPE_CHECKING:  # the fixes modules load with the first fix, not with every check
    from .fixes.source_io import FileFix


@dataclass(frozen=True)
class Overrides:
    """Command-line settings that win over the configuration file."""

    config: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    teacher_paths: tuple[str, ...] | None = None
    guard_functions: tuple[str, ...] | None = None
    force_exclude: bool = False
    prefilter: bool = True  # skip rules whose trigger words a file lacks (off only to test it)


@dataclass(frozen=True)
class FileSettings:
    """What one file's check reads from the configuration, resolved once for the file."""

    settings: Settings
    codes: frozenset[str]  # the selected codes, per-file-ignores and CLI additions applied


def settings_for(path: str, overrides: Overrides) -> Settings:
    if overrides.config:
        base = _explicit_settings(overrides.config)
    else:
        base = settings_for_dir(os.path.dirname(os.path.abspath(path)))
    return base.with_overrides(
        select=overrides.select,
        teacher_paths=overrides.teacher_paths,
        guard_functions=overrides.guard_functions,
    )


@cache
def _explicit_settings(path: str) -> Settings:
    return load_settings(path)


def explicit_settings(overrides: Overrides) -> Settings | None:
    """The `--config FILE` settings, which replace every config file in the tree."""
    return _explicit_settings(overrides.config) if overrides.config else None


def file_settings(path: str, overrides: Overrides) -> FileSettings:
    """The file's settings and selected codes; ConfigError if its configuration is unusable."""
    settings = settings_for(path, overrides)
    return FileSettings(settings, selected_codes(path, settings, overrides))


def resolve(path: str, overrides: Overrides) -> FileSettings | str:
    """The file's settings, or why the configuration governing it cannot be used (an invalid
    pyproject.toml somewhere above it): only that file's check fails. `--config FILE`
    errors stay usage errors and are raised."""
    if overrides.config:
        return file_settings(path, overrides)
    try:
        return file_settings(path, overrides)
    except ConfigError as exc:
        return f"not checked: {exc}"


def config_problem(path: str, overrides: Overrides) -> str | None:
    """Why the configuration governing `path` cannot be used, or None (see `resolve`)."""
    if overrides.config:
        return None
    found = resolve(path, overrides)
    return found if isinstance(found, str) else None


def selected_codes(path: str, settings: Settings, overrides: Overrides) -> frozenset[str]:
    rel = relative_posix(path, settings.root)
    name = os.path.basename(path)
    matched = tuple(
        index
        for index, (glob, _) in enumerate(settings.per_file_ignores)
        if compiled_glob(glob).match(rel) or compiled_glob(glob).match(name)
    )
    return _selected(settings, overrides.extend_select, overrides.ignore, matched)


@lru_cache(maxsize=256)
def _selected(
    settings: Settings, extend_select: tuple[str, ...], ignore: tuple[str, ...], per_file: tuple[int, ...]
) -> frozenset[str]:
    """The codes for files with these settings, CLI additions and matching per-file-ignores."""
    all_codes = registry.codes()
    chosen = expand_selectors(settings.select, all_codes, "select")
    chosen |= expand_selectors((*settings.extend_select, *extend_select), all_codes, "extend-select")
    chosen -= expand_selectors((*settings.ignore, *ignore), all_codes, "ignore")
    for index in per_file:
        glob, codes = settings.per_file_ignores[index]
        chosen -= expand_selectors(codes, all_codes, f"per-file-ignores.{glob}")
    chosen.add(UNREADABLE)  # the tool's own finding cannot be deselected: the gate fails closed
    return frozenset(chosen)


@lru_cache(maxsize=64)
def _rules(codes: frozenset[str]) -> registry.RuleSet:
    return registry.python_rules(codes)


def load_rules(codes: frozenset[str]) -> None:
    """Make every Python rule of a selection now (each is otherwise made with the first
    file that can need it): before worker processes fork, so they share the imports."""
    tuple(_rules(codes))


def rules_for(path: str, overrides: Overrides) -> registry.RuleSet:
    """The Python rules selected for this file."""
    return _rules(selected_codes(path, settings_for(path, overrides), overrides))


def check_file(
    path: str,
    overrides: Overrides,
    source: bytes | None = None,
    tree: ast.AST | None = None,
    keep_suppressed: bool = False,
    resolved: FileSettings | None = None,
) -> list[Finding]:
    """Every finding for one file; `source` replaces the file's bytes (stdin, flake8), and
    `tree` is its already-parsed AST, if the caller has one. With `keep_suppressed`, the
    findings a `# noqa` silenced come too, marked with their `suppression` (Python, notebooks).
    `resolved`: the file's settings, where the caller resolved them already."""
    if isinstance(path, Unreachable):
        return [unreadable(path, path.reason)]
    if resolved is None:
        found = resolve(path, overrides)
        if isinstance(found, str):
            return [unreadable(path, found)]
        resolved = found
    settings, codes = resolved.settings, resolved.codes
    kind = file_kind(path) or PYTHON
    if kind == DATA:
        return []  # JSON Lines: data, skipped
    if not reads_whole_file(kind):  # the reader reads what it needs (a checkpoint's header)
        return check_input(path, kind, None, settings, codes)
    data = read_bytes(path, settings.max_file_size) if source is None else source
    if isinstance(data, str):
        return [unreadable(path, data)]
    if kind in READERS:
        return check_input(path, kind, data, settings, codes)
    if kind == NOTEBOOK:
        from .notebooks import check_notebook

        return check_notebook(path, data, settings, _rules(codes), overrides.prefilter, keep_suppressed)
    return check_python(path, data, settings, _rules(codes), overrides.prefilter, tree, keep_suppressed)


def check_paths(paths: Iterable[str], overrides: Overrides) -> tuple[list[str], list[Finding]]:
    files = list(discover(list(paths), overrides.force_exclude, explicit_settings(overrides)))
    findings: list[Finding] = []
    for path in files:
        findings.extend(check_file(path, overrides))
    findings.sort(key=lambda f: f.sort_key)
    return files, findings


# A file rewritten by someone else between our read and our write is read and fixed again,
# this many times at most (a file that keeps changing is reported, not overwritten).
FIX_ATTEMPTS = 5


def fix_file(
    path: str,
    overrides: Overrides,
    unsafe: bool,
    write: bool,
    source: bytes | None = None,
    family: tuple[str, ...] | None = None,
) -> FileFix:
    """Apply the wanted fixes to one Python file; write it (atomically) when asked.

    The edits are computed from one read of the file and written only over those same
    bytes: if the file changed meanwhile (another run, an editor), it is checked afresh.
    `family` (code prefixes, for the LibCST codemods) keeps only the findings of those codes
    after the whole check, precedence included, so a family applies exactly the fixes
    `--fix` applies to its codes, never one `--fix` would not make."""
    from .fixes.apply import FixResult
    from .fixes.source_io import Changed, FileFix, replace_if_unchanged

    if isinstance(path, Unreachable) or file_kind(path) not in (None, PYTHON, NOTEBOOK):
        return FileFix(path, "", FixResult("", (), tuple(check_file(path, overrides))))
    resolved = resolve(path, overrides)
    if isinstance(resolved, str):
        return FileFix(path, "", FixResult("", (), (unreadable(path, resolved),)))
    for _ in range(FIX_ATTEMPTS):
        data = read_bytes(path, resolved.settings.max_file_size) if source is None else source
        if isinstance(data, str):
            return FileFix(path, "", FixResult("", (), (unreadable(path, data),)))
        outcome, new = _fixed(path, overrides, resolved, unsafe, data, family)
        if new is None or not write:
            return outcome
        try:
            replace_if_unchanged(path, data, new)
        except Changed:
            continue
        except OSError as exc:  # the file or its folder went away, or is read-only: report, exit 2
            reason = f"cannot write the fixed file: {exc.strerror or exc}"
            return FileFix(path, outcome.original, FixResult(outcome.original, (), outcome.result.remaining), reason)
        return outcome
    reason = f"the file changed {FIX_ATTEMPTS} times while it was being fixed; nothing written"
    return FileFix(path, "", FixResult("", (), tuple(check_file(path, overrides))), reason)


def _fixed(
    path: str,
    overrides: Overrides,
    resolved: FileSettings,
    unsafe: bool,
    data: bytes,
    family: tuple[str, ...] | None = None,
) -> tuple[FileFix, bytes | None]:
    """The outcome of fixing these bytes, and the bytes to write (None: nothing to write)."""
    from .fixes.apply import FixResult, wanted
    from .fixes.source_io import FileFix, fix_source

    def lint(source: bytes) -> list[Finding]:
        found = check_file(path, overrides, source, resolved=resolved)
        return found if family is None else [f for f in found if f.code.startswith(family)]

    findings = lint(data)
    if not any(wanted(f, unsafe) for f in findings):
        return FileFix(path, "", FixResult("", (), tuple(findings))), None
    if file_kind(path) == NOTEBOOK:
        return _fix_notebook(path, overrides, resolved, unsafe, data, findings)
    outcome, encoding = fix_source(path, data, lint, unsafe, findings)
    if outcome.error is not None:  # nothing is written; the findings stand as they were
        return FileFix(path, outcome.original, FixResult(outcome.original, (), tuple(findings)), outcome.error), None
    if not outcome.changed:
        return outcome, None
    return outcome, outcome.result.text.encode(encoding)


def _fix_notebook(
    path: str, overrides: Overrides, resolved: FileSettings, unsafe: bool, data: bytes, findings: list[Finding]
) -> tuple[FileFix, bytes | None]:
    from .fixes.apply import FixResult
    from .fixes.source_io import FileFix
    from .notebooks import fix_notebook

    outcome = fix_notebook(path, data, resolved.settings, _rules(resolved.codes), unsafe, overrides.prefilter)
    if outcome.error is not None:
        return FileFix(path, outcome.original, FixResult(outcome.original, (), tuple(findings)), outcome.error), None
    if not outcome.changed:
        return outcome, None
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    return outcome, (bom + outcome.result.text).encode("utf-8")


__all__ = ["ConfigError", "Overrides", "check_file", "check_paths", "fix_file", "settings_for", "selected_codes"]
