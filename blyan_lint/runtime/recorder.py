"""The state instrumentation shares inside a replay or traced program: the `Recorder` of
precision events, each attributed to the user's file:line, and the `Redirect` of model ids
to local checkpoints (never the hub)."""

from __future__ import annotations

import os
import sys
import threading
from types import FrameType
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = os.path.dirname(_HERE)


class UnmappedCheckpoint(OSError):
    """A load of an id the model map does not cover: never the hub, so the replay stops."""


class Recorder:
    """Events of one run, each with the innermost user frame that caused it."""

    def __init__(self, user_roots: list[str]) -> None:
        self.user_roots = [os.path.abspath(r).rstrip(os.sep) + os.sep for r in user_roots]
        self.events: list[dict[str, Any]] = []
        self.local = threading.local()
        self.max_events = 2000

    def is_user_file(self, filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        path = os.path.abspath(filename)
        if path.startswith(_PACKAGE + os.sep) or "site-packages" in path or "dist-packages" in path:
            return False
        return any(path.startswith(root) for root in self.user_roots)

    def where(self, skip: int = 2) -> str | None:
        frame: FrameType | None = sys._getframe(skip)
        while frame is not None:
            if self.is_user_file(frame.f_code.co_filename):
                return f"{frame.f_code.co_filename}:{frame.f_lineno}"
            frame = frame.f_back
        return None

    def direct(self, skip: int = 2) -> str | None:
        """file:line when the user's code itself made the call (not a library on its behalf;
        torch's own subclasses calling `super()` in between, as torch.cuda.amp.autocast does,
        do not count as a library)."""
        frame: FrameType | None = sys._getframe(skip)
        while frame is not None and frame.f_globals.get("__name__", "").startswith("torch."):
            frame = frame.f_back
        if frame is not None and self.is_user_file(frame.f_code.co_filename):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        return None

    def add(self, event: dict[str, Any]) -> None:
        if len(self.events) < self.max_events:
            self.events.append(event)

    def depth(self, name: str) -> int:
        depth: int = getattr(self.local, name, 0)
        return depth

    def enter(self, name: str) -> None:
        setattr(self.local, name, self.depth(name) + 1)

    def leave(self, name: str) -> None:
        setattr(self.local, name, self.depth(name) - 1)


class Redirect:
    """Model ids -> local checkpoints; the only way a replay reaches weights."""

    def __init__(self, model_map: dict[str, str], allow_pickle: bool) -> None:
        self.model_map = model_map
        self.allow_pickle = allow_pickle
        self.used: dict[str, str] = {}

    def resolve(self, name: Any) -> Any:
        if not isinstance(name, (str, os.PathLike)):
            return name
        text = os.fspath(name)
        if text in self.model_map:
            self.used[text] = self.model_map[text]
            return self.model_map[text]
        if os.path.isdir(text):
            return text
        raise UnmappedCheckpoint(f"checkpoint `{text}` is not mapped (pass --model-map {text}=PATH)")
