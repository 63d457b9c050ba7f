"""The view model of a redline between two versions of a policy (pure core).

`compare_documents(old, new)` is the one function the redline, changes, compare and
preview pages call. It is an interim implementation until `policybook.diff` and
`policybook.materiality` land: sections are aligned by their stable id, blocks inside a
section with difflib, words inside a changed block with difflib over word-plus-space
tokens. Its verdict is deliberately conservative: an editor's override wins; otherwise
any change of words is MATERIAL (a needless notice costs less than a missing one) and
only changes of markup, whitespace or numbering are EDITORIAL.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from ..document import ROOT_ID, Block, ChangeVerdict, Document, Section


class Op(StrEnum):
    SAME = "same"
    INS = "ins"
    DEL = "del"


class SectionKind(StrEnum):
    UNCHANGED = "unchanged"
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    MOVED = "moved"
    RETITLED = "retitled"


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class BlockRedline:
    """One block: unchanged (`html` is its rendering) or a word redline (`pieces`)."""

    op: Op | None  # None: changed in place (see pieces); SAME/INS/DEL: whole block
    html: str = ""
    pieces: tuple[Piece, ...] = ()


@dataclass(frozen=True)
class SectionRedline:
    id: str
    depth: int  # 0 for the text before the first heading, 1 for top-level sections
    number: str | None
    title: str
    kinds: tuple[SectionKind, ...]
    blocks: tuple[BlockRedline, ...]
    old_title: str | None = None  # when retitled
    parents: tuple[str, ...] = ()  # headings above it, top-level first ("3. Disclosure")

    @property
    def name(self) -> str:
        """How a reader finds it: "3. Disclosure › Your consent"."""
        own = f"{self.number}. {self.title}" if self.number else self.title
        if self.depth == 0:
            own = "Introduction"
        return " › ".join((*self.parents, own))

    @property
    def changed(self) -> bool:
        return self.kinds != (SectionKind.UNCHANGED,)


@dataclass(frozen=True)
class Comparison:
    """What a redline page shows: every section, the changed ones, the verdict."""

    old: Document | None
    new: Document
    sections: tuple[SectionRedline, ...]
    verdict: ChangeVerdict | None  # None: the first version, nothing to compare with
    reasons: tuple[str, ...]
    overridden: bool = False  # the verdict is the editor's override (see reasons)

    @property
    def changed(self) -> tuple[SectionRedline, ...]:
        return tuple(s for s in self.sections if s.changed)


Compare = Callable[[Document | None, Document], Comparison]

_WORD = re.compile(r"\S+\s*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_redline(old: str, new: str) -> tuple[Piece, ...]:
    a, b = _words(old), _words(new)
    out: list[Piece] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(Piece(Op.SAME, "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Piece(Op.DEL, "".join(a[i1:i2])))
        if j2 > j1:
            out.append(Piece(Op.INS, "".join(b[j1:j2])))
    return tuple(out)


def _block_text(block: Block) -> str:
    return " ".join(block.items) if block.items else block.text


def _blocks(old: Sequence[Block], new: Sequence[Block]) -> tuple[BlockRedline, ...]:
    a = [_block_text(b) for b in old]
    b = [_block_text(x) for x in new]
    out: list[BlockRedline] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(BlockRedline(Op.SAME, html=blk.html) for blk in new[j1:j2])
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            out.append(BlockRedline(None, pieces=word_redline(a[i1 + k], b[j1 + k])))
        out.extend(BlockRedline(Op.DEL, pieces=(Piece(Op.DEL, t),)) for t in a[i1 + pairs:i2])
        out.extend(BlockRedline(Op.INS, html=blk.html) for blk in new[j1 + pairs:j2])
    return tuple(out)


def _flat(doc: Document) -> list[Section]:
    return list(doc.root.walk())


def _depths(doc: Document) -> dict[str, int]:
    out: dict[str, int] = {}

    def visit(s: Section, depth: int) -> None:
        out[s.id] = depth
        for c in s.children:
            visit(c, depth + 1)

    visit(doc.root, 0)
    return out


def _moved(old_ids: list[str], new_ids: list[str]) -> set[str]:
    """Sections whose order relative to the others changed (not in the longest common run)."""
    common = set(old_ids) & set(new_ids)
    a = [i for i in old_ids if i in common]
    b = [i for i in new_ids if i in common]
    kept: set[str] = set()
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        kept.update(a[block.a:block.a + block.size])
    return common - kept


def _ancestors(doc: Document) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}

    def visit(s: Section, above: tuple[str, ...]) -> None:
        out[s.id] = above
        here = above if s.level == 0 else (*above, s.heading)
        for c in s.children:
            visit(c, here)

    visit(doc.root, ())
    return out


def _parents(doc: Document) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in doc.root.walk():
        for c in s.children:
            out[c.id] = s.id
    return out


def _section(s: Section, depth: int, kinds: tuple[SectionKind, ...],
             blocks: tuple[BlockRedline, ...], old_title: str | None = None) -> SectionRedline:
    return SectionRedline(s.id, depth, s.number, s.title or s.heading, kinds, blocks, old_title)


def compare_documents(old: Document | None, new: Document) -> Comparison:
    """The redline of `new` against `old` (None: the first version) and its verdict."""
    if old is None:
        depth = _depths(new)
        sections = tuple(_section(s, depth[s.id], (SectionKind.UNCHANGED,),
                                  tuple(BlockRedline(Op.SAME, html=b.html) for b in s.blocks))
                         for s in _flat(new))
        return Comparison(None, new, sections, None, ("the first version of this policy",))
    old_flat, new_flat = _flat(old), _flat(new)
    old_by_id = {s.id: s for s in old_flat}
    new_ids = {s.id for s in new_flat}
    moved = _moved([s.id for s in old_flat], [s.id for s in new_flat])
    old_parent, new_parent = _parents(old), _parents(new)
    old_depth, new_depth = _depths(old), _depths(new)
    out: list[SectionRedline] = []
    for s in new_flat:
        before = old_by_id.get(s.id)
        if before is None:
            out.append(_section(s, new_depth[s.id], (SectionKind.ADDED,),
                                tuple(BlockRedline(Op.INS, html=b.html) for b in s.blocks)))
            continue
        kinds: list[SectionKind] = []
        if s.id in moved or old_parent.get(s.id) != new_parent.get(s.id):
            kinds.append(SectionKind.MOVED)
        retitled = s.id != ROOT_ID and before.title != s.title
        if retitled:
            kinds.append(SectionKind.RETITLED)
        blocks = _blocks(before.blocks, s.blocks)
        if any(b.op is not Op.SAME for b in blocks):
            kinds.append(SectionKind.MODIFIED)
        out.append(_section(s, new_depth[s.id], tuple(kinds) or (SectionKind.UNCHANGED,), blocks,
                            before.title if retitled else None))
    # A removed section is shown after the section that preceded it in the old version.
    for i, s in enumerate(old_flat):
        if s.id in new_ids:
            continue
        removed = _section(s, old_depth[s.id], (SectionKind.REMOVED,),
                           tuple(BlockRedline(Op.DEL, pieces=(Piece(Op.DEL, _block_text(b)),))
                                 for b in s.blocks))
        at = len(out)
        for prior in reversed(old_flat[:i]):
            index = next((k for k, r in enumerate(out) if r.id == prior.id), None)
            if index is not None:
                at = index + 1
                break
        out.insert(at, removed)
    new_above, old_above = _ancestors(new), _ancestors(old)
    out = [replace(s, parents=(new_above if s.id in new_ids else old_above).get(s.id, ()))
           for s in out]
    verdict, reasons, overridden = _verdict(old, new, out)
    return Comparison(old, new, tuple(out), verdict, reasons, overridden)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _verdict(old: Document, new: Document, sections: Sequence[SectionRedline]
             ) -> tuple[ChangeVerdict, tuple[str, ...], bool]:
    override = new.front.override
    if override is not None:
        return (override.verdict, (f"the editor set 'change: {override.verdict}': "
                                   f"{override.reason}",), True)
    reasons: list[str] = []
    for s in sections:
        name = s.name
        if SectionKind.ADDED in s.kinds and any(b.html or b.pieces for b in s.blocks):
            reasons.append(f"section “{name}” was added")
        elif SectionKind.REMOVED in s.kinds:
            reasons.append(f"section “{name}” was removed")
        elif SectionKind.MODIFIED in s.kinds:
            old_words = _norm(" ".join(p.text for b in s.blocks for p in b.pieces
                                       if p.op is not Op.INS))
            new_words = _norm(" ".join(p.text for b in s.blocks for p in b.pieces
                                       if p.op is not Op.DEL))
            if old_words != new_words or any(b.op is Op.INS for b in s.blocks):
                reasons.append(f"the words of section “{name}” changed")
    if reasons:
        return ChangeVerdict.MATERIAL, tuple(reasons), False
    if old.front.summary != new.front.summary or old.front.title != new.front.title:
        return ChangeVerdict.EDITORIAL, ("only the title or summary changed",), False
    return ChangeVerdict.EDITORIAL, ("no words of the policy changed",), False
