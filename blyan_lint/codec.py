"""Findings as JSON data and back, for the cache: no pickle, nothing executed on load.

Any dataclass or enum defined in blyan_lint (findings, fixes, the typed facts rules attach),
or registered with `register`, is written by its class name and field values; tuples,
frozensets and dicts of str/int/float/bool/None nest inside. Decoding accepts only
registered classes and dataclass/enum classes of already-imported blyan_lint modules, with
exactly the fields written, so an entry can name no other code; anything unexpected raises
`CodecError`.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from functools import cache

_PACKAGE = "blyan_lint"
_PLAIN = (str, int, float, bool, type(None))


_REGISTERED: dict[str, type] = {}


class CodecError(ValueError):
    """The data is not something this codec wrote."""


def register(*classes: type) -> None:
    """Allow dataclasses or enums from outside blyan_lint (plugins, tests) in the cache."""
    for cls in classes:
        if not (dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum)):
            raise TypeError(f"{cls.__qualname__} is neither a dataclass nor an enum")
        _REGISTERED[f"{cls.__module__}:{cls.__qualname__}"] = cls


def encode(value: object) -> object:
    if isinstance(value, _PLAIN) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    if isinstance(value, enum.Enum):
        return {"@e": _tag(type(value)), "v": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _field_names(type(value))
        return {"@": _tag(type(value)), "v": [encode(getattr(value, n)) for n in names]}
    if isinstance(value, frozenset):
        return {"@s": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {"@d": [[encode(k), encode(v)] for k, v in value.items()]}
    raise CodecError(f"cannot encode {type(value).__name__}")


def decode(data: object) -> object:
    if isinstance(data, _PLAIN):
        return data
    if isinstance(data, list):
        return tuple(decode(v) for v in data)
    if not isinstance(data, dict):
        raise CodecError(f"unexpected {type(data).__name__}")
    if "@" in data and len(data) == 2:
        cls = _resolve(data["@"], dataclass_wanted=True)
        values = data.get("v")
        names = _field_names(cls)
        if not isinstance(values, list) or len(values) != len(names):
            raise CodecError(f"{cls.__name__}: wrong fields")
        try:
            return cls(**{n: decode(v) for n, v in zip(names, values, strict=True)})
        except (TypeError, ValueError) as exc:
            raise CodecError(f"{cls.__name__}: {exc}") from None
    if "@e" in data and len(data) == 2:
        cls = _resolve(data["@e"], dataclass_wanted=False)
        try:
            return cls(data.get("v"))
        except ValueError as exc:
            raise CodecError(str(exc)) from None
    try:
        if "@s" in data and len(data) == 1 and isinstance(data["@s"], list):
            return frozenset(decode(v) for v in data["@s"])
        if "@d" in data and len(data) == 1 and isinstance(data["@d"], list):
            pairs = data["@d"]
            if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise CodecError("malformed mapping")
            return {decode(k): decode(v) for k, v in pairs}
    except TypeError as exc:  # an unhashable member
        raise CodecError(str(exc)) from None
    raise CodecError("unknown object")


def _tag(cls: type) -> str:
    module = cls.__module__
    tag = f"{module}:{cls.__qualname__}"
    if tag not in _REGISTERED and module != _PACKAGE and not module.startswith(_PACKAGE + "."):
        raise CodecError(f"{cls.__qualname__} is neither a blyan_lint type nor registered")
    return tag


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def _resolve(tag: object, dataclass_wanted: bool) -> type:
    """The class a tag names: only from blyan_lint modules already imported (nothing is
    imported on behalf of the data), only a dataclass or enum class."""
    if not isinstance(tag, str) or tag.count(":") != 1:
        raise CodecError("malformed type tag")
    registered = _REGISTERED.get(tag)
    if registered is not None:
        obj: object = registered
    else:
        obj = _package_type(tag)
    if not isinstance(obj, type):
        raise CodecError(f"unknown type {tag}")
    if dataclass_wanted and not dataclasses.is_dataclass(obj):
        raise CodecError(f"{tag} is not a dataclass")
    if not dataclass_wanted and not issubclass(obj, enum.Enum):
        raise CodecError(f"{tag} is not an enum")
    return obj


def _package_type(tag: str) -> object:
    module_name, qualname = tag.split(":")
    if module_name != _PACKAGE and not module_name.startswith(_PACKAGE + "."):
        raise CodecError(f"foreign type {tag}")
    obj: object = sys.modules.get(module_name)
    if obj is None:
        raise CodecError(f"module {module_name} is not loaded")
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj
