"""Issue 5's memory targets: the peak RSS of a cold run (target 8), and a `.safetensors`
check that costs the same for a 2 GiB file as for a tiny one (target 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .corpus import SAFETENSORS_BIG, SAFETENSORS_HEADER_BYTES, write_safetensors
from .processes import MeasurementError, run_once, tail
from .timing import Cmd, ratio

if TYPE_CHECKING:
    from .state import Bench

TARGET_PEAK_MIB = 150.0  # per process
TARGET_SAFETENSORS_RATIO = 1.25  # 2 GiB file / tiny file; 1.0 plus startup noise
TARGET_SAFETENSORS_RSS_MIB = 16.0  # the big file may not cost more memory than this


def memory(b: Bench) -> None:
    command = f"{b.bly} check --no-cache -q {b.tree}"
    result = run_once(command, b.work, b.args.timeout, sample_memory=True)
    b.singles["memory"] = result
    if result.exit_code not in (0, 1):
        raise MeasurementError(f"exit {result.exit_code}: {tail(result.stderr)}")
    peak = result.maxrss_kib / 1024
    main = result.processes.get(result.pid, ("?", 0))
    workers = sorted((kib for pid, (_, kib) in result.processes.items() if pid != result.pid), reverse=True)
    report = b.sections["Peak memory"] = [
        f"Command: `{command}` ({result.seconds:.1f} s, exit {result.exit_code}).",
        f"Largest single process (os.wait4 ru_maxrss of the tool, which covers every process it waited for): "
        f"**{peak:.1f} MiB**.",
    ]
    if result.processes:
        report.append(
            f"Sampled every 50 ms from /proc (VmHWM): main process {main[1] / 1024:.1f} MiB; "
            f"{len(workers)} other process(es), largest {workers[0] / 1024 if workers else 0:.1f} MiB"
            + (f", smallest {workers[-1] / 1024:.1f} MiB" if workers else "")
            + ". Forked workers count the pages they share with the parent in their RSS."
        )
    b.set_target("memory", peak <= TARGET_PEAK_MIB, f"{peak:.1f} MiB")


def safetensors(b: Bench) -> None:
    folder = b.work / "safetensors"
    folder.mkdir(exist_ok=True)
    small, big = folder / "small.safetensors", folder / "big.safetensors"
    write_safetensors(small, 8 + SAFETENSORS_HEADER_BYTES + 2)
    write_safetensors(big, SAFETENSORS_BIG)
    group = b.time(
        "safetensors",
        "`.safetensors` header check: tiny file vs 2 GiB sparse file",
        [
            Cmd("2 GiB file", f"{b.bly} check --no-cache safetensors/{big.name}"),
            Cmd("tiny file", f"{b.bly} check --no-cache safetensors/{small.name}"),
        ],
        b.args.runs,
        b.args.warmup,
        note=f"Both files hold one F16 tensor `w` (BLY502 expected, exit 1), headers padded to "
        f"{SAFETENSORS_HEADER_BYTES} bytes; the tensor's shape and offsets match each file's size, so both are "
        "valid safetensors files. The big one is sparse (os.truncate). `--no-cache`: with the cache, every "
        "timed run after the first would be a cache hit on the file's size and mtime.",
    )
    rss = {}
    for path in (small, big):
        result = run_once(f"{b.bly} check --no-cache safetensors/{path.name}", b.work, b.args.timeout, True)
        rss[path.name] = result.maxrss_kib / 1024
        if result.exit_code != 1 or "BLY502" not in result.stdout:
            b.problems.append(f"safetensors/{path.name}: exit {result.exit_code}, expected 1 with BLY502")
    b.sections["safetensors"] = [
        f"Peak RSS: tiny file {rss[small.name]:.1f} MiB, 2 GiB file {rss[big.name]:.1f} MiB.",
    ]
    if b.ok(group):
        big_file, tiny_file = group.timings
        r = ratio(big_file, tiny_file, group.interleaved)
        extra = rss[big.name] - rss[small.name]
        met = r.value <= TARGET_SAFETENSORS_RATIO and extra <= TARGET_SAFETENSORS_RSS_MIB
        b.set_target("safetensors", met, f"{r.text()} time, {extra:+.1f} MiB peak RSS", r)
