"""Which local checkpoint stands for a model id in the code, and loading it safely.

The model map (`--model-map ID_OR_VAR=PATH`, or `[tool.blyan-lint.runtime] model-map`)
redirects the ids the analysed code loads to local checkpoints. Loads never reach a hub
(`HF_HUB_OFFLINE=1`), never run remote code, and read safetensors only unless the
operator passes `--allow-pickle` (a pickled checkpoint can execute code when loaded).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


class ModelMapError(ValueError):
    """A malformed map entry or an unusable checkpoint; reported, exit 2."""


@dataclass(frozen=True)
class ModelMap:
    entries: tuple[tuple[str, str], ...] = ()

    def get(self, model_id: str) -> str | None:
        for key, path in self.entries:
            if key == model_id:
                return path
        return None

    def __bool__(self) -> bool:
        return bool(self.entries)


def parse_model_map(specs: Iterable[str], base: str = ".") -> ModelMap:
    """`ID=PATH` items; a relative PATH is taken from `base` (the config file's folder)."""
    entries: list[tuple[str, str]] = []
    for spec in specs:
        key, sep, path = spec.partition("=")
        if not sep or not key.strip() or not path.strip():
            raise ModelMapError(f"model map entry `{spec}` is not ID=PATH")
        entries.append((key.strip(), os.path.normpath(os.path.join(base, path.strip()))))
    return ModelMap(tuple(entries))


def model_map_from_table(table: Mapping[str, object], base: str) -> ModelMap:
    """`model-map = {"org/model" = "checkpoints/model"}` from the config's runtime table."""
    specs = []
    for key, value in table.items():
        if not isinstance(value, str):
            raise ModelMapError(f"model-map: `{key}` must map to a path string, got {value!r}")
        specs.append(f"{key}={value}")
    return parse_model_map(specs, base)


def check_checkpoint(path: str, *, allow_pickle: bool = False) -> None:
    """Refuse what cannot be loaded safely, before transformers sees it."""
    if not os.path.isdir(path):
        raise ModelMapError(f"{path}: not a checkpoint directory")
    names = os.listdir(path)
    if "config.json" not in names:
        raise ModelMapError(f"{path}: no config.json")
    has_safetensors = any(name.endswith(".safetensors") for name in names)
    pickled = [name for name in names if name.endswith(PICKLE_SUFFIXES)]
    if not has_safetensors and pickled and not allow_pickle:
        raise ModelMapError(f"{path}: only pickled weights ({pickled[0]}); pass --allow-pickle to load them")
    if not has_safetensors and not pickled:
        raise ModelMapError(f"{path}: no weight files")


def set_offline() -> None:
    """Never the hub: set before transformers is imported (it reads these at import)."""
    os.environ.update(OFFLINE_ENV)
