"""BLY501 (YAML/JSON/TOML configs) and BLY502 (safetensors headers): behaviour, limits, CLI."""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blyan_lint.api import Overrides, check_paths
from blyan_lint.cli import main
from blyan_lint.config import Settings, clear_caches
from blyan_lint.data.config_keys import CONFIG_KEYS
from blyan_lint.file_checks import check_input
from blyan_lint.kinds import CONFIG, WEIGHTS
from blyan_lint.readers import safetensors as weights
from blyan_lint.registry import all_rules

from .helpers import ROOT, RULE_FIXTURES

SETTINGS = Settings(root=os.getcwd())
ALL_CODES = frozenset(all_rules())


def check_config(name: str, data: bytes, settings: Settings):
    """BLY501 (or BLY000) for one config file's bytes, through the file-kind pipeline."""
    return check_input(name, CONFIG, data, settings, ALL_CODES)


def lint(name: str, text: str | bytes, settings: Settings = SETTINGS) -> list[tuple[int, int, str]]:
    data = text if isinstance(text, bytes) else textwrap.dedent(text).encode("utf-8")
    return [(f.start.line, f.start.col, f.code) for f in check_config(name, data, settings)]


def messages(name: str, text: str) -> list[str]:
    return [f.message for f in check_config(name, textwrap.dedent(text).encode("utf-8"), SETTINGS)]


# -- the table ------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", CONFIG_KEYS, ids=lambda e: f"{e.parent + '.' if e.parent else ''}{e.key}")
def test_every_table_entry_flags_its_example_and_passes_its_clean_twin(entry):
    last_line = len(entry.example.rstrip("\n").split("\n"))
    found = lint("configs/example.yaml", entry.example)
    assert [(line, code) for line, _, code in found] == [(last_line, "BLY501")]
    assert lint("configs/clean.yaml", entry.clean) == []


def test_table_entries_judge_the_same_key_in_every_format():
    yaml_text = "trainer:\n  precision: 16-mixed\nfp16:\n  enabled: true\n"
    json_text = '{"trainer": {"precision": "16-mixed"}, "fp16": {"enabled": true}}'
    toml_text = '[trainer]\nprecision = "16-mixed"\n[fp16]\nenabled = true\n'
    yaml_msgs = messages("c.yaml", yaml_text)
    assert len(yaml_msgs) == 2
    assert messages("c.json", json_text) == yaml_msgs
    assert messages("c.toml", toml_text) == yaml_msgs


def test_values_in_other_spellings():
    assert lint("a.yaml", "fp16: 'true'\n") == [(1, 1, "BLY501")]
    assert lint("a.yaml", "fp16: on\n") == [(1, 1, "BLY501")]
    assert lint("a.yaml", "fp16: 1\n") == [(1, 1, "BLY501")]
    assert lint("a.yaml", "fp16: off\nload_in_8bit: null\n") == []
    assert lint("a.yaml", "mixed_precision: FP16\n") == [(1, 1, "BLY501")]
    assert lint("a.yaml", "torch_dtype: torch.half\n") == [(1, 1, "BLY501")]
    assert lint("a.yaml", "torch_dtype: torch.bfloat16\ndtype: bf16\nprecision: bfloat16\n") == []
    assert lint("a.toml", "mixed-precision = 'fp8'\n") == [(1, 1, "BLY501")]
    assert lint("a.yaml", "torch_dtype: ${oc.env:DTYPE}\nprecision: 0.93\n") == []


def test_deepspeed_auto_is_not_flagged():
    text = '{"fp16": {"enabled": "auto"}, "bf16": {"enabled": "auto"}, "amp": {"enabled": false}}'
    assert lint("ds_config.json", text) == []


def test_enabled_only_counts_under_its_section():
    assert lint("a.yaml", "bf16:\n  enabled: true\nlogging:\n  enabled: true\n") == []
    assert lint("a.yaml", "fp16: [{enabled: true}]\n") == []


def test_dataset_feature_schemas_are_not_model_dtypes():
    text = '{"features": {"score": {"dtype": "float32", "_type": "Value"}}, "model": {"dtype": "float32"}}'
    assert lint("dataset_info.json", text) == [(1, 75, "BLY501")]


