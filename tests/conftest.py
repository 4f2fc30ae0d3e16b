"""Keep the tests' per-user state (the cache-signing secret) out of the real home."""

from __future__ import annotations

import os
import shutil
import tempfile

_XDG = tempfile.mkdtemp(prefix="blyan-test-xdg-")


def pytest_configure():
    os.environ["XDG_CACHE_HOME"] = _XDG


def pytest_unconfigure():
    shutil.rmtree(_XDG, ignore_errors=True)
