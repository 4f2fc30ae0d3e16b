"""The one table: code -> rule. Every other list of rules is derived from it.

The rule classes are the source of truth; `rule_table` is generated from them (codes, where
each class lives, its trigger words), so that a check imports a rule's module only when a
file's text holds one of its trigger words (`RuleSet`). `tests/test_rule_table.py` fails
when the table no longer matches the classes; `python scripts/write_rule_table.py` rewrites it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from functools import cache, lru_cache
from typing import overload

from . import rule_table
from .rules.base import FileRule, Rule

# Rule families, in catalog order: one package per code group (BLY0xx ... BLY5xx), one module
# per rule. Adding a rule = a module in its family's package, its class in the family's
# RULES, and the table rewritten.
FAMILIES = ("tool", "precision", "mixed", "hardware", "quantization", "config_and_weights")

_ENTRIES = {entry[0]: entry for entry in rule_table.RULES}


def codes() -> frozenset[str]:
    """Every rule code, without importing a rule."""
    return frozenset(_ENTRIES)


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule] | type[FileRule]]:
    """Every rule class by code, in code order (imports every rule module)."""
    table: dict[str, type[Rule] | type[FileRule]] = {}
    for family in FAMILIES:
        for rule in importlib.import_module(f"{__package__}.rules.{family}").RULES:
            if rule.code in table:
                raise RuntimeError(f"duplicate rule code {rule.code}")
            table[rule.code] = rule
    return dict(sorted(table.items()))


def get(code: str) -> type[Rule] | type[FileRule] | None:
    entry = _ENTRIES.get(code.upper())
    return None if entry is None else _load(entry[0])


@cache
def _load(code: str) -> type[Rule] | type[FileRule]:
    """The class of one rule: its module alone is imported."""
    _, module, name, _, _ = _ENTRIES[code]
    cls: type[Rule] | type[FileRule] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return cls


class RuleSet(Sequence[Rule]):
    """The selected Python rules, in code order, each made (its module imported) when first
    used: the prefilter reads their trigger words from the table (`triggers`), so a file
    whose text holds none of a rule's words never loads it. One instance per rule and set."""

    def __init__(self, selected: Iterable[str]) -> None:
        chosen = set(selected)
        self.codes = tuple(code for code, _, _, python, _ in rule_table.RULES if python and code in chosen)
        self.triggers = tuple(_ENTRIES[code][4] for code in self.codes)
        self._made: list[Rule | None] = [None] * len(self.codes)

    @overload
    def __getitem__(self, index: int) -> Rule: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Rule, ...]: ...

    def __getitem__(self, index: int | slice) -> Rule | tuple[Rule, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self.codes))[index])
        rule = self._made[index]
        if rule is None:
            cls = _load(self.codes[index])
            assert issubclass(cls, Rule)
            rule = self._made[index] = cls()
        return rule

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[Rule]:
        return (self[i] for i in range(len(self.codes)))


def python_rules(selected: frozenset[str]) -> RuleSet:
    return RuleSet(selected)


def codes_of(rules: Sequence[Rule]) -> tuple[str, ...]:
    """The codes of these rules, without making the ones not made yet."""
    return rules.codes if isinstance(rules, RuleSet) else tuple(rule.code for rule in rules)


def triggers_of(rules: Sequence[Rule]) -> tuple[tuple[str, ...], ...]:
    """Each rule's trigger words (`Rule.triggers`), without making the ones not made yet."""
    return rules.triggers if isinstance(rules, RuleSet) else tuple(type(rule).triggers for rule in rules)


def table_source() -> str:
    """What `rule_table.py` holds when it matches the rule classes."""
    rows = []
    for code, cls in all_rules().items():
        module = cls.__module__.removeprefix(f"{__package__}.")
        python = issubclass(cls, Rule)
        rows.append(f"    ({code!r}, {module!r}, {cls.__name__!r}, {python!r},\n")
        words = [repr(word) for word in (cls.triggers if issubclass(cls, Rule) else ())]
        lines = [""]
        for word in words:  # wrapped, to stay within the line length
            if lines[-1] and len(lines[-1]) + len(word) > 90:
                lines.append(word)
            else:
                lines[-1] = f"{lines[-1]}, {word}" if lines[-1] else word
        body = ",\n      ".join(lines)
        rows.append(f"     ({body}{',' if len(words) == 1 else ''})),\n")
    return _TABLE_HEADER + "RULES = (\n" + "".join(rows) + ")\n# fmt: on\n"


_TABLE_HEADER = '''"""Generated from the rule classes by `python scripts/write_rule_table.py`: do not edit.

One row per rule, in code order: (code, module under blyan_lint, class name, whether it is a
Python rule, its `triggers`). `registry` reads it so that a check can tell which rules a
file may need before importing any (tests/test_rule_table.py keeps it true to the classes).
"""

# fmt: off
'''
