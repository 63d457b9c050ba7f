"""Does a section say the same words in another layout? (pure core)

Block by block, a section re-laid out reads as text rewritten: the diff pairs runs across
the new breaks ("Refunds" as a first line -> "…you are required to ask first"). Read
as a whole, in the order a reader meets them, its words tell: `relaid` compares the
units of both versions (the title, each sentence, list item and table row) and names the
layout change when nothing else changed.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from .docmodel import Block, BlockKind, Section, clean
from .redline import words_of
from .rulebook import Rule

# Where a unit ends inside a paragraph.
_ENDS = frozenset({".", "!", "?", ";", ":"})
# What joins the parts of a sentence that a split writes as two.
_JOINS = frozenset({"and", "or"})
_KEPT = _ENDS | {","}
_LETTER = re.compile(r"\w")
_HEAD = 5  # the most words of a sentence's head that a split repeats
# How much longer one side may be (characters): a header row, the heads a split repeats.
_SLACK = 200

Units = list[list[str]]


def relaid(old: Section | None, new: Section | None) -> tuple[Rule, str] | None:
    """The rule and how the section was re-laid out with the same words, or None if its
    words changed:
    the same words in the same order (paragraphs split or joined, a first line made the
    heading, items re-flowed); a table made a list row for item (or the reverse), its
    header row aside; a sentence or an item split in two with its head repeated ("We
    collect your name, and your payment details" -> "We collect your name. We collect
    your payment details"), or two joined."""
    if old is None or new is None:
        return None
    # Sizes first: a section rewritten is no layout, and reading it word by word is the
    # costly part (one in seven of a 40 KB pair's judging time, before this check).
    sizes = [len(s.title) + sum(len(block.words) for block in s.blocks) for s in (old, new)]
    if abs(sizes[0] - sizes[1]) > _SLACK + max(sizes) // 50:
        return None
    a, b = _units(old), _units(new)
    if _flat(a) == _flat(b):
        return Rule.MARKUP, "the same words in the same order, laid out anew"
    tables = (_tables(old), _tables(new))
    if tables[0] != tables[1] and _flat(_units(old, headers=False)) == \
            _flat(_units(new, headers=False)):
        return Rule.MARKUP, "a table made a list, row for item (or the reverse), the header " \
            "row aside"
    if _split(a, b) or _split(b, a):
        return Rule.SAME_MEANING, "a sentence or an item split in two (or two joined), its " \
            "head repeated"
    return None


def _tables(section: Section) -> int:
    return sum(block.kind is BlockKind.TABLE for block in section.blocks)


def _words(text: str, cleaned: bool = False) -> list[str]:
    return [w.lower() for w in words_of(text if cleaned else clean(text))
            if w in _KEPT or _LETTER.search(w)]


def _units(section: Section, headers: bool = True) -> Units:
    """The title, then each sentence of a paragraph, each item of a list and each row of a
    table, as lower-case words (punctuation, bullets and markup left out)."""
    units: Units = [_alnum(_words(section.title))]
    for block in section.blocks:
        units.extend(_block_units(block, headers))
    return [u for u in units if u]


def _block_units(block: Block, headers: bool) -> Units:
    if block.kind is BlockKind.TABLE and block.rows:
        rows = block.rows if headers else block.rows[1:]
        return [_alnum(_words(" ".join(row))) for row in rows]
    if block.kind is BlockKind.LIST and block.items:
        return [unit for item in block.items for unit in _sentences(_words(item))]
    return _sentences(_words(block.words, cleaned=True))


def _sentences(words: list[str]) -> Units:
    units: Units = [[]]
    for word in words:
        if word in _ENDS:
            units.append([])
        else:
            units[-1].append(word)
    return [u for u in units if u]


def _alnum(words: list[str]) -> list[str]:
    return [w for w in words if w not in _ENDS and w != ","]


def _flat(units: Units, commas: bool = False) -> list[str]:
    return [w for unit in units for w in unit if commas or w != ","]


def _starts(units: Units) -> set[int]:
    """The position of each unit's first word in the flat words (commas counted)."""
    found, at = set(), 0
    for unit in units:
        found.add(at)
        at += len(unit)
    return found


def _unit_at(units: Units, position: int) -> list[str]:
    at = 0
    for unit in units:
        if at <= position < at + len(unit):
            return unit
        at += len(unit)
    return []


def _split(one: Units, two: Units) -> bool:
    """`two` is `one` with sentences or items split: each change replaces ", and" or ",
    or" by the first words of the unit it splits, which then start a unit of their own.
    The comma says the parts were whole: "We share your name or your email with Larkly"
    -> "We share your name. We share your email with Larkly" leaves the name's recipient
    unsaid."""
    a, b = _flat(one, commas=True), _flat(two, commas=True)
    # Counted first, as a bag of words: only joining words may go, and no more than a
    # head's worth of words per join may come. (Aligning two long sections that differ
    # in many words would take seconds.)
    gone, came = Counter(a) - Counter(b), Counter(b) - Counter(a)
    gone.pop(",", None)
    came.pop(",", None)
    if not gone or not set(gone) <= _JOINS or sum(came.values()) > _HEAD * gone.total():
        return False
    starts = _starts(two)
    changed = False
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal" or (op == "delete" and a[i1:i2] == [","]):
            continue
        joined = a[i1:i2]
        head = b[j1:j2]
        if op != "replace" or not set(joined) - {","} or not set(joined) <= _JOINS | {","} \
                or "," not in (joined[0], a[i1 - 1] if i1 else "") or len(head) > _HEAD \
                or j1 not in starts or _alnum(_unit_at(one, i1))[:len(head)] != head:
            return False
        changed = True
    return changed
