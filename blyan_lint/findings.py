"""The data every stage passes along: findings, the reports rules make, fixes and their edits.

All frozen, so a finding can be cached, sorted, hashed and compared without surprises.
Positions are 1-based lines and 1-based character columns, as ruff and editors show them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # an annotation only: a check that finds nothing never loads the facts
    from .facts import Facts


class Applicability(str, enum.Enum):
    """How far a fix can be trusted (ruff's vocabulary)."""

    SAFE = "safe"  # only the policy-mandated dtype changes
    UNSAFE = "unsafe"  # control flow or code is removed or added
    DISPLAY = "display"  # a suggestion a human must apply


@dataclass(frozen=True, order=True)
class Position:
    line: int
    col: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions (end exclusive) with `content`."""

    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    title: str
    edits: tuple[Edit, ...] = ()
    # Modules the edits refer to that the file may not import yet (`import torch`).
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """Whether code is teacher or student, and why (shown to the user)."""

    role: str  # "teacher" | "student"
    reason: str

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not reported: the `# noqa` codes that silenced it, and the reason
    written after ` -- ` (None without one)."""

    codes: tuple[str, ...]
    reason: str | None = None


STUDENT_DEFAULT = Scope("student", "student: no teacher pragma, path or enclosing name")

# The tool's own finding: a file that could not be checked (unreadable, undecodable,
# unparsable, misconfigured). It cannot be deselected: the gate fails closed.
UNREADABLE = "BLY000"


@dataclass(frozen=True)
class Report:
    """What a rule says about a node; the engine adds path, code and scope."""

    start: Position
    end: Position
    message: str
    fix: Fix | None = None
    covers: tuple[tuple[Position, Position], ...] = ()
    facts: Facts | None = None  # what the rule saw (see facts.py); the message is rendered from it


@dataclass(frozen=True)
class Finding:
    path: str
    start: Position
    end: Position
    code: str
    message: str
    scope: Scope = STUDENT_DEFAULT
    fix: Fix | None = None
    # Ranges this finding stands for: findings of codes it supersedes that start inside
    # one of them are dropped (BLY105 is reported once, not again as BLY101 inside).
    covers: tuple[tuple[Position, Position], ...] = field(default=(), compare=False)
    # In a notebook, the cell (1-based, counting every cell) the positions are relative to.
    cell: int | None = None
    facts: Facts | None = None
    # Set only on findings a noqa comment silenced, when the caller asked to keep them (reports).
    suppression: Suppression | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.start.line, self.start.col, self.code)

    @property
    def fix_marker(self) -> str:
        if self.fix is None or self.fix.applicability is Applicability.DISPLAY:
            return ""
        return "[*]" if self.fix.applicability is Applicability.SAFE else "[~]"


def unreadable(path: str, message: str, line: int = 1, col: int = 1) -> Finding:
    """The BLY000 finding for a file that could not be checked, and why."""
    pos = Position(max(line, 1), max(col, 1))
    return Finding(path, pos, pos, UNREADABLE, message)
