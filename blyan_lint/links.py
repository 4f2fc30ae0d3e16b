"""Where the project and its rule pages live on the web (absolute links for SARIF and editors).

Rule pages are linked at the tag of the running version (`v0.2.0`), so a report points at
the documentation of the rules that produced it.
"""

from __future__ import annotations

from . import __version__

REPOSITORY_URL = "https://example.invalid/blyan/blyan-lint"


def rule_url(code: str) -> str:
    return f"{REPOSITORY_URL}/blob/v{__version__}/docs/rules/{code}.md"


def rules_index_url() -> str:
    return f"{REPOSITORY_URL}/blob/v{__version__}/docs/rules/README.md"
