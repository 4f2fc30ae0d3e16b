"""Checking many files: the cache, a process pool over the misses, deterministic order.

The per-file work is `api.check_file`; this module only decides which files need it and
where it runs. Output is identical with and without cache and pool (a test asserts it).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .api import FileSettings, Overrides, check_file, explicit_settings, fix_file, load_rules, resolve
from .cache import CACHE_DIR, Cache, digest, remove_stale_temp_files
from .discovery import Unreachable, discover
from .file_checks import READERS
from .findings import Finding, unreadable
from .kinds import file_kind
from .sources import read_bytes

# multiprocessing and concurrent.futures (logging, pickle, sockets, subprocess) load only
# when a run is big enough for the pool; the readers and the fixes modules when used.
if TYPE_CHECKING:
    import multiprocessing.context

    from .fixes.source_io import FileFix

T = TypeVar("T")
R = TypeVar("R")


class WorkerDied(Exception):
    """A worker process of the pool died (killed, out of memory)."""


# Below this many files to check, starting worker processes costs more than it saves.
POOL_THRESHOLD = 32


@dataclass(frozen=True)
class RunOptions:
    use_cache: bool = True
    jobs: int | None = None  # None: one per CPU
    cache_dir: str = CACHE_DIR


@dataclass
class RunStats:
    files: int = 0
    checked: int = 0  # files actually read and checked (not answered by the cache)
    cached: int = 0


# A unit of work: (path, overrides, the file's resolved settings, the cached content digest
# if any, whether to hash). The settings travel with the task: resolved once, in the parent.
Task = tuple[str, Overrides, FileSettings, "str | None", bool]


# A check runs with the collector off (a file's tree is acyclic: reference counting frees it),
# but a reference cycle a rule leaves (a recursive inner function holding the file's context)
# keeps that file's tree alive until the end of the run. Past this many young objects after a
# file, the young generation is collected: only what the files since the last time left.
YOUNG_OBJECTS_LIMIT = 20_000


def _check_one(task: Task) -> tuple[str, str | None, list[Finding] | None]:
    """Worker: (path, content digest, findings -- None when the known digest matched)."""
    result = _check_task(task)
    if not gc.isenabled() and gc.get_count()[0] > YOUNG_OBJECTS_LIMIT:
        gc.collect(0)
    return result


def _check_task(task: Task) -> tuple[str, str | None, list[Finding] | None]:
    path, overrides, resolved, known, want_digest = task
    reader = READERS.get(file_kind(path) or "")
    if reader is not None and reader.fingerprint is not None:  # read in part (a header): hash that part
        content = digest(reader.fingerprint(path)) if want_digest else None
        if known is not None and content == known:
            return path, content, None
        return path, content, check_file(path, overrides, resolved=resolved)
    data = read_bytes(path, resolved.settings.max_file_size)
    if isinstance(data, str):
        return path, None, [unreadable(path, data)]
    content = digest(data) if want_digest else None
    if known is not None and content == known:
        return path, content, None
    return path, content, check_file(path, overrides, data, resolved=resolved)


def _worker_init(parent: int) -> None:
    gc.disable()  # a parse makes many acyclic nodes: the collector would only slow it (see `_check_one`)
    # `parent` is the pid the main process passed, not os.getppid() read here: a main process
    # killed between forking this worker and this line would leave getppid() == 1 already.
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """A worker whose main process died (SIGKILL, OOM) exits instead of waiting forever on
    a queue nobody feeds; it may be mid-way through a file, which is why writes are atomic."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="blyan-lint-parent-watch", daemon=True).start()


