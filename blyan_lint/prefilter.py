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

from .registry import triggers_of
from .rules.base import Rule, trigger_words
from .words import Regions, dotted_names, dotted_positions, find_all, gap_pattern, risky_regions

_WORD = re.compile(r"\w+")


class Words:
    """A set of lower-case words, tested lazily against one text with a memo.

    Statement words (`Rule.statement_words`) may also spell `a&b` (both must occur) and
    `\\bword\\b` (`word` not inside a longer identifier on that side)."""

    def __init__(self, words: Sequence[bytes]) -> None:
        self.words = tuple(words)
        spelled = [tuple(w.split(b"&")) for w in self.words]
        parts = sorted({p for conj in spelled for p in conj}, key=lambda p: (len(p), p))
        self.parts = tuple(parts)
        index = {p: i for i, p in enumerate(parts)}
        self.conjunctions = tuple(tuple(index[p] for p in conj) for conj in spelled)
        cores = [p.removeprefix(b"\\b").removesuffix(b"\\b") for p in parts]
        self.cores = tuple(cores)
        self.bounded = tuple(_bounded(p, c) for p, c in zip(parts, cores, strict=True))
        # `.half` with a gap is looked up among the names written after a dot and a gap;
        # other parts with punctuation (`-1`, `quantization=`) have their own pattern.
        self.dotted = tuple(
            c[1:] if c.startswith(b".") and _WORD.fullmatch(c[1:].decode("utf-8")) else None for c in cores
        )
        self.gaps = tuple(
            None if dotted is not None else gap_pattern(c.decode("utf-8"))
            for c, dotted in zip(cores, self.dotted, strict=True)
        )
        # For each part, the shorter plain parts inside one of its tokens: absent -> absent.
        tokens = [_WORD.findall(c.decode("utf-8")) for c in cores]
        # ... and its longest name, which every spelling of it holds (tested once for all)
        self.guards = tuple(
            max(t, key=len).encode("utf-8") if t and len(max(t, key=len)) >= 3 else None for t in tokens
        )
        plain = [c == p and _WORD.fullmatch(c.decode("utf-8")) is not None for p, c in zip(parts, cores, strict=True)]
        self.implied = tuple(
            tuple(
                j
                for j, shorter in enumerate(cores)
                if j != i and plain[j] and len(shorter) < len(core) and any(shorter.decode() in t for t in tokens[i])
            )
            for i, core in enumerate(cores)
        )

        # parts that need more than a substring test: a gap, a dot, a boundary
        self.special = tuple(
            self.dotted[i] is not None or self.gaps[i] is not None or self.bounded[i] is not None
            for i in range(len(parts))
        )

    def tester(self, text: bytes) -> _Tester:
        return _Tester(self, text)

    def parts_in(self, text: bytes) -> list[bool]:
        """Which parts a short text holds (no memo: for region variants and import names)."""
        names: frozenset[bytes] | None = None
        found = []
        for i, core in enumerate(self.cores):
            hit = core in text
            if not hit and self.dotted[i] is not None:
                names = dotted_names(text) if names is None else names
                hit = any(n.startswith(self.dotted[i]) for n in names)  # type: ignore[arg-type]
            elif not hit and self.gaps[i] is not None:
                hit = self.gaps[i].search(text) is not None  # type: ignore[union-attr]
            found.append(hit)
        return found

    def positions(self, text: bytes) -> list[list[int]]:
        """Where each part occurs in the text (sorted start offsets), gapped spellings too."""
        dotted: list[tuple[int, bytes]] | None = None
        guards: dict[bytes, bool] = {}  # `half` absent: no `.half`, `"half"` or `'half'` either
        found: list[list[int]] = []
        for i, (part, core) in enumerate(zip(self.parts, self.cores, strict=True)):
            guard = self.guards[i]
            if guard is not None:
                present = guards.get(guard)
                if present is None:
                    present = guards[guard] = guard in text
                if not present:
                    found.append([])
                    continue
            hits = find_all(text, core, part.startswith(b"\\b"), part.endswith(b"\\b"))
            name, gap = self.dotted[i], self.gaps[i]
            if name is not None:
                if dotted is None:
                    dotted = dotted_positions(text)
                hits += [at for at, written in dotted if written.startswith(name)]
            elif gap is not None and self.bounded[i] is None:
                hits += [m.start() for m in gap.finditer(text)]
            found.append(sorted(set(hits)))
        return found


