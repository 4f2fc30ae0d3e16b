"""Speed features change nothing: prefilter, statement pruning, cache and process pool give
identical output."""

from __future__ import annotations

import os

from blyan_lint.api import Overrides, check_file
from blyan_lint.cache import CACHE_DIR
from blyan_lint.engine import PRUNE_SWITCH
from blyan_lint.runner import RunOptions, run

from .helpers import FIXTURES, ROOT


def rendered(findings) -> list[str]:
    return [f"{f.path}:{f.start.line}:{f.start.col}:{f.code}:{f.message}:{f.fix}" for f in findings]


def test_prefilter_never_drops_a_finding(monkeypatch):
    monkeypatch.chdir(ROOT)
    files = [p for p in sorted(FIXTURES.rglob("*")) if p.is_file() and p.suffix in (".py", ".pyi")]
    assert len(files) > 50
    for path in files:
        rel = str(path.relative_to(ROOT))
        with_filter = check_file(rel, Overrides(prefilter=True))
        without = check_file(rel, Overrides(prefilter=False))
        assert rendered(with_filter) == rendered(without), rel


def test_cache_pool_and_prefilter_give_identical_output(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cache_dir = str(tmp_path / CACHE_DIR)
    paths = ["fixtures"]
    baseline = run(paths, Overrides(prefilter=False), RunOptions(use_cache=False, jobs=1))
    assert baseline[1], "the fixtures produce findings"
    variants = [
        run(paths, Overrides(), RunOptions(use_cache=False, jobs=1)),
        run(paths, Overrides(), RunOptions(use_cache=False, jobs=2)),
        run(paths, Overrides(), RunOptions(use_cache=True, jobs=2, cache_dir=cache_dir)),  # cold cache
        run(paths, Overrides(), RunOptions(use_cache=True, jobs=2, cache_dir=cache_dir)),  # warm cache
    ]
    for files, findings, _ in variants:
        assert files == baseline[0]
        assert rendered(findings) == rendered(baseline[1])
    assert variants[-1][2].cached == len(baseline[0]) and variants[-1][2].checked == 0


def test_pruning_and_prefilter_off_give_identical_output(monkeypatch):
    """Statement pruning (issue 16) changes nothing: the whole fixture tree, pruning and the
    prefilter both off against both on (tests/test_pruning.py does it file by file and fuzzed)."""
    monkeypatch.chdir(ROOT)
    paths = ["fixtures"]
    default = run(paths, Overrides(), RunOptions(use_cache=False, jobs=2))
    monkeypatch.setenv(PRUNE_SWITCH, "0")
    unpruned = run(paths, Overrides(prefilter=False), RunOptions(use_cache=False, jobs=2))
    assert default[1], "the fixtures produce findings"
    assert default[0] == unpruned[0]
    assert rendered(default[1]) == rendered(unpruned[1])


def test_cache_rechecks_only_changed_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text("import torch\nx = torch.zeros(1, dtype=torch.float16)\n")
    options = RunOptions(use_cache=True, jobs=1)
    first = run(["."], Overrides(), options)[2]
    assert (first.checked, first.cached) == (3, 0)
    second = run(["."], Overrides(), options)[2]
    assert (second.checked, second.cached) == (0, 3)
    os.utime(tmp_path / "a.py", ns=(1, 1))  # touched, same content: answered from the cache
    touched = run(["."], Overrides(), options)[2]
    assert (touched.checked, touched.cached) == (0, 3)
    (tmp_path / "b.py").write_text("x = 1\n")
    _, findings, edited = run(["."], Overrides(), options)
    assert (edited.checked, edited.cached) == (1, 2)
    assert sorted({f.path for f in findings}) == ["a.py", "c.py"]
    changed_settings = run(["."], Overrides(ignore=("BLY101",)), options)[2]
    assert changed_settings.checked == 3, "other settings, other cache"


def test_a_worker_collects_the_cycles_a_file_left_behind(tmp_path):
    """The collector is off while files are checked; what reference cycles leave (a rule's
    recursive closure holding the context, here stand-ins) is collected after a file."""
    import gc
    import weakref

    from blyan_lint.api import resolve
    from blyan_lint.runner import YOUNG_OBJECTS_LIMIT, _check_one

    class Node:
        pass

    path = tmp_path / "tiny.py"
    path.write_text("x = 1\n")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        cycles = [Node() for _ in range(YOUNG_OBJECTS_LIMIT)]
        for node in cycles:
            node.me = node  # type: ignore[attr-defined]
        watched = weakref.ref(cycles[0])
        del cycles, node
        assert watched() is not None  # reference counting alone cannot free a cycle
        _check_one((str(path), Overrides(), resolve(str(path), Overrides()), None, False))
        assert watched() is None
    finally:
        if was_enabled:
            gc.enable()
