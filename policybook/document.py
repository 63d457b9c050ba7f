"""Markdown policy -> `Document`: front matter, section tree, blocks with lines (pure core).

The section tree is what the diff, the site and `check` address, so section ids must be
stable: an explicit `{#id}` wins; otherwise the id is the slug of the title *without its
numbering* ("## 3. Disclosure" -> `disclosure`), so renumbering never changes an id.
Duplicate derived ids are qualified with the parent's id (`security--summary`), which
keeps GitHub-style documents (a "Short version" under every section) addressable.
Every heading also answers to the slug of its full text (`a-definitions`), the anchor
GitHub-flavoured renderers give it, so existing links keep working.

Parsing never raises on bad content: problems are collected in `Document.problems`
(see `validate.py` for the policy rules that `check` adds). The front matter is read
by `frontmatter.py`; the body here, with the Markdown dialect of `markdown.py`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

# The values a parsed policy is made of live in `docmodel.py`; they are part of this
# module's interface too.
from .docmodel import Block, BlockKind, Document, Link, Section, clean
from .errors import Problem

# The front matter lives in its own module (frontmatter.py); its names are part of
# this module's interface too, as they always were.
from .frontmatter import (
    DISAGREE_MAX,
    KNOWN_KEYS,
    MAX_FRONT_MATTER,
    POLICY_ID,
    RENAMED_FROM,
    SUMMARY_CONFIRMED,
    ChangeVerdict,
    FrontMatter,
    Override,
    decode_text,
    default_policy_id,
    normalize_source,
    parse_front_matter,
    slugify,
)

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = [
    "DISAGREE_MAX",
    "KNOWN_KEYS",
    "MAX_FRONT_MATTER",
    "POLICY_ID",
    "RENAMED_FROM",
    "ROOT_ID",
    "SUMMARY_CONFIRMED",
    "Block",
    "BlockKind",
    "ChangeVerdict",
    "Document",
    "FrontMatter",
    "Link",
    "Override",
    "Section",
    "clean",
    "decode_text",
    "default_policy_id",
    "forget_parsed",
    "normalize_source",
    "parse_document",
    "parse_front_matter",
    "slugify",
    "split_number",
]


ROOT_ID = "_top"
# "1.", "1.2", "12)", "A.", "IV.", "Section 3.", "Article 2 -", "§ 4" before a title.
_NUMBER = re.compile(
    r"^(?:(?:section|article|part|§)\s*)?"
    r"(?P<num>\d+(?:\.\d+)+\.?|\d{1,3}[.)]|\d{1,2}(?=\s)|[A-Z][.)]|[IVXLC]+[.)])"
    r"(?:\s*[-–—:]\s*|\s+)(?=\S)",
    re.IGNORECASE,
)


def split_number(heading: str) -> tuple[str | None, str]:
    """("3", "Disclosure") from "3. Disclosure"; (None, heading) when unnumbered."""
    m = _NUMBER.match(heading)
    if not m:
        return None, heading
    return m.group("num").rstrip(".)"), heading[m.end() :].strip()


# ---------------------------------------------------------------- body


class _Open:
    """A section being built (mutable while parsing; frozen into `Section` at the end).
    A plain class, not a dataclass: nothing compares or prints it, and a dataclass costs
    a command's start-up the compiling of its methods."""

    __slots__ = ("blocks", "children", "end_line", "explicit", "heading", "level", "line",
                 "number", "title")

    def __init__(self, level: int, heading: str, number: str | None, title: str, line: int,
                 explicit: str | None) -> None:
        self.level = level
        self.heading = heading
        self.number = number
        self.title = title
        self.line = line
        self.explicit = explicit
        self.blocks: list[Block] = []
        self.children: list[_Open] = []
        self.end_line = 0


_KINDS = {
    "bullet_list_open": BlockKind.LIST,
    "ordered_list_open": BlockKind.LIST,
    "table_open": BlockKind.TABLE,
    "fence": BlockKind.CODE,
    "code_block": BlockKind.CODE,
    "blockquote_open": BlockKind.QUOTE,
    "hr": BlockKind.RULE,
}


