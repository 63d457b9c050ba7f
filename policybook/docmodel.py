"""What a parsed policy is made of (pure core values): its sections, each with its blocks
(paragraphs, lists, tables...) and their links, under the front matter. `document.py`
parses Markdown into them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import Problem
from .frontmatter import FrontMatter, slugify

if TYPE_CHECKING:
    from markdown_it.token import Token


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    LIST = "list"
    TABLE = "table"
    CODE = "code"
    QUOTE = "quote"
    RULE = "rule"


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    line: int


@dataclass(frozen=True)
class Block:
    """One top-level block of a section (a paragraph, a whole list, a whole table...).

    `text` is its words without markup (what the materiality rules read); `items` holds
    one entry per list item (nested items prefixed by "- " per depth) or, for tables,
    one tuple of cells per row (header first), so that the diff can compare item by item.
    `html` is rendered from its tokens when first read: the diff and the verdict never
    read it, the site does.
    """

    kind: BlockKind
    text: str
    source: str
    line: int
    end_line: int
    items: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    links: tuple[Link, ...] = ()
    item_lines: tuple[int, ...] = ()  # the line of each item (or table row), 1-based
    tokens: tuple[Token, ...] = field(default=(), compare=False, repr=False)

    @functools.cached_property
    def html(self) -> str:
        from . import markdown

        return markdown.render(self.tokens)

    @functools.cached_property
    def words(self) -> str:
        """`clean(text)`: the words the diff and the rules read. Once per block: both
        versions share the blocks of their unchanged parts."""
        return clean(self.text)


@dataclass(frozen=True)
class Section:
    id: str
    level: int  # 0 for the document root (the text before the first heading)
    title: str
    number: str | None
    heading: str  # the heading's text as written, numbering included
    line: int  # line of the heading (1-based); 0 for the root
    end_line: int
    blocks: tuple[Block, ...] = ()
    children: tuple[Section, ...] = ()
    explicit_id: bool = False
    aliases: tuple[str, ...] = ()

    def walk(self) -> Iterator[Section]:
        """This section and all below it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


@dataclass(frozen=True)
class Document:
    path: str
    source: str
    front: FrontMatter
    root: Section
    problems: tuple[Problem, ...] = field(default=())

    @property
    def policy_id(self) -> str:
        """The stable id: front matter `policy`, else the file name without `.md`."""
        if self.front.policy:
            return self.front.policy
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return slugify(name.removesuffix(".md")) or "policy"

    @property
    def title(self) -> str:
        if self.front.title:
            return self.front.title
        for section in self.root.children:
            if section.level == 1:
                return section.heading
        return self.policy_id

    def sections(self) -> Iterator[Section]:
        """Every section below the root, in document order."""
        for child in self.root.children:
            yield from child.walk()

    def section(self, section_id: str) -> Section | None:
        for s in self.root.walk():
            if s.id == section_id:
                return s
        return None

    def links(self) -> Iterator[Link]:
        for s in self.root.walk():
            for b in s.blocks:
                yield from b.links

    def anchors(self) -> set[str]:
        found: set[str] = set()
        for s in self.sections():
            found.add(s.id)
            found.update(s.aliases)
        return found


_TEMPLATE_TAG = re.compile(r"\{%-?.*?-?%\}")
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.IGNORECASE)


def clean(text: str) -> str:
    """The words a reader sees: template tags (`{% note %}`) dropped, and a GitHub-style
    alert (`> [!NOTE]`) read as the label it displays ("Note:")."""
    text = _TEMPLATE_TAG.sub(" ", text)
    text = _ALERT.sub(lambda m: m.group(1).capitalize() + ": ", text.strip())
    return " ".join(text.split())
