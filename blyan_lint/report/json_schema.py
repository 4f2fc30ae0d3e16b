"""The JSON Schema of `--output-format json`, derived from the data types it serialises.

The facts part is generated from the dataclasses in `facts.py`, so the schema cannot drift
from what is written. `docs/json-schema.json` is this module's output (`make docs`
regenerates it; a test holds the file to it and validates real output against it).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from typing import Any

from .. import facts
from .json_format import SCHEMA

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def _type(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin is tuple:
        return {"type": "array", "items": _type(typing.get_args(hint)[0])}
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if all(o in _SCALARS for o in options):
            return {"type": [_SCALARS[o] for o in options]}
        return {"anyOf": [_type(o) for o in options]}
    if isinstance(hint, type) and issubclass(hint, facts.Record):
        return {"$ref": f"#/$defs/{hint.__name__}"}
    return {"type": _SCALARS[hint]}


def _record(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    kind = getattr(cls, "kind", None)
    if kind is not None:
        properties["kind"] = {"const": kind}
    for f in dataclasses.fields(cls):
        properties[f.name] = _type(hints[f.name])
    return {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _records() -> list[type]:
    found = [facts.Hop, facts.Value, facts.Keyword]
    found += sorted(facts.FACTS_KINDS.values(), key=lambda c: c.__name__)
    return found


_POSITION = {
    "type": "object",
    "properties": {"row": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}},
    "required": ["row", "column"],
    "additionalProperties": False,
}


def schema() -> dict[str, Any]:
    defs: dict[str, Any] = {cls.__name__: _record(cls) for cls in _records()}
    defs["Position"] = _POSITION
    defs["Fix"] = {
        "type": "object",
        "properties": {
            "applicability": {"enum": ["safe", "unsafe", "display"]},
            "title": {"type": "string"},
            "edits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "location": {"$ref": "#/$defs/Position"},
                        "end_location": {"$ref": "#/$defs/Position"},
                        "content": {"type": "string"},
                    },
                    "required": ["location", "end_location", "content"],
                    "additionalProperties": False,
                },
            },
            "imports": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["applicability", "title", "edits", "imports"],
        "additionalProperties": False,
    }
    facts_refs = [{"$ref": f"#/$defs/{cls.__name__}"} for cls in _records() if issubclass(cls, facts.Facts)]
    defs["Finding"] = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^BLY[0-9]{3}$"},
            "name": {"type": ["string", "null"]},
            "message": {"type": "string"},
            "filename": {"type": "string"},
            "cell": {"type": ["integer", "null"], "minimum": 1},
            "location": {"$ref": "#/$defs/Position"},
            "end_location": {"$ref": "#/$defs/Position"},
            "scope": {"enum": ["student", "teacher"]},
            "scope_reason": {"type": "string"},
            "fix": {"anyOf": [{"$ref": "#/$defs/Fix"}, {"type": "null"}]},
            "url": {"type": "string"},
            "facts": {"anyOf": [*facts_refs, {"type": "null"}]},
            "suppression": {
                "type": "object",
                "description": "only on suppressed findings: the noqa codes and the reason after ` -- `",
                "properties": {
                    "codes": {"type": "array", "items": {"type": "string"}},
                    "reason": {"type": ["string", "null"]},
                },
                "required": ["codes", "reason"],
                "additionalProperties": False,
            },
        },
        "required": [
            "code",
            "name",
            "message",
            "filename",
            "cell",
            "location",
            "end_location",
            "scope",
            "scope_reason",
            "fix",
            "url",
            "facts",
        ],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://blyan.dev/blyan-lint/json-schema.json",
        "title": f"blyan-lint JSON output, schema {SCHEMA}",
        "type": "object",
        "properties": {
            "schema": {"const": SCHEMA},
            "tool": {"const": "blyan-lint"},
            "version": {"type": "string"},
            "findings": {"type": "array", "items": {"$ref": "#/$defs/Finding"}},
            "suppressed": {"type": "array", "items": {"$ref": "#/$defs/Finding"}},
        },
        "required": ["schema", "tool", "version", "findings", "suppressed"],
        "additionalProperties": False,
        "$defs": defs,
    }


def render() -> str:
    return json.dumps(schema(), indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
