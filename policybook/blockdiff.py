"""Blocks, list items and table rows of two versions of a section, compared (pure core).

Blocks are aligned with difflib by their words; a block whose words changed gets a
word-level redline, a list is compared item by item and a table row by row and cell by
cell (an added row is one added item); a block whose words did not change but whose
Markdown did is "restyled", with what changed (whitespace, list markers, links...).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace

from .changeset import (
    BlockChange,
    BlockChangeKind,
    Change,
    ItemChange,
    ItemKind,
    Style,
)
from .document import Block, BlockKind
from .document import clean as clean  # defined with `Block.words`; imported from here
from .redline import Redline, increasing, opcodes, similarity, word_redline

_MARKER = re.compile(r"^(\s*)(?:[*+-]|\d{1,9}[.)])(\s+)", re.MULTILINE)
_MARKER_ONLY = re.compile(r"^(\s*)([*+-]|\d{1,9}[.)])\s", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def block_words(block: Block) -> str:
    return block.words


def whole_block(kind: BlockChangeKind, block: Block) -> BlockChange:
    words = block_words(block)
    added = kind is BlockChangeKind.ADDED
    redline = word_redline("", words) if added else word_redline(words, "")
    units = _units(block)
    item_kind = ItemKind.ADDED if added else ItemKind.REMOVED
    items = tuple(
        ItemChange(item_kind, None if added else i, i if added else None,
                   word_redline("", u) if added else word_redline(u, ""),
                   _cells(block, i, added))
        for i, u in enumerate(units)
    ) if block.kind in (BlockKind.LIST, BlockKind.TABLE) else ()
    return BlockChange(kind, None if added else block, block if added else None, redline, items)


def _units(block: Block) -> list[str]:
    if block.kind is BlockKind.TABLE:
        return [" | ".join(clean(c) for c in row) for row in block.rows]
    return [clean(item) for item in block.items]


def _cells(block: Block, index: int, added: bool) -> tuple[Redline, ...]:
    if block.kind is not BlockKind.TABLE:
        return ()
    row = block.rows[index]
    return tuple(word_redline("", clean(c)) if added else word_redline(clean(c), "")
                 for c in row)


def align(old: Sequence[str], new: Sequence[str], threshold: float
           ) -> Iterator[tuple[int | None, int | None]]:
    """Pairs (old index, new index), in order; None on the side where a unit is missing.
    Equal units pair by difflib; within a replaced run, similar units pair in order."""
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            yield from zip(range(i1, i2), range(j1, j2), strict=True)
        else:
            yield from _keyed_run(old, new, i1, i2, j1, j2, threshold)


# How many later units a unit is compared with: a bounded alignment keeps a table whose
# rows all changed linear (1,000 rows compared each with each took minutes).
_WINDOW = 24


def _key(unit: str) -> str:
    """A row's first cell (its key column), or a list item's first words."""
    return unit.split(" | ", 1)[0] if " | " in unit else " ".join(unit.split()[:4])


def _keyed_run(old: Sequence[str], new: Sequence[str], i1: int, i2: int, j1: int, j2: int,
               threshold: float) -> Iterator[tuple[int | None, int | None]]:
    """A long replaced run is first split at units whose key occurs once on each side
    and in the same order (a table's key column), then each piece is aligned."""
    if (i2 - i1) * (j2 - j1) <= _WINDOW * _WINDOW:
        yield from _pair_run(old, new, i1, i2, j1, j2, threshold)
        return
    keys_a = Counter(_key(old[i]) for i in range(i1, i2))
    keys_b = Counter(_key(new[j]) for j in range(j1, j2))
    where = {_key(new[j]): j for j in range(j1, j2) if keys_b[_key(new[j])] == 1}
    anchors = [(i, where[_key(old[i])]) for i in range(i1, i2)
               if keys_a[_key(old[i])] == 1 and _key(old[i]) in where]
    i, j = i1, j1
    for ai, bj in increasing(anchors):
        yield from _pair_run(old, new, i, ai, j, bj, threshold)
        yield ai, bj
        i, j = ai + 1, bj + 1
    yield from _pair_run(old, new, i, i2, j, j2, threshold)


def _pair_run(old: Sequence[str], new: Sequence[str], i1: int, i2: int, j1: int, j2: int,
              threshold: float) -> Iterator[tuple[int | None, int | None]]:
    """Within a replaced run, each old unit pairs with the most similar later new unit;
    in a long run only the next few are tried (at least `_WINDOW`), so that the work
    stays bounded."""
    j = j1
    window = max(_WINDOW, 4096 // max(1, i2 - i1))
    for i in range(i1, i2):
        best, best_score = None, threshold
        for k in range(j, min(j2, j + window)):
            score = similarity(old[i], new[k])
            if score >= best_score:
                best, best_score = k, score
                if score > 0.9:
                    break
        if best is None:
            yield i, None
            continue
        for k in range(j, best):
            yield None, k
        yield i, best
        j = best + 1
    for k in range(j, j2):
        yield None, k


def _styles(a: Block, b: Block) -> tuple[Style, ...]:
    """What differs in the Markdown of two blocks (of equal or changed words)."""
    found: list[Style] = []
    if a.kind is not b.kind:
        found.append(Style.BLOCK_KIND)
    if [link.href for link in a.links] != [link.href for link in b.links]:
        found.append(Style.LINKS)
    sa, sb = " ".join(a.source.split()), " ".join(b.source.split())
    if a.source == b.source:
        return tuple(found)
    if sa == sb:
        return (*found, Style.WHITESPACE)
    markers_a = [m[1] for m in _MARKER_ONLY.findall(a.source)]
    markers_b = [m[1] for m in _MARKER_ONLY.findall(b.source)]
    if a.kind is BlockKind.LIST and b.kind is BlockKind.LIST and \
            len(markers_a) == len(markers_b) and markers_a != markers_b:
        found.append(Style.LIST_MARKERS)
    if Style.BLOCK_KIND not in found and _bare(a.source) != _bare(b.source):
        found.append(Style.MARKUP)
    return tuple(found)


def _bare(source: str) -> str:
    """Markdown without list markers, link targets and whitespace differences."""
    return " ".join(_LINK_TARGET.sub("]()", _MARKER.sub(r"\1-\2", source)).split())


def _link_changes(a: Block | None, b: Block | None) -> tuple[tuple[str, str], ...]:
    """(old href, new href) of links whose target changed, paired by their words."""
    old = list(a.links) if a else []
    new = list(b.links) if b else []
    if [x.href for x in old] == [y.href for y in new]:
        return ()
    pairs: list[tuple[str, str]] = []
    for i, j in align([x.text for x in old], [y.text for y in new], 0.5):
        x = old[i].href if i is not None else ""
        y = new[j].href if j is not None else ""
        if x != y:
            pairs.append((x, y))
    return tuple(pairs)


def diff_blocks(old: Sequence[Block], new: Sequence[Block]) -> Iterator[BlockChange]:
    ka, kb = [block_words(b) for b in old], [block_words(b) for b in new]
    for tag, i1, i2, j1, j2 in opcodes(ka, kb):
        if tag == "equal":
            pairs: Iterator[tuple[int | None, int | None]] = zip(range(i1, i2), range(j1, j2),
                                                                 strict=True)
        elif i2 > i1 and j2 > j1 and " ".join(ka[i1:i2]) == " ".join(kb[j1:j2]):
            # The same words in other blocks: paragraphs or lists split or joined (a
            # change of list marker can split a list in two), nothing else.
            yield BlockChange(BlockChangeKind.RESTYLED, old[i1], new[j1],
                              word_redline(" ".join(ka[i1:i2]), " ".join(kb[j1:j2])),
                              style=(Style.BLOCK_KIND,))
            continue
        else:
            pairs = _keyed_run(ka, kb, i1, i2, j1, j2, 0.4)
        for i, j in pairs:
            change = _block_pair(old, new, ka, kb, i, j)
            if change is not None:
                yield change


def _block_pair(old: Sequence[Block], new: Sequence[Block], ka: Sequence[str],
                kb: Sequence[str], i: int | None, j: int | None) -> BlockChange | None:
    if i is None:
        assert j is not None
        return whole_block(BlockChangeKind.ADDED, new[j])
    if j is None:
        return whole_block(BlockChangeKind.REMOVED, old[i])
    a, b = old[i], new[j]
    if a.source == b.source and ka[i] == kb[j]:
        return None
    style = _styles(a, b) if a.source != b.source else ()
    links = _link_changes(a, b)
    if ka[i] == kb[j]:
        if not style:
            return None
        return BlockChange(BlockChangeKind.RESTYLED, a, b, word_redline(ka[i], kb[j]),
                           style=style, links=links)
    return BlockChange(BlockChangeKind.CHANGED, a, b, word_redline(ka[i], kb[j]),
                       _diff_items(a, b), style=tuple(s for s in style if s is not Style.MARKUP),
                       links=links)


def _diff_items(a: Block, b: Block) -> tuple[ItemChange, ...]:
    if a.kind is not b.kind or a.kind not in (BlockKind.LIST, BlockKind.TABLE):
        return ()
    ua, ub = _units(a), _units(b)
    table = a.kind is BlockKind.TABLE
    found: list[ItemChange] = []
    for i, j in align(ua, ub, 0.55):
        if i is not None and j is not None:
            kind = ItemKind.UNCHANGED if ua[i] == ub[j] else ItemKind.CHANGED
            cells: tuple[Redline, ...] = ()
            if table and len(a.rows[i]) == len(b.rows[j]):
                cells = tuple(word_redline(clean(x), clean(y))
                              for x, y in zip(a.rows[i], b.rows[j], strict=True))
            found.append(ItemChange(kind, i, j, word_redline(ua[i], ub[j]), cells))
        elif i is not None:
            found.append(ItemChange(ItemKind.REMOVED, i, None, word_redline(ua[i], ""),
                                    _cells(a, i, added=False)))
        elif j is not None:
            found.append(ItemChange(ItemKind.ADDED, None, j, word_redline("", ub[j]),
                                    _cells(b, j, added=True)))
    # An item removed in one place and added with the same words in another moved.
    removed = {found[k].redline.old: k for k in range(len(found))
               if found[k].kind is ItemKind.REMOVED}
    result: list[ItemChange] = []
    moved_away: set[int] = set()
    for item in found:
        source = removed.get(item.redline.new) if item.kind is ItemKind.ADDED else None
        if source is not None and source not in moved_away:
            moved_away.add(source)
            gone = found[source]
            result.append(ItemChange(ItemKind.MOVED, gone.old_index, item.new_index,
                                     word_redline(item.redline.new, item.redline.new)))
        else:
            result.append(item)
    return tuple(r for k, r in enumerate(result)
                 if not (found[k].kind is ItemKind.REMOVED and k in moved_away))


def find_moved_blocks(changes: list[Change]) -> Iterator[Change]:
    """A block removed from one place and added, word for word, in another moved."""
    gone: dict[str, list[tuple[int, int]]] = {}
    came: dict[str, list[tuple[int, int]]] = {}
    for ci, change in enumerate(changes):
        for bi, block in enumerate(change.blocks):
            words = block.redline.old if block.kind is BlockChangeKind.REMOVED else \
                block.redline.new
            if len(words.split()) < 3:
                continue
            if block.kind is BlockChangeKind.REMOVED:
                gone.setdefault(words, []).append((ci, bi))
            elif block.kind is BlockChangeKind.ADDED:
                came.setdefault(words, []).append((ci, bi))
    moved: dict[tuple[int, int], str] = {}
    for words, sources in gone.items():
        for (sc, sb), (tc, tb) in zip(sources, came.get(words, []), strict=False):
            moved[(sc, sb)] = changes[tc].section
            moved[(tc, tb)] = changes[sc].section
    for ci, change in enumerate(changes):
        if not any((ci, bi) in moved for bi in range(len(change.blocks))):
            yield change
            continue
        blocks = tuple(
            replace(b, kind=BlockChangeKind.MOVED, elsewhere=moved[(ci, bi)],
                    redline=word_redline(b.redline.old or b.redline.new,
                                         b.redline.old or b.redline.new), items=())
            if (ci, bi) in moved else b
            for bi, b in enumerate(change.blocks))
        yield replace(change, blocks=blocks)
