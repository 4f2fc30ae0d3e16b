"""`blyan-lint check --watch`: check, then check again whenever a file changes.

Polling (every half second, stat only: size and mtime of each discovered file, configs
included) rather than inotify/FSEvents: no dependency, the same on every platform, and a
tree of thousands of files stats in milliseconds. The cache makes each re-check cost only
the changed files.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

from .config import clear_caches
from .discovery import discover

INTERVAL_S = 0.5


def snapshot(paths: list[str], force_exclude: bool) -> dict[str, tuple[int, int]]:
    state = {}
    for path in discover(paths, force_exclude):
        try:
            st = os.stat(path)
        except OSError:
            continue
        state[path] = (st.st_mtime_ns, st.st_size)
    return state


def watch(check: Callable[[], int], paths: list[str], force_exclude: bool, interval: float = INTERVAL_S) -> int:
    """Run `check` now and after every change, until interrupted (Ctrl-C: exit 0)."""
    # A process started in the background by a shell without job control (CI scripts,
    # `cmd &`) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt:
    # a watcher must stop on Ctrl-C/SIGINT wherever it was started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        previous: dict[str, tuple[int, int]] | None = None
        while True:
            clear_caches()  # a changed pyproject.toml must be read again
            current = snapshot(paths, force_exclude)
            if current != previous:
                if previous is not None:
                    changed = sorted(p for p in current.keys() | previous.keys() if current.get(p) != previous.get(p))
                    print(
                        f"\n[watch] {', '.join(changed[:3])}{' ...' if len(changed) > 3 else ''} changed",
                        file=sys.stderr,
                    )
                # The state before the check: a file edited while it runs is checked again
                # (and a file `--fix` wrote is checked once more, and then settles).
                previous = current
                check()
                sys.stdout.flush()
                print("[watch] waiting for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0
