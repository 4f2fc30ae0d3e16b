"""The findings cache: `.blyan_lint_cache/`, keyed by file content, tool version and settings.

One pickle per (tool version, settings) holds, for each file, its size, mtime, content
hash and findings. A file whose size and mtime are unchanged is a hit without being read;
otherwise its content hash decides, so `touch` alone does not re-check a file. Any
unreadable or foreign cache is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field

from . import __version__
from .findings import Finding

CACHE_DIR = ".blyan_lint_cache"
_FORMAT = 1


@dataclass
class Entry:
    size: int
    mtime_ns: int
    digest: str
    findings: tuple[Finding, ...]


@dataclass
class Cache:
    path: str
    entries: dict[str, Entry] = field(default_factory=dict)
    dirty: bool = False
    hits: int = 0

    @classmethod
    def open(cls, directory: str, settings_key: str) -> Cache:
        name = hashlib.sha256(f"{_FORMAT}|{__version__}|{settings_key}".encode()).hexdigest()[:24]
        path = os.path.join(directory, f"{name}.pickle")
        try:
            with open(path, "rb") as fh:
                data = pickle.load(fh)
            if isinstance(data, dict) and data.get("format") == _FORMAT and data.get("version") == __version__:
                return cls(path, data["entries"])
        except (OSError, pickle.PickleError, EOFError, AttributeError, KeyError, TypeError, ValueError):
            pass  # missing, corrupt or from another version: start afresh
        return cls(path)

    def fresh(self, path: str, stat: os.stat_result) -> tuple[Finding, ...] | None:
        """The cached findings when size and mtime are unchanged (the file is not read)."""
        entry = self.entries.get(os.path.abspath(path))
        if entry is not None and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
            self.hits += 1
            return _rebased(entry.findings, path)
        return None

    def known_digest(self, path: str) -> str | None:
        entry = self.entries.get(os.path.abspath(path))
        return entry.digest if entry is not None else None

    def same_content(self, path: str, stat: os.stat_result) -> tuple[Finding, ...]:
        """The file was touched but its content hash still matches: refresh the mtime."""
        entry = self.entries[os.path.abspath(path)]
        entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns
        self.dirty = True
        self.hits += 1
        return _rebased(entry.findings, path)

    def store(self, path: str, stat: os.stat_result, content_digest: str, findings: list[Finding]) -> None:
        key = os.path.abspath(path)
        self.entries[key] = Entry(stat.st_size, stat.st_mtime_ns, content_digest, tuple(findings))
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
            gitignore = os.path.join(directory, ".gitignore")
            if not os.path.exists(gitignore):
                with open(gitignore, "w", encoding="utf-8") as fh:
                    fh.write("# Created by blyan-lint\n*\n")
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(
                    {"format": _FORMAT, "version": __version__, "entries": self.entries},
                    fh,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only tree still gets checked, just not cached


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rebased(findings: tuple[Finding, ...], path: str) -> tuple[Finding, ...]:
    """Findings carry the path as the user spelled it this time."""
    if not findings or findings[0].path == path:
        return findings
    from dataclasses import replace

    return tuple(replace(f, path=path) for f in findings)


def clean(directory: str = CACHE_DIR) -> bool:
    import shutil

    if os.path.isdir(directory):
        shutil.rmtree(directory)
        return True
    return False