def _inline_parts(token: Token, line: int, normalize_space: Callable[[str], str]
                  ) -> tuple[str, list[Link]]:
    """`markdown.inline_text(token)` and the links of `markdown.inline_links(token)` (at
    `line`), read in one pass over the token's children."""
    parts: list[str] = []
    links: list[Link] = []
    href: str | None = None
    words: list[str] = []
    struck = 0  # inside ~~strikethrough~~: words shown as deleted, not in force
    for child in token.children or ():
        kind = child.type
        if kind == "s_open" or kind == "s_close":
            struck += 1 if kind == "s_open" else -1
        elif struck > 0:
            continue
        elif kind == "text" or kind == "code_inline":
            parts.append(child.content)
            if href is not None:
                words.append(child.content)
        elif kind == "softbreak" or kind == "hardbreak":
            parts.append(" ")
        elif kind == "image":
            parts.append(child.content)
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
            words = []
        elif kind == "link_close" and href is not None:
            links.append(Link(href, normalize_space("".join(words)), line))
            href = None
    return normalize_space("".join(parts)), links


_LIST_OPEN = ("bullet_list_open", "ordered_list_open")
_LIST_CLOSE = ("bullet_list_close", "ordered_list_close")
_CODE = ("fence", "code_block")


def _make_block(tokens: list[Token], lines: list[str], offset: int = 0) -> Block:
    """The block of `tokens`, whose lines are those of `lines` (a part of the file that
    starts on its line `offset`, 0-based)."""
    from . import markdown

    normalize_space = markdown.normalize_space
    first = tokens[0]
    kind = _KINDS.get(first.type, BlockKind.PARAGRAPH)
    start, end = first.map or (0, 0)
    at = offset + 1  # a 0-based line of `lines` -> a 1-based line of the file
    texts: list[str] = []
    items: list[str] = []
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    links: list[Link] = []
    item_lines: list[int] = []
    depth = 0
    fresh = False
    table = kind is BlockKind.TABLE
    for tok in tokens:
        ttype = tok.type
        if ttype == "inline":
            words, found = _inline_parts(tok, (tok.map[0] if tok.map else start) + at,
                                         normalize_space)
            texts.append(words)
            if table:
                row.append(words)
            elif items:
                # The first paragraph of an item follows its depth prefix; later ones a space.
                sep = "" if fresh else " "
                items[-1] = items[-1] + sep + words
                fresh = False
            if found:
                links.extend(found)
        elif ttype in _LIST_OPEN:
            depth += 1
        elif ttype in _LIST_CLOSE:
            depth -= 1
        elif ttype == "list_item_open":
            items.append("- " * max(depth - 1, 0))
            item_lines.append((tok.map[0] if tok.map else start) + at)
            fresh = True
        elif ttype == "tr_open":
            row = []
            item_lines.append((tok.map[0] if tok.map else start) + at)
        elif ttype == "tr_close":
            rows.append(tuple(row))
        elif ttype in _CODE:
            texts.append(normalize_space(tok.content))
    # The texts are normalised each: joined, only a table's empty cells ("a |  | b") call
    # for normalising again.
    text = normalize_space(" | ".join(" | ".join(r) for r in rows)) if rows else \
        " ".join(t for t in texts if t)
    return Block(
        kind=kind,
        text=text,
        source="\n".join(lines[start:end]).strip("\n"),
        line=start + at,
        end_line=max(end, start + 1) + offset,
        items=tuple(items),
        rows=tuple(rows),
        links=tuple(links),
        item_lines=tuple(item_lines),
        tokens=tuple(tokens),
    )


