"""Document x Document -> ChangeSet: the section-aware semantic diff (pure core).

How sections are compared (the shape handed to deepdiff, and why):

1. Sections are paired first: by their stable id (ids survive renumbering, and an
   explicit `{#id}` survives retitling); then an unpaired section whose own text is the
   same as an unpaired one on the other side (moved or retitled); then by similarity of
   their text (retitled and edited). Each pair gets one *key*: the old section's id.
2. Each document becomes plain JSON-like data keyed by those keys:
   `{"order": [key, ...], "sections": {key: {"id", "parent", "level", "number",
   "title", "words", "source"}}}`. The section order is a *list* because deepdiff
   ignores the order of dict keys: only the list shows a move (a key deleted at one
   index and inserted at another). `words` and `source` are digests of the section's
   own text and Markdown, so that deepdiff reports "this section's words changed"
   instead of diffing long strings itself. `threshold_to_diff_deeper=0`, or deepdiff
   would collapse a mostly-changed section into one opaque replacement; keys are
   stable, so every report names a section. Nothing is pickled: the data is plain
   str/int and the result is turned into our own frozen values at once.
3. deepdiff then says which sections were added or removed, retitled, renumbered,
   re-levelled, moved (parent changed, or order changed) and modified. Within a
   modified section, blocks are aligned with difflib (by their words), changed blocks
   get a word-level redline (`redline.py`), lists are compared item by item and tables
   row by row and cell by cell (an added row is one added item).
4. A block (or list item) removed in one place and added with the same words in
   another is reported as moved, not as a deletion plus an addition.

Front-matter changes are reported apart (`ChangeSet.front`): they never change the
text a user agrees to.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any

from deepdiff import DeepDiff

from .document import ROOT_ID, Block, BlockKind, Document, Section
from .redline import Redline, similarity, word_redline, words_of


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    RETITLED = "retitled"
    RENUMBERED = "renumbered"
    RELEVELED = "heading-level"
    MODIFIED = "modified"


class BlockChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"  # its words changed
    RESTYLED = "restyled"  # same words, different Markdown
    MOVED = "moved"  # same words, in another place


class ItemKind(StrEnum):
    UNCHANGED = "unchanged"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    MOVED = "moved"


class Style(StrEnum):
    """What changed in a block whose words did not."""

    WHITESPACE = "whitespace"
    LIST_MARKERS = "list-markers"
    LINKS = "links"
    BLOCK_KIND = "block-kind"  # a paragraph became a quote, paragraphs split or joined
    MARKUP = "markup"  # emphasis, code spans, escapes, template tags


@dataclass(frozen=True)
class ItemChange:
    """One list item or table row; tables also carry a redline per cell."""

    kind: ItemKind
    old_index: int | None
    new_index: int | None
    redline: Redline
    cells: tuple[Redline, ...] = ()


@dataclass(frozen=True)
class BlockChange:
    kind: BlockChangeKind
    old: Block | None
    new: Block | None
    redline: Redline  # of the block's words (all inserted or all deleted when added/removed)
    items: tuple[ItemChange, ...] = ()  # lists and tables: every item, changed or not
    style: tuple[Style, ...] = ()  # RESTYLED (and CHANGED): what changed besides words
    links: tuple[tuple[str, str], ...] = ()  # (old href, new href); "" when absent
    elsewhere: str | None = None  # MOVED: the section id it came from or went to

    @property
    def block_kind(self) -> BlockKind:
        block = self.new or self.old
        assert block is not None
        return block.kind

    @property
    def line(self) -> int:
        """Line in the new file (the old file's, for a removal)."""
        block = self.new or self.old
        return block.line if block is not None else 0

    @property
    def is_table(self) -> bool:
        return self.block_kind is BlockKind.TABLE


@dataclass(frozen=True)
class Change:
    """One thing that happened to one section; a section may have several (moved and
    modified, say), each its own Change so that each gets its own verdict."""

    kind: ChangeKind
    section: str  # the stable id (the new one when the section still exists)
    title: str  # the title as shown (the new one when the section still exists)
    path: tuple[str, ...]  # headings from the top-level section down to this one
    old: Section | None
    new: Section | None
    blocks: tuple[BlockChange, ...] = ()
    redline: Redline | None = None  # RETITLED: the title; RENUMBERED: the number
    detail: str = ""

    @property
    def heading(self) -> str:
        section = self.new or self.old
        if section is None or section.level == 0:
            return "(text before the first heading)"
        return section.heading

    @property
    def line(self) -> int:
        section = self.new or self.old
        return section.line if section is not None else 0

    @property
    def where(self) -> str:
        """`3. Disclosure › Your consent`: the way a lawyer finds the place."""
        return " › ".join(self.path) if self.path else self.heading


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None
    line: int  # in the new file (0 when the field was removed)


@dataclass(frozen=True)
class ChangeSet:
    old: Document
    new: Document
    changes: tuple[Change, ...]
    front: tuple[FieldChange, ...]

    @property
    def empty(self) -> bool:
        return not self.changes and not self.front

    @property
    def same_source(self) -> bool:
        return self.old.source == self.new.source

    def sections(self) -> Iterator[tuple[str, tuple[Change, ...]]]:
        """The changes grouped by section, in document order."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.section, []).append(change)
        for key, group in groups.items():
            yield key, tuple(group)


# ---------------------------------------------------------------- normalising text

_TEMPLATE_TAG = re.compile(r"\{%-?.*?-?%\}")
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.IGNORECASE)
_MARKER = re.compile(r"^(\s*)(?:[*+-]|\d{1,9}[.)])(\s+)", re.MULTILINE)
_MARKER_ONLY = re.compile(r"^(\s*)([*+-]|\d{1,9}[.)])\s", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def clean(text: str) -> str:
    """The words a reader sees: template tags (`{% note %}`) dropped, and a GitHub-style
    alert (`> [!NOTE]`) read as the label it displays ("Note:")."""
    text = _TEMPLATE_TAG.sub(" ", text)
    text = _ALERT.sub(lambda m: m.group(1).capitalize() + ": ", text.strip())
    return " ".join(text.split())


def _block_words(block: Block) -> str:
    return clean(block.text)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class _Node:
    section: Section
    parent: str | None  # parent section id
    path: tuple[str, ...]
    index: int  # preorder position

    @property
    def words(self) -> str:
        return " ".join(_block_words(b) for b in self.section.blocks)


def _nodes(doc: Document) -> dict[str, _Node]:
    found: dict[str, _Node] = {}

    def visit(s: Section, parent: str | None, path: tuple[str, ...]) -> None:
        here = (*path, s.heading) if s.level else path
        found[s.id] = _Node(s, parent, here, len(found))
        for child in s.children:
            visit(child, s.id, here)

    visit(doc.root, None, ())
    return found


def _pair_sections(old: dict[str, _Node], new: dict[str, _Node]) -> dict[str, str]:
    """new id -> old id for every section found on both sides."""
    pairs = {sid: sid for sid in new if sid in old}
    left = [o for o in old if o not in pairs.values()]
    right = [n for n in new if n not in pairs]
    # Same words elsewhere: moved and/or retitled.
    by_words: dict[str, list[str]] = {}
    for o in left:
        if old[o].words:
            by_words.setdefault(old[o].words, []).append(o)
    for n in list(right):
        candidates = by_words.get(new[n].words or "\0", [])
        if len(candidates) == 1:
            pairs[n] = candidates.pop()
            right.remove(n)
            left.remove(pairs[n])
    # Similar words (or, for sections without text of their own, a similar title).
    # SequenceMatcher caches its second sequence: one matcher per new section, and the
    # cheap upper bounds first, keep a rewritten document (50 x 50 sections) fast.
    scored: list[tuple[float, int, str, str]] = []
    old_words = {o: words_of(old[o].words or old[o].section.title) for o in left}
    for n in right:
        b = new[n]
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(words_of(b.words or b.section.title))
        for o in left:
            a = old[o]
            if bool(a.words) != bool(b.words):
                continue
            threshold = 0.5 if b.words else 0.6
            matcher.set_seq1(old_words[o])
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            score = matcher.ratio()
            if score >= threshold:
                scored.append((score, -abs(a.index - b.index), o, n))
    taken: set[str] = set()
    for _score, _distance, o, n in sorted(scored, reverse=True):
        if o in taken or n in pairs:
            continue
        pairs[n] = o
        taken.add(o)
    return pairs


def _tree(nodes: dict[str, _Node], key: dict[str, str]) -> dict[str, Any]:
    """The JSON-like shape given to deepdiff (see the module docstring)."""
    return {
        "order": [key[sid] for sid in nodes],
        "sections": {
            key[sid]: {
                "id": sid,
                "parent": key[n.parent] if n.parent is not None else None,
                "level": n.section.level,
                "number": n.section.number,
                "title": n.section.title,
                "words": _digest(n.words),
                "source": _digest("\n\n".join(b.source for b in n.section.blocks)),
            }
            for sid, n in nodes.items()
        },
    }


_ATTRIBUTE_KIND = {
    "title": ChangeKind.RETITLED,
    "id": ChangeKind.RETITLED,
    "number": ChangeKind.RENUMBERED,
    "level": ChangeKind.RELEVELED,
    "parent": ChangeKind.MOVED,
    "words": ChangeKind.MODIFIED,
    "source": ChangeKind.MODIFIED,
}
_KIND_ORDER = list(ChangeKind)


def _structural(old_tree: dict[str, Any], new_tree: dict[str, Any]
                ) -> tuple[set[str], set[str], dict[str, set[ChangeKind]]]:
    """(added keys, removed keys, key -> kinds of change) from deepdiff."""
    # Sections whose records are equal cannot contribute: leave them out, so that
    # deepdiff walks only what differs (the order list stays whole, to see moves).
    a, b = old_tree["sections"], new_tree["sections"]
    same = {k for k in a.keys() & b.keys() if a[k] == b[k]}
    old_tree = {**old_tree, "sections": {k: v for k, v in a.items() if k not in same}}
    new_tree = {**new_tree, "sections": {k: v for k, v in b.items() if k not in same}}
    found = DeepDiff(old_tree, new_tree, threshold_to_diff_deeper=0, view="tree")
    added: set[str] = set()
    removed: set[str] = set()
    kinds: dict[str, set[ChangeKind]] = {}
    left_order: set[str] = set()
    entered_order: set[str] = set()
    for report, items in found.items():
        for item in items:
            path = item.path(output_format="list")
            if path[0] == "order":
                (left_order if report == "iterable_item_removed" else entered_order).add(
                    str(item.t1 if report == "iterable_item_removed" else item.t2))
            elif len(path) == 2 and report == "dictionary_item_added":
                added.add(str(path[1]))
            elif len(path) == 2 and report == "dictionary_item_removed":
                removed.add(str(path[1]))
            elif len(path) == 3:
                kinds.setdefault(str(path[1]), set()).add(_ATTRIBUTE_KIND[str(path[2])])
    # A key that left the order list at one place and entered it at another moved;
    # its sub-sections moved with it and are not reported again.
    moved = (left_order & entered_order) - added - removed
    parent = {k: v["parent"] for k, v in b.items()}
    for key in moved:
        if parent.get(key) not in moved:
            kinds.setdefault(key, set()).add(ChangeKind.MOVED)
    return added, removed, kinds


def diff_documents(old: Document, new: Document) -> ChangeSet:
    """Every change from `old` to `new`, section by section, in the new document's order."""
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    pairs = _pair_sections(old_nodes, new_nodes)
    old_key = {sid: sid for sid in old_nodes}
    new_key = {sid: pairs.get(sid, sid) for sid in new_nodes}
    added, removed, kinds = _structural(_tree(old_nodes, old_key), _tree(new_nodes, new_key))
    back = {v: k for k, v in pairs.items()}  # old id -> new id

    placed: list[tuple[float, Change]] = []
    for sid, node in new_nodes.items():
        key = new_key[sid]
        if key in added:
            blocks = tuple(_whole_block(BlockChangeKind.ADDED, b) for b in node.section.blocks)
            placed.append((node.index, Change(ChangeKind.ADDED, sid, _title(node.section),
                                              node.path, None, node.section, blocks)))
            continue
        was = old_nodes[key]
        for kind in sorted(kinds.get(key, ()), key=_KIND_ORDER.index):
            change = _section_change(kind, was, node, old_nodes, new_nodes, back)
            if change is not None:
                placed.append((node.index + _KIND_ORDER.index(kind) / 100, change))
    for sid, node in old_nodes.items():
        if sid not in removed:
            continue
        blocks = tuple(_whole_block(BlockChangeKind.REMOVED, b) for b in node.section.blocks)
        placed.append((_position_after(sid, old_nodes, new_nodes, back),
                       Change(ChangeKind.REMOVED, sid, _title(node.section), node.path,
                              node.section, None, blocks)))
    changes = [c for _, c in sorted(placed, key=lambda p: p[0])]
    return ChangeSet(old, new, tuple(_find_moved_blocks(changes)), _front_changes(old, new))


def _title(section: Section) -> str:
    return section.title or section.heading or "(text before the first heading)"


def _position_after(sid: str, old_nodes: dict[str, _Node], new_nodes: dict[str, _Node],
                    back: dict[str, str]) -> float:
    """Where a removed section shows: just after the last earlier section that survives."""
    order = list(old_nodes)
    for earlier in reversed(order[: order.index(sid)]):
        target = back.get(earlier, earlier if earlier in new_nodes else None)
        if target is not None and target in new_nodes:
            return new_nodes[target].index + 0.5 + order.index(sid) / 10_000
    return -1 + order.index(sid) / 10_000


def _heading_of(sid: str | None, nodes: dict[str, _Node]) -> str:
    if sid is None or sid == ROOT_ID or sid not in nodes:
        return "the top level"
    return f"“{nodes[sid].section.heading}”"


def _section_change(kind: ChangeKind, was: _Node, node: _Node, old_nodes: dict[str, _Node],
                    new_nodes: dict[str, _Node], back: dict[str, str]) -> Change | None:
    a, b = was.section, node.section

    def make(blocks: tuple[BlockChange, ...] = (), redline: Redline | None = None,
             detail: str = "") -> Change:
        return Change(kind, b.id, _title(b), node.path, a, b, blocks, redline, detail)

    if kind is ChangeKind.RETITLED:
        detail = f"anchor #{a.id} is now #{b.id}" if a.id != b.id else ""
        if a.title == b.title and not detail:
            return None
        return make(redline=word_redline(a.title, b.title), detail=detail)
    if kind is ChangeKind.RENUMBERED:
        return make(redline=word_redline(a.number or "", b.number or ""),
                    detail=f"{a.number or 'unnumbered'} → {b.number or 'unnumbered'}")
    if kind is ChangeKind.RELEVELED:
        return make(detail=f"heading level {a.level} → {b.level}")
    if kind is ChangeKind.MOVED:
        old_parent = back.get(was.parent or "", was.parent)
        if old_parent != node.parent:
            return make(detail=f"from under {_heading_of(was.parent, old_nodes)} to under "
                               f"{_heading_of(node.parent, new_nodes)}")
        return make(detail="to another place among its sibling sections")
    blocks = tuple(_diff_blocks(a.blocks, b.blocks))
    return make(blocks=blocks) if blocks else None


# ---------------------------------------------------------------- blocks


def _whole_block(kind: BlockChangeKind, block: Block) -> BlockChange:
    words = _block_words(block)
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


def _align(old: Sequence[str], new: Sequence[str], threshold: float
           ) -> Iterator[tuple[int | None, int | None]]:
    """Pairs (old index, new index), in order; None on the side where a unit is missing.
    Equal units pair by difflib; within a replaced run, similar units pair in order."""
    matcher = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from zip(range(i1, i2), range(j1, j2), strict=True)
        else:
            yield from _pair_run(old, new, i1, i2, j1, j2, threshold)


def _pair_run(old: Sequence[str], new: Sequence[str], i1: int, i2: int, j1: int, j2: int,
              threshold: float) -> Iterator[tuple[int | None, int | None]]:
    """Within a replaced run, each old unit pairs with the most similar later new unit."""
    j = j1
    for i in range(i1, i2):
        best, best_score = None, threshold
        for k in range(j, j2):
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
    if [(link.href, link.text) for link in a.links] != [(link.href, link.text)
                                                         for link in b.links]:
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
    for i, j in _align([x.text for x in old], [y.text for y in new], 0.5):
        x = old[i].href if i is not None else ""
        y = new[j].href if j is not None else ""
        if x != y:
            pairs.append((x, y))
    return tuple(pairs)


def _diff_blocks(old: Sequence[Block], new: Sequence[Block]) -> Iterator[BlockChange]:
    ka, kb = [_block_words(b) for b in old], [_block_words(b) for b in new]
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
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
            pairs = _pair_run(ka, kb, i1, i2, j1, j2, 0.4)
        for i, j in pairs:
            change = _block_pair(old, new, ka, kb, i, j)
            if change is not None:
                yield change


def _block_pair(old: Sequence[Block], new: Sequence[Block], ka: Sequence[str],
                kb: Sequence[str], i: int | None, j: int | None) -> BlockChange | None:
    if i is None:
        assert j is not None
        return _whole_block(BlockChangeKind.ADDED, new[j])
    if j is None:
        return _whole_block(BlockChangeKind.REMOVED, old[i])
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
    for i, j in _align(ua, ub, 0.55):
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


def _find_moved_blocks(changes: list[Change]) -> Iterator[Change]:
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


# ---------------------------------------------------------------- front matter


def _front_fields(doc: Document) -> dict[str, str]:
    f = doc.front
    fields = {
        "policy": f.policy,
        "title": f.title,
        "effective": f.effective.isoformat() if f.effective else None,
        "summary": f.summary,
        "change": str(f.override.verdict) if f.override else None,
        "reason": f.override.reason if f.override else None,
    }
    found = {k: v for k, v in fields.items() if v is not None}
    found.update(f.extra)
    return found


def _front_changes(old: Document, new: Document) -> tuple[FieldChange, ...]:
    a, b = _front_fields(old), _front_fields(new)
    keys = list(b) + [k for k in a if k not in b]
    return tuple(FieldChange(k, a.get(k), b.get(k), new.front.line_of(k) if k in b else 0)
                 for k in keys if a.get(k) != b.get(k))