def _bounded(part: bytes, core: bytes) -> re.Pattern[bytes] | None:
    """`\\bword\\b`: the pattern of `word` not inside a longer identifier on the marked sides."""
    if core == part:
        return None
    before = rb"(?<!\w)" if part.startswith(b"\\b") else b""
    after = rb"(?!\w)" if part.endswith(b"\\b") else b""
    return re.compile(before + re.escape(core) + after)


class _Tester:
    __slots__ = ("plan", "text", "known", "names")

    def __init__(self, plan: Words, text: bytes) -> None:
        self.plan = plan
        self.text = text
        self.known: dict[int, bool] = {}  # part index -> found
        self.names: frozenset[bytes] | None = None  # `dotted_names(text)`, once asked

    def has(self, index: int) -> bool:
        """Does the text hold word `index`?"""
        return all(self._part(p) for p in self.plan.conjunctions[index])

    def _part(self, index: int) -> bool:
        known = self.known
        found = known.get(index)
        if found is not None:
            return found
        plan = self.plan
        if any(known.get(j) is False for j in plan.implied[index]):
            found = False
        else:
            found = plan.cores[index] in self.text
            if not found:
                found = self._gapped(index)
            elif plan.bounded[index] is not None:
                found = plan.bounded[index].search(self.text) is not None  # type: ignore[union-attr]
        known[index] = found
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
    """The prefilter for one rule set, given each rule's trigger words (`Rule.triggers`)."""

    def __init__(self, triggers: tuple[tuple[str, ...], ...]) -> None:
        per_rule = [_trigger_bytes(words) for words in triggers]
        distinct = sorted({w for words in per_rule for w in words}, key=lambda w: (len(w), w))
        self.words = Words(distinct)
        index = {w: i for i, w in enumerate(distinct)}
        self.rule_words = tuple(tuple(index[w] for w in words) for words in per_rule)
        self.rule_parts = tuple(tuple(self.words.conjunctions[i][0] for i in ids) for ids in self.rule_words)

    def keep(self, data: bytes, lowered: bytes, regions: Regions | None = None) -> list[bool]:
        """Which of the rules can fire on a file. `data`: its UTF-8 text; `lowered`: the
        same, lower-cased; `regions`: its `risky_regions`, where the caller has them."""
        words = self.words
        cores, implied, special = words.cores, words.implied, words.special
        tester = words.tester(lowered)
        known = tester.known
        keep = []
        for ids in self.rule_parts:  # the hot loop of the prefilter: inlined `_Tester._part`
            hit = not ids
            for part in ids:
                found = known.get(part)
                if found is None:
                    if implied[part] and any(known.get(j) is False for j in implied[part]):
                        found = False
                    elif special[part]:
                        found = tester._part(part)
                    else:
                        found = cores[part] in lowered
                    known[part] = found
                if found:
                    hit = True
                    break
            keep.append(hit)
        if all(keep):
            return keep
        if regions is None:
            regions = risky_regions(data)
        if regions:
            extra = b"\0".join(text for _, _, text in regions)
            second = self.words.tester(extra)
            keep = [k or any(second.has(i) for i in ids) for k, ids in zip(keep, self.rule_words, strict=True)]
        return keep


@lru_cache(maxsize=64)
def plan_for(triggers: tuple[tuple[str, ...], ...]) -> Plan:
    return Plan(triggers)


def active_rules(
    rules: Sequence[Rule], data: bytes, lowered: bytes | None = None, regions: Regions | None = None
) -> tuple[Rule, ...]:
    """The rules that can fire on a file with this UTF-8 text. Only those are made, where
    `rules` is a `registry.RuleSet` (their modules imported)."""
    keep = plan_for(triggers_of(rules)).keep(data, data.lower() if lowered is None else lowered, regions)
    return tuple(rules[i] for i, k in enumerate(keep) if k)


@lru_cache(maxsize=256)
def _trigger_bytes(triggers: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(word.encode("utf-8") for word in trigger_words(w.lower() for w in triggers))