def _top_level_groups(tokens: list[Token]) -> Iterator[list[Token]]:
    """Each top-level block as its run of tokens (open ... close)."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.nesting == 1:
            depth, j = 0, i
            while True:
                depth += tokens[j].nesting
                if depth == 0 and j > i:
                    break
                j += 1
            yield tokens[i : j + 1]
            i = j + 1
        else:
            yield [tok]
            i += 1


def parse_document(source: str, path: str = "<text>") -> Document:
    """Parse a policy. Never raises on content problems; see `Document.problems`."""
    source = normalize_source(source)
    front, problems = parse_front_matter(source, path)
    lines = source.split("\n")
    body = "\n" * front.end_line + "\n".join(lines[front.end_line :]) if front.end_line \
        else source
    # markdown-it loads on the first parse: reading front matter (the history index, a
    # warm `plan`) never needs it, and importing it costs ~0.1 s of every start-up.
    from . import markdown

    prepared = markdown.prepare(body)
    root = _Open(0, "", None, "", 0, None)
    stack = [root]
    for start, chunk in _chunks(prepared.text):
        for part in _parse_chunk(chunk, start):
            if isinstance(part, Block):
                stack[-1].blocks.append(part)
                continue
            line0, level, heading = part
            number, title = split_number(heading)
            while stack[-1].level >= level:
                stack.pop()
            section = _Open(level, heading, number, title, line0 + 1,
                            prepared.heading_ids.get(line0))
            stack[-1].children.append(section)
            stack.append(section)
    _close_ends(root, len(lines))
    frozen = _freeze(root, path, problems)
    return Document(path=path, source=source, front=front, root=frozen,
                    problems=tuple(problems))


# ---------------------------------------------------------------- parsing by parts
#
# Two versions of a policy share most of their text, and a process parses both (or
# every version in the history). The Markdown is therefore parsed a part at a time, and
# each part's text once per process (`_parse_chunk` is a cache keyed by the text): the
# second version costs only its changed parts. A part starts where nothing before can
# continue past it, so that it parses into the very tokens it gets in the whole text:
# - a column-0 ATX heading outside a fenced code block (it interrupts a paragraph, ends
#   lists, quotes, tables and indented code, and is never a lazy continuation line);
# - a column-0 line after a blank line that is no list item (a blank line ends a
#   paragraph, quote or table; a line without indent ends a list item and indented
#   code; a list item would continue the list before it). Only some of those, chosen by
#   their text, so that a part holds a few paragraphs and the cache stays small.
# What crosses parts is a link reference definition (`[label]: url`, used anywhere): a
# text with "]:" is parsed whole.

_ATX_START = re.compile(r"#{1,6}(?:[ \t]|$)")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
_NOT_AFTER_BLANK = frozenset(" \t-+*0123456789")  # indented, or a list item may be
SPLIT_ONE_IN = 8  # of the lines after a blank line where a part may start (1: each)


def _chunks(text: str) -> list[tuple[int, str]]:
    """(0-based first line, text) of each part (see above); the texts joined are `text`."""
    if "]:" in text:
        return [(0, text)]
    starts = [(0, 0)]  # (line, character offset)
    closing: re.Pattern[str] | None = None  # the end of the open fenced code block
    offset = 0
    blank = False  # the line before is blank (spaces and tabs only, as markdown-it reads)
    for i, line in enumerate(text.split("\n")):
        first = line[:1]
        if closing is not None:
            if closing.match(line):
                closing = None
        elif first == "#" and i and _ATX_START.match(line):
            starts.append((i, offset))
        elif first in (" ", "`", "~") and (fence := _FENCE_OPEN.match(line)):
            # Closed by as long a run of the same mark (or never: no more parts).
            mark = fence.group(1)
            closing = re.compile(f" {{0,3}}{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
        elif blank and first and first not in _NOT_AFTER_BLANK and \
                zlib.crc32(line.encode()) % SPLIT_ONE_IN == 0:
            starts.append((i, offset))
        blank = not line.strip(" \t")
        offset += len(line) + 1
    ends = [at for _, at in starts[1:]] + [len(text)]
    return [(line, text[at:end]) for (line, at), end in zip(starts, ends, strict=True)]


_Part = Block | tuple[int, int, str]  # a block, or a heading: (0-based line, level, text)
# Text of a part -> (its first line when parsed, its blocks and headings at those lines).
# Bounded: oldest out first; the texts are those of the documents parsed.
_PARTS: dict[str, tuple[int, tuple[_Part, ...]]] = {}
_PARTS_MAX = 32768


def _parse_chunk(text: str, start: int) -> tuple[_Part, ...]:
    """The blocks and headings of a part of the file that starts on line `start`."""
    found = _PARTS.get(text)
    if found is not None:
        was, parts = found
        return parts if was == start else tuple(_shifted(p, start - was) for p in parts)
    from . import markdown

    lines = text.split("\n")
    made: list[_Part] = []
    for group in _top_level_groups(markdown.parse(text)):
        first = group[0]
        if first.type == "heading_open":
            heading = markdown.inline_text(group[1]) if len(group) > 1 else ""
            made.append(((first.map or (0, 0))[0] + start, int(first.tag[1]), heading))
        else:
            made.append(_make_block(group, lines, start))
    if len(_PARTS) >= _PARTS_MAX:
        del _PARTS[next(iter(_PARTS))]
    _PARTS[text] = start, tuple(made)
    return _PARTS[text][1]


def _shifted(part: _Part, lines: int) -> _Part:
    if not isinstance(part, Block):
        return part[0] + lines, part[1], part[2]
    block = Block(kind=part.kind, text=part.text, source=part.source, line=part.line + lines,
                  end_line=part.end_line + lines, items=part.items, rows=part.rows,
                  item_lines=tuple(n + lines for n in part.item_lines),
                  links=tuple(Link(k.href, k.text, k.line + lines) for k in part.links),
                  tokens=part.tokens)
    # What was derived from the text holds at any line (cached_property keeps it here).
    for name in ("words", "html"):
        if name in part.__dict__:
            block.__dict__[name] = part.__dict__[name]
    return block


def forget_parsed() -> None:
    """Empty the caches of parsed sections and inline contents (for benchmarks that time
    a first parse)."""
    _PARTS.clear()
    from . import mdinline

    mdinline.forget()


def _close_ends(root: _Open, n_lines: int) -> None:
    flat: list[_Open] = []

    def visit(s: _Open) -> None:
        flat.append(s)
        for c in s.children:
            visit(c)

    visit(root)
    # A section ends where the next heading at its level or above begins: each heading
    # ends the open sections at its level or below (a stack, deepest last).
    open_: list[_Open] = []
    for s in flat:
        while open_ and open_[-1].level >= s.level:
            open_.pop().end_line = s.line - 1
        open_.append(s)
    for s in open_:
        s.end_line = n_lines
    root.end_line = flat[1].line - 1 if len(flat) > 1 else n_lines


def _freeze(root: _Open, path: str, problems: list[Problem]) -> Section:
    flat: list[tuple[_Open, _Open | None]] = []

    def visit(s: _Open, parent: _Open | None) -> None:
        for c in s.children:
            flat.append((c, parent))
            visit(c, c)

    visit(root, None)
    ids: dict[int, str] = {}
    seen_explicit: dict[str, int] = {}
    for s, _ in flat:
        if s.explicit:
            if s.explicit in seen_explicit:
                problems.append(Problem(path, s.line, f"section id '{s.explicit}' is already used "
                                        f"on line {seen_explicit[s.explicit]}; ids must be unique"))
            seen_explicit.setdefault(s.explicit, s.line)
            ids[id(s)] = s.explicit
    taken = set(seen_explicit)
    # Each text slugified once: a title is often its heading, and a heading is slugified
    # again for its alias.
    slugs: dict[str, str] = {}

    def slug(text: str) -> str:
        found = slugs.get(text)
        if found is None:
            found = slugs[text] = slugify(text)
        return found

    bases = {id(s): slug(s.title) or slug(s.heading) or "section"
             for s, _ in flat if not s.explicit}
    base_count: dict[str, int] = {}
    for base in bases.values():
        base_count[base] = base_count.get(base, 0) + 1
    for s, parent in flat:
        if s.explicit:
            continue
        base = bases[id(s)]
        candidate = base
        if base_count[base] > 1 or base in seen_explicit:
            prefix = ids.get(id(parent)) if parent is not None else None
            candidate = f"{prefix}--{base}" if prefix else base
        n = 2
        unique = candidate
        while unique in taken:
            unique = f"{candidate}-{n}"
            n += 1
        taken.add(unique)
        ids[id(s)] = unique

    # An alias must not shadow a section id or another alias: HTML ids are unique.
    used = set(ids.values())

    def build(s: _Open) -> Section:
        sid = ids.get(id(s), ROOT_ID)
        alias = slug(s.heading)
        if alias in used:
            alias = ""
        used.add(alias)
        return Section(
            id=sid,
            level=s.level,
            title=s.title,
            number=s.number,
            heading=s.heading,
            line=s.line,
            end_line=s.end_line,
            blocks=tuple(s.blocks),
            children=tuple(build(c) for c in s.children),
            explicit_id=bool(s.explicit),
            aliases=(alias,) if alias and s.level else (),
        )

    return build(root)