def test_unknown_structures_pass():
    assert lint("ci.yaml", "on:\n  push: {branches: [main]}\njobs: {test: {runs-on: ubuntu-latest}}\n") == []
    assert lint("package.json", '{"name": "x", "scripts": {"fp16": "run --fp16"}, "version": "1.0"}') == []
    assert lint("Cargo.toml", '[package]\nname = "x"\n[features]\nfp16 = []\n') == []
    assert lint("list.json", '[1, "float16", {"x": [true, null]}]') == []
    assert lint("scalar.json", '"fp16"') == []


# -- positions ------------------------------------------------------------------------------


def test_yaml_positions_are_the_keys():
    text = "名前: x\nmodel: {name: m, torch_dtype: float16}\nlist:\n  - fp16: true\n"
    assert lint("a.yaml", text) == [(2, 18, "BLY501"), (4, 5, "BLY501")]
    (finding,) = check_config("b.yaml", b"x:\n    torch_dtype: fp32\n", SETTINGS)
    assert (finding.start.line, finding.start.col, finding.end.line, finding.end.col) == (2, 5, 2, 16)


def test_yaml_multi_document_streams():
    text = "a: 1\n---\nfp16: true\n---\n---\ntrainer: {precision: 64}\n...\n"
    assert lint("docs.yaml", text) == [(3, 1, "BLY501"), (6, 11, "BLY501")]


def test_yaml_aliases_and_merges_report_the_written_key_once():
    text = "base: &b\n  fp16: true\nx:\n  <<: *b\ny:\n  <<: [*b]\nz: *b\n"
    assert lint("a.yaml", text) == [(2, 3, "BLY501")]
    # an alias that refers to its own anchor, and a merge of it, do not loop
    assert lint("b.yaml", "a: &x [*x, {fp16: true}]\nb: &y {<<: *y, k: 1}\n") == [(1, 13, "BLY501")]


