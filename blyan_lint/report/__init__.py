"""Output formats: one module each, all taking the same sorted findings."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from ..findings import Finding

Render = Callable[[list[Finding]], str]


class _Formats(Mapping[str, Render]):
    """Format name -> its module's `render`; a module is imported when its format is first
    asked for, so a concise check never loads the JSON or SARIF writers."""

    _modules = {"concise": "concise", "full": "full", "json": "json_format", "sarif": "sarif", "github": "github"}

    def __getitem__(self, name: str) -> Render:
        module = self._modules[name]  # KeyError for an unknown format, as a dict would
        render: Render = importlib.import_module(f"{__name__}.{module}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


FORMATS: Mapping[str, Render] = _Formats()
