"""The values of a semantic diff: change sets, changes, block and item changes (pure core).

Built by `diff.diff_documents`; read by `materiality.assess`, the renderers
(`report.py`, `templates/site/_redline.html`) and the website.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from .document import Block, BlockKind, Document, Section
from .redline import Redline


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
