"""The findings cache: `.blyan_lint_cache/`, keyed by file content, tool version and settings.

One JSON file per (tool version, settings) holds, for each file, its stat signature, content
hash and findings. A file whose size, mtime, ctime and inode are unchanged is a hit without
being read; otherwise its content hash decides, so `touch` alone does not re-check a file.

The cache directory sits in the checked-out tree, where anyone who can commit can plant
files, so nothing in it is trusted unless it proves it was written by this user's
blyan-lint: each file is JSON (never pickle: loading runs no code) signed with an HMAC
whose key is a per-user secret kept outside any repository (`$XDG_CACHE_HOME/blyan-lint/`
or `~/.cache/blyan-lint/`). A file that is missing, corrupt, unsigned, signed with another
key, from another version or settings, or shaped wrongly is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import stat as stat_module
import tempfile
from dataclasses import dataclass, field, replace

from . import __version__, facts  # noqa: F401  (cached findings carry facts; the codec decodes only loaded types)
from .codec import CodecError, decode, encode
from .findings import Finding

CACHE_DIR = ".blyan_lint_cache"
_FORMAT = 2
_SECRET_BYTES = 32
_TEMP_SUFFIX = ".tmp"


@dataclass
class Entry:
    signature: list[int]  # size, mtime_ns, ctime_ns, inode
    digest: str
    findings: list[object]  # encoded; decoded only when used
    decoded: tuple[Finding, ...] | None = None


def signature(stat: os.stat_result) -> list[int]:
    # ctime cannot be set by `touch -d` or `os.utime`, so a stat match means an untouched file.
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


@dataclass
class Cache:
    path: str | None  # None: caching is off (no secret could be had)
    secret: bytes = b""
    settings_key: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)
    dirty: bool = False
    hits: int = 0

    @classmethod
    def open(cls, directory: str, settings_key: str) -> Cache:
        secret = user_secret()
        if secret is None:
            return cls(None)
        name = hashlib.sha256(f"{_FORMAT}|{__version__}|{settings_key}".encode()).hexdigest()[:24]
        path = os.path.join(directory, f"{name}.json")
        cache = cls(path, secret, settings_key)
        cache.entries = _load(path, secret, settings_key)
        return cache

    def _entry(self, path: str) -> Entry | None:
        return self.entries.get(os.path.abspath(path))

    def fresh(self, path: str, stat: os.stat_result) -> tuple[Finding, ...] | None:
        """The cached findings when the stat signature is unchanged (the file is not read)."""
        entry = self._entry(path)
        if entry is None or entry.signature != signature(stat):
            return None
        found = self._findings(path, entry)
        if found is not None:
            self.hits += 1
        return found

    def known_digest(self, path: str) -> str | None:
        entry = self._entry(path)
        return entry.digest if entry is not None else None

    def same_content(self, path: str, stat: os.stat_result) -> tuple[Finding, ...] | None:
        """The file was touched but its content hash still matches: refresh the signature.
        None when the stored findings cannot be decoded (the caller re-checks)."""
        entry = self._entry(path)
        found = self._findings(path, entry) if entry is not None else None
        if found is None or entry is None:
            return None
        entry.signature = signature(stat)
        self.dirty = True
        self.hits += 1
        return found

    def store(self, path: str, stat: os.stat_result, content_digest: str, findings: list[Finding]) -> None:
        if self.path is None:
            return
        try:
            encoded = [encode(f) for f in findings]
        except CodecError:
            return  # a finding this codec cannot write is simply not cached
        key = os.path.abspath(path)
        self.entries[key] = Entry(signature(stat), content_digest, encoded, tuple(findings))
        self.dirty = True

    def _findings(self, path: str, entry: Entry) -> tuple[Finding, ...] | None:
        if entry.decoded is None:
            try:
                decoded = tuple(decode(f) for f in entry.findings)
            except (CodecError, RecursionError):
                decoded = None
            findings = tuple(f for f in decoded or () if isinstance(f, Finding))
            if decoded is None or len(findings) != len(decoded):
                del self.entries[os.path.abspath(path)]
                self.dirty = True
                return None
            entry.decoded = findings
        return _rebased(entry.decoded, path)

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        directory = os.path.dirname(self.path)
        try:
            _make_private_dir(directory)
            _write_gitignore(directory)
            remove_stale_temp_files(directory, prefix="")
            payload = json.dumps(
                {
                    "format": _FORMAT,
                    "version": __version__,
                    "settings": self.settings_key,
                    "entries": {k: [e.signature, e.digest, e.findings] for k, e in self.entries.items()},
                },
                separators=(",", ":"),
            ).encode()
            mac = hmac.new(self.secret, payload, hashlib.sha256).hexdigest().encode()
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f"{os.getpid()}-", suffix=_TEMP_SUFFIX)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(mac + b"\n" + payload)
                os.replace(tmp, self.path)
            except BaseException:
                _unlink_quietly(tmp)
                raise
        except (OSError, ValueError):
            pass  # a read-only or hostile tree still gets checked, just not cached


def _load(path: str, secret: bytes, settings_key: str) -> dict[str, Entry]:
    """The entries of a cache file, or none if anything about it is not as written."""
    try:
        with open(path, "rb") as fh:
            if not stat_module.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return {}
            mac, _, payload = fh.read().partition(b"\n")
        expected = hmac.new(secret, payload, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(mac, expected):
            return {}
        data = json.loads(payload)
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != __version__:
        return {}
    if data.get("settings") != settings_key or not isinstance(data.get("entries"), dict):
        return {}
    entries: dict[str, Entry] = {}
    for key, value in data["entries"].items():
        if (
            isinstance(value, list)
            and len(value) == 3
            and isinstance(value[0], list)
            and len(value[0]) == 4
            and all(type(v) is int for v in value[0])
            and isinstance(value[1], str)
            and isinstance(value[2], list)
        ):
            entries[key] = Entry(value[0], value[1], value[2])
    return entries


def user_cache_root() -> str:
    """Per-user state outside any repository (XDG base directory convention)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "blyan-lint")


