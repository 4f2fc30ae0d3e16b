"""Typed facts: what a rule saw where it reported, as plain frozen data.

A finding's message is prose for people; its facts are the same knowledge for programs (the
runtime harness, editors, CI): the loader and its resolved keywords, the dtype a cast picks
and the load the cast value comes from, an autocast's device type, dtype and switch.

Every class here is a frozen dataclass whose fields are str, int, bool, None, tuples of
those, or other records of this module, so a generic JSON encoding works. Each top-level
facts class has a `kind` discriminator; `to_json()` gives its JSON object and
`facts_from_json()` rebuilds it. Lines and columns are 1-based. docs/json-schema.md is the
reference, and `SCHEMA_VERSION` is bumped whenever a field changes meaning or goes away.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

SCHEMA_VERSION = 2

# What `Value.status` says about an expression.
LITERAL = "literal"  # a constant: `value` holds it (floats and bytes only as `text`)
NAME = "name"  # a library name (`torch.float16`): `value` is its qualified name
CALL = "call"  # a call: `value` is the callee's qualified name or its spelling
EXPRESSION = "expression"  # something else visible (a dict, an f-string): see `text`
UNKNOWN = "unknown"  # a parameter, an untracked name: the value is decided at run time
ABSENT = "absent"  # the argument was not given

# What a resolved dtype, quantization or switch is when it cannot be told statically.
UNKNOWN_DTYPE = "unknown"
ABSENT_DTYPE = "absent"

Scalar = str | int | float | bool | None


class Record:
    """A plain record: JSON-encodable field by field."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        kind = getattr(type(self), "kind", None)
        if kind is not None:
            out["kind"] = kind
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = _encode(getattr(self, f.name))
        return out


def _encode(value: object) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


@dataclass(frozen=True)
class Hop(Record):
    """One binding followed: `name` (as written) was bound on `line`."""

    name: str
    line: int
    how: str = "assign"  # "assign" | "default" (a parameter default) | "unpack" (tuple unpacking)


@dataclass(frozen=True)
class Value(Record):
    """An expression as resolved statically, through local bindings."""

    source: str  # as written at the site: `dt`, `"cpu"`, `self.device`
    status: str  # LITERAL | NAME | CALL | EXPRESSION | UNKNOWN | ABSENT
    value: Scalar = None  # the literal, the qualified name or the callee (see `status`)
    text: str = ""  # the source of the expression it resolved to
    line: int | None = None  # where that expression is written
    via: tuple[Hop, ...] = ()  # the bindings followed, first to last

    @property
    def known(self) -> bool:
        return self.status not in (UNKNOWN, ABSENT)

    def note(self) -> str:
        """` (`mp` is `"fp16"`, line 3)` when the value was reached through bindings."""
        return binding_note(self.via[0].name, self.text, self.line) if self.via else ""


def binding_note(name: str, text: str, line: int | None) -> str:
    """The one wording of a followed binding in messages: ` (`mp` is `"fp16"`, line 3)`."""
    return f" (`{name}` is `{text}`, line {line})"


ABSENT_VALUE = Value("", ABSENT)


@dataclass(frozen=True)
class Keyword(Record):
    name: str
    value: Value


class Facts(Record):
    """Base of the per-finding facts; `kind` names the class in JSON."""

    kind: ClassVar[str]


@dataclass(frozen=True)
class LoadFacts(Facts):
    """A model load: `X.from_pretrained(...)`, `X.from_config(...)`, `pipeline(...)`."""

    kind: ClassVar[str] = "load"
    loader: str  # qualified name (`transformers.AutoModelForCausalLM.from_pretrained`), else its spelling
    line: int
    col: int
    model: Value  # the checkpoint argument (first positional or `pretrained_model_name_or_path`)
    dtype_keyword: str | None  # "torch_dtype" | "dtype" | None
    dtype: str  # canonical dtype ("bfloat16", "float16", ...), "auto", "unknown" or "absent"
    dtype_value: Value
    quantization: str  # "none", "int8", "4-bit", a config class's name, or "unknown"
    quantization_value: Value  # `quantization_config=` (or the `load_in_*bit` switch), as resolved
    device_map: Value
    keywords: tuple[Keyword, ...]  # every keyword argument, resolved
    star_kwargs: bool  # the call passes `**kwargs`: any keyword may be hidden there


