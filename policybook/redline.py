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

import functools
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
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
        """The changed runs, a deletion and the insertion right after it forming one hunk.
        Found once per redline (the rules ask more than once), kept beside its fields."""
        known: tuple[Hunk, ...] | None = self.__dict__.get("_hunks")
        if known is None:
            known = self.__dict__["_hunks"] = self._hunks()
        return known

    def _hunks(self) -> tuple[Hunk, ...]:
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
    return list(_split(text)[0])


def words_of(text: str) -> list[str]:
    """The tokens of `text` without their whitespace."""
    return list(_split(text)[1])


@functools.lru_cache(maxsize=4096)
def _split(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tokens, words) of a text, once per text: the same block's words are read to pair
    blocks, to redline them and by the rules, and a long list or table is one text."""
    found = segment_tokens(text)  # any script: CJK by character, Arabic by word
    return tuple(found), tuple(map(str.rstrip, found))


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
    a, b = _split(old)[0], _split(new)[0]
    if old == new:  # what difflib would find (an unchanged list item or table cell)
        return Redline(old, new, (Span(Op.EQUAL, "".join(b)),) if b else ())
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in _text_opcodes(old, new):
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


@functools.lru_cache(maxsize=256)
def _text_opcodes(old: str, new: str) -> tuple[Opcode, ...]:
    """The opcodes from the words of `old` to those of `new`, once per pair of texts
    (two long blocks are compared to pair them, then redlined). Short texts go to
    difflib with autojunk off: on long texts it would treat frequent words ("the") as
    junk and produce a worse, not a faster, alignment of paragraph-sized texts."""
    return tuple(opcodes(_split(old)[1], _split(new)[1]))


def similarity(old: str, new: str) -> float:
    """How alike two texts are, word by word: 1.0 identical, 0.0 nothing in common."""
    if old == new:
        return 1.0  # what either way below gives
    ka, kb = _split(old)[1], _split(new)[1]
    if not ka and not kb:
        return 1.0
    if len(ka) * len(kb) > _SMALL:
        overlap = sum((Counter(ka) & Counter(kb)).values()) * 2 / (len(ka) + len(kb))
        if overlap < 0.2:
            return overlap / 2
        same = sum(i2 - i1 for tag, i1, i2, _j1, _j2 in _text_opcodes(old, new)
                   if tag == "equal")
        return 2 * same / (len(ka) + len(kb))
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    if matcher.real_quick_ratio() < 0.2 or matcher.quick_ratio() < 0.2:
        return matcher.quick_ratio() / 2
    return matcher.ratio()


# ---------------------------------------------------------------- a near-linear diff

# Below this many token pairs difflib is exact and fast; above it, its longest-match
# search grows with the product of the lengths (a 400 KB table as one block took 11 s).
_SMALL = 40_000
Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """difflib-style opcodes from `a` to `b`. Short inputs go to difflib as they are; long
    ones are split first at tokens that occur once on each side, in the same order
    (patience diff), so the work grows with the length, not its square."""
    if len(a) * len(b) <= _SMALL:
        return [tuple(op) for op in  # type: ignore[misc]
                SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]
    blocks: list[tuple[int, int, int]] = []
    _match(a, b, 0, len(a), 0, len(b), blocks, 0)
    blocks.sort()
    ops: list[Opcode] = []
    i = j = 0
    for bi, bj, size in (*blocks, (len(a), len(b), 0)):
        if i < bi and j < bj:
            ops.append(("replace", i, bi, j, bj))
        elif i < bi:
            ops.append(("delete", i, bi, j, j))
        elif j < bj:
            ops.append(("insert", i, i, j, bj))
        if size:
            if ops and ops[-1][0] == "equal" and ops[-1][2] == bi:
                ops[-1] = ("equal", ops[-1][1], bi + size, ops[-1][3], bj + size)
            else:
                ops.append(("equal", bi, bi + size, bj, bj + size))
        i, j = bi + size, bj + size
    return ops


def _match(a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int,
           bhi: int, out: list[tuple[int, int, int]], depth: int) -> None:
    """Append the matching blocks (i, j, size) of a[alo:ahi] and b[blo:bhi] to `out`."""
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        out.append((alo, blo, 1))
        alo, blo = alo + 1, blo + 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        out.append((ahi, bhi, 1))
    if alo == ahi or blo == bhi:
        return
    if (ahi - alo) * (bhi - blo) <= _SMALL or depth > 40:
        matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi],
                                  autojunk=(ahi - alo) * (bhi - blo) > _SMALL)
        out.extend((alo + m.a, blo + m.b, m.size) for m in matcher.get_matching_blocks()
                   if m.size)
        return
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[k]: k for k in range(blo, bhi) if count_b[b[k]] == 1}
    anchors = [(k, where_b[a[k]]) for k in range(alo, ahi)
               if count_a[a[k]] == 1 and a[k] in where_b]
    chain = increasing(anchors)
    if not chain:
        _match(a, b, alo, ahi, blo, bhi, out, 41)  # no anchor: difflib with autojunk
        return
    i, j = alo, blo
    for ai, bj in chain:
        _match(a, b, i, ai, j, bj, out, depth + 1)
        out.append((ai, bj, 1))
        i, j = ai + 1, bj + 1
    _match(a, b, i, ahi, j, bhi, out, depth + 1)


def increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pairs` (sorted by their first value) whose second values
    increase too (patience sorting)."""
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = []
    for n, (_i, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k] = j
            tail_at[k] = n
        back.append(tail_at[k - 1] if k else -1)
    chain: list[tuple[int, int]] = []
    n = tail_at[-1] if tail_at else -1
    while n >= 0:
        chain.append(pairs[n])
        n = back[n]
    return chain[::-1]