def test_yaml_exponential_aliases_are_linear():
    lines = ["a0: &a0 {torch_dtype: float16}"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    start = time.perf_counter()
    assert lint("bomb.yaml", "\n".join(lines) + "\n") == [(1, 10, "BLY501")]
    assert time.perf_counter() - start < 2


def test_json_positions_are_exact():
    text = '{"a": "x\\"}", "b": [1, {"c": {"torch_dtype": "float16"}}],\r\n "fp16": {"enabled": true}}'
    assert lint("a.json", text) == [(1, 31, "BLY501"), (2, 11, "BLY501")]
    assert lint("bom.json", b'\xef\xbb\xbf{\n  "fp16": true}') == [(2, 3, "BLY501")]
    assert lint("utf16.json", '{\n "fp16": true}'.encode("utf-16")) == [(2, 2, "BLY501")]
    assert lint("esc.json", '{"\\u0066p16": true}') == [(1, 2, "BLY501")]


def test_json_duplicate_keys_follow_json_loads():
    assert lint("a.json", '{"fp16": true, "fp16": false}') == []
    assert lint("a.json", '{"fp16": false,\n "fp16": true}') == [(2, 2, "BLY501")]


def test_toml_positions_are_exact():
    text = textwrap.dedent(
        """\
        s = '''
        fp16 = true
        '''
        t = \"\"\"a \\\"\"\" fp16 = true
        load_in_4bit = true\"\"\"
        "quoted key" = { fp16 = true }
        [ deepspeed . "fp16" ]
        enabled = true   # comment
        [[stage]]
        x = [1, 2,
             3]
        [[stage]]
        cfg = [{ precision = 16 }, { precision = "bf16-true" }]
        [stage.model]
        date = 1979-05-27 07:32:00Z
        torch_dtype = 'float32'
        """
    )
    assert lint("a.toml", text) == [(6, 18, "BLY501"), (8, 1, "BLY501"), (13, 10, "BLY501"), (16, 1, "BLY501")]
    messages_ = [f.message for f in check_config("a.toml", text.encode(), SETTINGS)]
    assert messages_[2].startswith("`stage[1].cfg[0].precision: 16`")
    assert messages_[3].startswith('`stage[1].model.torch_dtype: "float32"`')
    assert lint("crlf.toml", b"[a]\r\nx = 1\r\nfp16 = true\r\n") == [(3, 1, "BLY501")]


def test_pyproject_judges_tool_tables_but_not_our_own():
    text = """\
    fp16 = true
    [project]
    name = "x"
    fp16 = true
    [tool.blyan-lint]
    fp16 = true
    [tool.trainer]
    fp16 = true
    """
    assert lint("pkg/pyproject.toml", text) == [(8, 1, "BLY501")]
    assert lint("pkg/train.toml", text) == [(1, 1, "BLY501"), (4, 1, "BLY501"), (6, 1, "BLY501"), (8, 1, "BLY501")]
    assert lint("pkg/blyan-lint.toml", "fp16 = true\n") == []


# -- scope and suppression ------------------------------------------------------------------


def test_teacher_paths_allow_int8_but_never_4bit():
    text = "load_in_8bit: true\nquantization_config:\n  load_in_4bit: true\n"
    assert lint("configs/student.yaml", text) == [(1, 1, "BLY501"), (3, 3, "BLY501")]
    findings = check_config("configs/teacher_v17/load.yaml", text.encode(), SETTINGS)
    assert [(f.start.line, f.scope.role) for f in findings] == [(3, "teacher")]
    assert "path matches" in findings[0].scope.reason
    custom = Settings(root=os.getcwd(), teacher_paths=("validators/**",))
    assert lint("validators/v.yaml", text, custom) == [(3, 3, "BLY501")]
    assert lint("configs/teacher_v17/load.yaml", text, custom) == [(1, 1, "BLY501"), (3, 3, "BLY501")]


def test_teacher_pragma_in_yaml_and_toml():
    assert lint("v.yaml", "# blyan-lint: teacher\nload_in_8bit: true\n") == []
    assert lint("v.toml", "# blyan-lint: teacher\nload_in_8bit = true\nload_in_4bit = true\n") == [(3, 1, "BLY501")]


def test_noqa_in_yaml_and_toml_but_not_json():
    yaml_text = (
        "fp16: true  # noqa: BLY501\nbf: {torch_dtype: fp16}  # noqa: BLY5\namp: true  # noqa\nx: 1 # noqa: E501\n"
    )
    assert lint("a.yaml", yaml_text) == [(3, 1, "BLY501")]
    assert lint("a.toml", "fp16 = true # noqa: BLY501\namp = true\n") == [(2, 1, "BLY501")]
    assert lint("a.json", '{"fp16": true, "note": "# noqa: BLY501"}') == [(1, 2, "BLY501")]


# -- unreadable configs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "where", "needle"),
    [
        ("a.yaml", b"a: [1,\nb: 2\n", (3, 1), "cannot parse YAML"),
        ("a.yaml", b"a: 1\n  b: 2\n", (2, 4), "cannot parse YAML: mapping values are not allowed"),
        ("a.yaml", b"a: *missing\n", (1, 4), "cannot parse YAML"),
        ("a.yaml", b"a: \x01\n", (1, 4), "cannot parse YAML"),
        ("a.yaml", b"a: \xff\n", (1, 1), "cannot decode YAML: invalid start byte at byte 3"),
        ("a.json", b'{"a": 1,}', (1, 9), "cannot parse JSON: Expecting property name"),
        ("a.json", b"", (1, 1), "cannot parse JSON: Expecting value"),
        ("a.json", b"// comment\n{}", (1, 1), "cannot parse JSON"),
        ("a.json", b'{"a": "\xff"}', (1, 1), "cannot decode JSON"),
        ("a.toml", b"[a]\nx = \n", (2, 5), "cannot parse TOML: Invalid value (line 2)"),
        ("a.toml", b"a = 1\na = 2\n", (2, 6), "cannot parse TOML"),
        ("a.toml", b"\xef\xbb\xbfa = 1\n", (1, 1), "cannot parse TOML"),
    ],
)
def test_unparsable_configs_are_bly000_with_the_reason(name, data, where, needle):
    (finding,) = check_config(name, data, SETTINGS)
    assert finding.code == "BLY000"
    assert needle in finding.message
    assert (finding.start.line, finding.start.col) == where


def test_empty_yaml_and_toml_are_clean():
    assert lint("a.yaml", b"") == lint("a.toml", b"") == lint("b.yaml", b"# only a comment\n---\n") == []


def test_deep_nesting_is_reported_not_raised():
    for name, data in (
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
        ("deep.yaml", b"[" * 100_000 + b"]" * 100_000),
        ("deep.toml", b"a = " + b"[" * 100_000 + b"]" * 100_000),
    ):
        assert [code for _, _, code in lint(name, data)] == ["BLY000"], name
    # nesting the parsers accept is walked without recursion
    nested = '{"a": ' * 800 + '{"fp16": true}' + "}" * 800
    assert lint("ok.json", nested) == [(1, 4802, "BLY501")]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=200), st.sampled_from(["f.yaml", "f.json", "f.toml", "pyproject.toml"]))
