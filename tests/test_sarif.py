"""SARIF from the real CLI validates against the official 2.1.0 schema, formats checked.

The schema is tests/data/sarif-schema-2.1.0.json (OASIS, see tests/data/README.md): no
network at test time. Formats matter: GitHub code scanning rejects relative `helpUri`s
and unencoded URIs that a schema check without formats lets through.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from blyan_lint.report.sarif import artifact_uri

from .helpers import ROOT
from .test_notebooks import code, notebook

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
# Every format jsonschema knows, not only draft 4's: the schema also uses `uri-reference`.
CHECKER = jsonschema.FormatChecker()
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=CHECKER)


def test_the_format_checker_checks_uris():
    """Without rfc3986-validator, `format: uri` passes anything and the test below proves nothing."""
    checker = CHECKER
    assert not checker.conforms("docs/rules/BLY101.md", "uri")
    assert not checker.conforms("my model.py", "uri-reference")
    assert checker.conforms("my%20model.py", "uri-reference")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    src = tmp_path / "src dir"
    src.mkdir()
    (src / "my model.py").write_text(
        "import torch\n"
        "x = torch.zeros(2, dtype=torch.float16)\n"
        "y = torch.zeros(2, dtype=torch.float16)  # noqa: BLY101 -- legacy export\n"
        "z = torch.zeros(2, dtype=torch.bfloat16)  # noqa: BLY102\n"
    )
    (src / "ünïcode#1.py").write_text("from torch.cuda.amp import GradScaler\ns = GradScaler()\n")
    (src / "broken.py").write_text("def f(:\n")
    (src / "accelerate.yaml").write_text("mixed_precision: fp16\n")
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (src / "w.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    (src / "nb.ipynb").write_text(notebook(code("import torch\n"), code("!ls\nx = torch.zeros(1).half()\n")))
    return tmp_path


def sarif(project: Path, *paths: str) -> dict:
    cmd = [sys.executable, "-m", "blyan_lint", "check", "--no-cache", "--output-format", "sarif"]
    result = subprocess.run([*cmd, "--extend-select", "BLY001", *paths], cwd=project, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr  # broken.py: BLY000
    return json.loads(result.stdout)


def test_sarif_is_valid_against_the_official_schema_with_formats(project):
    doc = sarif(project, "src dir")
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    codes = {r["ruleId"] for r in run["results"]}
    assert {"BLY000", "BLY001", "BLY101", "BLY102", "BLY202", "BLY501", "BLY502"} <= codes
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["helpUri"].startswith("https://")
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")
        assert (ROOT / "docs" / "rules" / f"{rule['id']}.md").exists(), "the linked page exists"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "src%20dir/my%20model.py" in uris
    assert "src%20dir/%C3%BCn%C3%AFcode%231.py" in uris
    assert all((project / unquote(u)).exists() for u in uris), "every URI names the file it came from"


def test_suppressed_results_carry_the_reason_and_fixes_are_valid(project):
    run = sarif(project, "src dir")["runs"][0]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert [s["suppressions"] for s in suppressed] == [[{"kind": "inSource", "justification": "legacy export"}]]
    fixes = [r for r in run["results"] if r["ruleId"] == "BLY101" and "fixes" in r]
    assert fixes and fixes[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("a b/c.py", "a%20b/c.py"),
        ("x:y.py", "x%3Ay.py"),
        ("/abs/p q.py", "file:///abs/p%20q.py"),
        ("d\\e.py", "d/e.py"),
    ],
)
def test_artifact_uris(path, uri):
    assert artifact_uri(path) == uri
