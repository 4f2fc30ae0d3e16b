"""Rule definitions are the docs: pages are generated from them, and their examples are tests."""

from __future__ import annotations

import json
import struct

import pytest

from blyan_lint import registry
from blyan_lint.api import Overrides, check_file
from blyan_lint.cli import main
from blyan_lint.docs import generated_pages, rule_markdown

from .helpers import ROOT

DOCS = ROOT / "docs" / "rules"
RULES = sorted(registry.all_rules().items())


def lint_example(cls, text: str, tmp_path) -> list[str]:
    if cls.example_path.endswith(".safetensors"):
        header = json.dumps(json.loads(text)).encode()
        path = tmp_path / cls.example_path
        path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 64)
        return [f.code for f in check_file(str(path), Overrides())]
    # Selected explicitly: rules that are off by default (BLY001) are documented all the same.
    return [f.code for f in check_file(cls.example_path, Overrides(extend_select=(cls.code,)), text.encode("utf-8"))]


def test_generated_docs_are_committed_and_fresh():
    pages = generated_pages()
    committed = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted(name for name, text in pages.items() if committed.get(name) != text)
    extra = sorted(set(committed) - set(pages))
    assert not stale and not extra, f"regenerate with `python -m blyan_lint.docs`: stale {stale}, extra {extra}"


@pytest.mark.parametrize(("code", "cls"), RULES, ids=[c for c, _ in RULES])
def test_rule_is_fully_documented(code, cls):
    for attr in ("name", "summary", "policy", "why", "example", "fixed", "fix_safety"):
        assert getattr(cls, attr, "").strip(), f"{code} lacks {attr}"
    assert code.startswith("BLY") and len(code) == 6


@pytest.mark.parametrize(("code", "cls"), RULES, ids=[c for c, _ in RULES])
def test_documented_example_fails_and_fixed_example_passes(code, cls, tmp_path):
    assert code in lint_example(cls, cls.example, tmp_path)
    assert lint_example(cls, cls.fixed, tmp_path) == []


@pytest.mark.parametrize("code", ["BLY101", "BLY106", "BLY404"])
def test_rule_command_prints_the_generated_page(code, capsys):
    assert main(["rule", code]) == 0
    page = capsys.readouterr().out
    assert page == rule_markdown(registry.get(code)) and page.startswith(f"# {code} {registry.get(code).name}\n")
    assert main(["rule", code.lower()]) == 0


def test_rule_command_rejects_unknown_codes(capsys):
    assert main(["rule", "BLY999"]) == 2
    assert "unknown rule code" in capsys.readouterr().err


def test_rule_all_lists_every_rule(capsys):
    assert main(["rule", "--all"]) == 0
    out = capsys.readouterr().out
    for code, cls in RULES:
        assert f"# {code} {cls.name}" in out


def test_registry_matches_the_catalog():
    catalog = ROOT.parent / "shared" / "RULES.md"
    if not catalog.exists():
        pytest.skip("shared/RULES.md is not beside the checkout")
    import re

    rows = dict(re.findall(r"^\| (BLY\d{3}) \| ([a-z0-9-]+) \|", catalog.read_text(encoding="utf-8"), re.M))
    assert {code: cls.name for code, cls in RULES} == rows


SAFE_FIX_RULES = [
    (code, cls)
    for code, cls in RULES
    if not cls.example_path.endswith((".safetensors", ".yaml", ".yml", ".json", ".toml"))
    and any(
        f.code == code and f.fix is not None and f.fix.applicability.value == "safe"
        for f in check_file(cls.example_path, Overrides(extend_select=(code,)), cls.example.encode())
    )
]


def test_rules_with_safe_fixes_are_known():
    assert {code for code, _ in SAFE_FIX_RULES} >= {"BLY101", "BLY102", "BLY103", "BLY104", "BLY304"}


@pytest.mark.parametrize(("code", "cls"), SAFE_FIX_RULES, ids=[c for c, _ in SAFE_FIX_RULES])
def test_safe_fix_turns_the_example_into_the_fixed_example(code, cls):
    from blyan_lint.api import fix_file

    overrides = Overrides(extend_select=(code,))
    outcome = fix_file(cls.example_path, overrides, unsafe=False, write=False, source=cls.example.encode())
    assert outcome.error is None
    assert outcome.result.text == cls.fixed
