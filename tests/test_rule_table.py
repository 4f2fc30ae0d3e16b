"""The generated rule table stays true to the rule classes, and rules load only when used."""

from __future__ import annotations

from blyan_lint import registry, rule_table
from blyan_lint.rules.base import Rule


def test_the_rule_table_matches_the_rule_classes():
    with open(rule_table.__file__, encoding="utf-8") as fh:
        written = fh.read()
    assert written == registry.table_source(), "the rules changed: run `python scripts/write_rule_table.py`"


def test_every_rule_is_in_the_table_with_its_triggers():
    rules = registry.all_rules()
    assert registry.codes() == frozenset(rules)
    everything = registry.python_rules(registry.codes())
    assert everything.codes == tuple(code for code, cls in rules.items() if issubclass(cls, Rule))
    assert everything.triggers == tuple(rules[code].triggers for code in everything.codes)  # type: ignore[union-attr]
    assert [type(rule) for rule in everything] == [rules[code] for code in everything.codes]


def test_a_rule_set_makes_only_the_rules_asked_for():
    chosen = registry.python_rules(frozenset({"BLY101", "BLY301", "BLY501"}))  # BLY501 reads configs
    assert chosen.codes == ("BLY101", "BLY301") and len(chosen) == 2
    assert chosen._made == [None, None]
    assert chosen[1].code == "BLY301" and chosen._made[0] is None
    assert chosen[1] is chosen[1] and [r.code for r in chosen[:1]] == ["BLY101"]
    assert registry.codes_of(chosen) == ("BLY101", "BLY301") == registry.codes_of(tuple(chosen))
    assert registry.triggers_of(chosen) == registry.triggers_of(tuple(chosen))


def test_get_loads_one_rule_and_knows_no_other_code():
    assert registry.get("bly302") is registry.all_rules()["BLY302"]
    assert registry.get("BLY999") is None
