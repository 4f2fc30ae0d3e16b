"""Instrumentation inside a replay or traced program: loads redirected by the model map,
precision events attributed to the user's file:line, a per-op dtype trace, and the
simulated environments (a pre-Ampere GPU; a policy GPU for CPU-only runs).

Imported only in the subprocess, after `set_offline()`; torch and transformers are
imported here, never by the static checker.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections import Counter
from typing import Any

from .observe import scaler_summary, summarize

_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = os.path.dirname(_HERE)


class UnmappedCheckpoint(OSError):
    """A load of an id the model map does not cover: never the hub, so the replay stops."""


class Recorder:
    """Events of one run, each with the innermost user frame that caused it."""

    def __init__(self, user_roots: list[str]):
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
        frame = sys._getframe(skip)
        while frame is not None:
            if self.is_user_file(frame.f_code.co_filename):
                return f"{frame.f_code.co_filename}:{frame.f_lineno}"
            frame = frame.f_back
        return None

    def direct(self, skip: int = 2) -> str | None:
        """file:line when the user's code itself made the call (not a library on its behalf;
        torch's own subclasses calling `super()` in between, as torch.cuda.amp.autocast does,
        do not count as a library)."""
        frame = sys._getframe(skip)
        while frame is not None and frame.f_globals.get("__name__", "").startswith("torch."):
            frame = frame.f_back
        if frame is not None and self.is_user_file(frame.f_code.co_filename):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        return None

    def add(self, event: dict[str, Any]) -> None:
        if len(self.events) < self.max_events:
            self.events.append(event)

    def depth(self, name: str) -> int:
        return getattr(self.local, name, 0)

    def enter(self, name: str) -> None:
        setattr(self.local, name, self.depth(name) + 1)

    def leave(self, name: str) -> None:
        setattr(self.local, name, self.depth(name) - 1)


class Redirect:
    """Model ids -> local checkpoints; the only way a replay reaches weights."""

    def __init__(self, model_map: dict[str, str], allow_pickle: bool, stand_in: bool = False):
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


def _wrap_classmethod(owner: type, name: str, make: Any) -> None:
    original = owner.__dict__.get(name)
    if original is None:
        return
    func = original.__func__ if isinstance(original, classmethod) else original
    setattr(owner, name, classmethod(make(func)))


def install(recorder: Recorder, redirect: Redirect) -> None:
    """Patch the entry points (loads, casts, autocast, scalers, default dtype, capability)."""
    import torch

    _patch_loads(recorder, redirect)
    _patch_module_methods(recorder, torch)
    _patch_torch_calls(recorder, torch)


def _load_event(recorder: Recorder, api: str, model_id: Any, path: Any, where: str | None, result: Any) -> None:
    event = {"event": "load", "api": api, "model_id": str(model_id), "path": str(path), "where": where}
    try:
        event["result"] = summarize(result)
    except Exception as exc:  # a summary must never break the user's program
        event["result"] = {"kind": "error", "error": repr(exc)}
    recorder.add(event)


def _patch_loads(recorder: Recorder, redirect: Redirect) -> None:
    import transformers
    from transformers.modeling_utils import PreTrainedModel
    from transformers.models.auto import auto_factory

    def model_loader(api_name: str):
        def make(func):
            @functools.wraps(func)
            def load(cls, pretrained=None, *args, **kwargs):
                if "pretrained_model_name_or_path" in kwargs:
                    pretrained = kwargs.pop("pretrained_model_name_or_path")
                kwargs["trust_remote_code"] = False
                if not redirect.allow_pickle:
                    kwargs.setdefault("use_safetensors", True)
                outer = recorder.depth("load") == 0
                where = recorder.where() if outer else None
                path = redirect.resolve(pretrained)
                recorder.enter("load")
                try:
                    result = func(cls, path, *args, **kwargs)
                finally:
                    recorder.leave("load")
                if outer:
                    _load_event(recorder, f"{cls.__name__}.{api_name}", pretrained, path, where, result)
                return result

            return load

        return make

    def config_loader(api_name: str):
        def make(func):
            @functools.wraps(func)
            def load(cls, *args, **kwargs):
                outer = recorder.depth("load") == 0
                where = recorder.where() if outer else None
                recorder.enter("load")
                try:
                    result = func(cls, *args, **kwargs)
                finally:
                    recorder.leave("load")
                if outer:
                    config = args[0] if args else kwargs.get("config")
                    _load_event(recorder, f"{cls.__name__}.{api_name}", type(config).__name__, None, where, result)
                return result

            return load

        return make

    def id_only(func):
        @functools.wraps(func)
        def load(cls, pretrained=None, *args, **kwargs):
            if "pretrained_model_name_or_path" in kwargs:
                pretrained = kwargs.pop("pretrained_model_name_or_path")
            kwargs["trust_remote_code"] = False
            return func(cls, redirect.resolve(pretrained), *args, **kwargs)

        return load

    _wrap_classmethod(PreTrainedModel, "from_pretrained", model_loader("from_pretrained"))
    _wrap_classmethod(PreTrainedModel, "_from_config", config_loader("from_config"))
    _wrap_classmethod(auto_factory._BaseAutoModelClass, "from_pretrained", model_loader("from_pretrained"))
    _wrap_classmethod(auto_factory._BaseAutoModelClass, "from_config", config_loader("from_config"))
    for name in ("AutoConfig", "AutoTokenizer", "AutoProcessor", "AutoImageProcessor", "AutoFeatureExtractor"):
        cls = getattr(transformers, name, None)
        if cls is not None:
            _wrap_classmethod(cls, "from_pretrained", lambda f: id_only(f))
    for name in ("PreTrainedConfig", "PretrainedConfig"):
        cls = getattr(transformers, name, None)
        if cls is not None and "from_pretrained" in cls.__dict__:
            _wrap_classmethod(cls, "from_pretrained", lambda f: id_only(f))
            break
    from transformers.tokenization_utils_base import PreTrainedTokenizerBase

    _wrap_classmethod(PreTrainedTokenizerBase, "from_pretrained", lambda f: id_only(f))
    _patch_pipeline(recorder, redirect, transformers)
    _patch_peft(recorder, redirect)


def _patch_pipeline(recorder: Recorder, redirect: Redirect, transformers: Any) -> None:
    import transformers.pipelines as pipelines

    original = pipelines.pipeline

    @functools.wraps(original)
    def pipeline(*args, **kwargs):
        where = recorder.where()
        model = kwargs.get("model")
        if model is None and len(args) > 1:
            model = args[1]
        kwargs["trust_remote_code"] = False
        recorder.enter("load")
        try:
            result = original(*args, **kwargs)
        finally:
            recorder.leave("load")
        event = {"event": "pipeline", "api": "pipeline", "model_id": str(model), "where": where}
        event["result"] = summarize(result)
        recorder.add(event)
        return result

    pipelines.pipeline = pipeline
    transformers.pipeline = pipeline


def _patch_peft(recorder: Recorder, redirect: Redirect) -> None:
    try:
        import peft
    except ImportError:
        return
    original_get = peft.get_peft_model

    @functools.wraps(original_get)
    def get_peft_model(*args, **kwargs):
        where = recorder.where()
        result = original_get(*args, **kwargs)
        _load_event(recorder, "get_peft_model", "adapter", None, where, result)
        recorder.events[-1]["adapter"] = _adapter_dtypes(result)
        return result

    peft.get_peft_model = get_peft_model
    if hasattr(peft, "mapping_func"):
        peft.mapping_func.get_peft_model = get_peft_model

    def make(func):
        @functools.wraps(func)
        def from_pretrained(cls, model, model_id, *args, **kwargs):
            where = recorder.where()
            result = func(cls, model, redirect.resolve(model_id), *args, **kwargs)
            _load_event(recorder, "PeftModel.from_pretrained", model_id, None, where, result)
            recorder.events[-1]["adapter"] = _adapter_dtypes(result)
            return result

        return from_pretrained

    _wrap_classmethod(peft.PeftModel, "from_pretrained", make)


def _adapter_dtypes(model: Any) -> dict[str, int]:
    counts = Counter()
    for name, param in model.named_parameters():
        if "lora_" in name or "adapter" in name:
            counts[str(param.dtype).replace("torch.", "")] += 1
    return dict(counts)


CAST_METHODS = ("to", "half", "float", "double", "bfloat16", "cpu", "cuda", "train", "eval", "requires_grad_")


def _patch_module_methods(recorder: Recorder, torch: Any) -> None:
    from .observe import module_summary

    def make(name: str, original: Any):
        @functools.wraps(original)
        def method(self, *args, **kwargs):
            if recorder.depth("module") or recorder.depth("load"):
                return original(self, *args, **kwargs)
            where = recorder.direct()
            if where is None:  # a library moving or casting on its own: not the user's event
                return original(self, *args, **kwargs)
            before = module_summary(self)
            recorder.enter("module")
            try:
                result = original(self, *args, **kwargs)
            finally:
                recorder.leave("module")
            recorder.add(
                {
                    "event": "module." + name,
                    "where": where,
                    "args": [repr(a)[:60] for a in args],
                    "before": before,
                    "after": module_summary(self),
                }
            )
            return result

        return method

    owners = [torch.nn.Module]
    try:  # transformers overrides some of them (quantized-model checks) and calls super()
        from transformers.modeling_utils import PreTrainedModel

        owners.append(PreTrainedModel)
    except ImportError:
        pass
    for owner in owners:
        for name in CAST_METHODS:
            if name in owner.__dict__:
                setattr(owner, name, make(name, owner.__dict__[name]))


def _patch_torch_calls(recorder: Recorder, torch: Any) -> None:
    original_default = torch.set_default_dtype

    @functools.wraps(original_default)
    def set_default_dtype(dtype):
        where = recorder.direct()
        if where is not None:  # transformers sets it temporarily inside from_pretrained: not the user's
            recorder.add({"event": "set_default_dtype", "where": where, "dtype": str(dtype)})
        return original_default(dtype)

    torch.set_default_dtype = set_default_dtype

    autocast_cls = torch.amp.autocast_mode.autocast  # noqa: BLY201 (observed, not used)
    original_enter = autocast_cls.__enter__

    @functools.wraps(original_enter)
    def enter(self):
        result = original_enter(self)
        where = recorder.direct()
        if where is None:  # transformers enters autocast(enabled=False) around RoPE: not the user's
            return result
        effective = bool(torch.is_autocast_enabled(self.device)) if self.device in ("cuda", "cpu") else False
        recorder.add(
            {
                "event": "autocast",
                "where": where,
                "device": self.device,
                "dtype": str(self.fast_dtype).replace("torch.", ""),
                "enabled": bool(self._enabled),
                "effective": effective,
            }
        )
        return result

    autocast_cls.__enter__ = enter

    scaler_cls = torch.amp.grad_scaler.GradScaler  # noqa: BLY202 (observed, not used)
    original_init = scaler_cls.__init__

    @functools.wraps(original_init)
    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        recorder.add({"event": "grad_scaler", "where": recorder.where(), **scaler_summary(self)})

    scaler_cls.__init__ = init

    original_capability = torch.cuda.get_device_capability
    original_properties = torch.cuda.get_device_properties
    original_bf16 = torch.cuda.is_bf16_supported

    @functools.wraps(original_capability)
    def get_device_capability(*args, **kwargs):
        result = SIMULATED["capability"] or original_capability(*args, **kwargs)
        recorder.add({"event": "capability.get_device_capability", "where": recorder.where(), "result": repr(result)})
        return result

    @functools.wraps(original_properties)
    def get_device_properties(*args, **kwargs):
        if SIMULATED["capability"] is None:
            return original_properties(*args, **kwargs)
        try:
            real = original_properties(*args, **kwargs)
        except (AssertionError, RuntimeError):  # no real GPU: a CPU-simulated run
            real = object()
        return _Properties(real, SIMULATED["capability"])

    @functools.wraps(original_bf16)
    def is_bf16_supported(*args, **kwargs):
        result = original_bf16(*args, **kwargs)
        recorder.add({"event": "capability.is_bf16_supported", "where": recorder.where(), "result": repr(result)})
        return result

    torch.cuda.get_device_capability = get_device_capability
    torch.cuda.get_device_properties = get_device_properties
    torch.cuda.is_bf16_supported = is_bf16_supported


# The compute capability torch reports while a simulation is on (None: the real one).
SIMULATED: dict[str, Any] = {"capability": None}


class _Properties:
    """`get_device_properties` of the real GPU, reporting another compute capability."""

    def __init__(self, real: Any, capability: tuple[int, int]):
        self._real = real
        self.major, self.minor = capability

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def simulate_capability(capability: tuple[int, int] | None) -> None:
    """From now on torch reports `capability` (e.g. (7, 5)); None restores the real one."""
    SIMULATED["capability"] = capability


class OpTrace:
    """Result dtype of every aten op (a TorchDispatchMode), attributed to the innermost
    user frame or to the library that called it."""

    def __init__(self, recorder: Recorder, sample_every: int = 1):
        self.recorder = recorder
        self.counts: Counter[str] = Counter()
        self.by_origin: Counter[str] = Counter()
        self.sample_every = max(1, sample_every)
        self.seen = 0
        self.mode = None

    def __enter__(self) -> OpTrace:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        trace = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
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
        frame = sys._getframe(3)
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
