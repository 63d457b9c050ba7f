"""Markdown policy -> `Document`: front matter, section tree, blocks with lines (pure core).

The section tree is what the diff, the site and `check` address, so section ids must be
stable: an explicit `{#id}` wins; otherwise the id is the slug of the title *without its
numbering* ("## 3. Disclosure" -> `disclosure`), so renumbering never changes an id.
Duplicate derived ids are qualified with the parent's id (`security--summary`), which
keeps GitHub-style documents (a "Short version" under every section) addressable.
Every heading also answers to the slug of its full text (`a-definitions`), the anchor
GitHub-flavoured renderers give it, so existing links keep working.

Parsing never raises on bad content: problems are collected in `Document.problems`
(see `validate.py` for the policy rules that `check` adds).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import yaml

from .errors import Problem

if TYPE_CHECKING:
    from markdown_it.token import Token


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    LIST = "list"
    TABLE = "table"
    CODE = "code"
    QUOTE = "quote"
    RULE = "rule"


class ChangeVerdict(StrEnum):
    MATERIAL = "material"
    EDITORIAL = "editorial"


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
    """

    kind: BlockKind
    text: str
    source: str
    html: str
    line: int
    end_line: int
    items: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    links: tuple[Link, ...] = ()
    item_lines: tuple[int, ...] = ()  # the line of each item (or table row), 1-based


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
class Override:
    verdict: ChangeVerdict
    reason: str


@dataclass(frozen=True)
class FrontMatter:
    """Validated front matter; fields are None when absent or invalid (see problems)."""

    policy: str | None = None
    title: str | None = None
    effective: dt.date | None = None
    summary: str | None = None
    override: Override | None = None
    present: bool = False
    end_line: int = 0  # last line of the front matter block (the closing `---`)
    lines: tuple[tuple[str, int], ...] = ()  # key -> line, for messages
    extra: tuple[tuple[str, str], ...] = ()  # other keys, as text
    # What an account holder who disagrees can do (the notice e-mail's paragraph; over
    # the company's and the config's wording for this policy).
    disagree: str | None = None

    def line_of(self, key: str) -> int:
        return dict(self.lines).get(key, 1)


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


ROOT_ID = "_top"
POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
KNOWN_KEYS = ("policy", "title", "effective", "summary", "change", "reason", "disagree")
DISAGREE_MAX = 600  # characters: a paragraph of an e-mail, not a policy
# The editor re-read the summary after material edits and it still holds (state.py).
SUMMARY_CONFIRMED = "summary-confirmed"
# The policy id this policy had before (its history continues under the new id, and the
# new text is judged against the old policy's), or "none": a new policy on purpose.
RENAMED_FROM = "renamed-from"

# "1.", "1.2", "12)", "A.", "IV.", "Section 3.", "Article 2 -", "§ 4" before a title.
_NUMBER = re.compile(
    r"^(?:(?:section|article|part|§)\s*)?"
    r"(?P<num>\d+(?:\.\d+)+\.?|\d{1,3}[.)]|\d{1,2}(?=\s)|[A-Z][.)]|[IVXLC]+[.)])"
    r"(?:\s*[-–—:]\s*|\s+)(?=\S)",
    re.IGNORECASE,
)


