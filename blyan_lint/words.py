"""Word tests over source text that never miss a spelling Python accepts (fail-closed).

The prefilter and the statement pruning both ask "does this text hold one of these words?"
on the lower-cased UTF-8 bytes of the file. A plain substring test misses what Python
reads as the same code although the bytes differ:

- blanks, comments and line continuations between the tokens of a word (`t. half()`,
  `(t.  # why\\n half)()`, `- 1`, `quantization = "fp8"`): a word with punctuation also
  matches with such a gap between its parts (`gap_pattern`);
- string values the source does not spell (`"cp" "u"`, `"\\x63pu"`, `"\\N{...}"`, an
  escaped newline) and identifiers Python normalizes (NFKC: `ｈａｌｆ` is `half`): text
  holding those (`risky_text`) is also searched in a variant with adjacent literals joined,
  escapes decoded and Unicode normalized and lower-cased (`variant`).

Matching more than Python would is safe (the rules still judge the code); matching less
is a missed finding.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# What may stand between two tokens: blanks, a newline or comment inside brackets, a
# backslash continuation; `(` too, for `-(1)`.
_GAP = rb"(?:[ \t\f(]|\r\n?|\n|\\(?:\r\n?|\n)|#[^\r\n]*(?=[\r\n]))*"
# A quote, gap, optional string prefix, quote: two literals Python joins into one.
_JUNCTION = rb"""["'](?:[ \t\f]|\r\n?|\n|\\(?:\r\n?|\n)|#[^\r\n]*(?=[\r\n]))+[rbuf]{0,2}["']"""
# Escapes that can spell a letter or digit, and escaped newlines (inside a string they vanish).
_ESCAPE = rb"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\r\n]*\}|[0-7]{1,3}|\r?\n|\r)"
_RISKY = re.compile(rb"%s|%s" % (_ESCAPE, _JUNCTION.replace(b"[rbuf]", b"[rRbBuUfF]")))
_JOIN = re.compile(_JUNCTION.replace(b"[rbuf]", b"[rRbBuUfF]"))
_DECODE = re.compile(_ESCAPE)
_DOTTED = re.compile(rb"\.%s(\w+)" % _GAP.replace(b")*", b")+"))
_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONTEXT_LINES = 2
_TOKENS = re.compile(r"\w+|[^\w]")


def gap_pattern(word: str) -> re.Pattern[bytes] | None:
    """For a word with punctuation (`.half`, `-1`, `quantization=`), the pattern that also
    matches it with gaps between its tokens; None for a plain identifier-like word."""
    tokens = _TOKENS.findall(word)
    if len(tokens) < 2:
        return None
    parts = []
    exact = True  # every part spells its token: the plain word is one of the pattern's matches
    for i, token in enumerate(tokens):
        if token == "1" and i > 0 and tokens[i - 1] == "-":
            parts.append(rb"(?:1|0[xob])")  # -0x1 is -1 too
            exact = False
        else:
            parts.append(re.escape(token.encode("utf-8")))
    # two exact tokens: at least one gap character, else the plain word would have matched
    gap = _GAP.replace(b")*", b")+") if exact and len(parts) == 2 else _GAP
    return re.compile(gap.join(parts))


def dotted_names(data: bytes) -> frozenset[bytes]:
    """The names written after a dot with a gap (`t. half`, `(t.\\n  half)`): one search
    answers every dotted word whose plain spelling a text lacks."""
    return frozenset(_DOTTED.findall(data))


def risky_text(data: bytes) -> bytes | None:
    """Where the code in these bytes can mean words its bytes do not spell (an escape, a
    literal junction, a character that NFKC or lower-casing turns into ASCII): `variant` of
    the lines around each such place, joined by NULs. None where the bytes spell everything."""
    regions = risky_regions(data)
    return b"\0".join(text for _, _, text in regions) if regions else None


Regions = list[tuple[int, int, bytes]]


def risky_regions(data: bytes) -> Regions:
    """(start, end, `variant` of the text there) for the lines around each place where the
    code can mean words its bytes do not spell, two lines either side (for a word or a gap
    that starts or ends beyond them)."""
    # two searches: one alternation would lose the literal-prefix scan of the escapes
    places = [m.span() for m in _DECODE.finditer(data)] + [m.span() for m in _JOIN.finditer(data)]
    if not data.isascii():
        text = data.decode("utf-8", "surrogatepass")
        folding = "".join(sorted({c for c in _NON_ASCII.findall(text) if _folds(c)}))
        if folding:
            chars = re.compile("[" + "".join(f"\\U{ord(c):08x}" for c in folding) + "]")
            for m in chars.finditer(text):
                offset = len(text[: m.start()].encode("utf-8", "surrogatepass"))
                places.append((offset, offset + 1))
    regions: list[tuple[int, int]] = []
    for start, end in sorted(places):
        for _ in range(_CONTEXT_LINES + 1):
            start = data.rfind(b"\n", 0, start - 1) + 1 if start > 0 else 0
        for _ in range(_CONTEXT_LINES + 1):
            found = data.find(b"\n", end + 1)
            end = len(data) if found < 0 else found
        if regions and start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(end, regions[-1][1]))
        else:
            regions.append((start, end))
    return [(a, b, variant(data[a:b])) for a, b in regions]


def find_all(text: bytes, word: bytes, whole_before: bool = False, whole_after: bool = False) -> list[int]:
    """Every start offset of `word` in `text`; with `whole_*`, only where no identifier
    character touches it on that side (a non-ASCII byte does not count: it may fold)."""
    found = []
    at = text.find(word)
    size = len(word)
    while at >= 0:
        if not (whole_before and at > 0 and text[at - 1] in _IDENTIFIER_BYTES) and not (
            whole_after and text[at + size : at + size + 1] and text[at + size] in _IDENTIFIER_BYTES
        ):
            found.append(at)
        at = text.find(word, at + 1)
    return found


def dotted_positions(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, name) of each name written after a dot with a gap."""
    return [(m.start(), m.group(1)) for m in _DOTTED.finditer(data)]


@lru_cache(maxsize=4096)
def _folds(char: str) -> bool:
    """Does NFKC or lower-casing turn this non-ASCII character into something with ASCII?"""
    return any(c.isascii() for c in (*unicodedata.normalize("NFKC", char), *char.lower()))


def variant(data: bytes) -> bytes:
    """The lower-cased text with adjacent literals joined, escapes decoded and identifiers
    NFKC-normalized: a superset of the words the code means (searched beside `data`)."""
    joined = _JOIN.sub(b"", data)
    text = _DECODE.sub(_decoded, joined).decode("utf-8", "surrogatepass")
    lowered = text.lower()
    normalized = unicodedata.normalize("NFKC", text).lower()
    return b"\0".join(part.encode("utf-8", "surrogatepass") for part in (lowered, normalized))


def _decoded(match: re.Match[bytes]) -> bytes:
    escape = match.group(0)
    kind = escape[1:2]
    try:
        if kind == b"x" or kind in (b"u", b"U"):
            char = chr(int(escape[2:], 16))
        elif kind == b"N":
            char = unicodedata.lookup(escape[3:-1].decode("ascii", "replace"))
        elif kind in (b"\r", b"\n"):
            return b""
        else:
            char = chr(int(escape[1:], 8))
    except (KeyError, ValueError):
        return escape
    return char.encode("utf-8", "surrogatepass")
