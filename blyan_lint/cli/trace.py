"""`blyan-lint trace -- python script.py ARGS`: run a program under precision instrumentation."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .arguments import EXIT_ERROR
from .harness import add_model_options, policy_gpu, requiring_gpu

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    trace = sub.add_parser("trace", help="run a program under precision instrumentation: trace -- python x.py")
    add_model_options(trace)
    trace.add_argument("--simulate-capability", metavar="MAJOR.MINOR", help="report this GPU compute capability")
    trace.add_argument("--hide-gpu", action="store_true", help="run with CUDA hidden (CUDA_VISIBLE_DEVICES='')")
    trace.add_argument("--max-steps", type=int, help="stop the program after this many optimizer steps or forwards")
    trace.add_argument("--time-limit", type=float, default=600.0, help="stop the program after this many seconds")
    trace.add_argument("--sample-every", type=int, default=1, help="record every Nth op in the op-dtype trace")
    trace.add_argument("--output-format", choices=("table", "json"), default="table")
    trace.add_argument("-o", "--output-file", metavar="FILE")
    trace.add_argument("program", nargs=argparse.REMAINDER, help="-- python script.py ARGS")
    trace.set_defaults(handler=requiring_gpu(run))


def run(args: argparse.Namespace) -> int:
    from ..runtime.trace import TraceOptions, trace

    program = [p for p in args.program if p != "--"] if args.program[:1] == ["--"] else list(args.program)
    if not program:
        print(
            "blyan-lint: error: give the program to trace: blyan-lint trace -- python script.py ARGS", file=sys.stderr
        )
        return EXIT_ERROR
    capability = None
    if args.simulate_capability:
        major, _, minor = args.simulate_capability.partition(".")
        if not (major.isdigit() and (minor or "0").isdigit()):
            print(
                f"blyan-lint: error: --simulate-capability wants MAJOR.MINOR, got {args.simulate_capability}",
                file=sys.stderr,
            )
            return EXIT_ERROR
        capability = (int(major), int(minor or 0))
    options = TraceOptions(
        model_map=tuple(args.model_map),
        allow_pickle=args.allow_pickle,
        cpu=args.allow_cpu and not policy_gpu(),
        capability=capability,
        hide_gpu=args.hide_gpu,
        max_steps=args.max_steps,
        time_limit=args.time_limit,
        sample_every=args.sample_every,
    )
    return trace(program, options, args.output_format, args.output_file)