def slugify(text: str) -> str:
    """GitHub-style anchor slug: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s]+", "-", text.strip()).strip("-")


def split_number(heading: str) -> tuple[str | None, str]:
    """("3", "Disclosure") from "3. Disclosure"; (None, heading) when unnumbered."""
    m = _NUMBER.match(heading)
    if not m:
        return None, heading
    return m.group("num").rstrip(".)"), heading[m.end() :].strip()


# ---------------------------------------------------------------- front matter


MAX_FRONT_MATTER = 16 * 1024  # characters: a summary is a paragraph, not a document
_MAX_YAML_DEPTH = 8  # the fields are flat; a little room for a stray list


def normalize_source(text: str) -> str:
    """The one normalisation of a policy's text, for the working tree and for history:
    no byte-order mark (nor two: an editor may add one to a file that has one), and
    line ends as '\\n' (Windows' CRLF and old Macs' CR alike)."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, path: str = "<text>") -> tuple[str, Problem | None]:
    """A policy file's bytes -> its normalised text, and what is wrong if it is not
    UTF-8 text (then the text has replacement characters and must not be trusted)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem(path, 1, "is UTF-16 text or a binary file, not UTF-8 Markdown; "
                           "save the file as UTF-8")
    if b"\x00" in data[:8192]:
        return "", Problem(path, 0, "is a binary file, not Markdown text; remove it from "
                           "the content folder")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return data.decode("utf-8", errors="replace"), Problem(
            path, line, f"is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file "
            "as UTF-8")
    return normalize_source(text), None


def default_policy_id(path: str) -> str | None:
    """The id of a policy without a `policy:` line: its file name, if that is a valid id."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".md")
    slug = slugify(name)
    return slug if POLICY_ID.match(slug) else None


def _split_front_matter(source: str) -> tuple[str | None, int]:
    """(YAML text, number of lines it takes including both fences) or (None, 0)."""
    lines = source.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, 0
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), i + 1
    return None, -1  # opened, never closed


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark: Any) -> None:  # a Mark, of PyYAML or libyaml
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: we parse them ourselves, with our messages
    (PyYAML's own date constructor raises a bare ValueError on 2027-02-30).

    It also refuses anchors and aliases: a few hundred bytes of nested aliases expand to
    gigabytes (a "billion laughs"), and no policy field needs them. Nesting is capped
    too, because PyYAML composes nested nodes recursively."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused("anchors and aliases ('&name', '*name') are not allowed in front "
                           "matter; write each value out", event.start_mark)
        self._depth += 1
        try:
            if self._depth > _MAX_YAML_DEPTH:
                raise _Refused(f"nested more than {_MAX_YAML_DEPTH} levels deep",
                               event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)  # type: ignore[type-var]


def _key_lines(node: yaml.Node | None, offset: int) -> tuple[tuple[str, int], ...]:
    if not isinstance(node, yaml.MappingNode):
        return ()
    return tuple(
        (str(k.value), k.start_mark.line + 1 + offset)
        for k, _ in node.value
        if isinstance(k, yaml.ScalarNode)
    )


_CLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's parser and composer (about 3x faster than PyYAML's own, which is what
        a command that starts pays for every version), with `_Loader`'s constructors."""

    _CLoader.add_constructor("tag:yaml.org,2002:timestamp", _CLoader.construct_yaml_str)


