"""BLY501's table: the configuration keys whose values choose a precision, kept as data.

A YAML, JSON or TOML file is judged only on the keys listed here; anything unknown
passes. Each entry names a key (the last segment of its path), optionally the key it must
sit directly under (DeepSpeed's `fp16.enabled`), a test of its value that says what the
value selects (or None when it is compliant), and what to write instead.

Keys are compared lower-cased with `-` read as `_` (`mixed-precision` in TOML,
`AMP.ENABLED` in yacs/Detectron2 configs). Values: booleans are booleans in every format
(YAML 1.1 `yes`/`on` included); strings are compared case-insensitively.

To teach BLY501 a new key, add a `ConfigKey` to `CONFIG_KEYS`, with an `example` that must
be flagged and a `clean` counterpart that must not: `tests/test_files.py` checks both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .devices import DEEPSPEED_OFFLOAD_DEVICES, DEEPSPEED_OFFLOAD_PLACES
from .dtypes import BF16, BF16_STRING_FOR, DTYPE_KEYWORDS, DTYPE_LABELS, DTYPE_STRINGS
from .mixed_precision import ACCELERATE_MIXED_PRECISION, LIGHTNING_COMPLIANT_PRECISION, LIGHTNING_PRECISION
from .quantized_formats import FOUR_BIT_OPTIMIZER_STRINGS, INT8_OPTIMIZER_STRINGS

Verdict = Callable[[object], "str | None"]

_TRUE_STRINGS = frozenset({"true", "yes", "on", "1"})


def is_true(value: object) -> bool:
    """A switch that is on: `true` (any format), `1`, or the strings "true"/"yes"/"on"/"1"."""
    if value is True:
        return True
    if type(value) is int:
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS


def _text(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) else None


def switch(selects: str) -> Verdict:
    """A boolean switch that, when on, selects `selects`."""
    return lambda value: selects if is_true(value) else None


def one_of(choices: dict[str, str]) -> Verdict:
    """A string option: each listed (lower-case) value selects what it maps to."""
    return lambda value: choices.get(_text(value) or "")


def anything_but(allowed: frozenset[str], selects: str) -> Verdict:
    """A string option where every value except `allowed` (and null) selects `selects`."""

    def verdict(value: object) -> str | None:
        if value is None or value is False:
            return None
        text = _text(value)
        return None if text in allowed else selects

    return verdict


def dtype_string(auto: bool) -> Verdict:
    """A dtype spelled as a string (`"float16"`, `"fp32"`, `"torch.half"`); `auto` too if asked."""

    def verdict(value: object) -> str | None:
        text = _text(value)
        if text is None:
            return None
        if auto and text == "auto":
            return "loads the checkpoint's own dtype, which need not be BF16"
        canonical = DTYPE_STRINGS.get(text)
        if canonical is None or canonical == BF16:
            return None
        return f"selects {DTYPE_LABELS[canonical]}"

    return verdict


def dtype_fix(value: object) -> str:
    text = _text(value) or ""
    return f'use "{BF16_STRING_FOR.get(text, "bfloat16")}"'


def lightning_precision(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text is None or text == LIGHTNING_COMPLIANT_PRECISION:
        return None
    if text in LIGHTNING_PRECISION:
        return f"selects {LIGHTNING_PRECISION[text]}"
    return dtype_string(auto=False)(value)


@dataclass(frozen=True)
class ConfigKey:
    key: str  # the last path segment, lower-case, `_` for `-`
    verdict: Verdict  # value -> what it selects, or None when compliant
    problem: str  # why that breaks the policy (follows the verdict after "; ")
    fix: str | Callable[[object], str]  # what to do instead
    example: str  # a YAML snippet that must be flagged (once, on its last line)
    clean: str  # the same snippet, compliant
    parent: str | None = None  # the key this one must sit directly under
    unless_sibling: frozenset[str] = frozenset()  # not judged in a mapping holding any of these keys
    in_teacher: bool = True  # judged in teacher paths too (only INT8 is the teacher exception)
    source: str = ""  # where the key comes from (documentation)

    def fix_for(self, value: object) -> str:
        return self.fix(value) if callable(self.fix) else self.fix


_MIXED = "the policy forbids mixed precision"
_BF16 = "the policy requires BF16"
_MODEL_BF16 = "set it to false and load the model in BF16"

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "mixed_precision",
        one_of({value: f"turns on {meaning}" for value, meaning in ACCELERATE_MIXED_PRECISION.items()}),
        _MIXED,
        'use `mixed_precision: "no"` and load the model in BF16',
        example="mixed_precision: fp16\n",
        clean="mixed_precision: 'no'\n",
        source="accelerate config, TrainingArguments-style YAML",
    ),
    ConfigKey(
        "fp16",
        switch("turns on FP16 mixed precision"),
        _BF16 + " without mixed precision",
        _MODEL_BF16,
        example="fp16: true\n",
        clean="fp16: false\n",
        source="transformers TrainingArguments / trl configs",
    ),
    ConfigKey(
        "fp16_full_eval",
        switch("evaluates in FP16"),
        _BF16,
        "set it to false and load the model in BF16",
        example="fp16_full_eval: true\n",
        clean="fp16_full_eval: false\n",
        source="transformers TrainingArguments",
    ),
    ConfigKey(
        "bf16",
        # a mapping (DeepSpeed's `bf16: {enabled: true}`) is no switch: BF16 weights, not autocast
        switch("turns on BF16 autocast, which computes its FP32 op list (softmax, norms, losses) in FP32"),
        _MIXED,
        _MODEL_BF16,
        example="bf16: true\n",
        clean="bf16: false\n",
        source="transformers TrainingArguments / trl configs (catalog 1.1)",
    ),
    ConfigKey(
        "bf16_full_eval",
        switch("casts the model to BF16 for evaluation only"),
        _MIXED,
        _MODEL_BF16,
        example="bf16_full_eval: true\n",
        clean="bf16_full_eval: false\n",
        source="transformers TrainingArguments (catalog 1.1)",
    ),
    ConfigKey(
        "optim",
        one_of({name: "keeps the optimizer state in 8-bit" for name in INT8_OPTIMIZER_STRINGS}),
        "the policy allows INT8 only for teacher models",
        "use a BF16 optimizer (`adamw_torch_fused`), or keep this config under a teacher path",
        example="optim: adamw_bnb_8bit\n",
        clean="optim: adamw_torch_fused\n",
        in_teacher=False,
        source="transformers TrainingArguments `optim` (catalog 1.1)",
    ),
    ConfigKey(
        "optim",
        one_of({name: "keeps the optimizer state in 4-bit" for name in FOUR_BIT_OPTIMIZER_STRINGS}),
        "the policy allows 4-bit in no scope",
        "use a BF16 optimizer (`adamw_torch_fused`)",
        example="optim: adamw_torch_4bit\n",
        clean="optim: adamw_torch\n",
        source="transformers TrainingArguments `optim` (catalog 1.1)",
    ),
    *(
        ConfigKey(
            "device",
            one_of(
                {device: f"keeps {what} {DEEPSPEED_OFFLOAD_PLACES[device]}" for device in DEEPSPEED_OFFLOAD_DEVICES}
            ),
            "the policy has no CPU mode (BF16 requires GPU support)",
            f"remove `{section}` and keep {what} on the GPUs",
            example=f"zero_optimization:\n  {section}:\n    device: cpu\n",
            clean=f"zero_optimization:\n  {section}:\n    device: none\n",
            parent=section,
            source="DeepSpeed ZeRO-Offload (catalog 1.1)",
        )
        for section, what in (
            ("offload_optimizer", "the optimizer state and step"),
            ("offload_param", "the parameters"),
        )
    ),
    ConfigKey(
        "fsdp_offload_params",
        switch("keeps FSDP's parameters in CPU memory and steps the optimizer there"),
        "the policy has no CPU mode (BF16 requires GPU support)",
        "set it to false and shard across more GPUs",
        example="fsdp_config:\n  fsdp_offload_params: true\n",
        clean="fsdp_config:\n  fsdp_offload_params: false\n",
        source="accelerate config (catalog 1.1)",
    ),
    ConfigKey(
        "fsdp",
        lambda value: "offloads FSDP's parameters to the CPU" if "offload" in (_text(value) or "").split() else None,
        "the policy has no CPU mode (BF16 requires GPU support)",
        "remove `offload` and shard across more GPUs",
        example="fsdp: full_shard offload\n",
        clean="fsdp: full_shard\n",
        source="transformers TrainingArguments `fsdp` options",
    ),
    ConfigKey(
        "kv_cache_dtype",
        lambda value: "stores the KV cache in FP8" if (_text(value) or "").startswith("fp8") else None,
        "the policy allows no FP8 anywhere",
        "use `kv_cache_dtype: auto` (the model's BF16)",
        example="kv_cache_dtype: fp8_e4m3\n",
        clean="kv_cache_dtype: auto\n",
        source="vLLM / SGLang serving configs (catalog 1.1)",
    ),
    ConfigKey(
        "half_precision_backend",
        anything_but(frozenset({"auto"}), "chooses a mixed-precision backend"),
        _MIXED,
        "remove it",
        example="half_precision_backend: apex\n",
        clean="half_precision_backend: auto\n",
        source="transformers TrainingArguments (`auto`, the serialized default, is not flagged)",
    ),
    ConfigKey(
        "fp16_backend",
        anything_but(frozenset({"auto"}), "chooses a mixed-precision backend"),
        _MIXED,
        "remove it",
        example="fp16_backend: amp\n",
        clean="fp16_backend: auto\n",
        source="transformers TrainingArguments (deprecated spelling)",
    ),
    ConfigKey(
        "amp",
        switch("turns on automatic mixed precision"),
        _MIXED,
        _MODEL_BF16,
        example="amp: true\n",
        clean="amp: false\n",
        source="ultralytics / timm style training configs",
    ),
    ConfigKey(
        "enabled",
        switch("turns on FP16 mixed precision"),
        _BF16,
        "set it to false and use `bf16.enabled: true`",
        example="fp16:\n  enabled: true\n",
        clean="fp16:\n  enabled: false\nbf16:\n  enabled: true\n",
        parent="fp16",
        source='DeepSpeed config (`"auto"` defers to the trainer arguments and is not flagged)',
    ),
    ConfigKey(
        "enabled",
        switch("turns on automatic mixed precision (apex AMP)"),
        _MIXED,
        _MODEL_BF16,
        example="amp:\n  enabled: true\n",
        clean="amp:\n  enabled: false\n",
        parent="amp",
        source="DeepSpeed config; yacs/Detectron2 `SOLVER.AMP.ENABLED`",
    ),
    ConfigKey(
        "enabled",
        switch("turns on torch autocast"),
        _MIXED,
        "set it to false and use `bf16.enabled: true`",
        example="torch_autocast:\n  enabled: true\n",
        clean="torch_autocast:\n  enabled: false\n",
        parent="torch_autocast",
        source="DeepSpeed config",
    ),
    *(
        ConfigKey(
            key,
            dtype_string(auto=key in ("torch_dtype", "dtype")),
            _BF16,
            dtype_fix,
            example=f"{key}: float16\n",
            clean=f"{key}: bfloat16\n",
            # HF `datasets` feature schemas ({"dtype": "float32", "_type": "Value"}) describe data, not models
            unless_sibling=frozenset({"_type"}),
            source="model config.json, loader / trainer / Hydra configs",
        )
        for key in sorted(DTYPE_KEYWORDS)
    ),
    ConfigKey(
        "precision",
        lightning_precision,
        _BF16 + " without mixed precision",
        f'use "{LIGHTNING_COMPLIANT_PRECISION}"',
        example="trainer:\n  precision: 16-mixed\n",
        clean="trainer:\n  precision: bf16-true\n",
        source="Lightning Trainer/Fabric (LightningCLI, NeMo)",
    ),
    ConfigKey(
        "load_in_8bit",
        switch("loads the model in INT8"),
        "the policy allows INT8 only for teacher models",
        "load in BF16, or keep this config under a teacher path",
        example="load_in_8bit: true\n",
        clean="load_in_8bit: false\n",
        in_teacher=False,
        source="transformers / bitsandbytes quantization config",
    ),
    ConfigKey(
        "load_in_4bit",
        switch("loads the model in 4-bit"),
        "the policy allows 4-bit in no scope (teacher models may use INT8 only)",
        "load in BF16 (teacher models: `load_in_8bit`)",
        example="quantization_config:\n  load_in_4bit: true\n",
        clean="quantization_config:\n  load_in_4bit: false\n",
        source="transformers / bitsandbytes quantization config",
    ),
)


def normalize_key(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def _index(entries: tuple[ConfigKey, ...]) -> dict[str, tuple[ConfigKey, ...]]:
    table: dict[str, list[ConfigKey]] = {}
    for entry in entries:
        table.setdefault(entry.key, []).append(entry)
    return {key: tuple(found) for key, found in table.items()}


BY_KEY: dict[str, tuple[ConfigKey, ...]] = _index(CONFIG_KEYS)

# Files that are blyan-lint's own configuration: never judged on precision keys.
OWN_CONFIG_FILES: frozenset[str] = frozenset({"blyan-lint.toml", ".blyan-lint.toml"})
# In pyproject.toml only `[tool.*]` tables are judged, and never blyan-lint's own.
OWN_TOOL_TABLES: frozenset[str] = frozenset({"blyan-lint", "blyan_lint"})