@dataclass(frozen=True)
class DtypeFacts(Facts):
    """A dtype chosen as a value (BLY101)."""

    kind: ClassVar[str] = "dtype"
    dtype: str  # canonical: "float16", "float32", "float64"
    spelling: str  # as written: `th.half`, `"fp16"`
    where: str  # "attribute" | "keyword" | "getattr" | "dict entry"
    keyword: str | None  # the keyword or dict key (`torch_dtype`)
    use: str  # the BF16 spelling to use instead (`th.bfloat16`, `"bf16"`)
    value: Value


@dataclass(frozen=True)
class CastFacts(Facts):
    """A cast: `.half()`, `.float()`, `.to(<dtype>)`, `.type(<dtype>)` (BLY102)."""

    kind: ClassVar[str] = "cast"
    method: str  # "half" | "float" | "double" | "to" | "type"
    spelling: str  # the argument as the message shows it (`dtype=dt`, `torch.float16`); "" for `.half()`
    dtype: str  # the canonical target dtype
    argument: Value | None  # the dtype argument as resolved; None for `.half()`-style casts
    receiver: str  # the source of the value cast (`model`, `self.net`)
    origin: LoadFacts | None  # the load the value cast comes from, when it is seen in this function
    line: int
    col: int


@dataclass(frozen=True)
class DefaultDtypeFacts(Facts):
    """`torch.set_default_dtype(...)` / `set_default_tensor_type(...)` (BLY104)."""

    kind: ClassVar[str] = "default_dtype"
    function: str
    dtype: str
    argument: Value


@dataclass(frozen=True)
class PrecisionFallbackFacts(Facts):
    """A conditional that picks BF16 or another dtype (BLY105)."""

    kind: ClassVar[str] = "precision_fallback"
    form: str  # "expression" | "statement"
    dtypes: tuple[str, ...]  # every canonical dtype it can pick, sorted
    capability_test: bool  # a condition asks the GPU's capability


@dataclass(frozen=True)
class AutocastFacts(Facts):
    """An autocast region (BLY201): `torch.autocast(...)`, a framework's `.autocast()`, `custom_fwd`."""

    kind: ClassVar[str] = "autocast"
    callee: str  # qualified name (`torch.autocast`), or the spelling of a framework method (`accelerator.autocast`)
    spelling: str  # as written (`ac`, `th.autocast`)
    usage: str  # "context" | "decorator" | "call" | "reference"
    device_type: Value
    dtype: str  # canonical, "unknown" or "absent" (autocast's default: FP16 on CUDA)
    dtype_value: Value
    enabled: bool | None  # None: cannot be told statically
    enabled_value: Value
    cast_inputs: Value | None  # `custom_fwd(cast_inputs=...)`; None for autocast itself
    framework: bool  # a framework's `X.autocast()` method, not torch's


@dataclass(frozen=True)
class ScalerFacts(Facts):
    """A gradient scaler (BLY202)."""

    kind: ClassVar[str] = "scaler"
    callee: str
    spelling: str
    usage: str  # "call" | "reference"
    device: Value
    enabled: bool | None
    enabled_value: Value
    bound_to: str | None  # the name or attribute it is assigned to (`scaler`, `self.scaler`)


@dataclass(frozen=True)
class FrameworkPrecisionFacts(Facts):
    """Trainer-level mixed precision (BLY203)."""

    kind: ClassVar[str] = "framework_precision"
    framework: str  # the class or function (`transformers.TrainingArguments`), or "deepspeed" for a config dict
    setting: str  # the keyword or section (`fp16`, `mixed_precision`, `precision`)
    value: Value
    meaning: str  # what the setting does, in words


@dataclass(frozen=True)
class DeviceFallbackFacts(Facts):
    """A device choice that falls back to the CPU (BLY301)."""

    kind: ClassVar[str] = "device_fallback"
    form: str  # "expression" | "statement"
    query: str | None  # the hardware query deciding (`torch.cuda.is_available`)
    flag: str | None  # a bare switch deciding instead (`args.cpu`)
    devices: tuple[str, ...]  # the device kinds picked: "cpu", "cpu-index", "gpu", "unknown"
    keep: str | None  # the source of the branch the fix keeps


@dataclass(frozen=True)
class PlacementFacts(Facts):
    """A model or inference placed on the CPU (BLY302)."""

    kind: ClassVar[str] = "placement"
    how: str  # "device_map" | "device_map_entry" | "offload_flag" | "pipeline" | "move" | "fsdp_offload" | ...
    # ... "deepspeed_offload" | "pipeline_offload" | "offload_hook" | "engine_offload" (CPU offload, catalog 1.1)
    device: str  # "cpu" | "disk" | "cpu-index" | "nvme"
    value: Value  # the device expression, as resolved
    module: str | None  # the `device_map` entry's module name
    method: str | None  # the move method (`cpu`, `to`)
    receiver: str | None  # the source of the value moved
    model_line: int | None  # the line of the load the placed model comes from
    load: LoadFacts | None  # that load, when seen