def _scan(loader: Any) -> None:
    """Refuse anchors, aliases and deep nesting from the events, before any node is built
    (libyaml composes nested nodes recursively, in C, where no recursion limit holds)."""
    depth = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused("anchors and aliases ('&name', '*name') are not allowed in front "
                           "matter; write each value out", event.start_mark)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > _MAX_YAML_DEPTH:
                raise _Refused(f"nested more than {_MAX_YAML_DEPTH} levels deep",
                               event.start_mark)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _load_yaml(raw: str) -> tuple[Any, yaml.Node | None]:
    """The node tree (for line numbers), then the values built from it. With libyaml the
    events are read twice (a check, then the tree), both in C; without it, once, by
    `_Loader`, which checks as it composes."""
    if _CLoader is not None:
        scanner = _CLoader(raw)
        try:
            _scan(scanner)
        finally:
            scanner.dispose()
    loader = _CLoader(raw) if _CLoader is not None else _Loader(raw)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def parse_front_matter(source: str, path: str) -> tuple[FrontMatter, list[Problem]]:
    source = normalize_source(source)
    raw, n_lines = _split_front_matter(source)
    problems: list[Problem] = []
    if n_lines == -1:
        problems.append(Problem(path, 1, "front matter opened with '---' is never closed; "
                                "add a '---' line after it"))
        return FrontMatter(), problems
    if raw is None:
        return FrontMatter(), problems
    if len(raw) > MAX_FRONT_MATTER:
        problems.append(Problem(path, 2, f"front matter is {len(raw) // 1024} KB; it holds a "
                                f"few fields and is limited to {MAX_FRONT_MATTER // 1024} KB "
                                "(put long text in the policy itself)"))
        return FrontMatter(present=True, end_line=n_lines), problems
    try:
        data, node = _load_yaml(raw)
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        # ValueError: an integer of thousands of digits (Python refuses to build it)
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        what = getattr(exc, "problem", None) or "invalid YAML"
        if isinstance(exc, _Refused):
            problems.append(Problem(path, line, f"front matter refused: {what}"))
        else:
            problems.append(Problem(path, line, f"front matter is not valid YAML ({what}); "
                                    "check indentation and quote values containing ':'"))
        return FrontMatter(present=True, end_line=n_lines), problems
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(path, 2, "front matter must be a mapping of 'key: value' lines"))
        return FrontMatter(present=True, end_line=n_lines), problems
    lines = _key_lines(node, 1)
    where = dict(lines)

    def text_field(key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip() or None
        problems.append(Problem(path, where.get(key, 1), f"'{key}' must be text"))
        return None

    policy = text_field("policy")
    if policy is not None and not POLICY_ID.match(policy):
        problems.append(Problem(path, where.get("policy", 1),
                                f"policy id {policy!r} must be lower-case letters, digits and "
                                "hyphens, for example 'privacy-policy'"))
        policy = None
    effective = _effective(data.get("effective"), path, where.get("effective", 1), problems)
    override = _override(data, path, where, problems)
    renamed = text_field(RENAMED_FROM)
    if renamed is not None and renamed != "none" and (not POLICY_ID.match(renamed)
                                                      or renamed == policy):
        problems.append(Problem(path, where.get(RENAMED_FROM, 1),
                                f"'{RENAMED_FROM}: {renamed}' must name the policy id this "
                                "policy had before (another id, e.g. 'privacy-policy'), or be "
                                "'none' for a new policy that replaces none"))
    disagree = text_field("disagree")
    if disagree is not None and len(disagree) > DISAGREE_MAX:
        problems.append(Problem(path, where.get("disagree", 1),
                                f"'disagree' is {len(disagree)} characters; keep it to "
                                f"{DISAGREE_MAX} (a short paragraph of the notice e-mail: "
                                "what to do, and where), and link to the rest"))
        disagree = None
    extra = tuple((str(k), str(v)) for k, v in data.items() if str(k) not in KNOWN_KEYS)
    return FrontMatter(
        policy=policy,
        title=text_field("title"),
        effective=effective,
        summary=text_field("summary"),
        override=override,
        present=True,
        end_line=n_lines,
        lines=lines,
        extra=extra,
        disagree=disagree,
    ), problems


def _effective(value: Any, path: str, line: int, problems: list[Problem]) -> dt.date | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
        problems.append(Problem(path, line, "effective must be a date without a time, "
                                "for example 2027-01-15 (it starts at midnight in the "
                                "configured time zone)"))
        return None
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(path, line, f"effective {value!r} is not a date; "
                                "write it as YYYY-MM-DD, for example 2027-01-15"))
        return None


def _override(data: dict[Any, Any], path: str, where: dict[str, int],
              problems: list[Problem]) -> Override | None:
    change = data.get("change")
    if change is None:
        return None
    line = where.get("change", 1)
    try:
        verdict = ChangeVerdict(str(change).strip().lower())
    except ValueError:
        problems.append(Problem(path, line, f"change {change!r} must be 'material' or "
                                "'editorial'"))
        return None
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(Problem(path, line, "change: overrides the verdict and needs a "
                                "'reason: ...' line saying why"))
        return None
    return Override(verdict, " ".join(reason.split()))


# ---------------------------------------------------------------- body


@dataclass
class _Open:
    """A section being built (mutable while parsing; frozen into `Section` at the end)."""

    level: int
    heading: str
    number: str | None
    title: str
    line: int
    explicit: str | None
    blocks: list[Block] = field(default_factory=list)
    children: list[_Open] = field(default_factory=list)
    end_line: int = 0


