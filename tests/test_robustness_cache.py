"""The cache never executes or trusts what it did not write (issue 13, defect 1)."""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os
import pickle
from dataclasses import dataclass

import pytest

from blyan_lint import __version__
from blyan_lint.cache import CACHE_DIR, Cache, user_secret
from blyan_lint.cli import main
from blyan_lint.codec import CodecError, decode, encode, register
from blyan_lint.findings import Applicability, Edit, Finding, Fix, Position, Scope

BAD = "import torch\nx = torch.zeros(1, dtype=torch.float16)\n"


class Kind(enum.Enum):  # a stand-in for the typed facts rules attach to findings
    CAST = "cast"


@dataclass(frozen=True)
class Facts:
    kind: Kind
    spelled: str
    hops: int
    resolved: bool
    alias: str | None
    path: tuple[str, ...]
    codes: frozenset[str]


register(Kind, Facts)


def _check(tmp_path, *extra):
    return main(["check", "-q", "--output-format", "concise", *extra, str(tmp_path / "m.py")])


def _cache_files(tmp_path):
    return sorted((tmp_path / CACHE_DIR).glob("*.json"))


def test_facts_and_fixes_round_trip_through_the_codec():
    fix = Fix(Applicability.SAFE, "use bf16", (Edit(Position(1, 2), Position(1, 9), "bf16"),), ("torch",))
    facts = Facts(Kind.CAST, "th.half", 2, True, None, ("a", "b"), frozenset({"BLY101"}))
    finding = Finding("m.py", Position(1, 2), Position(1, 9), "BLY101", "msg", Scope("teacher", "path"), fix)
    for value in (finding, facts, {"k": (1, 2.5, None)}):
        assert decode(json.loads(json.dumps(encode(value)))) == value


@pytest.mark.parametrize(
    "data",
    [
        {"@": "os:system", "v": ["echo hacked"]},  # not a blyan_lint type
        {"@": "blyan_lint.cache:Cache", "v": []},  # a dataclass with the wrong fields
        {"@": "blyan_lint.findings:Position", "v": [1]},
        {"@": "blyan_lint.cli:main", "v": []},  # not a class
        {"@e": "blyan_lint.findings:Position", "v": 1},  # not an enum
        {"@": "blyan_lint.runtime.replay:Thing", "v": []},  # nothing is imported for the data
        {"x": 1},
        {"@s": [[1], {"@d": []}]},  # unhashable members
        {"@d": [[{"@d": []}, 1]]},
    ],
)
def test_the_codec_refuses_anything_it_did_not_write(data):
    with pytest.raises(CodecError):
        decode(data)


def test_a_planted_pickle_is_never_loaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BAD)
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / CACHE_DIR).mkdir()
    for name in ("planted.pickle", "x.json"):
        (tmp_path / CACHE_DIR / name).write_bytes(pickle.dumps(Payload()))
    assert _check(tmp_path) == 1
    assert not marker.exists()


def test_a_forged_pass_is_not_trusted(tmp_path, monkeypatch, capsys):
    """A cache file claiming the file is clean, unsigned or signed with another key, is ignored."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BAD)
    assert _check(tmp_path) == 1
    (cache_file,) = _cache_files(tmp_path)
    mac, _, payload = cache_file.read_bytes().partition(b"\n")
    data = json.loads(payload)
    for entry in data["entries"].values():
        entry[2] = []  # "no findings"
    forged = json.dumps(data).encode()
    for signed in (b"0" * 64, hmac.new(b"another user's key" * 2, forged, hashlib.sha256).hexdigest().encode()):
        cache_file.write_bytes(signed + b"\n" + forged)
        capsys.readouterr()
        assert _check(tmp_path) == 1, "the forged 'clean' entry must not stand"
        assert "BLY101" in capsys.readouterr().out


def test_a_signed_entry_stands_only_for_the_content_it_was_computed_from(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("x = 1\n")
    assert _check(tmp_path) == 0
    (tmp_path / "m.py").write_text(BAD[:-1] + " \n")  # same size is not enough: content decides
    assert _check(tmp_path) == 1


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff garbage", b"0" * 64 + b"\n{", b"\n\n\n", "é".encode() * 1000],
)
def test_a_corrupt_cache_is_ignored_and_rebuilt(tmp_path, monkeypatch, capsys, content):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BAD)
    assert _check(tmp_path) == 1
    (cache_file,) = _cache_files(tmp_path)
    cache_file.write_bytes(content)
    capsys.readouterr()
    assert _check(tmp_path) == 1
    captured = capsys.readouterr()
    assert "BLY101" in captured.out and "Traceback" not in captured.err
    assert cache_file.read_bytes().count(b"\n") >= 1 and cache_file.read_bytes() != content, "rebuilt"


def test_a_validly_signed_but_malformed_cache_is_ignored(tmp_path, monkeypatch, capsys):
    """Even with this user's key (a bug in an older writer, say) a wrongly shaped entry is dropped."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BAD)
    assert _check(tmp_path) == 1
    (cache_file,) = _cache_files(tmp_path)
    data = json.loads(cache_file.read_bytes().partition(b"\n")[2])
    for entry in data["entries"].values():
        entry[2] = [{"@": "os:system", "v": ["true"]}, 5]
    payload = json.dumps(data).encode()
    secret = user_secret()
    assert secret is not None
    cache_file.write_bytes(hmac.new(secret, payload, hashlib.sha256).hexdigest().encode() + b"\n" + payload)
    capsys.readouterr()
    assert _check(tmp_path) == 1
    assert "BLY101" in capsys.readouterr().out


def test_the_secret_lives_outside_the_tree_and_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    secret = user_secret()
    path = tmp_path / "xdg" / "blyan-lint" / "secret"
    assert secret is not None and path.read_bytes() == secret
    assert path.stat().st_mode & 0o077 == 0
    assert user_secret() == secret, "stable across runs"
    path.chmod(0o644)
    assert user_secret() is None, "a secret others can read signs nothing"
    assert Cache.open(str(tmp_path / CACHE_DIR), "k").path is None


def test_a_planted_symlinked_cache_directory_is_not_written_through(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BAD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / CACHE_DIR).symlink_to(elsewhere)
    assert _check(tmp_path) == 1
    assert list(elsewhere.iterdir()) == []


def test_the_cache_names_this_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BAD)
    _check(tmp_path)
    (cache_file,) = _cache_files(tmp_path)
    assert json.loads(cache_file.read_bytes().partition(b"\n")[2])["version"] == __version__
