"""The project's web address is one constant, `links.REPOSITORY_URL`.

It is a placeholder (`example.invalid`) until the project is published; when it changes,
the package changes in one place and this test lists the user docs that show it.
"""

from __future__ import annotations

import re

from blyan_lint import __version__, links

from .helpers import ROOT

PLACEHOLDER_HOST = "example.invalid/blyan"


def test_the_package_spells_the_repository_url_once():
    spelled = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "blyan_lint").rglob("*.py"))
        if PLACEHOLDER_HOST in path.read_text(encoding="utf-8")
        or links.REPOSITORY_URL in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["blyan_lint/links.py"]


def test_the_docs_show_the_same_repository_url():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    shown = {
        url for path in docs for url in re.findall(r"https://example\.invalid/[\w./-]*?blyan-lint", path.read_text())
    }
    assert shown == {links.REPOSITORY_URL}


def test_rule_pages_are_linked_at_the_running_version():
    assert links.rule_url("BLY101") == f"{links.REPOSITORY_URL}/blob/v{__version__}/docs/rules/BLY101.md"
    assert (ROOT / "docs" / "rules" / "BLY101.md").exists()
    assert (ROOT / "docs" / "rules" / "README.md").exists()