def _block_kind(token: Token) -> BlockKind:
    return {
        "bullet_list_open": BlockKind.LIST,
        "ordered_list_open": BlockKind.LIST,
        "table_open": BlockKind.TABLE,
        "fence": BlockKind.CODE,
        "code_block": BlockKind.CODE,
        "blockquote_open": BlockKind.QUOTE,
        "hr": BlockKind.RULE,
    }.get(token.type, BlockKind.PARAGRAPH)


def _make_block(tokens: list[Token], lines: list[str]) -> Block:
    from . import markdown

    first = tokens[0]
    kind = _block_kind(first)
    start, end = first.map or (0, 0)
    texts: list[str] = []
    items: list[str] = []
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    links: list[Link] = []
    item_lines: list[int] = []
    depth = 0
    fresh = False
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "list_item_open":
            items.append("- " * max(depth - 1, 0))
            item_lines.append((tok.map[0] if tok.map else start) + 1)
            fresh = True
        elif tok.type == "tr_open":
            row = []
            item_lines.append((tok.map[0] if tok.map else start) + 1)
        elif tok.type == "tr_close":
            rows.append(tuple(row))
        elif tok.type in ("fence", "code_block"):
            texts.append(markdown.normalize_space(tok.content))
        elif tok.type == "inline":
            words = markdown.inline_text(tok)
            texts.append(words)
            if kind is BlockKind.TABLE:
                row.append(words)
            elif items:
                # The first paragraph of an item follows its depth prefix; later ones a space.
                sep = "" if fresh else " "
                items[-1] = items[-1] + sep + words
                fresh = False
            line = (tok.map[0] if tok.map else start) + 1
            links.extend(Link(h, t, line) for h, t in markdown.inline_links(tok))
    text = " | ".join(" | ".join(r) for r in rows) if rows else " ".join(t for t in texts if t)
    return Block(
        kind=kind,
        text=markdown.normalize_space(text),
        source="\n".join(lines[start:end]).strip("\n"),
        html=markdown.render(tokens),
        line=start + 1,
        end_line=max(end, start + 1),
        items=tuple(items),
        rows=tuple(rows),
        links=tuple(links),
        item_lines=tuple(item_lines),
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
    tokens = markdown.parse(prepared.text)
    prepared_lines = prepared.text.split("\n")

    root = _Open(0, "", None, "", 0, None)
    stack = [root]
    groups = list(_top_level_groups(tokens))
    k = 0
    while k < len(groups):
        group = groups[k]
        first = group[0]
        if first.type == "heading_open":
            level = int(first.tag[1])
            line0 = (first.map or (0, 0))[0]
            heading = markdown.inline_text(group[1]) if len(group) > 1 else ""
            number, title = split_number(heading)
            while stack[-1].level >= level:
                stack.pop()
            section = _Open(level, heading, number, title, line0 + 1,
                            prepared.heading_ids.get(line0))
            stack[-1].children.append(section)
            stack.append(section)
        else:
            stack[-1].blocks.append(_make_block(group, prepared_lines))
        k += 1
    _close_ends(root, len(lines))
    frozen = _freeze(root, path, problems)
    return Document(path=path, source=source, front=front, root=frozen,
                    problems=tuple(problems))


def _close_ends(root: _Open, n_lines: int) -> None:
    flat: list[_Open] = []

    def visit(s: _Open) -> None:
        flat.append(s)
        for c in s.children:
            visit(c)

    visit(root)
    # A section ends where the next heading at its level or above begins.
    for i, s in enumerate(flat):
        end = n_lines
        for later in flat[i + 1 :]:
            if later.level <= s.level:
                end = later.line - 1
                break
        s.end_line = end
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
    base_count: dict[str, int] = {}
    for s, _ in flat:
        if not s.explicit:
            base = slugify(s.title) or slugify(s.heading) or "section"
            base_count[base] = base_count.get(base, 0) + 1
    for s, parent in flat:
        if s.explicit:
            continue
        base = slugify(s.title) or slugify(s.heading) or "section"
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
        alias = slugify(s.heading)
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
