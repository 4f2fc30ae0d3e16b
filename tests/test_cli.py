"""The command line as a user drives it: exit codes, formats, selection, stdin, config."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest

from blyan_lint.cli import main
from blyan_lint.config import clear_caches

FP16 = "import torch\nx = torch.zeros(2, dtype=torch.float16)\n"
CLEAN = "import torch\nx = torch.zeros(2, dtype=torch.long)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clear_caches()
    (tmp_path / "pyproject.toml").write_text("[tool.blyan-lint]\n", encoding="utf-8")
    return tmp_path


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_codes_clean_findings_and_errors(project, capsys):
    write(project, "clean.py", CLEAN)
    assert run(["check", "clean.py"], capsys)[0] == 0
    write(project, "bad.py", FP16)
    code, out, err = run(["check", "."], capsys)
    assert code == 1
    assert out == (
        "bad.py:2:26: BLY101 [*] `torch.float16` selects FP16; the policy requires BF16: use `torch.bfloat16`\n"
    )
    assert "Found 1 finding in 1 of 3 files" in err
    assert run(["check", ".", "--exit-zero"], capsys)[0] == 0
    write(project, "broken.py", "def f(:\n")
    code, out, _ = run(["check", ".", "--exit-zero"], capsys)
    assert code == 2, "an unparsable file fails the gate even with --exit-zero"
    assert "broken.py:1:7: BLY000 cannot parse" in out
    assert "bad.py:2:26: BLY101" in out, "other files are still checked"


def test_no_files_is_not_an_error(project, capsys):
    (project / "docs").mkdir()
    code, out, err = run(["check", "docs"], capsys)
    assert (code, out) == (0, "")
    assert "No files to check" in err


def test_missing_path_is_reported_not_raised(project, capsys):
    code, out, _ = run(["check", "nope.py"], capsys)
    assert code == 2
    assert out.startswith("nope.py:1:1: BLY000 cannot read: No such file or directory")


def test_select_ignore_and_prefixes(project, capsys):
    write(project, "m.py", "import torch\nm = model.half()\nx = torch.zeros(1, dtype=torch.float64)\n")
    code, out, _ = run(["check", "m.py", "--select", "BLY102"], capsys)
    assert [line.split()[1] for line in out.splitlines()] == ["BLY102"]
    code, out, _ = run(["check", "m.py", "--select", "BLY1", "--ignore", "BLY101"], capsys)
    assert [line.split()[1] for line in out.splitlines()] == ["BLY102"]
    code, out, _ = run(["check", "m.py", "--select", "all"], capsys)
    assert [line.split()[1] for line in out.splitlines()] == ["BLY102", "BLY101"]
    code, _, err = run(["check", "m.py", "--select", "BLY9"], capsys)
    assert code == 2 and "unknown rule selector `BLY9`" in err


def test_stdin_with_filename(project, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(FP16.encode())))
    code, out, _ = run(["check", "-", "--stdin-filename", "pkg/loader.py"], capsys)
    assert code == 1
    assert out.startswith("pkg/loader.py:2:26: BLY101")


def test_stdin_teacher_path_applies(project, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(FP16.encode())))
    code, out, _ = run(["check", "-", "--stdin-filename", "teacher/score.py"], capsys)
    assert (code, out) == (0, "")


def test_output_file_and_statistics(project, capsys):
    write(project, "a.py", FP16 + "y = torch.ones(1, dtype=torch.half)\nm = model.half()\n")
    code, out, _ = run(["check", "a.py", "-o", "report.txt"], capsys)
    assert code == 1 and out == ""
    assert len((project / "report.txt").read_text().splitlines()) == 3
    code, out, _ = run(["check", "a.py", "--statistics"], capsys)
    assert out.splitlines() == ["    2  BLY101  non-bf16-dtype", "    1  BLY102  non-bf16-cast"]


def test_json_output_schema(project, capsys):
    write(project, "teacher_tools/x.py", "import torch\nd = 'cuda' if torch.cuda.is_available() else 'cpu'\n")
    write(project, "a.py", FP16)
    code, out, _ = run(["check", ".", "--output-format", "json"], capsys)
    doc = json.loads(out)
    assert doc["schema"] == 2
    first = doc["findings"][0]
    assert first["code"] == "BLY101" and first["name"] == "non-bf16-dtype"
    assert first["location"] == {"row": 2, "column": 26}
    assert first["end_location"] == {"row": 2, "column": 39}
    assert first["scope"] == "student"
    assert first["fix"]["applicability"] == "safe"
    assert first["fix"]["edits"][0]["content"] == "bfloat16"


def test_sarif_output(project, capsys):
    write(project, "a.py", FP16)
    code, out, _ = run(["check", "a.py", "--output-format", "sarif"], capsys)
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    run_ = doc["runs"][0]
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["BLY101"]
    result = run_["results"][0]
    assert result["ruleId"] == "BLY101"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert result["properties"]["scope"] == "student"
    assert result["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "bfloat16"


def test_github_output(project, capsys):
    write(project, "a.py", FP16)
    code, out, _ = run(["check", "a.py", "--output-format", "github"], capsys)
    assert out.startswith("::error file=a.py,line=2,col=26,endLine=2,endColumn=39,title=BLY101 non-bf16-dtype::")


def test_full_output_shows_scope_and_source(project, capsys):
    write(project, "a.py", FP16)
    code, out, _ = run(["check", "a.py", "--output-format", "full"], capsys)
    assert "scope: student: no teacher pragma" in out
    assert "2 | x = torch.zeros(2, dtype=torch.float16)" in out
    assert "^^^^^^^^^^^^^" in out


def test_output_is_sorted_and_deterministic(project, capsys):
    for name in ("z.py", "a.py", "m/b.py"):
        write(project, name, "import torch\nm = model.half()\n" + FP16.split("\n", 1)[1])
    first = run(["check", "."], capsys)[1]
    keys = [(line.split(":")[0], int(line.split(":")[1]), int(line.split(":")[2])) for line in first.splitlines()]
    assert keys == sorted(keys)
    assert run(["check", "z.py", "m", "a.py"], capsys)[1] == first


def test_unknown_config_key_is_an_error(project, capsys):
    (project / "pyproject.toml").write_text("[tool.blyan-lint]\nselct = ['BLY1']\n", encoding="utf-8")
    write(project, "a.py", FP16)
    code, _, err = run(["check", "a.py"], capsys)
    assert code == 2
    assert "unknown key `selct`" in err


def test_bad_config_values_are_errors(project, capsys):
    write(project, "a.py", FP16)
    for body, needle in (
        ("select = 3", "`select` must be a list of strings"),
        ("teacher-name-regex = '('", "not a valid regular expression"),
        ("ignore = ['XYZ']", "unknown rule selector `XYZ`"),
        ("select = [", "invalid TOML"),
    ):
        (project / "pyproject.toml").write_text(f"[tool.blyan-lint]\n{body}\n", encoding="utf-8")
        clear_caches()
        code, _, err = run(["check", "a.py"], capsys)
        assert code == 2 and needle in err, (body, err)


def test_config_select_per_file_ignores_and_nearest_config(project, capsys):
    (project / "pyproject.toml").write_text(
        "[tool.blyan-lint]\nignore = ['BLY102']\n[tool.blyan-lint.per-file-ignores]\n'legacy/*.py' = ['BLY1']\n",
        encoding="utf-8",
    )
    write(project, "a.py", FP16 + "m = model.half()\n")
    write(project, "legacy/old.py", FP16)
    write(project, "sub/pyproject.toml", "[tool.blyan-lint]\nselect = ['BLY102']\n")
    write(project, "sub/b.py", FP16 + "m = model.half()\n")
    code, out, _ = run(["check", "."], capsys)
    lines = out.splitlines()
    assert [(line.split(":")[0], line.split()[1]) for line in lines] == [("a.py", "BLY101"), ("sub/b.py", "BLY102")]


def test_exclude_and_gitignore(project, capsys):
    (project / "pyproject.toml").write_text("[tool.blyan-lint]\nextend-exclude = ['generated']\n", encoding="utf-8")
    (project / ".gitignore").write_text("scratch/\n*.tmp.py\n!keep.tmp.py\n", encoding="utf-8")
    for rel in ("src/a.py", "generated/b.py", "scratch/c.py", "src/d.tmp.py", "src/keep.tmp.py", ".venv/e.py"):
        write(project, rel, FP16)
    code, out, _ = run(["check", "."], capsys)
    assert sorted({line.split(":")[0] for line in out.splitlines()}) == ["src/a.py", "src/keep.tmp.py"]
    # explicit files are checked even when excluded, unless --force-exclude
    assert run(["check", "generated/b.py"], capsys)[0] == 1
    assert run(["check", "generated/b.py", "--force-exclude"], capsys)[0] == 0


def test_noqa_codes_and_blanket(project, capsys):
    write(
        project,
        "a.py",
        """\
        import torch
        a = torch.zeros(1, dtype=torch.float16)  # noqa: BLY101
        b = torch.zeros(1, dtype=torch.float16)  # noqa: BLY1
        c = torch.zeros(1, dtype=torch.float16)  # noqa: E501
        d = torch.zeros(1, dtype=torch.float16)  # noqa
        e = torch.zeros(
            1,
            dtype=torch.float16,
        )  # noqa: BLY101
        """,
    )
    code, out, _ = run(["check", "a.py"], capsys)
    # Like flake8, a noqa covers its physical line (or a multi-line string token), not the
    # bracketed lines above it; a blanket noqa does not silence BLY codes in the CLI.
    assert [int(line.split(":")[1]) for line in out.splitlines()] == [4, 5, 8]


def test_scope_command(project, capsys):
    write(project, "teacher_nodes/v.py", "x = 1\n")
    write(project, "s.py", "class TeacherValidator:\n    def run(self):\n        return 1\n\n\ny = 2\n")
    code, out, _ = run(["scope", "teacher_nodes/v.py"], capsys)
    assert code == 0 and "teacher_nodes/v.py: teacher" in out and "path matches **/*teacher*/**" in out
    code, out, _ = run(["scope", "s.py:3"], capsys)
    assert "s.py:3: teacher" in out and "inside class TeacherValidator" in out
    code, out, _ = run(["scope", "s.py:6"], capsys)
    assert "s.py:6: student" in out
    assert run(["scope", "missing.py"], capsys)[0] == 2


def test_teacher_paths_override(project, capsys):
    write(project, "validators/v.py", FP16)
    assert run(["check", "validators/v.py"], capsys)[0] == 1
    assert run(["check", "validators/v.py", "--teacher-paths", "validators/**"], capsys)[0] == 0


def test_module_entry_point_runs(project):
    write(project, "a.py", FP16)
    proc = subprocess.run([sys.executable, "-m", "blyan_lint", "check", "a.py"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "BLY101" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_unwritable_output_file_is_an_error(project, capsys):
    write(project, "a.py", FP16)
    code, _, err = run(["check", "a.py", "-o", "missing-dir/report.txt"], capsys)
    assert code == 2
    assert "No such file or directory" in err
