"""Findings carry typed facts: JSON-serialisable, round-tripping, schema-valid, and right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blyan_lint.api import Overrides, check_file
from blyan_lint.facts import FACTS_KINDS, Facts, facts_from_json
from blyan_lint.report import json_format, json_schema, sarif

from .helpers import FIXTURES, ROOT, rule_fixture_files

SCHEMA_FILE = ROOT / "docs" / "json-schema.json"


def _findings(paths):
    found = []
    for path in paths:
        found.extend(check_file(str(path), Overrides()))
    return found


@pytest.fixture(scope="module")
def fixture_findings(request):
    import os

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        paths = [p.relative_to(ROOT) for p in rule_fixture_files()]
        paths += [p.relative_to(ROOT) for p in sorted((FIXTURES / "demo_repo").rglob("*.py"))]
        return _findings(paths)
    finally:
        os.chdir(old)


def lint_text(tmp_path: Path, text: str, name: str = "example.py"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return check_file(str(path), Overrides())


def test_schema_file_is_generated_from_the_facts_types():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema.render(), "run `make docs`"


def test_json_output_of_every_fixture_validates_against_the_schema(fixture_findings):
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(json_format.render(fixture_findings))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))).validate(doc)
    kinds = {f["facts"]["kind"] for f in doc["findings"] if f["facts"] is not None}
    assert {"load", "cast", "autocast", "scaler", "placement", "device_fallback", "quantization"} <= kinds


def test_the_schema_rejects_what_it_does_not_describe(fixture_findings):
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(json_format.render(fixture_findings))
    cast = next(f for f in doc["findings"] if f["facts"] and f["facts"]["kind"] == "cast")
    cast["facts"]["dtype"] = 16
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_facts_round_trip_through_json(fixture_findings):
    with_facts = [f for f in fixture_findings if f.facts is not None]
    assert len(with_facts) > 100
    for finding in with_facts:
        data = json.loads(json.dumps(finding.facts.to_json()))
        assert facts_from_json(data) == finding.facts
    with pytest.raises(ValueError):
        facts_from_json({"kind": "no-such-kind"})


OWN_FACTS_MODULES = (
    "blyan_lint.rules.precision",
    "blyan_lint.rules.mixed",
    "blyan_lint.rules.quantization",
)


def test_every_finding_of_the_python_rule_families_carries_facts(fixture_findings):
    from blyan_lint import registry

    families = {
        code
        for code, rule in registry.all_rules().items()
        if rule.__module__.startswith(OWN_FACTS_MODULES) or rule.__module__.startswith("blyan_lint.rules.hardware")
    }
    assert len(families) >= 16
    bare = sorted({f.code for f in fixture_findings if f.code in families and f.facts is None})
    assert bare == []


def test_every_facts_kind_is_distinct():
    assert all(issubclass(cls, Facts) and cls.kind == kind for kind, cls in FACTS_KINDS.items())


def test_sarif_results_carry_the_facts(fixture_findings):
    doc = json.loads(sarif.render(fixture_findings))
    facts = [r["properties"]["facts"] for r in doc["runs"][0]["results"] if "facts" in r["properties"]]
    assert facts and all("kind" in f for f in facts)


LOADER = """\
import torch
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

STUDENT = "blyan/student-v18"


def load(name=STUDENT, dtype=torch.float16):
    config = BitsAndBytesConfig(load_in_4bit=True)
    model = AutoModelForCausalLM.from_pretrained(name, device_map="auto", quantization_config=config)
    return model.half()
"""


def test_a_cast_knows_the_load_its_value_comes_from(tmp_path):
    cast = next(f for f in lint_text(tmp_path, LOADER) if f.code == "BLY102")
    assert cast.facts.kind == "cast" and cast.facts.method == "half" and cast.facts.dtype == "float16"
    origin = cast.facts.origin
    assert origin.loader == "transformers.AutoModelForCausalLM.from_pretrained" and origin.line == 9
    assert (origin.model.status, origin.model.value) == ("literal", "blyan/student-v18")
    assert [(h.name, h.how) for h in origin.model.via] == [("name", "default"), ("STUDENT", "assign")]
    assert origin.quantization == "4-bit" and origin.quantization_value.value == "transformers.BitsAndBytesConfig"
    assert origin.device_map.value == "auto" and origin.dtype == "absent"


def test_autocast_and_scaler_facts(tmp_path):
    text = (
        "import torch\n"
        "ON = False\n"
        "scaler = torch.amp.GradScaler('cuda', enabled=ON)\n"
        "def step(model, x):\n"
        "    with torch.autocast('cuda', dtype=torch.float16):\n"
        "        return model(x)\n"
    )
    found = {f.code: f.facts for f in lint_text(tmp_path, text)}
    autocast, scaler = found["BLY201"], found["BLY202"]
    assert (autocast.callee, autocast.usage, autocast.dtype, autocast.enabled) == (
        "torch.autocast",
        "context",
        "float16",
        True,
    )
    assert autocast.device_type.value == "cuda"
    assert (scaler.callee, scaler.enabled, scaler.bound_to, scaler.device.value) == (
        "torch.amp.GradScaler",
        False,
        "scaler",
        "cuda",
    )
    assert scaler.enabled_value.via[0].name == "ON"


def test_placement_facts_name_the_loaded_model(tmp_path):
    text = (
        "from transformers import AutoModelForCausalLM\n"
        "def load():\n"
        "    model = AutoModelForCausalLM.from_pretrained('m', device_map='cpu')\n"
        "    return model.to('cpu')\n"
    )
    facts = [f.facts for f in lint_text(tmp_path, text) if f.code == "BLY302"]
    assert [(f.how, f.device, f.model_line) for f in facts] == [("device_map", "cpu", 3), ("move", "cpu", 3)]
    assert facts[1].value.value == "cpu" and facts[1].receiver == "model"


def test_the_cache_codec_keeps_the_facts(fixture_findings):
    from blyan_lint.codec import decode, encode

    with_facts = tuple(f for f in fixture_findings if f.facts is not None)
    back = decode(json.loads(json.dumps(encode(with_facts))))
    assert back == with_facts
    assert [f.facts for f in back] == [f.facts for f in with_facts]


def test_the_json_output_page_documents_every_facts_kind_and_field():
    import dataclasses

    page = (ROOT / "docs" / "json-output.md").read_text(encoding="utf-8")
    for kind, cls in FACTS_KINDS.items():
        assert f"`{kind}`" in page, kind
        missing = [f.name for f in dataclasses.fields(cls) if f"`{f.name}`" not in page]
        assert missing == [], (kind, missing)
