"""Fixing files on disk: decode as Python does, fix, re-encode the same way, write atomically."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

from .. import bounds
from ..findings import Finding
from .apply import FixError, FixResult, fix_text


@dataclass(frozen=True)
class FileFix:
    path: str
    original: str
    result: FixResult
    error: str | None = None  # why nothing was written

    @property
    def changed(self) -> bool:
        return self.error is None and self.result.text != self.original


def source_encoding(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def fix_source(
    path: str,
    data: bytes,
    lint_bytes: Callable[[bytes], list[Finding]],
    unsafe: bool,
    findings: list[Finding] | None = None,
) -> tuple[FileFix, str]:
    """Fix one file's bytes; returns the outcome and the encoding to write it back with."""
    try:
        encoding = source_encoding(data)
        original = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return FileFix(path, "", FixResult("", (), ()), f"cannot decode: {exc}"), "utf-8"
    if original.startswith("\ufeff"):
        original = original[1:]  # "utf-8-sig" puts the BOM back on encode

    def lint_text(text: str) -> list[Finding]:
        return lint_bytes(text.encode(encoding))

    def fixed() -> FixResult:
        try:
            return fix_text(original, lint_text, unsafe, findings)
        except RecursionError:  # deeply nested but valid: again, with room for the depth
            if bounds.deep():
                raise FixError("the code is nested too deeply to fix") from None
            return bounds.with_depth(fixed)

    try:
        result = fixed()
        result.text.encode(encoding)
    except FixError as exc:
        return FileFix(path, original, FixResult(original, (), ()), str(exc)), encoding
    except UnicodeEncodeError as exc:
        reason = f"the fixed text cannot be encoded as {encoding}: {exc}"
        return FileFix(path, original, FixResult(original, (), ()), reason), encoding
    return FileFix(path, original, result), encoding


TEMP_PREFIX = ".blyan-lint-"


class Changed(Exception):
    """The file no longer holds the bytes the fix was computed from."""


def replace_if_unchanged(path: str, expected: bytes, data: bytes) -> None:
    """Replace the file with `data` only if it still holds `expected`, else raise `Changed`.

    The comparison and the rename happen under an exclusive lock on the file, so two
    blyan-lint runs fixing one tree take turns: the second finds new content (or a new
    inode) and re-checks instead of writing edits computed from bytes that are gone.
    The new content goes to a temporary file in the same directory, named after this
    process (a killed run's leftovers are removed by the next run), then renamed over
    the original: an interruption leaves either the old file or the new one, never half.
    A symlink is written through to its target; mode and owner are kept.
    """
    target = os.path.realpath(path)
    fd = os.open(target, os.O_RDONLY)
    try:
        _lock(fd)
        st = os.fstat(fd)
        try:
            now = os.stat(target)
        except FileNotFoundError:
            raise Changed from None
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or _read_all(fd) != expected:
            raise Changed
        _write_beside(target, data, st)
    finally:
        os.close(fd)  # releases the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the comparison alone still guards
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_beside(target: str, data: bytes, st: os.stat_result) -> None:
    directory = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):  # not ours to give away; content and mode are still right
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
