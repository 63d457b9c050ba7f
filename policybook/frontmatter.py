"""A policy's front matter and its text as read from disk or git (pure core).

The YAML block between `---` fences at the top of a policy: its fields validated into
`FrontMatter` (policy id, title, effective date, summary, an editor's override of the
verdict), with every problem collected as `path:line: message` rather than raised; and
the one normalisation of a policy's text (no byte-order mark, `\n` line ends). Reading
front matter alone is what the history index and a warm `plan` need, so this module
does not load the Markdown parser (`document.py` does, for the body), and loads YAML
only for a text that has front matter.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import Problem

if TYPE_CHECKING:
    import yaml


class ChangeVerdict(StrEnum):
    MATERIAL = "material"
    EDITORIAL = "editorial"


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



POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
KNOWN_KEYS = ("policy", "title", "effective", "summary", "change", "reason", "disagree")
DISAGREE_MAX = 600  # characters: a paragraph of an e-mail, not a policy
# The editor re-read the summary after material edits and it still holds (state.py).
SUMMARY_CONFIRMED = "summary-confirmed"
# The policy id this policy had before (its history continues under the new id, and the
# new text is judged against the old policy's), or "none": a new policy on purpose.
RENAMED_FROM = "renamed-from"


def slugify(text: str) -> str:
    """GitHub-style anchor slug: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s]+", "-", text.strip()).strip("-")



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


class _Refused(Exception):
    """Front matter that is valid YAML but that policybook refuses to load."""

    def __init__(self, problem: str, mark: Any) -> None:  # a Mark, of PyYAML or libyaml
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _Loaders(NamedTuple):  # (not a dataclass: built for every start, used with YAML only)
    pure: Any  # PyYAML's own parser, checking as it composes
    libyaml: Any  # libyaml's (None without it)


# False: PyYAML's pure-Python loader even where libyaml is there (tests of both paths).
USE_LIBYAML = True


@functools.cache
def _loaders() -> _Loaders:
    """The YAML loaders, built on the first front matter read: a policy without front
    matter (any Markdown can be diffed) never pays for importing PyYAML."""
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader that leaves dates as text: we parse them ourselves, with our
        messages (PyYAML's own date constructor raises a bare ValueError on 2027-02-30).

        It also refuses anchors and aliases: a few hundred bytes of nested aliases
        expand to gigabytes (a "billion laughs"), and no policy field needs them.
        Nesting is capped too, because PyYAML composes nested nodes recursively."""

        _depth = 0

        def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _Refused("anchors and aliases ('&name', '*name') are not allowed in "
                               "front matter; write each value out", event.start_mark)
            self._depth += 1
            try:
                if self._depth > _MAX_YAML_DEPTH:
                    raise _Refused(f"nested more than {_MAX_YAML_DEPTH} levels deep",
                                   event.start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)  # type: ignore[type-var]
    if not getattr(yaml, "__with_libyaml__", False):
        return _Loaders(Loader, None)

    class CLoader(yaml.CSafeLoader):
        """libyaml's parser and composer (about 3x faster than PyYAML's own, which is
        what a command that starts pays for every version), with `Loader`'s
        constructors."""

    CLoader.add_constructor("tag:yaml.org,2002:timestamp", CLoader.construct_yaml_str)  # type: ignore[type-var]
    return _Loaders(Loader, CLoader)


def _key_lines(node: yaml.Node | None, offset: int) -> tuple[tuple[str, int], ...]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return ()
    return tuple(
        (str(k.value), k.start_mark.line + 1 + offset)
        for k, _ in node.value
        if isinstance(k, yaml.ScalarNode)
    )


def _scan(loader: Any) -> None:
    """Refuse anchors, aliases and deep nesting from the events, before any node is built
    (libyaml composes nested nodes recursively, in C, where no recursion limit holds)."""
    import yaml

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
    the pure loader, which checks as it composes."""
    loaders = _loaders()
    fast = loaders.libyaml if USE_LIBYAML else None
    if fast is not None:
        scanner = fast(raw)
        try:
            _scan(scanner)
        finally:
            scanner.dispose()
    loader = (fast or loaders.pure)(raw)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


# Front matter made of plain lines is read without PyYAML, whose import and patterns are
# a good part of a `diff`'s start-up. A plain line is `key: value`, or `key:` followed by
# indented lines all alike: `- value` (a list) or `key: value` (a table). A value is a
# date (2027-01-15: text, as `_loaders` read dates), a one-line text in printable ASCII
# that starts with a letter or '/' and holds no ':' or '#', or such a text in single
# quotes without one inside; or true or false (True, TRUE...). Those mean to YAML exactly
# what they say, unless a key or another unquoted value is a word YAML reads as true,
# false or null (yes, off, null...): those, and anything else, go to YAML. A folded text
# (`summary: >` or `>-` and its lines, all indented alike, none blank, none ending in a
# space) is its lines joined by spaces, as YAML folds them: the summary of a policy is
# written so. `tests/test_frontmatter.py` holds the two readings equal.
_KEY = r"([A-Za-z][A-Za-z0-9_-]*)"
_VALUE = (r"(\d{4}-\d{2}-\d{2}|[A-Za-z/][\x20-\x22\x24-\x39\x3b-\x7e]*?|"
          r"'[\x20-\x26\x28-\x7e]*')")
