"""Document x Document -> ChangeSet: the section-aware semantic diff (pure core).

How sections are compared (the shape compared, and why):

1. Sections are paired first: by their stable id (ids survive renumbering, and an
   explicit `{#id}` survives retitling); then an unpaired section whose own text is the
   same as an unpaired one on the other side (moved or retitled); then by similarity of
   their text (retitled and edited). Each pair gets one *key*: the old section's id.
2. Each document becomes plain JSON-like data keyed by those keys:
   `{"children": {parent key: [key, ...]}, "sections": {key: {"id", "parent", "level",
   "number", "title", "words", "source"}}}`. The order of sections is kept in *lists*
   because the order of dict keys is no order to compare: only a list shows a move. Each list
   holds the sections found under the same parent on both sides, so a section added,
   removed or moved to another parent (its `parent` changes) never makes its siblings
   look moved; within a reordered list, the fewest keys outside the longest common
   run are the ones that moved. `words` and `source` are the section's own text and
   Markdown (comparing two strings is as fast as comparing their digests, with no
   digest to compute and no hash library to load); keys are stable, so every report
   names a section. (This was once handed to deepdiff; the same comparison written out
   spares every command deepdiff's 150 ms import.)
3. The comparison then says which sections were added or removed, retitled, renumbered,
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

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property
from typing import Any

from .blockdiff import block_words, clean, diff_blocks, find_moved_blocks, whole_block
from .changeset import (
    BlockChange,
    BlockChangeKind,
    Change,
    ChangeKind,
    ChangeSet,
    FieldChange,
    ItemChange,
    ItemKind,
    Style,
)
from .document import ROOT_ID, Document, Section
from .redline import Redline, word_redline, words_of

__all__ = ["BlockChange", "BlockChangeKind", "Change", "ChangeKind", "ChangeSet", "FieldChange",
           "ItemChange", "ItemKind", "Style", "clean", "diff_documents"]


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class _Node:
    section: Section
    parent: str | None  # parent section id
    path: tuple[str, ...]
    index: int  # preorder position

    @cached_property
    def words(self) -> str:
        # Read to pair sections and to compare their records: computed once.
        return " ".join(block_words(b) for b in self.section.blocks)


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
    left = [o for o in old if o not in pairs]  # the same ids on both sides
    right = [n for n in new if n not in pairs]
    # Same words elsewhere: moved and/or retitled.
    by_words: dict[str, list[str]] = {}
    for o in left:
        if old[o].words:
            by_words.setdefault(old[o].words, []).append(o)
    for n in right:
        candidates = by_words.get(new[n].words or "\0", [])
        if len(candidates) == 1:
            pairs[n] = candidates.pop()
    # (Sets, not list removals: a rewritten document has thousands of sections.)
    found = set(pairs.values())
    left = [o for o in left if o not in found]
    right = [n for n in right if n not in pairs]
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


def _records(nodes: dict[str, _Node], key: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The sections of the JSON-like shape `_structural` compares (see the module
    docstring), by key."""
    return {
        key[sid]: {
            "id": sid,
            "parent": key[n.parent] if n.parent is not None else "",
            "level": n.section.level,
            "number": n.section.number,
            "title": n.section.title,
            "words": n.words,
            "source": "\n\n".join(b.source for b in n.section.blocks),
        }
        for sid, n in nodes.items()
    }


def _with_children(records: dict[str, dict[str, Any]], stay: set[tuple[str, str]]
                   ) -> dict[str, Any]:
    """The whole shape: the records and the order of the sections under each parent.
    `stay` holds the (key, parent key) pairs found on both sides: only their order can
    show a move."""
    children: dict[str, list[str]] = {}
    for k, record in records.items():
        parent = str(record["parent"])
        if (k, parent) in stay:
            children.setdefault(parent, []).append(k)
    return {"children": children, "sections": records}


