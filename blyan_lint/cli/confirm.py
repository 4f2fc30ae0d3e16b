"""`blyan-lint confirm`: replay each model-related finding and give it a runtime verdict."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from .arguments import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from .harness import add_model_options, policy_gpu, requiring_gpu
from .output import write

if TYPE_CHECKING:
    from .arguments import Subcommands


def add_parser(sub: Subcommands) -> None:
    confirm = sub.add_parser("confirm", help="replay each model-related finding and give it a runtime verdict")
    confirm.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    add_model_options(confirm)
    confirm.add_argument("--output-format", choices=("table", "json", "sarif"), default="table")
    confirm.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    confirm.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    confirm.add_argument(
        "-j", "--jobs", type=int, default=min(8, os.cpu_count() or 1), help="replay subprocesses at a time"
    )
    confirm.add_argument("--timeout", type=float, help="seconds per replay (default: config, else 120)")
    confirm.set_defaults(handler=requiring_gpu(run))


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[Kconfirm: {text}", end="", file=sys.stderr, flush=True)
    else:
        print(f"confirm: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from ..runtime.confirm import ConfirmOptions, confirm
    from ..runtime.output import json_report, sarif_report, table

    paths = args.paths or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        print(f"blyan-lint: error: no such file or directory: {missing[0]}", file=sys.stderr)
        return EXIT_ERROR
    options = ConfirmOptions(
        model_map=tuple(args.model_map),
        allow_pickle=args.allow_pickle,
        cpu=args.allow_cpu and not policy_gpu(),
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
    write(text, args.output_file, sys.stdout)
    if args.html:
        from ..runtime.report_html import render

        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(render(result.findings, result.verdicts, result.device, result.seconds))
    print(f"confirm: {len(result.verdicts)} findings replayed in {result.seconds:.1f} s", file=sys.stderr)
    remaining = [
        f
        for i, f in enumerate(result.findings)
        if result.verdicts.get(i) is None or result.verdicts[i].verdict != "refuted"
    ]
    return EXIT_FINDINGS if remaining else EXIT_CLEAN
