"""Reading an input file: its bytes within the size limit, Python's decoding, its lines.

Every stage that reads a file (the engine, the readers of other inputs, the fixer, the
`scope` command) reads it through here, so each refuses the same files with the same words.
"""

from __future__ import annotations

import io
import os
import stat
import tokenize

from .config import DEFAULT_MAX_FILE_SIZE


def split_lines(text: str) -> list[str]:
    """The lines of a text; `\\r\\n`, `\\r` and `\\n` each end one."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def decode_python(source: bytes) -> str:
    """Decode as Python does (BOM, PEP 263 cookie, UTF-8 default)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return source.decode(encoding)


def read_bytes(path: str, limit: int = DEFAULT_MAX_FILE_SIZE) -> bytes | str:
    """The file's bytes, or a reason it cannot be read. Only regular files are read (a FIFO
    or device named `x.py` would block or never end), and at most `limit` bytes."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"cannot read: not a regular file ({_file_type(info.st_mode)})"
        if info.st_size > limit:
            return f"cannot read: the file is {info.st_size:,} bytes, over the max-file-size limit of {limit:,} bytes"
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:  # grew while being read
            return f"cannot read: the file is over the max-file-size limit of {limit:,} bytes"
        return data
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"
