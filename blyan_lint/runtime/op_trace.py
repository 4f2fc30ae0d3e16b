"""The per-op dtype trace of a replay: the result dtype of every aten op (a
TorchDispatchMode), attributed to the innermost user frame or to the library that called it."""

from __future__ import annotations

import sys
from collections import Counter
from types import FrameType
from typing import Any

from .recorder import Recorder


class OpTrace:
    """Result dtype of every aten op (a TorchDispatchMode), attributed to the innermost
    user frame or to the library that called it."""

    def __init__(self, recorder: Recorder, sample_every: int = 1) -> None:
        self.recorder = recorder
        self.counts: Counter[str] = Counter()
        self.by_origin: Counter[str] = Counter()
        self.sample_every = max(1, sample_every)
        self.seen = 0
        self.mode: Any = None

    def __enter__(self) -> OpTrace:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        trace = self

        class Mode(TorchDispatchMode):  # type: ignore[misc]  # torch is typed as Any
            def __torch_dispatch__(
                self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
            ) -> Any:
                out = func(*args, **(kwargs or {}))
                trace.seen += 1
                if trace.seen % trace.sample_every:
                    return out
                first = out[0] if isinstance(out, (tuple, list)) and out else out
                if isinstance(first, torch.Tensor) and (first.is_floating_point() or first.is_complex()):
                    name = func.overloadpacket.__name__
                    dtype = str(first.dtype).replace("torch.", "")
                    trace.counts[f"{name}|{dtype}"] += 1
                    trace.by_origin[f"{name}|{dtype}|{trace._origin()}"] += 1
                return out

        self.mode = Mode()
        self.mode.__enter__()
        return self

    def _origin(self) -> str:
        frame: FrameType | None = sys._getframe(3)
        while frame is not None:
            filename = frame.f_code.co_filename
            if self.recorder.is_user_file(filename):
                return f"user:{filename}:{frame.f_lineno}"
            module = frame.f_globals.get("__name__", "")
            top = module.split(".", 1)[0]
            if top not in ("torch", "blyan_lint", "contextlib", "functools", "") and not module.startswith("__"):
                return f"library:{top}"
            frame = frame.f_back
        return "library:torch"

    def __exit__(self, *exc: object) -> None:
        if self.mode is not None:
            self.mode.__exit__(*exc)
