"""Issue 5's measurements against the other Python linters: flake8's default checks
(target 2), flake8 with and without the BLY plugin (target 6) and TorchFix (target 3)."""

from __future__ import annotations

import datetime
import json
import os
import re
from typing import TYPE_CHECKING

from .corpus import TRANSFORMERS_VERSION
from .processes import MeasurementError, RunResult, log, run_once, tail
from .timing import Cmd, ratio
from .tools import hash_bytes

if TYPE_CHECKING:
    from .state import Bench

TARGET_VS_FLAKE8 = 20.0  # flake8 default checks / blyan-lint cold >= 20
TARGET_VS_TORCHFIX = 30.0  # TorchFix / blyan-lint cold >= 30
TARGET_PLUGIN_OVERHEAD = 1.15  # flake8 with BLY <= 1.15x flake8 without


def cold(b: Bench) -> None:
    flake8 = b.bin(b.venvs.noplugin, "flake8")
    group = b.time(
        "flake8",
        f"cold run vs flake8's default checks on `{b.tree}`",
        [
            Cmd("blyan-lint cold", f"{b.bly} check --no-cache -q {b.tree}"),
            Cmd("flake8 (no plugin)", f"{flake8} {b.tree}"),
        ],
        b.args.slow_runs,
        0,
        note="flake8 takes minutes a run, so fewer runs (--slow-runs) and no warm-up "
        "(the cold group warmed the page cache).",
    )
    if b.ok(group):
        bly, f8 = group.timings
        r = ratio(f8, bly, group.interleaved)
        b.set_target("cold_flake8", r.value >= TARGET_VS_FLAKE8, f"{r.text()} faster", r)


def plugin(b: Bench) -> None:
    with_bly = b.bin(b.venvs.main, "flake8")
    without = b.bin(b.venvs.noplugin, "flake8")
    group = b.time(
        "plugin",
        f"flake8 with and without the BLY plugin on `{b.subset}`",
        [
            Cmd("flake8 + BLY", f"{with_bly} {b.subset}"),
            Cmd("flake8 (no plugin)", f"{without} {b.subset}"),
        ],
        b.args.runs,
        b.args.warmup,
        note="Two virtualenvs with the same flake8, pycodestyle, pyflakes and mccabe versions; the first also "
        "has blyan-lint installed (so flake8 loads its BLY entry point), the second does not. `flake8 --version` "
        "of the two is checked to differ by the plugin alone. `--select` cannot be used to switch the plugin off: "
        "flake8 runs every installed plugin and filters the codes afterwards.",
    )
    if b.ok(group):
        with_plugin, without_plugin = group.timings
        r = ratio(with_plugin, without_plugin, group.interleaved)
        b.set_target("plugin", r.value <= TARGET_PLUGIN_OVERHEAD, f"{r.text()} (on `{b.subset}`)", r)
    # Same findings through both front ends? (informational: flake8 applies blanket noqa itself)
    via_flake8 = run_once(f"{with_bly} --select BLY {b.subset}", b.work, b.args.timeout, True)
    via_cli = run_once(f"{b.bly} check --no-cache --output-format concise --exit-zero {b.subset}", b.work, None, True)
    n_flake8 = sum(1 for line in via_flake8.stdout.splitlines() if re.search(r":\d+:\d+: BLY", line))
    n_cli = sum(1 for line in via_cli.stdout.splitlines() if re.search(r":\d+:\d+: BLY", line))
    b.sections["flake8 front end"] = [
        f"BLY findings on `{b.subset}`: {n_flake8:,} through `flake8 --select BLY` "
        f"(exit {via_flake8.exit_code}), {n_cli:,} through `blyan-lint check` (exit {via_cli.exit_code}). "
        "flake8 drops lines with a blanket `# noqa` before the plugin's findings are reported and never sees "
        "BLY000/BLY5xx, so the CLI may report more."
    ]


def torchfix(b: Bench) -> None:
    if b.args.skip_torchfix:
        b.targets["cold_torchfix"].measured = "skipped (--skip-torchfix)"
        return
    if b.venvs.torchfix_error:
        b.targets["cold_torchfix"].measured = "not measured: TorchFix could not be installed"
        b.problems.append(f"TorchFix install failed: {b.venvs.torchfix_error}")
        return
    cold = b.groups.get("cold")
    if cold is None or cold.timings[0].failed:
        raise MeasurementError("no cold blyan-lint time to compare with")
    command = f"{b.bin(b.venvs.torchfix, 'torchfix')} {b.tree}"
    result = _torchfix_run(b, command)
    b.singles["torchfix"] = result
    bly = cold.timings[0].median
    if result.timed_out:
        bound = result.seconds / bly
        b.set_target(
            "cold_torchfix", bound >= TARGET_VS_TORCHFIX or None, f">= {bound:.1f}x faster (TorchFix timed out)"
        )
        return
    if result.exit_code not in (0, 1):
        raise MeasurementError(f"TorchFix exited {result.exit_code}: {tail(result.stderr)}")
    r = result.seconds / bly
    bly_cpu = cold.timings[0].cpu_time
    cpu = f"; CPU time {result.cpu / bly_cpu:.1f}x" if bly_cpu else ""
    b.set_target(
        "cold_torchfix",
        r >= TARGET_VS_TORCHFIX,
        f"{r:.1f}x faster (TorchFix {result.seconds:.1f} s, one run; blyan-lint median {bly:.2f} s)" + cpu,
    )


def _torchfix_run(b: Bench, command: str) -> RunResult:
    """One TorchFix run, or the one saved by an earlier run of this script.

    TorchFix's time does not depend on blyan-lint, and a run takes many minutes, so it is
    kept in logs/ under a key of everything it does depend on (TorchFix and Python
    versions, the tree, the CPUs). `--rerun-torchfix` measures it again.
    """
    key = {
        "torchfix": b.versions.get("torchfix"),
        "python": b.versions.get("python (tools)"),
        "tree": b.tree,
        "transformers": TRANSFORMERS_VERSION,
        "cpus": os.cpu_count(),
        "timeout": b.args.torchfix_timeout,
    }
    saved = b.work / "logs" / f"torchfix-{hash_bytes(json.dumps(key, sort_keys=True).encode())}.json"
    if saved.exists() and not b.args.rerun_torchfix:
        data = json.loads(saved.read_text())
        b.torchfix_measured_at = data["measured_at"]
        log(f"TorchFix: reusing the run of {data['measured_at']} ({saved.name}; --rerun-torchfix to measure again)")
        return RunResult(**data["result"])
    log(f"TorchFix: one run of `{command}` (timeout {b.args.torchfix_timeout:.0f} s)")
    result = run_once(command, b.work, b.args.torchfix_timeout)
    b.torchfix_measured_at = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    if not result.timed_out and result.exit_code in (0, 1):
        fields = {k: v for k, v in vars(result).items() if k not in ("stdout", "processes")}
        fields["stderr"] = tail(result.stderr, 20)
        saved.write_text(json.dumps({"key": key, "measured_at": b.torchfix_measured_at, "result": fields}))
    return result
