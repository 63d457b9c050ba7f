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
  such as jieba or MeCab bring tens of megabytes of data for a redline that is
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

import unicodedata
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

_SPACE, _CONTROL, _MARK, _CHAR, _WORD, _PUNCT = range(6)


def is_unspaced(char: str) -> bool:
    """True for a character of a script written without spaces (CJK, kana, Thai...)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED)


def _kind(char: str) -> int:
    if char in BIDI_CONTROLS:
        return _CONTROL
    if char.isspace():
        return _SPACE
    if char in _JOINERS or unicodedata.category(char)[0] == "M" \
            or 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF:
        return _MARK
    if is_unspaced(char) and (char.isalnum() or unicodedata.category(char) == "Lm"):
        return _CHAR
    if char.isalnum() or char == "_":
        return _WORD
    return _PUNCT


def tokens(text: str) -> list[str]:
    """The tokens of `text`, each with its trailing whitespace (see the module doc)."""
    text = text.lstrip()
    kinds = [_kind(c) for c in text]
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        start, kind = i, kinds[i]
        i += 1
        if kind == _WORD:
            while i < n:
                k = kinds[i]
                if k in (_WORD, _MARK):
                    i += 1
                elif text[i] in _INNER:
                    # inner punctuation ("://", "-", ".") stays when a letter or digit follows
                    j = i
                    while j < n and text[j] in _INNER:
                        j += 1
                    if j < n and kinds[j] == _WORD:
                        i = j
                    else:
                        break
                else:
                    break
        elif kind != _CONTROL:
            # A character, a punctuation mark (or a stray mark): with its combining marks.
            while i < n and kinds[i] == _MARK:
                i += 1
        while i < n and kinds[i] == _SPACE:
            i += 1
        out.append(text[start:i])
    return out


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
