"""`[tool.blyan-lint]` discovery and validation.

The nearest `pyproject.toml` with a `[tool.blyan-lint]` table (or a `blyan-lint.toml` /
`.blyan-lint.toml`) up from each file wins, as in ruff; nothing is merged across files.
Unknown keys and ill-typed values are errors that name the key.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

DEFAULT_TEACHER_PATHS = ("**/*teacher*/**", "**/*teacher*")
DEFAULT_TEACHER_NAME_REGEX = "(?i)teacher"
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".blyan_lint_cache",
    "node_modules",
    "site-packages",
    "build",
    "dist",
)
# Rules `ALL` leaves out (RULES.md: off by default); select them by code or prefix.
OFF_BY_DEFAULT = frozenset({"BLY001"})
# Files larger than this are not read (BLY000 names the limit): a generated 200k-line module
# is about 8 MB; nothing a person maintains comes near it.
DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024
CONFIG_FILES = ("blyan-lint.toml", ".blyan-lint.toml", "pyproject.toml")
# Calls BLY303 accepts as the capability guard whatever `guard-functions` says: the runtime
# guard blyan-lint ships for node code (blyan_lint.runtime.require_policy).
BUILTIN_GUARD_FUNCTIONS = ("blyan_lint.runtime.require_policy",)


class ConfigError(Exception):
    """A configuration or selection problem: reported, exit code 2."""


@dataclass(frozen=True)
class RuntimeSettings:
    """`[tool.blyan-lint.runtime]`: what `confirm`/`trace` need; the static checks ignore it."""

    model_map: tuple[tuple[str, str], ...] = ()  # (id or variable, path as written)
    allow_pickle: bool = False
    timeout: float = 120.0  # seconds per replay subprocess


@dataclass(frozen=True)
class Settings:
    root: str = field(default_factory=os.getcwd)
    source: str | None = None  # the config file these settings came from
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    teacher_paths: tuple[str, ...] = DEFAULT_TEACHER_PATHS
    teacher_name_regex: str = DEFAULT_TEACHER_NAME_REGEX
    guard_functions: tuple[str, ...] = ()
    respect_gitignore: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings, compare=False)

    @property
    def teacher_name_pattern(self) -> re.Pattern[str]:
        return _compile_regex(self.teacher_name_regex)

    def with_overrides(self, **changes: object) -> Settings:
        kept: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}  # field values, as given
        return replace(self, **kept)


def _str_list(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` must be a list of strings, got {value!r}")
    return tuple(value)


def _per_file_ignores(key: str, value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table of glob = [codes], got {value!r}")
    return tuple((glob, _str_list(f"{key}.{glob}", codes)) for glob, codes in value.items())


def _regex(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"`{key}` must be a string, got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"`{key}` is not a valid regular expression: {exc}") from None
    return value


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"`{key}` must be true or false, got {value!r}")
    return value


def _positive_int(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"`{key}` must be a positive whole number of bytes, got {value!r}")
    return value


def _model_map(key: str, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f'`{key}` must be a table of "id or variable" = "checkpoint path", got {value!r}')
    for model_id, path in value.items():
        if not isinstance(path, str) or not path.strip():
            raise ConfigError(f"`{key}.{model_id}` must be a checkpoint path string, got {path!r}")
    return tuple((model_id, path) for model_id, path in value.items())


def _timeout(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"`{key}` must be a positive number of seconds, got {value!r}")
    return float(value)


# key in the file -> (field, the validator that turns its value into the field's value)
Keys = dict[str, tuple[str, Callable[[str, Any], Any]]]


def _validate_table(table: dict[str, object], keys: Keys, section: str, key_prefix: str = "") -> dict[str, Any]:
    """Field -> validated value for each key of a config table; ConfigError names an
    unknown key (and the known ones) or the first ill-typed value."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in keys:
            known = ", ".join(sorted(keys))
            raise ConfigError(f"unknown key `{key}` in [{section}] (known keys: {known})")
        attr, validate = keys[key]
        values[attr] = validate(f"{key_prefix}{key}", value)
    return values


RUNTIME_KEYS: Keys = {
    "model-map": ("model_map", _model_map),
    "allow-pickle": ("allow_pickle", _bool),
    "timeout": ("timeout", _timeout),
}


def _runtime(key: str, value: object) -> RuntimeSettings:
    if not isinstance(value, dict):
        raise ConfigError(f"[tool.blyan-lint.{key}] must be a table, got {value!r}")
    return RuntimeSettings(**_validate_table(value, RUNTIME_KEYS, f"tool.blyan-lint.{key}", f"{key}."))


KEYS: Keys = {
    "select": ("select", _str_list),
    "extend-select": ("extend_select", _str_list),
    "ignore": ("ignore", _str_list),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _str_list),
    "extend-exclude": ("extend_exclude", _str_list),
    "teacher-paths": ("teacher_paths", _str_list),
    "teacher-name-regex": ("teacher_name_regex", _regex),
    "guard-functions": ("guard_functions", _str_list),
    "respect-gitignore": ("respect_gitignore", _bool),
    "max-file-size": ("max_file_size", _positive_int),
    "runtime": ("runtime", _runtime),
}


def settings_from_table(table: dict[str, object], root: str, source: str | None) -> Settings:
    try:
        values = _validate_table(table, KEYS, "tool.blyan-lint")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return Settings(root=root, source=source, **values)


def load_file(path: str) -> dict[str, object] | None:
    """The blyan-lint table of one config file, or None if it has none."""
    try:
        with open(path, "rb") as fh:
            data: dict[str, object] = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("blyan-lint") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.blyan-lint] must be a table")
        return table
    return data


def load_settings(path: str) -> Settings:
    table = load_file(path)
    return settings_from_table(table or {}, os.path.dirname(os.path.abspath(path)), path)


@cache
def settings_for_dir(directory: str) -> Settings:
    """Settings for files in `directory` (absolute): the nearest config file upwards."""
    for name in CONFIG_FILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            table = load_file(candidate)
            if table is not None:
                return settings_from_table(table, directory, candidate)
    parent = os.path.dirname(directory)
    if parent == directory:
        return Settings(root=os.getcwd())
    return settings_for_dir(parent)


def clear_caches() -> None:
    """Forget loaded config files (for long-lived processes and tests that edit them)."""
    settings_for_dir.cache_clear()


def expand_selectors(selectors: Iterable[str], all_codes: Iterable[str], key: str) -> set[str]:
    """`ALL`, `BLY`, `BLY1`, `BLY10`, `BLY101` -> the codes they name; unknown = error."""
    codes = sorted(all_codes)
    chosen: set[str] = set()
    for selector in selectors:
        sel = selector.strip().upper()
        matched = (
            [c for c in codes if c not in OFF_BY_DEFAULT] if sel == "ALL" else [c for c in codes if c.startswith(sel)]
        )
        if not matched:
            raise ConfigError(f"`{key}`: unknown rule selector `{selector}`")
        chosen.update(matched)
    return chosen


@cache
def _compile_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