def test_arbitrary_bytes_never_crash(data, name):
    for finding in check_config(name, data, SETTINGS):
        assert finding.code in ("BLY000", "BLY501")
        assert finding.start.line >= 1 and finding.start.col >= 1


KEYISH = st.sampled_from(["fp16", "enabled", "amp", "torch_dtype", "precision", "x", "<<", "a b", "é"])
VALUEISH = st.sampled_from(["true", "1", "fp16", "16-mixed", "'q'", "[1, 2]", "{a: 1}", "&x 1", "*x", "''"])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(0, 3), KEYISH, VALUEISH), max_size=12))
def test_generated_yaml_toml_and_json_never_crash(rows):
    yaml_text = "".join(f"{'  ' * depth}{key}: {value}\n" for depth, key, value in rows)
    toml_text = "".join(f"[{key}]\n" if depth == 0 else f'"{key}" = {value}\n' for depth, key, value in rows)
    json_text = json.dumps({key: {str(depth): value} for depth, key, value in rows})
    for name, text in (("g.yaml", yaml_text), ("g.toml", toml_text), ("g.json", json_text)):
        for finding in check_config(name, text.encode(), SETTINGS):
            assert finding.code in ("BLY000", "BLY501")


# -- safetensors ----------------------------------------------------------------------------


def st_header(tensors: dict[str, tuple[str, list[int], list[int]]], metadata=None) -> bytes:
    header: dict[str, object] = {"__metadata__": metadata} if metadata is not None else {}
    for name, (dtype, shape, offsets) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": offsets}
    return json.dumps(header).encode()


def write_st(path, header: bytes, data: bytes = b"", length: int | None = None):
    path.write_bytes(struct.pack("<Q", len(header) if length is None else length) + header + data)
    return path


def check_st(path, root=None) -> list[tuple[str, str]]:
    settings = Settings(root=str(root or path.parent))
    return [(f.code, f.message) for f in check_input(str(path), WEIGHTS, None, settings, ALL_CODES)]


class CountingFile:
    """Wraps a binary file and counts the bytes read from it."""

    def __init__(self, fh, counter):
        self.fh, self.counter = fh, counter

    def read(self, n=-1):
        data = self.fh.read(n)
        self.counter["bytes"] += len(data)
        self.counter["calls"] += 1
        return data

    def fileno(self):
        return self.fh.fileno()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


@pytest.fixture
def counted_reads(monkeypatch):
    counter = {"bytes": 0, "calls": 0, "opens": 0}

    def counting_open(path, mode="r", *args, **kwargs):
        assert mode == "rb"
        counter["opens"] += 1
        return CountingFile(open(path, mode, *args, **kwargs), counter)

    monkeypatch.setattr(weights, "open", counting_open, raising=False)
    return counter


