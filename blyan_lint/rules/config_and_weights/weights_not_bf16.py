"""BLY502 weights-not-bf16: a safetensors checkpoint whose floating tensors are not all BF16."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...findings import Position, Report, Scope
from ...kinds import WEIGHTS
from ...readers import shown
from ..base import FileRule
from .policy import WEIGHTS_CLAUSE

if TYPE_CHECKING:  # the safetensors reader loads with the first checkpoint, not with every check
    from ...readers.safetensors import FloatingTensors

_EXAMPLES_PER_DTYPE = 2


class WeightsNotBf16(FileRule):
    code = "BLY502"
    name = "weights-not-bf16"
    summary = (
        "A `.safetensors` file holding floating-point tensors that are not BF16 (F16, F32, F64, FP8, ...), "
        "found from its header alone."
    )
    policy = WEIGHTS_CLAUSE
    why = (
        "Weights are stored and reconstructed on every node; a checkpoint saved in FP16 or FP32 is rounded "
        "differently from the BF16 model that learns from it, so nodes that load it disagree. Only the 8-byte "
        "length and the JSON header are read, never the tensor data, so a 100 GB checkpoint is checked in "
        "milliseconds. Integer tensors (token ids, position ids, masks) are not flagged. A header that cannot "
        "be read (truncated file, header length past the end, invalid JSON) is BLY000. The example below is "
        "the file's JSON header."
    )
    example = (
        "{\n"
        '  "__metadata__": {"format": "pt"},\n'
        '  "lm_head.weight": {"dtype": "F16", "shape": [4, 4], "data_offsets": [0, 32]},\n'
        '  "position_ids": {"dtype": "I64", "shape": [1, 4], "data_offsets": [32, 64]}\n'
        "}\n"
    )
    fixed = (
        "{\n"
        '  "__metadata__": {"format": "pt"},\n'
        '  "lm_head.weight": {"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 32]},\n'
        '  "position_ids": {"dtype": "I64", "shape": [1, 4], "data_offsets": [32, 64]}\n'
        "}\n"
    )
    example_path = "model.safetensors"
    fix_safety = (
        "No automatic fix: re-save the weights in BF16 (`model.to(torch.bfloat16)` then `save_file`) and "
        "check the model still reproduces its outputs."
    )
    # RULES.md Scopes: in teacher scope only BLY402, BLY403 and BLY3xx apply. Teacher checkpoints are the
    # INT8 exception, whose scales and unquantized layers are FP16/FP32 by construction.
    applies_to_teacher = False
    kinds = (WEIGHTS,)

    def check(self, tensors: FloatingTensors, scope: Scope) -> Iterator[Report]:
        breaches = {dtype: len(names) for dtype, names in tensors.by_dtype.items() if dtype != "BF16"}
        if not breaches:
            return
        parts = []
        for dtype, count in sorted(breaches.items(), key=lambda kv: (-kv[1], kv[0])):
            names = sorted(tensors.by_dtype[dtype])[:_EXAMPLES_PER_DTYPE]
            more = ", ..." if count > len(names) else ""
            parts.append(f"{dtype} x{count} (e.g. {', '.join(shown(n) for n in names)}{more})")
        message = (
            f"{sum(breaches.values())} of {tensors.total} floating tensors are not BF16: {', '.join(parts)}; "
            "the policy stores weights in BF16: convert them before saving"
        )
        yield Report(Position(1, 1), Position(1, 1), message)