def _pool_context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def run(paths: Iterable[str], overrides: Overrides, options: RunOptions) -> tuple[list[str], list[Finding], RunStats]:
    files = list(discover(list(paths), overrides.force_exclude, explicit_settings(overrides)))
    stats = RunStats(files=len(files))
    findings: list[Finding] = []
    caches: dict[str, Cache] = {}
    tasks: list[Task] = []
    stats_of: dict[str, os.stat_result] = {}
    cache_of: dict[str, Cache] = {}
    resolved_of: dict[str, FileSettings] = {}
    for path in files:
        resolved = path.reason if isinstance(path, Unreachable) else resolve(path, overrides)
        if isinstance(resolved, str):
            findings.append(unreadable(path, resolved))
            continue
        resolved_of[path] = resolved
        cache = _cache_for(resolved, options, caches) if options.use_cache else None
        if cache is None:
            tasks.append((path, overrides, resolved, None, False))
            continue
        try:
            stat = os.stat(path)
        except OSError:
            tasks.append((path, overrides, resolved, None, False))
            continue
        hit = cache.fresh(path, stat)
        if hit is not None:
            findings.extend(hit)
            continue
        stats_of[path], cache_of[path] = stat, cache
        tasks.append((path, overrides, resolved, cache.known_digest(path), True))
    for path, content, result in _execute(tasks, options.jobs):
        cache = cache_of.get(path)
        if result is None:  # touched, same content
            same = cache.same_content(path, stats_of[path])  # type: ignore[union-attr]
            if same is not None:
                findings.extend(same)
                continue
            result = check_file(path, overrides, resolved=resolved_of[path])  # the entry could not be decoded
        stats.checked += 1
        findings.extend(result)
        if cache is not None and content is not None:
            cache.store(path, stats_of[path], content, result)
    for cache in caches.values():
        stats.cached += cache.hits
        cache.save()
    findings.sort(key=lambda f: f.sort_key)
    return files, findings, stats


def _execute(tasks: list[Task], jobs: int | None) -> list[tuple[str, str | None, list[Finding] | None]]:
    if _pooled(tasks, jobs):  # each rule's module imported once, here, not once per worker
        for codes in {resolved.codes for _, _, resolved, _, _ in tasks}:
            load_rules(codes)
    return _map(_check_one, tasks, jobs)


def _pooled(tasks: list[T], jobs: int | None) -> bool:
    return (jobs or os.cpu_count() or 1) > 1 and len(tasks) >= POOL_THRESHOLD


def _map(work: Callable[[T], R], tasks: list[T], jobs: int | None) -> list[R]:
    """`work` over the tasks, in worker processes when there are enough of them."""
    workers = jobs or os.cpu_count() or 1
    if not _pooled(tasks, jobs):
        return [work(task) for task in tasks]
    # Largest files first, in small chunks, so no worker is left with one big file at the end.
    ordered = sorted(tasks, key=_size, reverse=True)
    chunksize = max(1, min(16, len(tasks) // (workers * 32)))
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(
            workers, mp_context=_pool_context(), initializer=_worker_init, initargs=(os.getpid(),)
        ) as pool:
            return list(pool.map(work, ordered, chunksize=chunksize))
    except BrokenProcessPool as exc:
        raise WorkerDied(str(exc)) from exc


def _fix_one(task: tuple[str, Overrides, bool, bool]) -> FileFix:
    path, overrides, unsafe, write = task
    return fix_file(path, overrides, unsafe, write)


def fix(
    paths: Iterable[str], overrides: Overrides, unsafe: bool, write: bool, jobs: int | None = None
) -> tuple[list[str], list[FileFix], list[Finding]]:
    """Fix every file (in parallel, each file written by the process that fixed it); returns
    the files, each file's outcome in file order, and the findings left."""
    from .fixes.source_io import TEMP_PREFIX

    files = list(discover(list(paths), overrides.force_exclude, explicit_settings(overrides)))
    if write:
        for directory in sorted({os.path.dirname(os.path.realpath(p)) for p in files}):
            remove_stale_temp_files(directory, TEMP_PREFIX)  # left by a run that was killed mid-write
    by_path = {o.path: o for o in _map(_fix_one, [(p, overrides, unsafe, write) for p in files], jobs)}
    outcomes = [by_path[path] for path in files]
    remaining = sorted((f for o in outcomes for f in o.result.remaining), key=lambda f: f.sort_key)
    return files, outcomes, remaining


def _size(task: object) -> int:
    """The size of the file a task names first, for ordering; 0 when unknown."""
    if not isinstance(task, tuple) or not isinstance(task[0], str):
        return 0
    try:
        return os.stat(task[0]).st_size
    except OSError:
        return 0


def _cache_for(resolved: FileSettings, options: RunOptions, caches: dict[str, Cache]) -> Cache | None:
    # Everything that changes a file's findings, except its content: the resolved settings
    # (teacher paths, guard functions, per-file ignores...) and the selected codes.
    key = repr((resolved.settings, sorted(resolved.codes)))
    cache = caches.get(key)
    if cache is None:
        cache = caches[key] = Cache.open(options.cache_dir, key)
    return cache
