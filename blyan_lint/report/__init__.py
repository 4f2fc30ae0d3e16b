"""Output formats: one module each, all taking the same sorted findings."""

from __future__ import annotations

from collections.abc import Callable

from ..findings import Finding
from . import concise, full, github, json_format, sarif

FORMATS: dict[str, Callable[[list[Finding]], str]] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}
