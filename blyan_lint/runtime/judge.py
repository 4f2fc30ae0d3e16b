"""Verdicts from what the replays observed (pure Python over the worker's JSON).

`confirmed` needs an observation that shows the claim; `refuted` one that contradicts it
(the model loaded all-BF16, the cast is undone later, a guard raises first, no op changes
dtype with the construct); everything else is `unresolved` with its reason. A wrong
definite verdict is worse than `unresolved`, so each judge says `unresolved` whenever the
observation it needs is missing.

Each rule's judge is a function of the finding's `Evidence`, grouped by what it reads:
`judge_loads` (dtypes, quantization, adapters, teachers), `judge_devices` (fallbacks,
placement, guards), `judge_mixed` (differential op traces).
"""

from __future__ import annotations

from collections.abc import Callable

from . import judge_devices, judge_loads, judge_mixed
from .evidence import UNRESOLVED, Evidence, Verdict

JUDGES: dict[str, Callable[[Evidence], Verdict]] = {
    "BLY301": judge_devices.cpu_fallback,
    "BLY302": judge_devices.placement,
    "BLY303": judge_devices.missing_guard,
    "BLY304": judge_devices.soft_check,
    "BLY105": judge_devices.fallback,
    "BLY104": judge_loads.default_dtype,
    "BLY106": judge_loads.adapter,
    "BLY201": judge_mixed.differential,
    "BLY202": judge_mixed.scaler,
    "BLY203": judge_mixed.differential,
    "BLY401": judge_loads.quantized,
    "BLY402": judge_loads.quantized,
    "BLY403": judge_loads.teacher_update,
}


class Judge(Evidence):
    """One finding's verdict: its rule's judge over the replays' evidence."""

    def run(self) -> Verdict:
        if self.module_error:
            return self.verdict(UNRESOLVED, self.module_error)
        return JUDGES.get(self.plan.code, judge_loads.dtype)(self)
