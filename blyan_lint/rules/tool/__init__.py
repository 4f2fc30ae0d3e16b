"""BLY0xx: the tool's own findings (a file it cannot check, a suppression that suppresses nothing)."""

from __future__ import annotations


def __getattr__(name: str) -> tuple[type, ...]:
    """`RULES`, this group's rule classes in catalog order, imported when first asked for:
    a check imports a rule's module only for a file that can need it (`registry.RuleSet`)."""
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .unreadable_file import UnreadableFile
    from .unused_suppression import UnusedSuppression

    return (UnreadableFile, UnusedSuppression)
