"""Instrumented loads: every `from_pretrained` / `from_config` / `pipeline` / PEFT adapter
goes through the model map (`Redirect`) with remote code off, and the user's loads are
recorded with a summary of what they returned."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from typing import Any

from .observe import summarize
from .recorder import Recorder, Redirect

Loader = Callable[..., Any]


def _wrap_classmethod(owner: type, name: str, make: Callable[[Loader], Loader]) -> None:
    original = owner.__dict__.get(name)
    if original is None:
        return
    func = original.__func__ if isinstance(original, classmethod) else original
    setattr(owner, name, classmethod(make(func)))


def load_event(recorder: Recorder, api: str, model_id: Any, path: Any, where: str | None, result: Any) -> None:
    event: dict[str, Any] = {"event": "load", "api": api, "model_id": str(model_id), "path": str(path), "where": where}
    try:
        event["result"] = summarize(result)
    except Exception as exc:  # a summary must never break the user's program
        event["result"] = {"kind": "error", "error": repr(exc)}
    recorder.add(event)


def patch_loads(recorder: Recorder, redirect: Redirect) -> None:
    import transformers
    from transformers.modeling_utils import PreTrainedModel
    from transformers.models.auto import auto_factory

    def model_loader(api_name: str) -> Callable[[Loader], Loader]:
        def make(func: Loader) -> Loader:
            @functools.wraps(func)
            def load(cls: type, pretrained: Any = None, *args: Any, **kwargs: Any) -> Any:
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
                    load_event(recorder, f"{cls.__name__}.{api_name}", pretrained, path, where, result)
                return result

            return load

        return make

    def config_loader(api_name: str) -> Callable[[Loader], Loader]:
        def make(func: Loader) -> Loader:
            @functools.wraps(func)
            def load(cls: type, *args: Any, **kwargs: Any) -> Any:
                outer = recorder.depth("load") == 0
                where = recorder.where() if outer else None
                recorder.enter("load")
                try:
                    result = func(cls, *args, **kwargs)
                finally:
                    recorder.leave("load")
                if outer:
                    config = args[0] if args else kwargs.get("config")
                    load_event(recorder, f"{cls.__name__}.{api_name}", type(config).__name__, None, where, result)
                return result

            return load

        return make

    def id_only(func: Loader) -> Loader:
        @functools.wraps(func)
        def load(cls: type, pretrained: Any = None, *args: Any, **kwargs: Any) -> Any:
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
            _wrap_classmethod(cls, "from_pretrained", id_only)
    for name in ("PreTrainedConfig", "PretrainedConfig"):
        cls = getattr(transformers, name, None)
        if cls is not None and "from_pretrained" in cls.__dict__:
            _wrap_classmethod(cls, "from_pretrained", id_only)
            break
    from transformers.tokenization_utils_base import PreTrainedTokenizerBase

    _wrap_classmethod(PreTrainedTokenizerBase, "from_pretrained", id_only)
    _patch_pipeline(recorder, transformers)
    _patch_peft(recorder, redirect)


def _patch_pipeline(recorder: Recorder, transformers: Any) -> None:
    import transformers.pipelines as pipelines

    original = pipelines.pipeline

    @functools.wraps(original)
    def pipeline(*args: Any, **kwargs: Any) -> Any:
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
        event: dict[str, Any] = {"event": "pipeline", "api": "pipeline", "model_id": str(model), "where": where}
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
    def get_peft_model(*args: Any, **kwargs: Any) -> Any:
        where = recorder.where()
        result = original_get(*args, **kwargs)
        load_event(recorder, "get_peft_model", "adapter", None, where, result)
        recorder.events[-1]["adapter"] = _adapter_dtypes(result)
        return result

    peft.get_peft_model = get_peft_model
    if hasattr(peft, "mapping_func"):
        peft.mapping_func.get_peft_model = get_peft_model

    def make(func: Loader) -> Loader:
        @functools.wraps(func)
        def from_pretrained(cls: type, model: Any, model_id: Any, *args: Any, **kwargs: Any) -> Any:
            where = recorder.where()
            result = func(cls, model, redirect.resolve(model_id), *args, **kwargs)
            load_event(recorder, "PeftModel.from_pretrained", model_id, None, where, result)
            recorder.events[-1]["adapter"] = _adapter_dtypes(result)
            return result

        return from_pretrained

    _wrap_classmethod(peft.PeftModel, "from_pretrained", make)


def _adapter_dtypes(model: Any) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for name, param in model.named_parameters():
        if "lora_" in name or "adapter" in name:
            counts[str(param.dtype).replace("torch.", "")] += 1
    return dict(counts)
