"""Instrumentation inside a replay or traced program: loads redirected by the model map
(`patch_loads`), precision events attributed to the user's file:line (`recorder`,
`patch_torch`), a per-op dtype trace (`op_trace`), and the simulated environments (a
pre-Ampere GPU; a policy GPU for CPU-only runs; `patch_torch.simulate_capability`).

Imported only in the subprocess, after `set_offline()`; torch and transformers are
imported there, never by the static checker.
"""

from __future__ import annotations

from .recorder import Recorder, Redirect


def install(recorder: Recorder, redirect: Redirect) -> None:
    """Patch the entry points (loads, casts, autocast, scalers, default dtype, capability)."""
    import torch

    from .patch_loads import patch_loads
    from .patch_torch import patch_module_methods, patch_torch_calls

    patch_loads(recorder, redirect)
    patch_module_methods(recorder, torch)
    patch_torch_calls(recorder, torch)