@dataclass(frozen=True)
class CapabilityGuardFacts(Facts):
    """A module that puts a model in BF16 without a capability guard (BLY303)."""

    kind: ClassVar[str] = "missing_guard"
    site: str  # what the module does: "loads a model in BF16", "casts to BF16", ...
    line: int  # where it first does it
    soft_check_line: int | None  # a check that does not raise
    guard_functions: tuple[str, ...]


@dataclass(frozen=True)
class SoftCheckFacts(Facts):
    """A capability check that does not fail fast (BLY304)."""

    kind: ClassVar[str] = "soft_check"
    check: str  # "is_bf16_supported" (emulation) | "capability" | "bf16"
    does: str | None  # what the failing branch does instead of raising
    emulation: Value | None  # the `including_emulation` argument as resolved


@dataclass(frozen=True)
class GpuErrorFacts(Facts):
    """A guard's error that does not state the requirement (BLY305)."""

    kind: ClassVar[str] = "gpu_error"
    exception: str  # the exception as written
    message: str | None  # its visible text


@dataclass(frozen=True)
class QuantizationFacts(Facts):
    """Quantization machinery (BLY401 for INT8, BLY402 for the formats allowed nowhere)."""

    kind: ClassVar[str] = "quantization"
    format: str  # "INT8", "4-bit", "NF4 (4-bit)", "FP8", "GPTQ", ...
    teacher_allowed: bool  # INT8: allowed in teacher code
    form: str  # "reference" | "keyword" | "dict entry" | "config" | "optimizer"
    name: str  # the keyword, dict key or qualified name
    value: Value | None
    load: LoadFacts | None  # the load a keyword belongs to


@dataclass(frozen=True)
class TeacherUpdateFacts(Facts):
    """An update to a teacher model (BLY403)."""

    kind: ClassVar[str] = "teacher_update"
    action: str  # "train" | "backward" | "step" | "requires_grad" | "optimizer"
    target: str  # the source of what is updated
    teacher_module: bool  # the whole module is teacher code


@dataclass(frozen=True)
class AdapterFacts(Facts):
    """A PEFT entry point that upcasts adapter weights to FP32 (BLY106)."""

    kind: ClassVar[str] = "adapter"
    entry: str  # qualified name (`peft.get_peft_model`), or the spelling of a method (`model.load_adapter`)
    flag: Value  # `autocast_adapter_dtype` as resolved; `absent` when not passed (PEFT's default: true)
    fixable: bool  # False where the flag cannot be passed (`AutoPeftModel*.from_pretrained`)


@dataclass(frozen=True)
class TeacherPrecisionFacts(Facts):
    """A teacher model that is neither INT8 nor BF16 (BLY404)."""

    kind: ClassVar[str] = "teacher_precision"
    how: str  # "load" | "cast"
    dtype: str  # the canonical dtype it gets, "auto" or "absent" (a load with neither dtype nor INT8)
    load: LoadFacts | None  # the load (for "load"; for "cast", the load the cast value comes from)
    cast: CastFacts | None  # the cast, for "cast"


def _all_facts() -> dict[str, type[Facts]]:
    found: dict[str, type[Facts]] = {}
    todo = list(Facts.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.kind] = cls
        todo.extend(cls.__subclasses__())
    return found


FACTS_KINDS = _all_facts()


def facts_from_json(data: dict[str, Any]) -> Facts:
    """Rebuild facts from `to_json()` output; ValueError on anything else."""
    if not isinstance(data, dict) or data.get("kind") not in FACTS_KINDS:
        raise ValueError(f"not a facts object: {data!r:.80}")
    return _decode(FACTS_KINDS[data["kind"]], data)  # type: ignore[return-value]


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(cls: type, data: object) -> object:
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {data!r:.80}")
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING:
                raise ValueError(f"{cls.__name__}: missing {f.name!r}")
            continue
        values[f.name] = _decode_as(hints[f.name], data[f.name])
    return cls(**values)


def _decode_as(hint: Any, data: object) -> object:
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {data!r:.80}")
        return tuple(_decode_as(item, d) for d in data)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        records = [o for o in options if isinstance(o, type) and issubclass(o, Record)]
        if records and isinstance(data, dict):
            return _decode(records[0], data)
        return data
    if isinstance(hint, type) and issubclass(hint, Record):
        return _decode(hint, data)
    return data
