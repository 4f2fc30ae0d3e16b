"""The one table: code -> rule. Every other list of rules is derived from it."""

from __future__ import annotations

from functools import lru_cache

from .rules import config_and_weights, hardware, mixed, precision, quantization, tool
from .rules.base import FileRule, Rule

# Rule families, in catalog order: one package per code group (BLY0xx ... BLY5xx), one module
# per rule. Adding a rule = a module in its family's package and its class in the family's RULES.
FAMILIES = (tool, precision, mixed, hardware, quantization, config_and_weights)


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule] | type[FileRule]]:
    table: dict[str, type[Rule] | type[FileRule]] = {}
    for family in FAMILIES:
        for rule in family.RULES:
            if rule.code in table:
                raise RuntimeError(f"duplicate rule code {rule.code}")
            table[rule.code] = rule
    return dict(sorted(table.items()))


def python_rules(codes: frozenset[str]) -> tuple[Rule, ...]:
    return tuple(cls() for code, cls in all_rules().items() if code in codes and issubclass(cls, Rule))


def get(code: str) -> type[Rule] | type[FileRule] | None:
    return all_rules().get(code.upper())
