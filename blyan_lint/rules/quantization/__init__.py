"""BLY4xx: quantization and teacher models (policy: "EXCEPTION: Teacher Models").

INT8 is the one exception to BF16, and only for frozen teacher models (BLY401 is dropped in
teacher scope by the engine). Every other quantized format is banned everywhere (BLY402), and
a teacher must never be updated (BLY403) nor run in anything but INT8 or BF16 (BLY404).
BLY401 and BLY402 share one analysis (`formats.py`); BLY403 and BLY404 stand apart.
"""

from __future__ import annotations


def __getattr__(name: str) -> tuple[type, ...]:
    """`RULES`, this group's rule classes in catalog order, imported when first asked for:
    a check imports a rule's module only for a file that can need it (`registry.RuleSet`)."""
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .int8_outside_teacher import Int8OutsideTeacher
    from .teacher_not_frozen import TeacherNotFrozen
    from .teacher_precision import TeacherPrecision
    from .unsupported_quantization import UnsupportedQuantization

    return (Int8OutsideTeacher, UnsupportedQuantization, TeacherNotFrozen, TeacherPrecision)
