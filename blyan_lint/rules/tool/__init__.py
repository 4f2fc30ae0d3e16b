"""BLY0xx: the tool's own findings (a file it cannot check, a suppression that suppresses nothing)."""

from __future__ import annotations

from .unreadable_file import UnreadableFile
from .unused_suppression import UnusedSuppression

RULES = (UnreadableFile, UnusedSuppression)
