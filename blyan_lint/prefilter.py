"""Which rules can fire on a file: those whose trigger words its text holds.

Trigger words come from each rule's declarations (`Rule.triggers`); a rule without any
always runs. The plan for a rule set tests each distinct word at most once per file, and
not at all when a shorter word it contains is already known absent (`float` absent: no
`float16`). The test is on the lower-cased text, with the fail-closed extensions of
`words` (gaps between tokens, string and identifier spellings), so a file that can hold a
finding is never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .rules.base import Rule, trigger_words
from .words import dotted_names, gap_pattern, risky_text

_WORD = re.compile(r"\w+")


class Words:
    """A set of lower-case words, tested lazily against one text with a memo."""

    def __init__(self, words: Sequence[bytes]) -> None:
        self.words = tuple(words)
        # `.half` with a gap is looked up among the names written after a dot and a gap;
        # other words with punctuation (`-1`, `quantization=`) have their own pattern.
        self.dotted = tuple(
            w[1:] if w.startswith(b".") and _WORD.fullmatch(w[1:].decode("utf-8")) else None for w in self.words
        )
        self.gaps = tuple(
            None if dotted is not None else gap_pattern(w.decode("utf-8"))
            for w, dotted in zip(self.words, self.dotted, strict=True)
        )
        # For each word, the shorter plain words inside one of its tokens: absent -> absent.
        tokens = [_WORD.findall(w.decode("utf-8")) for w in self.words]
        self.implied = tuple(
            tuple(
                j
                for j, shorter in enumerate(self.words)
                if j != i
                and len(shorter) < len(word)
                and _WORD.fullmatch(shorter.decode("utf-8"))
                and any(shorter.decode("utf-8") in token for token in tokens[i])
            )
            for i, word in enumerate(self.words)
        )

    def tester(self, text: bytes) -> _Tester:
        return _Tester(self, text)


class _Tester:
    __slots__ = ("plan", "text", "known", "names")

    def __init__(self, plan: Words, text: bytes) -> None:
        self.plan = plan
        self.text = text
        self.known: dict[int, bool] = {}
        self.names: frozenset[bytes] | None = None  # `dotted_names(text)`, once asked

    def has(self, index: int) -> bool:
        found = self.known.get(index)
        if found is not None:
            return found
        plan = self.plan
        known = self.known
        if any(known.get(j) is False for j in plan.implied[index]):
            found = False
        else:
            found = plan.words[index] in self.text
            if not found:
                found = self._gapped(index)
        self.known[index] = found
        return found

    def _gapped(self, index: int) -> bool:
        plan = self.plan
        name = plan.dotted[index]
        if name is not None:
            if self.names is None:
                self.names = dotted_names(self.text)
            return any(written.startswith(name) for written in self.names)
        gap = plan.gaps[index]
        return gap is not None and gap.search(self.text) is not None


class Plan:
    """The prefilter for one rule set."""

    def __init__(self, rules: tuple[type[Rule], ...]) -> None:
        per_rule = [_trigger_bytes(rule) for rule in rules]
        distinct = sorted({w for words in per_rule for w in words}, key=lambda w: (len(w), w))
        self.words = Words(distinct)
        index = {w: i for i, w in enumerate(distinct)}
        self.rule_words = tuple(tuple(index[w] for w in words) for words in per_rule)

    def active(self, rules: Sequence[Rule], data: bytes, lowered: bytes) -> tuple[Rule, ...]:
        """`data`: the file's UTF-8 text; `lowered`: the same, lower-cased."""
        tester = self.words.tester(lowered)
        keep = [not ids or any(tester.has(i) for i in ids) for ids in self.rule_words]
        extra = risky_text(data) if not all(keep) else None
        if extra is not None:
            second = self.words.tester(extra)
            keep = [k or any(second.has(i) for i in ids) for k, ids in zip(keep, self.rule_words, strict=True)]
        return tuple(rule for rule, k in zip(rules, keep, strict=True) if k)


@lru_cache(maxsize=64)
def plan_for(rules: tuple[type[Rule], ...]) -> Plan:
    return Plan(rules)


def active_rules(rules: Sequence[Rule], data: bytes, lowered: bytes | None = None) -> tuple[Rule, ...]:
    """The rules that can fire on a file with this UTF-8 text."""
    plan = plan_for(tuple(type(rule) for rule in rules))
    return plan.active(rules, data, data.lower() if lowered is None else lowered)


def _trigger_bytes(rule: type[Rule]) -> tuple[bytes, ...]:
    found = _TRIGGERS.get(rule)
    if found is None:
        found = _TRIGGERS[rule] = _words(rule)
    return found


_TRIGGERS: dict[type[Rule], tuple[bytes, ...]] = {}


def _words(rule: type[Rule]) -> tuple[bytes, ...]:
    return tuple(word.encode("utf-8") for word in trigger_words(w.lower() for w in rule.triggers))