def _staying(old: dict[str, Any], new: dict[str, Any]) -> set[tuple[str, str]]:
    pairs = [{(k, r["parent"]) for k, r in tree["sections"].items()} for tree in (old, new)]
    return pairs[0] & pairs[1]


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
    """(added keys, removed keys, key -> kinds of change)."""
    # Sections whose records are equal cannot contribute: leave them out, so that only
    # what differs is walked (the order list stays whole, to see moves).
    a, b = old_tree["sections"], new_tree["sections"]
    same = {k for k in a.keys() & b.keys() if a[k] == b[k]}
    old_tree = {**old_tree, "sections": {k: v for k, v in a.items() if k not in same}}
    new_tree = {**new_tree, "sections": {k: v for k, v in b.items() if k not in same}}
    # The comparison deepdiff made here, written out: it is a few dict and list
    # comparisons on stable keys, and importing deepdiff cost 150 ms of every command's
    # start-up (the diff command's budget is 150 ms in all).
    added = set(new_tree["sections"]) - set(old_tree["sections"])
    removed = set(old_tree["sections"]) - set(new_tree["sections"])
    kinds: dict[str, set[ChangeKind]] = {}
    for k in set(old_tree["sections"]) & set(new_tree["sections"]):
        before, after = old_tree["sections"][k], new_tree["sections"][k]
        for attribute, kind in _ATTRIBUTE_KIND.items():
            if before[attribute] != after[attribute]:
                kinds.setdefault(k, set()).add(kind)
    reordered = {parent for parent in old_tree["children"].keys() | new_tree["children"].keys()
                 if old_tree["children"].get(parent, []) != new_tree["children"].get(parent, [])}
    # The lists of siblings that changed order (each lists only the sections found
    # under the same parent on both sides): the fewest moves that explain it are
    # the keys outside their longest common run (a swap of two is one move, not two).
    for parent_key in reordered:
        before = old_tree["children"].get(parent_key, [])
        after = new_tree["children"].get(parent_key, [])
        matcher = SequenceMatcher(None, before, after, autojunk=False)
        kept = {k for block in matcher.get_matching_blocks()
                for k in after[block.b: block.b + block.size]}
        for key in after:
            if key not in kept:
                kinds.setdefault(key, set()).add(ChangeKind.MOVED)
    return added, removed, kinds


def diff_documents(old: Document, new: Document) -> ChangeSet:
    """Every change from `old` to `new`, section by section, in the new document's order."""
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    pairs = _pair_sections(old_nodes, new_nodes)
    old_key = {sid: sid for sid in old_nodes}
    new_key = {sid: pairs.get(sid, sid) for sid in new_nodes}
    # Each side's records once: first to find the sections staying under their parent,
    # then with the order of those.
    old_records, new_records = _records(old_nodes, old_key), _records(new_nodes, new_key)
    stay = _staying(_with_children(old_records, set()), _with_children(new_records, set()))
    added, removed, kinds = _structural(_with_children(old_records, stay),
                                        _with_children(new_records, stay))
    back = {v: k for k, v in pairs.items()}  # old id -> new id

    placed: list[tuple[float, Change]] = []
    for sid, node in new_nodes.items():
        key = new_key[sid]
        if key in added:
            blocks = tuple(whole_block(BlockChangeKind.ADDED, b) for b in node.section.blocks)
            placed.append((node.index, Change(ChangeKind.ADDED, sid, _title(node.section),
                                              node.path, None, node.section, blocks)))
            continue
        was = old_nodes[key]
        for kind in sorted(kinds.get(key, ()), key=_KIND_ORDER.index):
            change = _section_change(kind, was, node, old_nodes, new_nodes, back)
            if change is not None:
                placed.append((node.index + _KIND_ORDER.index(kind) / 100, change))
    order = list(old_nodes)
    for sid, node in old_nodes.items():
        if sid not in removed:
            continue
        blocks = tuple(whole_block(BlockChangeKind.REMOVED, b) for b in node.section.blocks)
        placed.append((_position_after(sid, old_nodes, new_nodes, back, order),
                       Change(ChangeKind.REMOVED, sid, _title(node.section), node.path,
                              node.section, None, blocks)))
    changes = [c for _, c in sorted(placed, key=lambda p: p[0])]
    return ChangeSet(old, new, tuple(find_moved_blocks(changes)), _front_changes(old, new))


def _title(section: Section) -> str:
    return section.title or section.heading or "(text before the first heading)"


def _position_after(sid: str, old_nodes: dict[str, _Node], new_nodes: dict[str, _Node],
                    back: dict[str, str], order: list[str]) -> float:
    """Where a removed section shows: just after the last earlier section that survives."""
    at = old_nodes[sid].index  # its place in `old_nodes` (the preorder)
    for earlier in reversed(order[:at]):
        target = back.get(earlier, earlier if earlier in new_nodes else None)
        if target is not None and target in new_nodes:
            return new_nodes[target].index + 0.5 + at / 10_000
    return -1 + at / 10_000


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
    blocks = tuple(diff_blocks(a.blocks, b.blocks))
    return make(blocks=blocks) if blocks else None


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
