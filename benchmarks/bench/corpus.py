"""What the tools are run on, all under benchmarks/work/: the transformers 5.23.0 package
(unpacked from its wheel), the folder's isolating pyproject.toml, a Blyan-sized stand-in
tree, generated files of any size with findings, and safetensors files."""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .processes import MeasurementError, SetupError, log, setup_cmd
from .tools import REPO

TRANSFORMERS_VERSION = "5.23.0"
SAFETENSORS_BIG = 2 * 1024**3
SAFETENSORS_HEADER_BYTES = 128  # both headers padded with spaces to this length
BLYAN_SIZED_FILES = 301  # the research note's Blyan tree (issue 16)


def ensure_transformers(work: Path, pip_python: Path) -> None:
    dest = work / "transformers"
    marker = work / f".transformers-{TRANSFORMERS_VERSION}.unpacked"
    if marker.exists() and dest.is_dir():
        log(f"corpus: transformers {TRANSFORMERS_VERSION} already unpacked")
        return
    downloads = work / "downloads"
    downloads.mkdir(exist_ok=True)
    wheels = sorted(downloads.glob(f"transformers-{TRANSFORMERS_VERSION}-*.whl"))
    if not wheels:
        log(f"corpus: pip download transformers=={TRANSFORMERS_VERSION} --no-deps")
        setup_cmd(
            [str(pip_python), "-m", "pip", "--disable-pip-version-check", "download", "-q"]
            + [f"transformers=={TRANSFORMERS_VERSION}", "--no-deps", "--only-binary", ":all:", "-d", str(downloads)],
            "downloading the transformers wheel",
        )
        wheels = sorted(downloads.glob(f"transformers-{TRANSFORMERS_VERSION}-*.whl"))
    if not wheels:
        raise SetupError(f"pip download left no transformers-{TRANSFORMERS_VERSION} wheel in {downloads}")
    if dest.exists():
        shutil.rmtree(dest)
    staging = Path(tempfile.mkdtemp(dir=work, prefix=".unpack-"))
    try:
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [n for n in wheel.namelist() if n.startswith("transformers/") and ".." not in n.split("/")]
            if not members:
                raise SetupError(f"{wheels[0].name} has no transformers/ package")
            wheel.extractall(staging, members)
        (staging / "transformers").rename(dest)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SetupError(f"unpacking {wheels[0]}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(wheels[0].name + "\n")
    log(f"corpus: unpacked {wheels[0].name}")


ISOLATION_PYPROJECT = """\
# Written by benchmarks/run.py. It makes benchmarks/work/ a project root of its own (with
# the empty `.git` beside it), so the repository's pyproject.toml (whose [tool.blyan-lint]
# excludes benchmarks/work and whose [tool.ruff] sets line-length 120) and .gitignore (which
# ignores benchmarks/work/) do not apply: every tool runs on its defaults.
[tool.ruff]

[tool.blyan-lint]
"""


def isolate(work: Path) -> None:
    (work / "pyproject.toml").write_text(ISOLATION_PYPROJECT)
    (work / ".git").mkdir(exist_ok=True)  # a repository root marker for .gitignore lookups


def expand(work: Path, pattern: str) -> list[str]:
    return sorted(glob.glob(pattern, root_dir=work))


def files_under(work: Path, pattern: str, suffixes: tuple[str, ...] = (".py", ".pyi")) -> list[str]:
    """The files with `suffixes` in what `pattern` matches, relative to `work`, in a stable order."""
    found: list[str] = []
    for top in expand(work, pattern):
        path = work / top
        if path.is_file():
            found.append(top)
            continue
        for root, dirs, names in os.walk(path):
            dirs.sort()
            rel = os.path.relpath(root, work)
            found.extend(os.path.join(rel, n) for n in sorted(names) if n.endswith(suffixes))
    return [f for f in found if f.endswith(suffixes)]


# The generated file: every block has findings of several rules, a superseded one
# (BLY105 over BLY101/102), a noqa comment and non-ASCII text, so each per-finding step is on.
BLOCK = '''

def step_{i}(model, batch, training, capability):
    """Train step {i} \u2014 d\u00e9j\u00e0 vu."""
    model = model.half()  # noqa: BLY101
    x = batch.to(torch.float16)
    if capability >= (8, 0):
        dtype = torch.bfloat16
    else:
        dtype = torch.float16
    with torch.autocast("cuda", dtype=torch.float16):
        y = model(x).float()
    scaler = torch.cuda.amp.GradScaler()
    return y.to(dtype), scaler
'''


def generated_source(megabytes: float) -> str:
    parts, size, i = ["import torch\n"], 0, 0
    while size < megabytes * 1_000_000:
        block = BLOCK.format(i=i)
        parts.append(block)
        size += len(block.encode("utf-8"))
        i += 1
    return "".join(parts)


def blyan_sized_tree(work: Path) -> Path:
    """A stand-in for the research note's 301-file Blyan tree (the Blyan source is not here):
    fixtures/demo_repo and fixtures/rules' Python files, copied round-robin to 301 files."""
    tree = work / "blyan_standin"
    if tree.exists():
        shutil.rmtree(tree)
    sources = sorted(p for d in ("fixtures/demo_repo", "fixtures/rules") for p in (REPO / d).rglob("*.py"))
    for i in range(BLYAN_SIZED_FILES):
        source = sources[i % len(sources)]
        target = tree / f"pkg{i % 12}" / f"m{i}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return tree


def write_safetensors(path: Path, size: int) -> None:
    """One F16 tensor filling the file: 8-byte header length, padded JSON header, data."""
    data_bytes = size - 8 - SAFETENSORS_HEADER_BYTES
    if data_bytes < 2 or data_bytes % 2:
        raise MeasurementError(f"bad safetensors size {size}")
    header = {"w": {"dtype": "F16", "shape": [data_bytes // 2], "data_offsets": [0, data_bytes]}}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (SAFETENSORS_HEADER_BYTES - len(raw))
    with open(path, "wb") as fh:
        fh.write(len(raw).to_bytes(8, "little"))
        fh.write(raw)
        if data_bytes <= 1024:
            fh.write(b"\0" * data_bytes)
    if data_bytes > 1024:
        os.truncate(path, size)  # sparse: no disk space, reads as zeros