def user_secret() -> bytes | None:
    """This user's cache-signing key, created on first use (mode 0600); None when it can
    neither be read nor created, or is not private to this user (then nothing is cached)."""
    root = user_cache_root()
    path = os.path.join(root, "secret")
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        _make_private_dir(root)
        fd, tmp = tempfile.mkstemp(dir=root, prefix="secret-", suffix=_TEMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(_SECRET_BYTES))
            # create-if-absent with the whole content: a racing run wins or loses whole
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            _unlink_quietly(tmp)
        return _read_secret(path)
    except OSError:
        return None


def _read_secret(path: str) -> bytes | None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        st = os.fstat(fd)
        if not stat_module.S_ISREG(st.st_mode) or st.st_mode & 0o077 or _foreign_owner(st):
            return None
        data = os.read(fd, _SECRET_BYTES + 1)
    finally:
        os.close(fd)
    return data if len(data) == _SECRET_BYTES else None


def _foreign_owner(st: os.stat_result) -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and st.st_uid != geteuid()


def _make_private_dir(directory: str) -> None:
    """Create `directory` (mode 0700) or accept it only if it is a real directory of ours,
    never a symlink a checked-out tree planted to point our writes elsewhere."""
    with contextlib.suppress(FileExistsError):
        os.makedirs(directory, mode=0o700, exist_ok=True)
    st = os.lstat(directory)
    if not stat_module.S_ISDIR(st.st_mode) or _foreign_owner(st):
        raise OSError(f"{directory} is not a directory of this user")


def _write_gitignore(directory: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(os.path.join(directory, ".gitignore"), flags, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Created by blyan-lint\n*\n")


def remove_stale_temp_files(directory: str, prefix: str) -> None:
    """Delete temp files `<prefix><pid>-*.tmp` in `directory` whose writing process is gone
    (a run killed between creating and renaming one)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_TEMP_SUFFIX)):
            continue
        pid = name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            _unlink_quietly(os.path.join(directory, name))


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would terminate it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rebased(findings: tuple[Finding, ...], path: str) -> tuple[Finding, ...]:
    """Findings carry the path as the user spelled it this time."""
    if not findings or findings[0].path == path:
        return findings
    return tuple(replace(f, path=path) for f in findings)


def clean(directory: str = CACHE_DIR) -> bool:
    import shutil

    if os.path.isdir(directory) and not os.path.islink(directory):
        shutil.rmtree(directory)
        return True
    return False
