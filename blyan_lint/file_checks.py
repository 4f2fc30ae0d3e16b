"""One pipeline for every input that is not Python: read, judge, then the post-walk stages.

A file's kind (`kinds.file_kind`) picks its reader here; the selected `FileRule`s that
declare the kind in their `kinds` judge what it read; their findings then pass the stages
the engine runs for Python: the scope filter (`applies_to_teacher`), precedence, order, and
`# noqa` where the format has comments. Nothing here knows a rule by its code. A new input
kind is a reader (`readers/`), a line in `READERS` and a rule that declares the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from . import registry, suppress
from .config import Settings
from .findings import Finding, unreadable
from .kinds import CONFIG, READ_IN_PART, WEIGHTS
from .post_walk import reported_findings
from .readers import Unreadable
from .rules.base import FileRule
from .scope import file_scope, relative_posix
from .sources import split_lines

# What a reader returns: the document its kind's rules judge, and the text suppression
# comments are read from (None where the format has no comments).
Read = tuple[object, "str | None"]


@dataclass(frozen=True)
class Reader:
    read: Callable[[str, bytes | None], Read]  # (path, the file's bytes: None for `kinds.READ_IN_PART`)
    # For a kind read in part: the bytes its findings depend on (a header), which a cache
    # hashes instead of the whole file.
    fingerprint: Callable[[str], bytes] | None = None


# The readers load with the first file of their kind (pyyaml, the safetensors header reader).
def _read_config(path: str, data: bytes | None) -> Read:
    from .readers.configs import read_config

    document = read_config(path, data or b"")
    return document, document.text if document.has_comments else None


def _read_weights(path: str, data: bytes | None) -> Read:
    from .readers.safetensors import read_floating_tensors

    return read_floating_tensors(path), None


def _weights_fingerprint(path: str) -> bytes:
    from .readers.safetensors import fingerprint

    return fingerprint(path)


READERS: dict[str, Reader] = {
    CONFIG: Reader(_read_config),
    WEIGHTS: Reader(_read_weights, _weights_fingerprint),
}


def reads_whole_file(kind: str) -> bool:
    """Whether files of this kind are read whole (within max-file-size) before their check."""
    return kind not in READ_IN_PART


@lru_cache(maxsize=64)
def file_rules(kind: str, codes: frozenset[str]) -> tuple[FileRule, ...]:
    """The selected rules that read this kind, in code order."""
    return tuple(
        cls()
        for code, cls in registry.all_rules().items()
        if code in codes and issubclass(cls, FileRule) and kind in cls.kinds
    )


def check_input(path: str, kind: str, data: bytes | None, settings: Settings, codes: frozenset[str]) -> list[Finding]:
    """The findings for one file of a kind in `READERS`; `data` is its bytes when the kind
    is read whole (else None: the reader reads what it needs)."""
    rules = file_rules(kind, codes)
    if not rules:
        return []
    scope = file_scope(data, relative_posix(path, settings.root), settings.teacher_paths)
    rules = tuple(rule for rule in rules if rule.applies_to_teacher or not scope.is_teacher)
    if not rules:
        return []  # decided before reading: a teacher checkpoint is not even opened
    try:
        document, comments = READERS[kind].read(path, data)
        reports = [(rule, scope, report) for rule in rules for report in rule.check(document, scope)]
    except Unreadable as exc:
        return [unreadable(path, exc.message, exc.line, exc.col)]
    findings = reported_findings(path, reports, rules)
    findings.sort(key=lambda f: f.sort_key)
    if comments is None or not findings:
        return findings
    return suppress.apply_noqa(findings, comments, split_lines(comments), python=False)
