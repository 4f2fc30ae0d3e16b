"""`.safetensors` checkpoints: the dtypes of their tensors, from the header, never the tensors.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON (tensor
name -> {dtype, shape, data_offsets}, plus an optional `__metadata__` of strings), then
the tensor bytes. We read exactly 8 + N bytes, whatever the file's size, so a 100 GB
checkpoint is checked in milliseconds and constant memory. N is checked against the file
size and against safetensors' own 100 MB limit before anything is read.

Anything safetensors itself would refuse to load (a file shorter than 8 bytes, a header
length past the end of the file, a header that is not UTF-8 JSON of the right shape, an
unknown dtype, tensor data past the end of the file or of the wrong size for its dtype and
shape) raises `HeaderError` with the reason (BLY000): a weight file nobody could check did
not pass. BLY502 (`rules/config_and_weights/weights_not_bf16.py`) judges the dtypes read here.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass

from . import Unreadable, shown

MAX_HEADER_BYTES = 100_000_000  # safetensors' MAX_HEADER_SIZE

# safetensors dtype -> bits per element.
FLOATING_BITS: dict[str, int] = {
    "F64": 64,
    "F32": 32,
    "F16": 16,
    "BF16": 16,
    "F8_E4M3": 8,
    "F8_E5M2": 8,
    "F8_E8M0": 8,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "F4": 4,
    "C64": 64,
}
INTEGER_BITS: dict[str, int] = {
    "I64": 64,
    "I32": 32,
    "I16": 16,
    "I8": 8,
    "U64": 64,
    "U32": 32,
    "U16": 16,
    "U8": 8,
    "BOOL": 8,
}


class HeaderError(Unreadable):
    """The file is not a safetensors file we can read; the message says why."""


@dataclass(frozen=True)
class FloatingTensors:
    """A checkpoint's floating-point tensors: dtype -> their names, in header order."""

    by_dtype: dict[str, list[str]]

    @property
    def total(self) -> int:
        return sum(len(names) for names in self.by_dtype.values())


def read_floating_tensors(path: str) -> FloatingTensors:
    """The floating tensors of a `.safetensors` file, from its header; HeaderError if unreadable."""
    header, data_bytes = read_header(path)
    return FloatingTensors(_floating(header, data_bytes))


def read_raw_header(path: str) -> tuple[bytes, int]:
    """The header's raw bytes and the file's size; HeaderError if they cannot be read.

    Reads 8 + N bytes at most (N <= MAX_HEADER_BYTES and N <= the file's size).
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise HeaderError("cannot read: not a regular file")
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 8:
                raise HeaderError(
                    f"truncated safetensors file: {size} bytes, fewer than the 8-byte header length field"
                )
            prefix = fh.read(8)
            if len(prefix) != 8:
                raise HeaderError("truncated safetensors file: the 8-byte header length field is incomplete")
            length = int.from_bytes(prefix, "little")
            if length > size - 8:
                raise HeaderError(
                    f"corrupt safetensors header: the header length field says {length} bytes, "
                    f"but only {size - 8} bytes follow it"
                )
            if length > MAX_HEADER_BYTES:
                raise HeaderError(
                    f"corrupt safetensors header: the header length field says {length} bytes, "
                    f"more than the {MAX_HEADER_BYTES}-byte limit of the format"
                )
            raw = fh.read(length)
    except OSError as exc:
        raise HeaderError(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) != length:
        raise HeaderError(f"truncated safetensors file: the header holds {len(raw)} of {length} bytes")
    return raw, size


def fingerprint(path: str) -> bytes:
    """Everything BLY502's verdict depends on (header bytes and file size), read within the
    same bounds as the check: what a content-keyed cache should hash instead of the file."""
    try:
        raw, size = read_raw_header(path)
    except HeaderError as exc:
        return b"unreadable\0" + str(exc).encode("utf-8")
    return raw + b"\0" + str(size).encode("ascii")


def read_header(path: str) -> tuple[dict[str, object], int]:
    """The parsed JSON header and the size of the data section; HeaderError if unreadable."""
    raw, size = read_raw_header(path)
    length = len(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError(f"corrupt safetensors header: not UTF-8 ({exc.reason} at byte {8 + exc.start})") from None
    if not text.startswith("{"):
        raise HeaderError("corrupt safetensors header: it does not start with `{`")
    try:
        header = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HeaderError(f"corrupt safetensors header: invalid JSON: {exc.msg} (at header byte {exc.pos})") from None
    except (ValueError, RecursionError) as exc:
        raise HeaderError(f"corrupt safetensors header: invalid JSON: {exc}") from None
    if not isinstance(header, dict):
        raise HeaderError("corrupt safetensors header: the JSON is not an object")
    return header, size - 8 - length


def _floating(header: dict[str, object], data_bytes: int) -> dict[str, list[str]]:
    """Floating tensor names per dtype; HeaderError on a bad entry (of any dtype)."""
    floating: dict[str, list[str]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                raise HeaderError("corrupt safetensors header: `__metadata__` must map strings to strings")
            continue
        dtype = _validate(name, entry, data_bytes)
        if dtype in FLOATING_BITS:
            floating.setdefault(dtype, []).append(name)
    return floating


def _validate(name: str, entry: object, data_bytes: int) -> str:
    where = f"corrupt safetensors header: tensor `{shown(name)}`"
    if not isinstance(entry, dict):
        raise HeaderError(f"{where} is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str):
        raise HeaderError(f"{where} has no dtype")
    bits = FLOATING_BITS.get(dtype) or INTEGER_BITS.get(dtype)
    if bits is None:
        raise HeaderError(f"{where} has an unknown dtype `{shown(dtype)}`")
    if not isinstance(shape, list) or not all(_natural(d) for d in shape):
        raise HeaderError(f"{where} has no valid shape (a list of non-negative integers)")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_natural(o) for o in offsets)):
        raise HeaderError(f"{where} has no valid data_offsets (two non-negative integers)")
    begin, end = offsets
    if begin > end:
        raise HeaderError(f"{where} has data_offsets [{begin}, {end}] that end before they begin")
    if end > data_bytes:
        raise HeaderError(
            f"truncated safetensors file: tensor `{shown(name)}` has data_offsets [{begin}, {end}], "
            f"but the data section holds {data_bytes} bytes"
        )
    elements = 1
    for dim in shape:
        elements *= dim
    if elements * bits != (end - begin) * 8:
        raise HeaderError(
            f"{where} has {end - begin} data bytes, but {dtype} with shape {shape} needs {elements * bits / 8:g}"
        )
    return dtype


def _natural(value: object) -> bool:
    return type(value) is int and value >= 0
