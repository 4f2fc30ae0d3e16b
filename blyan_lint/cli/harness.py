"""What the runtime harness's commands (`confirm`, `trace`) share: the model options, the
GPU requirement checked before either runs, and their progress and output helpers.

Everything torch-related runs in subprocesses started from `blyan_lint.runtime`, so these
modules import no ML framework either.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .arguments import EXIT_ERROR


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-map", action="append", default=[], metavar="ID_OR_VAR=PATH", help="map a model id to a checkpoint"
    )
    parser.add_argument("--allow-pickle", action="store_true", help="also load pickled (.bin/.pt) checkpoints")
    parser.add_argument(
        "--allow-cpu", action="store_true", help="run without a policy GPU (every verdict CPU-simulated)"
    )


def requiring_gpu(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """`command`, run only where the policy GPU is present (or `--allow-cpu`); its refusal and
    a bad `--model-map` are a message and exit 2."""

    def run(args: argparse.Namespace) -> int:
        from ..runtime.gpu import GpuRequirementError, require_bf16_gpu
        from ..runtime.models import ModelMapError

        try:
            require_bf16_gpu(allow_cpu=args.allow_cpu)
            return command(args)
        except GpuRequirementError as exc:
            print(f"blyan-lint: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except ModelMapError as exc:
            print(f"blyan-lint: error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    return run


def policy_gpu() -> bool:
    from ..runtime.gpu import gpu_status

    return gpu_status().meets_policy