def test_sparse_2gb_file_is_checked_from_its_header_alone(tmp_path, counted_reads):
    data_bytes = 2 * 1024**3
    header = st_header({"model.embed_tokens.weight": ("F32", [data_bytes // 4], [0, data_bytes])})
    path = write_st(tmp_path / "big.safetensors", header)
    os.truncate(path, 8 + len(header) + data_bytes)
    assert os.path.getsize(path) > 2 * 10**9
    start = time.perf_counter()
    found = check_st(path)
    elapsed = time.perf_counter() - start
    assert found == [
        (
            "BLY502",
            "1 of 1 floating tensors are not BF16: F32 x1 (e.g. model.embed_tokens.weight); "
            "the policy stores weights in BF16: convert them before saving",
        )
    ]
    assert elapsed < 1.0, elapsed
    assert counted_reads == {"bytes": 8 + len(header), "calls": 2, "opens": 1}


def test_fingerprint_is_the_header_and_size_read_within_bounds(tmp_path, counted_reads):
    header = st_header({"w": ("F16", [2], [0, 4])})
    path = write_st(tmp_path / "w.safetensors", header, b"\0" * 4)
    first = weights.fingerprint(str(path))
    assert counted_reads["bytes"] == 8 + len(header)
    path.write_bytes(path.read_bytes()[:-4] + b"\1" * 4)  # other tensor bytes: same verdict, same fingerprint
    assert weights.fingerprint(str(path)) == first
    write_st(path, header.replace(b"F16", b"F32"), b"\0" * 8)
    assert weights.fingerprint(str(path)) != first
    assert weights.fingerprint(str(tmp_path / "missing.safetensors")).startswith(b"unreadable")


def test_header_length_larger_than_the_file(tmp_path, counted_reads):
    header = st_header({"w": ("BF16", [2], [0, 4])})
    path = write_st(tmp_path / "liar.safetensors", header, b"\0" * 4, length=10**15)
    ((code, message),) = check_st(path)
    assert code == "BLY000"
    assert message == (
        f"corrupt safetensors header: the header length field says {10**15} bytes, "
        f"but only {len(header) + 4} bytes follow it"
    )
    assert counted_reads["bytes"] == 8


def test_header_length_over_the_format_limit_is_not_read(tmp_path, counted_reads):
    path = write_st(tmp_path / "huge.safetensors", b"{", length=150_000_000)
    os.truncate(path, 200_000_000)
    ((code, message),) = check_st(path)
    assert code == "BLY000" and "more than the 100000000-byte limit" in message
    assert counted_reads["bytes"] == 8


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"", "truncated safetensors file: 0 bytes"),
        (b"\x10\x00\x00", "truncated safetensors file: 3 bytes"),
        (struct.pack("<Q", 0), "does not start with `{`"),
        (struct.pack("<Q", 6) + b"[1, 2]", "does not start with `{`"),
        (struct.pack("<Q", 7) + b'{"a": 1', "invalid JSON: Expecting"),
        (struct.pack("<Q", 4) + b"{\xff}x", "not UTF-8"),
        (struct.pack("<Q", 2) + b"{}", None),
    ],
)
def test_broken_headers_are_bly000_with_the_reason(tmp_path, raw, needle):
    path = tmp_path / "w.safetensors"
    path.write_bytes(raw)
    found = check_st(path)
    if needle is None:
        assert found == []
    else:
        ((code, message),) = found
        assert code == "BLY000" and needle in message, message


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ({"__metadata__": {"format": 1}}, "`__metadata__` must map strings to strings"),
        ({"w": [1]}, "tensor `w` is not an object"),
        ({"w": {"shape": [1], "data_offsets": [0, 2]}}, "tensor `w` has no dtype"),
        ({"w": {"dtype": "Q3", "shape": [1], "data_offsets": [0, 2]}}, "unknown dtype `Q3`"),
        ({"w": {"dtype": "F16", "shape": [-1], "data_offsets": [0, 2]}}, "no valid shape"),
        ({"w": {"dtype": "F16", "shape": [True], "data_offsets": [0, 2]}}, "no valid shape"),
        ({"w": {"dtype": "F16", "shape": [1], "data_offsets": [2]}}, "no valid data_offsets"),
        ({"w": {"dtype": "F16", "shape": [1], "data_offsets": [2, 0]}}, "end before they begin"),
        ({"w": {"dtype": "F16", "shape": [1], "data_offsets": [0, 16]}}, "truncated safetensors file: tensor `w`"),
        ({"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 4]}}, "F16 with shape [3] needs 6"),
        ({"w\n\x00": [1]}, "tensor `w\\n\\x00` is not an object"),
    ],
)
def test_malformed_entries_are_bly000(tmp_path, entry, needle):
    path = write_st(tmp_path / "w.safetensors", json.dumps(entry).encode(), b"\0" * 8)
    ((code, message),) = check_st(path)
    assert code == "BLY000" and needle in message, message


def test_counts_and_examples_per_dtype(tmp_path):
    tensors = {}
    offset = 0
    for name, dtype in [
        ("layers.2.w", "F16"),
        ("layers.0.w", "F16"),
        ("layers.1.w", "F16"),
        ("norm", "F32"),
        ("emb", "BF16"),
        ("scale", "F8_E5M2"),
        ("ids", "I64"),
        ("mask", "BOOL"),
        ("packed", "U8"),
    ]:
        size = {"F16": 2, "BF16": 2, "F32": 4, "F8_E5M2": 1, "I64": 8, "BOOL": 1, "U8": 1}[dtype]
        tensors[name] = (dtype, [2], [offset, offset + 2 * size])
        offset += 2 * size
    path = write_st(tmp_path / "m.safetensors", st_header(tensors, {"format": "pt"}), b"\0" * offset)
    assert check_st(path) == [
        (
            "BLY502",
            "5 of 6 floating tensors are not BF16: F16 x3 (e.g. layers.0.w, layers.1.w, ...), F32 x1 (e.g. norm), "
            "F8_E5M2 x1 (e.g. scale); the policy stores weights in BF16: convert them before saving",
        )
    ]


def test_integer_and_bf16_tensors_are_not_flagged(tmp_path):
    tensors = {"ids": ("I64", [4], [0, 32]), "w": ("BF16", [4], [32, 40]), "q": ("I8", [8], [40, 48])}
    path = write_st(tmp_path / "ok.safetensors", st_header(tensors), b"\0" * 48)
    assert check_st(path) == []
    packed = {"w": ("F4", [4], [0, 2]), "s": ("F6_E3M2", [4], [2, 5])}
    path = write_st(tmp_path / "fp4.safetensors", st_header(packed), b"\0" * 5)
    assert [code for code, _ in check_st(path)] == ["BLY502"]


def test_teacher_checkpoints_are_not_read(tmp_path, counted_reads):
    (tmp_path / "teacher_v17").mkdir()
    path = write_st(tmp_path / "teacher_v17" / "w.safetensors", st_header({"w": ("F16", [2], [0, 4])}), b"\0" * 4)
    assert check_st(path, root=tmp_path) == []
    assert counted_reads["opens"] == 0
    assert [code for code, _ in check_st(path)] == ["BLY502"], "the same file outside a teacher path"


def test_unreadable_weight_paths(tmp_path):
    (tmp_path / "dir.safetensors").mkdir()
    assert check_st(tmp_path / "dir.safetensors") == [("BLY000", "cannot read: not a regular file")]
    assert check_st(tmp_path / "missing.safetensors") == [("BLY000", "cannot read: No such file or directory")]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.safetensors")
        assert check_st(tmp_path / "pipe.safetensors") == [("BLY000", "cannot read: not a regular file")]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_safetensors_fixtures", ROOT / "scripts" / "make_safetensors_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_fixtures(tmp_path):
    generator = _generator()
    built = generator.build()
    directory = RULE_FIXTURES / "BLY502"
    committed = {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*.safetensors")}
    assert sorted(built) == sorted(committed)
    for rel, data in built.items():
        assert data == committed[rel], f"{rel} differs: run scripts/make_safetensors_fixtures.py"
    assert generator.main(["make", str(tmp_path)]) == 0
    for rel, data in committed.items():
        assert (tmp_path / rel).read_bytes() == data


# -- through the API and the CLI ------------------------------------------------------------

BAD_YAML = "mixed_precision: fp16\n"
BAD_JSON = '{\n  "fp16": {"enabled": true}\n}\n'
BAD_TOML = '[model]\ntorch_dtype = "float32"\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clear_caches()
    (tmp_path / "pyproject.toml").write_text("[tool.blyan-lint]\nextend-exclude = ['vendor']\n", encoding="utf-8")
    for rel, text in (
        ("conf/accelerate.yaml", BAD_YAML),
        ("conf/ds.json", BAD_JSON),
        ("conf/train.toml", BAD_TOML),
        ("conf/ok.yml", "mixed_precision: 'no'\n"),
        ("vendor/other.yaml", BAD_YAML),
        ("notes.txt", BAD_YAML),
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / "weights").mkdir()
    write_st(tmp_path / "weights" / "model.safetensors", st_header({"w": ("F16", [2], [0, 4])}), b"\0" * 4)
    write_st(tmp_path / "weights" / "ok.safetensors", st_header({"w": ("BF16", [2], [0, 4])}), b"\0" * 4)
    return tmp_path


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def where(out: str) -> list[tuple[str, str, str]]:
    return [(line.split(":")[0], line.split(":")[1], line.split()[1]) for line in out.splitlines()]


def test_directory_walks_pick_up_configs_and_weights_by_extension(project):
    files, findings = check_paths(["."], Overrides())
    assert sorted(files) == sorted(
        [
            "conf/accelerate.yaml",
            "conf/ds.json",
            "conf/ok.yml",
            "conf/train.toml",
            "pyproject.toml",
            "weights/model.safetensors",
            "weights/ok.safetensors",
        ]
    )
    assert [(f.path, f.start.line, f.code) for f in findings] == [
        ("conf/accelerate.yaml", 1, "BLY501"),
        ("conf/ds.json", 2, "BLY501"),
        ("conf/train.toml", 2, "BLY501"),
        ("weights/model.safetensors", 1, "BLY502"),
    ]


def test_cli_exit_codes_and_explicit_arguments(project, capsys):
    code, out, err = run(["check", "."], capsys)
    assert code == 1
    assert where(out) == [
        ("conf/accelerate.yaml", "1", "BLY501"),
        ("conf/ds.json", "2", "BLY501"),
        ("conf/train.toml", "2", "BLY501"),
        ("weights/model.safetensors", "1", "BLY502"),
    ]
    assert "Found 4 findings in 4 of 7 files" in err
    assert run(["check", "conf/ok.yml", "weights/ok.safetensors"], capsys)[0] == 0
    assert run(["check", "."] + ["--exit-zero"], capsys)[0] == 0
    # excluded directories are skipped in walks; explicit files are checked unless --force-exclude
    assert where(run(["check", "vendor/other.yaml"], capsys)[1]) == [("vendor/other.yaml", "1", "BLY501")]
    assert run(["check", "vendor/other.yaml", "--force-exclude"], capsys)[:2] == (0, "")
    # an unreadable config or weight file fails the gate, even with --exit-zero
    (project / "conf" / "broken.yaml").write_text("a: [\n", encoding="utf-8")
    write_st(project / "weights" / "cut.safetensors", b"{}", length=999)
    code, out, _ = run(["check", ".", "--exit-zero"], capsys)
    assert code == 2
    assert ("conf/broken.yaml", "2", "BLY000") in where(out)
    assert ("weights/cut.safetensors", "1", "BLY000") in where(out)


def test_cli_select_and_ignore(project, capsys):
    code, out, _ = run(["check", ".", "--select", "BLY502"], capsys)
    assert (code, where(out)) == (1, [("weights/model.safetensors", "1", "BLY502")])
    code, out, _ = run(["check", ".", "--ignore", "BLY5"], capsys)
    assert (code, out) == (0, "")
    code, out, _ = run(["check", ".", "--select", "BLY1", "--extend-select", "BLY501"], capsys)
    assert [c for _, _, c in where(out)] == ["BLY501", "BLY501", "BLY501"]
    (project / "conf" / "broken.json").write_text("{", encoding="utf-8")
    code, out, _ = run(["check", ".", "--select", "BLY502"], capsys)
    assert (code, where(out)) == (1, [("weights/model.safetensors", "1", "BLY502")]), "no rule reads configs"
    code, out, _ = run(["check", ".", "--select", "BLY501"], capsys)
    assert code == 2 and ("conf/broken.json", "1", "BLY000") in where(out)


def test_per_file_ignores_for_json_and_weights(project, capsys):
    (project / "pyproject.toml").write_text(
        "[tool.blyan-lint]\n[tool.blyan-lint.per-file-ignores]\n"
        "'conf/*.json' = ['BLY501']\n'weights/*.safetensors' = ['BLY502']\n'*.toml' = ['BLY5']\n",
        encoding="utf-8",
    )
    clear_caches()
    code, out, _ = run(["check", "conf", "weights"], capsys)
    assert (code, where(out)) == (1, [("conf/accelerate.yaml", "1", "BLY501")])


def test_teacher_paths_option_reaches_config_files(project, capsys):
    (project / "conf" / "load.yaml").write_text("load_in_8bit: true\n", encoding="utf-8")
    assert run(["check", "conf/load.yaml"], capsys)[0] == 1
    assert run(["check", "conf/load.yaml", "--teacher-paths", "conf/**"], capsys)[0] == 0


def test_output_formats_carry_config_findings(project, capsys):
    code, out, _ = run(["check", "conf/ds.json", "--output-format", "json"], capsys)
    (finding,) = json.loads(out)["findings"]
    assert finding["code"] == "BLY501" and finding["name"] == "config-non-bf16"
    assert finding["location"] == {"row": 2, "column": 12}
    code, out, _ = run(["check", "weights", "--output-format", "github"], capsys)
    assert out.startswith("::error file=weights/model.safetensors,line=1,col=1,")
    assert run(["check", ".", "--statistics"], capsys)[1].splitlines() == [
        "    3  BLY501  config-non-bf16",
        "    1  BLY502  weights-not-bf16",
    ]


class BoundedReads:
    """`open` for .safetensors paths that refuses to read more than 64 MB at once."""

    def __init__(self, real_open):
        self.real_open, self.counter = real_open, {"bytes": 0, "calls": 0}

    def __call__(self, file, mode="r", *args, **kwargs):
        fh = self.real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and os.fspath(file).endswith(".safetensors"):
            return BoundedFile(fh, self.counter)
        return fh


class BoundedFile(CountingFile):
    def read(self, n=-1):
        assert 0 <= n <= 64 * 1024**2, f"unbounded read of a weight file: read({n})"
        return super().read(n)


def test_cli_checks_a_2gb_checkpoint_without_reading_its_tensors(project, monkeypatch, capsys):
    data_bytes = 2 * 1024**3
    header = st_header({"w": ("F32", [data_bytes // 4], [0, data_bytes])})
    path = write_st(project / "weights" / "big.safetensors", header)
    os.truncate(path, 8 + len(header) + data_bytes)
    bounded = BoundedReads(open)
    monkeypatch.setattr("builtins.open", bounded)
    start = time.perf_counter()
    code, out, _ = run(["check", "weights/big.safetensors"], capsys)
    assert time.perf_counter() - start < 1.0
    assert (code, where(out)) == (1, [("weights/big.safetensors", "1", "BLY502")])
    assert bounded.counter["bytes"] <= 2 * (8 + len(header))


def test_scope_of_a_checkpoint_comes_from_its_path_whatever_its_size(project, capsys):
    header = st_header({"w": ("F32", [2**28], [0, 2**30])})  # 1 GiB of tensors: over max-file-size
    (project / "teacher_ckpt").mkdir()
    path = write_st(project / "teacher_ckpt" / "big.safetensors", header)
    os.truncate(path, 8 + len(header) + 2**30)
    code, out, _ = run(["scope", "teacher_ckpt/big.safetensors"], capsys)  # as `check`: never read whole
    reason = "  reason: teacher: path matches **/*teacher*/**"
    assert (code, out.splitlines()[:2]) == (0, ["teacher_ckpt/big.safetensors: teacher", reason])
    code, out, _ = run(["scope", "weights/model.safetensors"], capsys)
    assert (code, out.splitlines()[0]) == (0, "weights/model.safetensors: student")


def test_module_entry_point_checks_weights_and_configs(project):
    proc = subprocess.run(
        [sys.executable, "-m", "blyan_lint", "check", "conf/ds.json", "weights/model.safetensors"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "conf/ds.json:2:12: BLY501 `fp16.enabled: true` turns on FP16 mixed precision; the policy requires BF16: "
        "set it to false and use `bf16.enabled: true`",
        "weights/model.safetensors:1:1: BLY502 1 of 1 floating tensors are not BF16: F16 x1 (e.g. w); "
        "the policy stores weights in BF16: convert them before saving",
    ]


def test_generator_reproduces_the_demo_checkpoint():
    directory = RULE_FIXTURES.parent / "demo_repo" / "checkpoints"
    built = _generator().build_demo()
    committed = {p.name: p.read_bytes() for p in directory.glob("*.safetensors")}
    assert built == committed


def test_json_lines_are_data_not_configuration(tmp_path, monkeypatch, capsys):
    """RULES.md BLY501 (1.1): a `.jsonl`, or a `.json` holding one value per line, is skipped,
    not BLY000, so a dataset in the tree does not fail the gate; a broken `.json` still does."""
    monkeypatch.chdir(tmp_path)
    clear_caches()
    rows = '{"prompt": "a", "fp16": true, "torch_dtype": "float16"}\n{"prompt": "b"}\n'
    (tmp_path / "train.jsonl").write_text(rows)
    (tmp_path / "metrics.json").write_text(rows)
    files, findings = check_paths(["."], Overrides())
    assert sorted(os.path.basename(f) for f in files) == ["metrics.json"], "a .jsonl is not even discovered"
    assert findings == []
    assert main(["check", "--no-cache", "train.jsonl", "metrics.json"]) == 0, "named explicitly: still skipped"
    (tmp_path / "broken.json").write_text('{"fp16": true}\n{"bf16": \n')
    assert main(["check", "--no-cache", "broken.json"]) == 2
    assert "BLY000" in capsys.readouterr().out
