"""What the semantic model (`names.py`) records of a binding, and what following a value
through bindings gives back: plain values, no walk of their own."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import NamedTuple

# How many bindings `follow()` and `producer()` go through (`dev = DEVICE`, `DEVICE = "cpu"`):
# enough for real code; a longer chain is left unresolved rather than guessed.
MAX_HOPS = 8

ASSIGN, UNPACK, PARAMETER, DEFAULT, LOOP = "assign", "unpack", "parameter", "default", "loop"


class Binding(NamedTuple):
    """One binding of a name or `self.` attribute (a tuple: files make thousands of them)."""

    value: ast.expr | None  # what it was bound to; None when it cannot be followed (a loop variable)
    visible: tuple[int, int]  # (line, byte column) from which on it holds: the end of its statement
    line: int
    how: str = ASSIGN  # ASSIGN | UNPACK | PARAMETER | DEFAULT (a parameter with a default) | LOOP


@dataclass(frozen=True)
class Followed:
    """What an expression stands for, and the bindings followed to get there."""

    value: ast.expr  # the last expression reached (the node itself when nothing was followed)
    via: tuple[tuple[str, Binding], ...] = ()  # (name as written, its binding), first to last
    known: bool = True  # False when the last name is bound to something not followed (a parameter)

    @property
    def followed(self) -> bool:
        return bool(self.via)

    @property
    def passed_names(self) -> list[str]:
        """The last segment of every name the value passed through, first to last, and of
        the name it ended on (`self.model` gives `model`): what name-word evidence reads."""
        spelled = [name for name, _ in self.via]
        value = self.value
        if isinstance(value, ast.Name):
            spelled.append(value.id)
        elif isinstance(value, ast.Attribute):
            spelled.append(value.attr)
        return [name.rpartition(".")[2] for name in spelled]
