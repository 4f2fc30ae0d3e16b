"""Data-driven rule tests: every file under fixtures/rules against its `.expected` snapshot.

Regenerate after a deliberate change with `BLYAN_UPDATE_SNAPSHOTS=1 pytest tests/test_fixtures.py`
and review the diff: the snapshots are the specification.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import pytest

from blyan_lint import registry

from .helpers import RULE_FIXTURES, UPDATE, codes_in, expected_path, lint, rule_fixture_files, snapshot_line

FIXTURE_FILES = rule_fixture_files()
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(RULE_FIXTURES)))
def test_fixture_matches_snapshot(fixture):
    actual = "".join(snapshot_line(f) + "\n" for f in lint(fixture))
    # BLY000 names the interpreter that ran the check; the suite runs under several.
    actual = actual.replace(f"Python {RUNNING}", "Python <running>")
    expected = expected_path(fixture)
    if UPDATE:
        expected.write_text(actual, encoding="utf-8")
    assert expected.exists(), f"missing snapshot {expected.name}; run with BLYAN_UPDATE_SNAPSHOTS=1"
    assert actual == expected.read_text(encoding="utf-8")


def test_fixture_stems_are_unique_per_directory():
    seen = defaultdict(list)
    for fixture in FIXTURE_FILES:
        seen[expected_path(fixture)].append(fixture.name)
    clashes = {str(k): v for k, v in seen.items() if len(v) > 1}
    assert not clashes


@pytest.mark.parametrize("code", sorted(registry.all_rules()))
def test_every_rule_has_three_positive_and_three_negative_fixtures(code):
    directory = RULE_FIXTURES / code
    fixtures = [f for f in FIXTURE_FILES if directory in f.parents]
    positive = [f for f in fixtures if code in codes_in(expected_path(f))]
    negative = [f for f in fixtures if code not in codes_in(expected_path(f))]
    assert len(positive) >= 3, f"{code}: {len(positive)} positive fixtures"
    if code != "BLY000":  # every BLY000 fixture is, by definition, a file that cannot be checked
        assert len(negative) >= 3, f"{code}: {len(negative)} negative fixtures"
