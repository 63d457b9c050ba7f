"""Tokens for word redlines in any script, and the direction of a text (pure core).

The redline compares texts token by token (difflib over the tokens without their
trailing space). What a token is depends on the script:

- Scripts that put spaces between words (Latin, Cyrillic, Greek, Korean, Arabic,
  Hebrew...): a word with its trailing whitespace, and each punctuation mark on its own.
  A word keeps its inner punctuation ("D.4", "e-mail", "1,000", "example.com"), as
  `policybook.redline` has always done, so a cross-reference or a number stays one token.
- Scripts written without spaces (Chinese, Japanese kana and kanji, Thai, Lao, Khmer,
  Myanmar): one character per token, with its combining marks. Without a dictionary
  there is no reliable word boundary, and a character is what changes: "三十日" to
  "六十日" is one character replaced, not the whole sentence. (Dictionary segmenters
  such as jieba or MeCab bring megabytes of dictionaries for a redline that is
  already readable per character.) A run of Latin letters or digits inside such a text
  is still one word ("iPhone", "2027", "1,000").
- Right-to-left scripts are words like any spaced script; their combining marks
  (Arabic harakat, Hebrew points) and the zero-width (non-)joiners of Persian stay
  inside the word. Bidirectional control characters (LRM, RLM, ALM, embeddings,
  isolates) are tokens of their own, so inserting one to fix the display of a number
  is a change to that mark alone, never to the word beside it.

`"".join(tokens(t)) == t.lstrip()` for every text, so spans rebuild the text exactly.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum


class Direction(StrEnum):
    LTR = "ltr"
    RTL = "rtl"


# Explicit bidirectional formatting characters (Unicode's Bidi_Control property).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
# Inside a word: combining marks (categories M*), these joiners and variation selectors.
_JOINERS = frozenset("\u200c\u200d\u034f")
# Between two word characters, these stay inside the word (as in redline.py).
_INNER = frozenset(".,'’@/:%&+=?#~-")

# Code point ranges of scripts written without spaces between words.
_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31FF),  # Bopomofo extended, CJK strokes, Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x20000, 0x3134F),  # CJK extensions B to G
)


def is_unspaced(char: str) -> bool:
    """True for a character of a script written without spaces (CJK, kana, Thai...)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED)


def _mark_ranges() -> list[tuple[int, int]]:
    """Code point ranges of the combining marks (categories Mn, Mc, Me) up to plane 1."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    for code in range(0x20000):
        if unicodedata.category(chr(code))[0] == "M":
            start = code if start is None else start
        elif start is not None:
            found.append((start, code - 1))
            start = None
    return [*found, (0xE0100, 0xE01EF)]  # variation selectors supplement


def _chars(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


# Any character outside ASCII: only those can call for the full pattern.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Tokens of a text without marks, unspaced letters, bidi controls or astral characters
# (most policies in Latin scripts): two to three times faster than the full pattern.
_FAST = re.compile("(?:\\w(?:\\w++|[" + "".join(re.escape(c) for c in sorted(_INNER))
                   + "]+(?=\\w))*|\\S)\\s*")


@functools.cache
def _special(char: str) -> bool:
    """A combining mark or joiner, a letter of an unspaced script, a bidi control or an
    astral character: what the fast pattern does not tokenise as the full one does."""
    return (ord(char) > 0xFFFF or char in BIDI_CONTROLS or char in _JOINERS
            or is_unspaced(char) or unicodedata.category(char)[0] == "M")


@functools.cache
def _full() -> re.Pattern[str]:
    """The pattern for any text, built on first use: scanning the marks and compiling
    their classes takes ~30 ms, which every process would pay, and a text in a Latin
    script never needs it (a character class in Python's `re` stays a fast bitmap only
    when all its characters are in the Basic Multilingual Plane, so the astral ranges
    are classes of their own)."""
    marks = _mark_ranges()
    bmp_marks = _chars(r for r in marks if r[1] <= 0xFFFF) + "".join(sorted(_JOINERS))
    astral_marks = _chars(r for r in marks if r[0] > 0xFFFF)
    bmp_unspaced = _chars(r for r in _UNSPACED if r[1] <= 0xFFFF)
    astral_unspaced = _chars(r for r in _UNSPACED if r[0] > 0xFFFF)
    controls = "".join(sorted(BIDI_CONTROLS))
    inner = "".join(re.escape(c) for c in sorted(_INNER))
    mark = f"(?:[{bmp_marks}]|[{astral_marks}])"
    unspaced = f"(?:[{bmp_unspaced}]|[{astral_unspaced}])"
    letter = f"(?!{unspaced})\\w"  # a letter, digit or _ of a spaced script
    return re.compile(f"(?:{letter}(?:{letter}|{mark}|[{inner}]+(?={letter}))*"  # a word
                      f"|[{controls}]"  # a bidi control, alone
                      f"|{unspaced}{mark}*"  # one character of an unspaced script
                      f"|[^\\s{controls}]{mark}*)\\s*")  # a punctuation mark


def tokens(text: str) -> list[str]:
    """The tokens of `text`, each with its trailing whitespace (see the module doc)."""
    text = text.lstrip()
    if text.isascii() or not any(_special(c) for c in set(_NON_ASCII.findall(text))):
        return _FAST.findall(text)
    return _full().findall(text)


def words_of(text: str) -> list[str]:
    """The tokens of `text` without their whitespace (what the redline compares)."""
    return [t.rstrip() for t in tokens(text)]


def joins_with_space(left: str, right: str) -> bool:
    """Whether a deleted run ending in `left` and an inserted one starting with `right`
    need a space between them when shown side by side ("~~Cookies~~ **Files**").

    Not in scripts without spaces: "~~三十~~**六十**日" must not gain one.
    """
    if not left or not right:
        return False
    last, first = left[-1], right[0]
    if is_unspaced(last) or is_unspaced(first):
        return False
    return last.isalnum() and first.isalnum()


def script_direction(text: str) -> Direction:
    """`rtl` when most strongly directional letters of `text` are right-to-left.

    A majority, not the first strong letter (HTML's `dir=auto`): an Arabic or Hebrew
    policy often opens with a Latin brand name or web address. A tie goes to the first
    strong letter; a text without letters (digits, punctuation) is `ltr`.
    """
    rtl = ltr = 0
    first: Direction | None = None
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            rtl += 1
            first = first or Direction.RTL
        elif bidi == "L":
            ltr += 1
            first = first or Direction.LTR
    if rtl != ltr:
        return Direction.RTL if rtl > ltr else Direction.LTR
    return first or Direction.LTR