# (Compiled on first use, by `re`: a policy without front matter never needs them.)
_PLAIN_ENTRY = _KEY + r": +" + _VALUE + r" *"
_PLAIN_OPEN = _KEY + r": *"
_PLAIN_FOLDED = _KEY + r": >(-?) *"
_PLAIN_ITEM = r"( +)- +" + _VALUE + r" *"
_PLAIN_INNER = r"( +)" + _KEY + r": +" + _VALUE + r" *"
_YAML_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})
_BOOLEANS = {"true": True, "True": True, "TRUE": True,
             "false": False, "False": False, "FALSE": False}


class _NotPlain(Exception):
    """Front matter that is not made of plain lines only (YAML reads it)."""


def _plain_key(key: str, taken: Iterable[str]) -> str:
    if key in taken or key.lower() in _YAML_WORDS:
        raise _NotPlain
    return key


def _plain_value(value: str) -> str | bool:
    if value[0] == "'":
        return value[1:-1]
    if value in _BOOLEANS:
        return _BOOLEANS[value]
    if value.lower() in _YAML_WORDS:
        raise _NotPlain
    return value


def _plain_block(rows: list[str]) -> list[str | bool] | dict[str, str | bool]:
    """The list (`- value` lines) or the table (`key: value` lines) of the indented lines
    under a `key:` line, all indented alike."""
    items = [re.fullmatch(_PLAIN_ITEM, row) for row in rows]
    if all(items):
        if len({m.group(1) for m in items if m}) > 1:
            raise _NotPlain
        return [_plain_value(m.group(2)) for m in items if m]
    entries = [re.fullmatch(_PLAIN_INNER, row) for row in rows]
    if not all(entries) or len({m.group(1) for m in entries if m}) > 1:
        raise _NotPlain
    table: dict[str, str | bool] = {}
    for m in entries:
        if m:
            table[_plain_key(m.group(2), table)] = _plain_value(m.group(3))
    return table


def _plain_folded(rows: list[str]) -> str:
    """The lines of a folded text joined as YAML folds them (see above)."""
    indent = len(rows[0]) - len(rows[0].lstrip(" "))
    lines = [row[indent:] for row in rows]
    if any(row[:indent].strip(" ") or not line or line[0] == " " or line[-1] == " " or
           not line.isprintable() for row, line in zip(rows, lines, strict=True)):
        raise _NotPlain
    return " ".join(lines)


def _plain(raw: str) -> tuple[dict[str, Any], tuple[tuple[str, int], ...]] | None:
    """The values and key lines of front matter made of plain lines (see above); None
    when it holds anything else."""
    data: dict[str, Any] = {}
    lines: list[tuple[str, int]] = []
    rows = raw.split("\n")
    i = 0
    try:
        while i < len(rows):
            end = i + 1
            while end < len(rows) and rows[end][:1] == " ":
                end += 1
            under = rows[i + 1:end]  # the indented lines under this one
            found = re.fullmatch(_PLAIN_ENTRY, rows[i])
            value: str | bool | list[str | bool] | dict[str, str | bool]
            folded = re.fullmatch(_PLAIN_FOLDED, rows[i]) if found is None else None
            if folded and under:
                found = folded
                # (Clipped: the last line break is kept when the text goes on after it.)
                value = _plain_folded(under) + ("" if folded.group(2) or end == len(rows)
                                                else "\n")
            elif found and not under:
                value = _plain_value(found.group(2))
            else:  # `key:` with its list or table (YAML reads `key:` alone as null)
                found = re.fullmatch(_PLAIN_OPEN, rows[i])
                if found is None or not under:
                    raise _NotPlain
                value = _plain_block(under)
            data[_plain_key(found.group(1), data)] = value
            lines.append((found.group(1), i + 2))  # raw starts on the file's second line
            i = end
    except _NotPlain:
        return None
    return data, tuple(lines)


def _read_yaml(raw: str) -> tuple[Any, tuple[tuple[str, int], ...]]:
    """The values of front matter and the line of each key; YAMLError (or _Refused,
    RecursionError, ValueError) when it cannot be read."""
    plain = _plain(raw)
    if plain is not None:
        return plain
    data, node = _load_yaml(raw)
    return data, _key_lines(node, 1)


def _unreadable() -> tuple[type[Exception], ...]:
    """What reading front matter raises for a text it cannot read (only the YAML reading
    raises, so PyYAML is loaded when this is asked)."""
    from yaml import YAMLError

    # ValueError: an integer of thousands of digits (Python refuses to build it)
    return YAMLError, _Refused, RecursionError, ValueError


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
        data, lines = _read_yaml(raw)
    except _unreadable() as exc:  # (evaluated only when something was raised)
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


