"""Fixing files on disk: decode as Python does, fix, re-encode the same way, write atomically."""

from __future__ import annotations

import io
import os
import tempfile
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

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

    try:
        result = fix_text(original, lint_text, unsafe, findings)
        result.text.encode(encoding)
    except FixError as exc:
        return FileFix(path, original, FixResult(original, (), ()), str(exc)), encoding
    except UnicodeEncodeError as exc:
        reason = f"the fixed text cannot be encoded as {encoding}: {exc}"
        return FileFix(path, original, FixResult(original, (), ()), reason), encoding
    return FileFix(path, original, result), encoding


def write_atomic(path: str, data: bytes) -> None:
    """Write via a temporary file in the same directory and rename over the original, so an
    interrupted run never leaves a half-written file; keep the original's permissions."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".blyan-lint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        st = os.stat(path)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
