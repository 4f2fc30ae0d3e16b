"""The fixes as LibCST codemod commands, one per fix family, for LibCST's own runner:

    python -m libcst.tool codemod -x blyan_lint.fixes.codemods.FixPrecision src/
    python -m libcst.tool codemod codemods.FixMixedPrecision --unsafe src/   # with .libcst.codemod.yaml

Each command runs exactly the code `blyan-lint check --fix` runs: the whole check with the
file's configuration (so precedence between codes is the same), the same edits at the same
applicability and the same verification, then keeps the fixes of its family's codes. It
only adapts LibCST's module in and out.
"""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand

from ..api import Overrides, fix_file
from .source_io import source_encoding


class _FixFamily(VisitorBasedCodemodCommand):
    CODES: tuple[str, ...] = ()
    DESCRIPTION = "blyan-lint fixes"

    def __init__(self, context: CodemodContext, unsafe: bool = False) -> None:
        super().__init__(context)
        self.unsafe = unsafe

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe",
            dest="unsafe",
            action="store_true",
            default=False,
            help="also apply unsafe fixes (structural rewrites; review the diff)",
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        source = tree.bytes
        path = self.context.filename or "<codemod>.py"
        outcome = fix_file(path, Overrides(), self.unsafe, write=False, source=source, family=self.CODES)
        if outcome.error is not None:
            raise SkipFile(outcome.error)
        if not outcome.changed:
            raise SkipFile("nothing to fix")
        return cst.parse_module(outcome.result.text.encode(source_encoding(source)))


class FixPrecision(_FixFamily):
    """BLY1xx: non-BF16 dtypes, casts (of data: unsafe), implicit-dtype loads, default dtype,
    PEFT adapter autocast, fallbacks (unsafe)."""

    CODES = ("BLY1",)
    DESCRIPTION = "blyan-lint BLY1xx: non-BF16 dtypes and casts to BF16; explicit torch_dtype on loads"


class FixMixedPrecision(_FixFamily):
    """BLY2xx: unwrap autocast, remove GradScaler (both unsafe)."""

    CODES = ("BLY2",)
    DESCRIPTION = "blyan-lint BLY2xx: remove autocast and GradScaler (unsafe: pass --unsafe)"


class FixHardware(_FixFamily):
    """BLY3xx: `including_emulation=False` (safe), CPU fallback -> CUDA (unsafe)."""

    CODES = ("BLY3",)
    DESCRIPTION = "blyan-lint BLY3xx: strict BF16 capability checks; no CPU fallback (unsafe)"


class FixTeacherModels(_FixFamily):
    """BLY4xx: a teacher loaded or cast outside INT8/BF16 becomes BF16 (BLY404, safe)."""

    CODES = ("BLY4",)
    DESCRIPTION = "blyan-lint BLY404: teacher models loaded and cast in BF16"


class FixSuppressions(_FixFamily):
    """BLY0xx: stale codes removed from `# noqa` comments (BLY001, when it is selected)."""

    CODES = ("BLY0",)
    DESCRIPTION = "blyan-lint BLY001: remove `# noqa` codes that suppress nothing"


# Together they cover every code that has a fix: running them all applies what `--fix` applies.
FAMILIES = (FixPrecision, FixMixedPrecision, FixHardware, FixTeacherModels, FixSuppressions)
