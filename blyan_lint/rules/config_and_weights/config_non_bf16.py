"""BLY501 config-non-bf16: a precision key of a YAML/JSON/TOML config set to something other
than BF16."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...data import config_keys
from ...data.config_keys import ConfigKey, normalize_key
from ...findings import Position, Report, Scope
from ...kinds import CONFIG
from ...readers import shown
from ..base import FileRule
from .policy import WEIGHTS_CLAUSE

if TYPE_CHECKING:  # the config readers load with the first config file, not with every check
    from ...readers.config_leaves import ConfigDocument, Leaf, Path


class ConfigNonBf16(FileRule):
    code = "BLY501"
    name = "config-non-bf16"
    summary = (
        "A YAML/JSON/TOML config (accelerate, DeepSpeed, trainer arguments, Lightning, Hydra, model "
        "config.json, pyproject `[tool.*]`) that selects FP16/FP32/FP8, mixed precision (BF16 autocast "
        "included), INT8 outside teacher paths, 4-bit, CPU offload or an FP8 KV cache."
    )
    policy = (
        f"{WEIGHTS_CLAUSE} All models involved in learning and inference MUST use BF16; No Mixed "
        "Precision; Teacher Models: INT8 (the only exception)."
    )
    why = (
        "Launchers and trainers read their precision from config files, so `mixed_precision: fp16` in an "
        'accelerate config or `"fp16": {"enabled": true}` in a DeepSpeed config changes the numbers every '
        "node computes as surely as `model.half()` does, without a line of Python. Only keys known to choose "
        "a precision are judged (`mixed_precision`, `fp16`, `fp16.enabled`, `amp.enabled`, `torch_dtype`, "
        "`dtype`, `precision`, `load_in_8bit`, `load_in_4bit`, ...); unknown keys and files pass. "
        "Catalog 1.1 adds the trainer keys `bf16: true` and `bf16_full_eval: true` (BF16 autocast, as BLY203), "
        "`optim:` naming an 8-bit optimizer (outside teacher paths) or a 4-bit one, DeepSpeed "
        "`offload_optimizer.device` / `offload_param.device` set to `cpu` or `nvme`, accelerate's "
        "`fsdp_offload_params: true` and TrainingArguments' `fsdp: ... offload`, and serving configs' "
        "`kv_cache_dtype: fp8*`; DeepSpeed's `bf16: {enabled: true}` section is a mapping, not the switch, and "
        "is not flagged. JSON Lines (`.jsonl`, or a `.json` holding one JSON value per line) is data, not "
        "configuration: it is skipped, never BLY000. "
        'DeepSpeed\'s `"enabled": "auto"` defers to the trainer arguments, which are checked where they are '
        "set, and is not flagged. In teacher paths `load_in_8bit: true` is allowed; everything else, 4-bit "
        "included, is flagged there too. Suppress a line with `# noqa: BLY501` (YAML, TOML) or a file with "
        "`per-file-ignores` (JSON has no comments)."
    )
    example = (
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: fp16\nnum_processes: 8\n"
    )
    fixed = (
        "compute_environment: LOCAL_MACHINE\n"
        "distributed_type: MULTI_GPU\n"
        "mixed_precision: 'no'  # no autocast: the model itself is loaded in BF16\n"
        "num_processes: 8\n"
    )
    example_path = "accelerate_config.yaml"
    applies_to_teacher = True  # teacher paths allow INT8 keys, and nothing else
    kinds = (CONFIG,)

    def check(self, document: ConfigDocument, scope: Scope) -> Iterator[Report]:
        flagged = [leaf for leaf in document.leaves if _flaggable(leaf)]
        for leaf, message in _judge(document.locate(flagged), scope):
            start = leaf.start or Position(1, 1)
            yield Report(start, leaf.end or start, message)


# -- judging a config's leaves (BLY501) ------------------------------------------------------


def _flaggable(leaf: Leaf) -> bool:
    return any(_verdict(entry, leaf.value) is not None for entry in matching_entries(leaf.path, leaf.siblings))


def _judge(leaves: list[Leaf], scope: Scope) -> Iterator[tuple[Leaf, str]]:
    seen: set[tuple[Position | None, int]] = set()
    for leaf in leaves:
        for entry in matching_entries(leaf.path, leaf.siblings):
            if scope.is_teacher and not entry.in_teacher:
                continue
            what = _verdict(entry, leaf.value)
            if what is None:
                continue
            mark = (leaf.start, id(entry))
            if leaf.start is not None and mark in seen:
                continue  # one key reached twice (YAML aliases and merges)
            seen.add(mark)
            written = f"{display_path(leaf.path)}: {display_value(leaf.value)}"
            yield leaf, f"`{written}` {what}; {entry.problem}: {entry.fix_for(leaf.value)}"


def matching_entries(path: Path, siblings: frozenset[str]) -> Iterator[ConfigKey]:
    if not path or not isinstance(path[-1], str):
        return
    parent = path[-2] if len(path) >= 2 else None
    parent_key = normalize_key(parent) if isinstance(parent, str) else None
    for entry in config_keys.BY_KEY.get(normalize_key(path[-1]), ()):
        if entry.parent is not None and entry.parent != parent_key:
            continue
        if entry.unless_sibling & siblings:
            continue
        yield entry


def _verdict(entry: ConfigKey, value: object) -> str | None:
    try:
        return entry.verdict(value)
    except (TypeError, ValueError, AttributeError):
        return None


def display_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return shown(out)


def display_value(value: object) -> str:
    if isinstance(value, (str, bool, int, float)) or value is None:
        try:
            return shown(json.dumps(value, ensure_ascii=False))
        except ValueError:
            pass
    return shown(str(value))
