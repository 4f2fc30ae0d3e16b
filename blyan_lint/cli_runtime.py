"""`blyan-lint confirm` and `blyan-lint trace`: the runtime commands' arguments and exits.

Registered by `cli.py` in two lines; everything torch-related runs in subprocesses started
from `blyan_lint.runtime`, so this module imports no ML framework either.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def add_parsers(sub: argparse._SubParsersAction) -> None:
    confirm = sub.add_parser("confirm", help="replay each model-related finding and give it a runtime verdict")
    confirm.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    _common(confirm)
    confirm.add_argument("--output-format", choices=("table", "json", "sarif"), default="table")
    confirm.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    confirm.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    confirm.add_argument(
        "-j", "--jobs", type=int, default=min(8, os.cpu_count() or 1), help="replay subprocesses at a time"
    )
    confirm.add_argument("--timeout", type=float, help="seconds per replay (default: config, else 120)")
    confirm.set_defaults(runtime_command=_confirm)

    trace = sub.add_parser("trace", help="run a program under precision instrumentation: trace -- python x.py")
    _common(trace)
    trace.add_argument("--simulate-capability", metavar="MAJOR.MINOR", help="report this GPU compute capability")
    trace.add_argument("--hide-gpu", action="store_true", help="run with CUDA hidden (CUDA_VISIBLE_DEVICES='')")
    trace.add_argument("--max-steps", type=int, help="stop the program after this many optimizer steps or forwards")
    trace.add_argument("--time-limit", type=float, default=600.0, help="stop the program after this many seconds")
    trace.add_argument("--sample-every", type=int, default=1, help="record every Nth op in the op-dtype trace")
    trace.add_argument("--output-format", choices=("table", "json"), default="table")
    trace.add_argument("-o", "--output-file", metavar="FILE")
    trace.add_argument("program", nargs=argparse.REMAINDER, help="-- python script.py ARGS")
    trace.set_defaults(runtime_command=_trace)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-map", action="append", default=[], metavar="ID_OR_VAR=PATH", help="map a model id to a checkpoint"
    )
    parser.add_argument("--allow-pickle", action="store_true", help="also load pickled (.bin/.pt) checkpoints")
    parser.add_argument(
        "--allow-cpu", action="store_true", help="run without a policy GPU (every verdict CPU-simulated)"
    )


def run(args: argparse.Namespace) -> int:
    from .runtime.gpu import GpuRequirementError, require_bf16_gpu
    from .runtime.models import ModelMapError

    try:
        require_bf16_gpu(allow_cpu=args.allow_cpu)
        return args.runtime_command(args)
    except GpuRequirementError as exc:
        print(f"blyan-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ModelMapError as exc:
        print(f"blyan-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[Kconfirm: {text}", end="", file=sys.stderr, flush=True)
    else:
        print(f"confirm: {text}", file=sys.stderr, flush=True)


def _write(text: str, output_file: str | None) -> None:
    if output_file:
        with open(output_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _confirm(args: argparse.Namespace) -> int:
    from .runtime.confirm import ConfirmOptions, confirm
    from .runtime.output import json_report, sarif_report, table

    paths = args.paths or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        print(f"blyan-lint: error: no such file or directory: {missing[0]}", file=sys.stderr)
        return EXIT_ERROR
    options = ConfirmOptions(
        model_map=tuple(args.model_map),
        allow_pickle=args.allow_pickle,
        cpu=args.allow_cpu and not _policy_gpu(),
        timeout=args.timeout,
        jobs=args.jobs,
        progress=_progress,
    )
    result = confirm(paths, options)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    extra = {"device": result.device, "seconds": round(result.seconds, 2), "cpu_simulated": result.device == "cpu"}
    if args.output_format == "json":
        text = json_report(result.findings, result.verdicts, extra)
    elif args.output_format == "sarif":
        text = sarif_report(result.findings, result.verdicts, extra)
    else:
        text = table(result.findings, result.verdicts, result.device)
    _write(text, args.output_file)
    if args.html:
        from .runtime.report_html import render

        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(render(result.findings, result.verdicts, result.device, result.seconds))
    print(f"confirm: {len(result.verdicts)} findings replayed in {result.seconds:.1f} s", file=sys.stderr)
    remaining = [
        f
        for i, f in enumerate(result.findings)
        if result.verdicts.get(i) is None or result.verdicts[i].verdict != "refuted"
    ]
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


def _policy_gpu() -> bool:
    from .runtime.gpu import gpu_status

    return gpu_status().meets_policy


def _trace(args: argparse.Namespace) -> int:
    from .runtime.trace import TraceOptions, trace

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
        cpu=args.allow_cpu and not _policy_gpu(),
        capability=capability,
        hide_gpu=args.hide_gpu,
        max_steps=args.max_steps,
        time_limit=args.time_limit,
        sample_every=args.sample_every,
    )
    return trace(program, options, args.output_format, args.output_file)
