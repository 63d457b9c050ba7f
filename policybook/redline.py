"""Word-level redlines between two texts (pure core).

A redline is the new text as a run of spans, each equal, deleted or inserted. Tokens
are words with their trailing space, and punctuation marks on their own
("sell, rent" is `sell` `,` `rent`), compared without the space: difflib over such
tokens gives the redline a lawyer expects ("share, ~~sell,~~ rent") and is fast;
character tokens give unreadable confetti, and whole-line diffs hide the words.
A word keeps its inner punctuation ("D.4", "e-mail", "1,000", "example.com"), so a
cross-reference or a number is one token.

`Redline.hunks()` gives the changed runs with their positions, which is what the
materiality rules read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from .segment import joins_with_space
from .segment import tokens as segment_tokens

# A word (letters/digits, with inner . , ' ’ @ / : % & + = ? # ~ - _ between them) or
# one punctuation mark; either with its trailing whitespace.
_TOKEN = re.compile(r"(?:\w[\w.,'’@/:%&+=?#~-]*\w|\w|[^\w\s])\s*")


class Op(StrEnum):
    EQUAL = "equal"
    DELETE = "delete"
    INSERT = "insert"


@dataclass(frozen=True)
class Span:
    op: Op
    text: str


@dataclass(frozen=True)
class Hunk:
    """One changed run: old words [old_start, old_end) became new words [new_start, new_end)."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    deleted: tuple[str, ...]
    inserted: tuple[str, ...]


@dataclass(frozen=True)
class Redline:
    old: str
    new: str
    spans: tuple[Span, ...]

    @property
    def changed(self) -> bool:
        return any(s.op is not Op.EQUAL for s in self.spans)

    @property
    def deleted_text(self) -> str:
        return "".join(s.text for s in self.spans if s.op is Op.DELETE).strip()

    @property
    def inserted_text(self) -> str:
        return "".join(s.text for s in self.spans if s.op is Op.INSERT).strip()

    def hunks(self) -> tuple[Hunk, ...]:
        """The changed runs, a deletion and the insertion right after it forming one hunk."""
        found: list[Hunk] = []
        oi = ni = 0
        start: tuple[int, int] | None = None
        deleted: list[str] = []
        inserted: list[str] = []
        for span in (*self.spans, Span(Op.EQUAL, "")):
            words = words_of(span.text)
            if span.op is Op.EQUAL:
                if start is not None:
                    found.append(Hunk(start[0], oi, start[1], ni, tuple(deleted),
                                      tuple(inserted)))
                    start, deleted, inserted = None, [], []
                oi += len(words)
                ni += len(words)
                continue
            if start is None:
                start = (oi, ni)
            if span.op is Op.DELETE:
                deleted.extend(words)
                oi += len(words)
            else:
                inserted.extend(words)
                ni += len(words)
        return tuple(found)


def tokens(text: str) -> list[str]:
    """Words with their trailing whitespace; "".join(tokens(t)) == t.lstrip()."""
    return segment_tokens(text)  # any script: CJK by character, Arabic by word


def words_of(text: str) -> list[str]:
    """The tokens of `text` without their whitespace."""
    return [t.rstrip() for t in tokens(text)]


def _merge(spans: list[Span]) -> Iterator[Span]:
    current: Span | None = None
    for span in spans:
        if not span.text:
            continue
        if current is not None and current.op is span.op:
            current = Span(span.op, current.text + span.text)
        else:
            if current is not None:
                yield current
            current = span
    if current is not None:
        yield current


def word_redline(old: str, new: str) -> Redline:
    """The word-level redline from `old` to `new` (both taken as plain text)."""
    a, b = tokens(old), tokens(new)
    ka, kb = [t.rstrip() for t in a], [t.rstrip() for t in b]
    spans: list[Span] = []
    # autojunk off: on long texts it would treat frequent words ("the") as junk and
    # produce a worse, not a faster, alignment of paragraph-sized texts.
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.append(Span(Op.EQUAL, "".join(b[j1:j2])))
            continue
        if i2 > i1:
            deleted = "".join(a[i1:i2])
            if j2 > j1 and joins_with_space(deleted, b[j1]):
                deleted += " "  # "~~Cookies~~ **Small files**", not "~~Cookies~~**Small"
            spans.append(Span(Op.DELETE, deleted))
        if j2 > j1:
            spans.append(Span(Op.INSERT, "".join(b[j1:j2])))
    return Redline(old, new, tuple(_merge(spans)))


def similarity(old: str, new: str) -> float:
    """How alike two texts are, word by word: 1.0 identical, 0.0 nothing in common."""
    ka, kb = words_of(old), words_of(new)
    if not ka and not kb:
        return 1.0
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    if matcher.real_quick_ratio() < 0.2 or matcher.quick_ratio() < 0.2:
        return matcher.quick_ratio() / 2
    return matcher.ratio()
