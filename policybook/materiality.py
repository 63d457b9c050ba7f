"""ChangeSet -> Assessment: is a new version material, and why (pure core).

How a verdict is reached:

- Every change of the change set (`diff.py`) is judged on its own, down to each changed
  run of words (`redline.Hunk`), list item and table row. Each judgement is a `Reason`:
  the rule that fired (`rules.Rule`), its verdict, the section, the line and the words
  concerned, so that a lawyer can check it against the redline.
- Structure and form are editorial: whitespace, Markdown, list markers, heading levels,
  headings' wording, renumbering, moves, link targets. Words are judged by `rules.py`,
  reading the signals of each changed run (`signals.py`): the rules of the rulebook
  (`rulebook.RULEBOOK`, whose order is the precedence) are tried in turn, narrow
  editorial rules first, then what the changed words carry (negation, modality,
  numbers, places, the concepts of `lexicon.py` in the changed words). The sentence
  and the section may explain a reason, never make one: words that carry nothing are a
  clarification. An added or removed table row is material: tables in policies are
  registers (subprocessors, retention periods). A summary ("Short version:") is text
  like any other unless the opt-in `summaries` profile is on.
- A change is material when any of its reasons is; the version is material when any
  change is. Front-matter edits are editorial.
- The editor's override in the new version's front matter (`change:` + `reason:`) wins,
  and the assessment says so, with the reason and what the rules had found. An override
  carried over unchanged from the old version is *not* applied: it was written for
  another change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from .diff import (
    BlockChange,
    BlockChangeKind,
    Change,
    ChangeKind,
    ChangeSet,
    ItemChange,
    ItemKind,
    Style,
    clean,
)
from .document import Block, BlockKind, ChangeVerdict, Document, Override
from .lexicon import summary_label
from .reasons import Reason
from .redline import Hunk, Redline, words_of
from .rulebook import Settings
from .rules import (
    EDITORIAL,
    MATERIAL,
    Finding,
    Rule,
    Texts,
    editorial_hunk,
    material_hunk,
    whole_text,
)
from .rules import sentence as _sentence

__all__ = ["Assessment", "ChangeAssessment", "Reason", "Rule", "assess"]

_FLIPS = {Rule.NEGATION, Rule.MODAL_WEAKENING, Rule.MODAL_STRENGTHENING, Rule.NARROWED_LIST,
          Rule.WIDENED_LIST}
_STYLE_RULES = {
    Style.WHITESPACE: Rule.WHITESPACE,
    Style.LIST_MARKERS: Rule.LIST_MARKERS,
    Style.LINKS: Rule.LINK_TARGET,
    Style.BLOCK_KIND: Rule.MARKUP,
    Style.MARKUP: Rule.MARKUP,
}


@dataclass(frozen=True)
class ChangeAssessment:
    change: Change
    verdict: ChangeVerdict
    reasons: tuple[Reason, ...]

    @property
    def material(self) -> bool:
        return self.verdict is ChangeVerdict.MATERIAL

    @property
    def material_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.material)


@dataclass(frozen=True)
class Assessment:
    changeset: ChangeSet
    verdict: ChangeVerdict  # the final verdict (the override's, when one applies)
    detected: ChangeVerdict  # what the rules found
    changes: tuple[ChangeAssessment, ...]
    front: tuple[Reason, ...]  # one per front-matter field that changed
    override: Override | None = None  # the override that was applied
    override_note: str = ""  # why an override was or was not applied

    @property
    def material(self) -> bool:
        return self.verdict is ChangeVerdict.MATERIAL

    @property
    def overridden(self) -> bool:
        return self.override is not None

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The material reasons, in document order: what a notice lists."""
        return tuple(r for c in self.changes for r in c.material_reasons)

    @property
    def main_reasons(self) -> tuple[Reason, ...]:
        """The first material reason of each material change: a short list for notices."""
        return tuple(c.material_reasons[0] for c in self.changes if c.material)

    @property
    def editorial_reasons(self) -> tuple[Reason, ...]:
        return (*self.front, *(r for c in self.changes for r in c.reasons if not r.material))

    def summary(self) -> str:
        """One line: the verdict and why."""
        n = sum(1 for c in self.changes if c.material)
        if self.override is not None:
            return (f"decided by the editor's override: {self.override.reason} (the rules "
                    f"found it {self.detected})")
        total = len(self.changes)
        if self.material:
            return f"{n} of {total} change{'s' if total != 1 else ''} " \
                   f"{'are' if n != 1 else 'is'} material"
        if not self.changes:
            front = " (front matter only)" if self.changeset.front else ""
            return f"no change to the words or the structure{front}"
        return "1 change, editorial" if total == 1 else f"{total} changes, all editorial"


def assess(changes: ChangeSet,
           override: Override | Literal["front-matter"] | None = "front-matter",
           settings: Settings | None = None) -> Assessment:
    """Judge a change set. By default the override comes from the new version's front
    matter (unless carried over unchanged from the old one); pass an `Override` to
    impose one, or None to ignore any. `settings` are the `[materiality]` settings."""
    settings = settings or Settings()
    texts = Texts(lambda: _linear(changes.old), lambda: _linear(changes.new),
                  lambda: frozenset(_headings(changes.old) | _headings(changes.new)),
                  _substitutions(changes))
    texts.extra, texts.profiles = settings.terms, settings.profiles
    judged = tuple(_judge(change, texts, settings.disabled) for change in changes.changes)
    front = tuple(Reason(Rule.FRONT_MATTER, EDITORIAL, "front-matter", "front matter",
                         f.line, f"{f.field}: {_quote(f.old)} → {_quote(f.new)}")
                  for f in changes.front)
    detected = MATERIAL if any(c.material for c in judged) else EDITORIAL
    applied, note = _override(changes, override, detected)
    verdict = applied.verdict if applied is not None else detected
    return Assessment(changes, verdict, detected, judged, front, applied, note)


def _override(changes: ChangeSet, override: Override | Literal["front-matter"] | None,
              detected: ChangeVerdict) -> tuple[Override | None, str]:
    if override is None:
        return None, ""
    if override != "front-matter":
        return override, f"override: {override.verdict} ({override.reason})"
    new, old = changes.new.front.override, changes.old.front.override
    if new is None:
        return None, ""
    if new == old:
        return None, (f"the front matter's 'change: {new.verdict}' was carried over unchanged "
                      "from the previous version, so it is not applied; update or remove it")
    agree = "agrees with" if new.verdict is detected else "overrules"
    return new, f"the editor's override ({new.verdict}: {new.reason}) {agree} the rules"


# ---------------------------------------------------------------- judging changes


def _linear(doc: Document) -> str:
    """The whole document as words, headings included, for phrase look-ups."""
    parts: list[str] = []
    for section in doc.root.walk():
        if section.level:
            parts.append(section.heading)
        parts.extend(clean(block.text) for block in section.blocks)
    return f" {' '.join(words_of(' '.join(parts)))} "


def _substitutions(changes: ChangeSet) -> dict[tuple[tuple[str, ...], tuple[str, ...]], int]:
    """How often each capitalised name (up to three words) was replaced by another one."""
    counts: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    for change in changes.changes:
        for block in change.blocks:
            if block.kind is not BlockChangeKind.CHANGED:
                continue
            for hunk in block.redline.hunks():
                d = tuple(w for w in hunk.deleted if any(c.isalnum() for c in w))
                i = tuple(w for w in hunk.inserted if any(c.isalnum() for c in w))
                if 0 < len(d) <= 3 and 0 < len(i) <= 3 and \
                        all(w[:1].isupper() for w in d + i):
                    counts[(d, i)] += 1
    return dict(counts)


def _headings(doc: Document) -> set[str]:
    found: set[str] = set()
    for section in doc.sections():
        found.add(" ".join(words_of(section.heading)).lower())
        found.add(" ".join(words_of(section.title)).lower())
    return found


def _sides(words: str) -> tuple[str, str]:
    """The old and the new words of a reason's quote ("“a” → “b”", "added “c”")."""
    def unquote(part: str) -> str:
        part = part.strip()
        start, end = part.find("“"), part.rfind("”")
        return part[start + 1: end] if 0 <= start < end else ""
    if "” → “" in words:
        left, right = words.split("” → “", 1)
        return unquote(left + "”"), unquote("“" + right)
    if words.startswith("added"):
        return "", unquote(words)
    if words.startswith("removed"):
        return unquote(words), ""
    return "", ""


def _quote(text: str | None, limit: int = 40) -> str:
    if text is None:
        return "(none)"
    words = text.split()
    short = " ".join(words[:limit]) + (" …" if len(words) > limit else "")
    return f"“{short}”"


def _join(words: Sequence[str]) -> str:
    text = " ".join(words)
    for mark in (",", ".", ";", ":", "!", "?", ")", "”", "’"):
        text = text.replace(f" {mark}", mark)
    for mark in ("(", "“"):
        text = text.replace(f"{mark} ", mark)
    return text


def _snippet(words: Sequence[str], start: int, end: int, context: int = 4) -> str:
    lo, hi = max(0, start - context), min(len(words), end + context)
    text = _join(words[lo:hi])
    return ("…" if lo > 0 else "") + text + ("…" if hi < len(words) else "")


def _in_sentence(words: Sequence[str], start: int, end: int, context: int = 15) -> str:
    """The sentence around words[start:end], clipped to `context` words on each side."""
    begin = start
    while begin > 0 and words[begin - 1] not in (".", "!", "?", ";"):
        begin -= 1
    stop = begin + len(_sentence(words, start, end))
    lo, hi = max(begin, start - context), min(stop, end + context)
    return ("…" if lo > begin else "") + _join(words[lo:hi]) + ("…" if hi < stop else "")


def _judge(change: Change, texts: Texts, disabled: frozenset[Rule] = frozenset()
           ) -> ChangeAssessment:
    # A rule switched off in the settings still shows what it found, as editorial.
    reasons = [replace(r, verdict=EDITORIAL, note=f"{r.note}; rule switched off".lstrip("; "))
               if r.rule in disabled and r.material else r for r in _reasons(change, texts)]
    unique = tuple(dict.fromkeys(reasons))
    verdict = MATERIAL if any(r.material for r in unique) else EDITORIAL
    return ChangeAssessment(change, verdict, unique)


def _reasons(change: Change, texts: Texts) -> Iterator[Reason]:
    def reason(rule: Rule, verdict: ChangeVerdict, words: str, line: int = 0,
               terms: tuple[str, ...] = (), note: str = "") -> Reason:
        old_words, new_words = _sides(words)
        return Reason(rule, verdict, change.section, change.where, line or change.line, words,
                      terms, note, old_words, new_words)

    kind = change.kind
    if kind is ChangeKind.RENUMBERED:
        yield reason(Rule.NUMBERING, EDITORIAL, change.detail)
    elif kind is ChangeKind.RELEVELED:
        yield reason(Rule.HEADING_LEVEL, EDITORIAL, change.detail)
    elif kind is ChangeKind.MOVED:
        yield reason(Rule.REORDERING, EDITORIAL, f"section moved {change.detail}")
    elif kind is ChangeKind.RETITLED:
        assert change.old is not None and change.new is not None
        words = f"“{change.old.title}” → “{change.new.title}”"
        if change.detail:
            words += f" ({change.detail})"
        yield reason(Rule.HEADING_WORDING, EDITORIAL, words)
    else:
        if not change.blocks:
            verb = {ChangeKind.ADDED: "added", ChangeKind.REMOVED: "removed"}.get(kind, "")
            yield reason(Rule.HEADING_WORDING, EDITORIAL,
                         f"heading {verb} without text of its own".replace("  ", " "))
        for block in change.blocks:
            for finding, line, words in _block(block, change, texts):
                yield reason(finding.rule, finding.verdict, words, line, finding.terms,
                             finding.note)


Judged = tuple[Finding, int, str]


def _block(block: BlockChange, change: Change, texts: Texts) -> Iterator[Judged]:
    line = block.line
    context = words_of(" ".join(change.path))
    if block.kind is BlockChangeKind.RESTYLED:
        for style in block.style or (Style.MARKUP,):
            yield Finding(_STYLE_RULES[style], EDITORIAL), line, _style_words(block, style)
        return
    if block.kind is BlockChangeKind.MOVED:
        where = "from" if block.new is not None else "to"
        yield Finding(Rule.REORDERING, EDITORIAL), line, \
            f"{_quote(block.redline.new, 12)} moved {where} section {block.elsewhere}"
        return
    for style in block.style:
        yield Finding(_STYLE_RULES[style], EDITORIAL), line, _style_words(block, style)
    label = next((summary_label(b.text) for b in (block.old, block.new)
                  if b is not None and summary_label(b.text)), None)
    if label is not None and "summaries" in texts.profiles and block.kind is \
            BlockChangeKind.CHANGED:
        # Opt-in profile: a summary restates the binding text, so its rewording is
        # editorial; but a practice it flips (a negation, a duty) is material anyway.
        flips = [j for j in _hunks(block.redline, texts, context, line)
                 if j[0].rule in _FLIPS]
        text = block.redline.new or block.redline.old
        yield from flips or [(Finding(Rule.SUMMARY, EDITORIAL, note=f"“{label}”"), line,
                              _quote(text, 16))]
        return
    if block.kind in (BlockChangeKind.ADDED, BlockChangeKind.REMOVED):
        added = block.kind is BlockChangeKind.ADDED
        if block.items and block.block_kind is BlockKind.TABLE:
            yield from _table_items(block, texts, context)
        elif block.items:
            lead = _lead_in(block, change)
            for item in block.items:
                text = item.redline.new if added else item.redline.old
                yield whole_text(words_of(text), texts, added, context, lead), \
                    _item_line(block, item), \
                    f"{'added' if added else 'removed'} item {_quote(text)}"
        else:
            text = block.redline.new if added else block.redline.old
            yield whole_text(words_of(text), texts, added, context, paragraph=True), line, \
                f"{'added' if added else 'removed'} {_quote(text)}"
        return
    if block.items:
        yield from _table_items(block, texts, context) if block.is_table else \
            _list_items(block, texts, context, _lead_in(block, change))
        return
    yield from _hunks(block.redline, texts, context, line, links=_link_words(block))


def _style_words(block: BlockChange, style: Style) -> str:
    if style is Style.LINKS and block.links:
        return "; ".join(f"{old or '(no link)'} → {new or '(no link)'}"
                         for old, new in block.links)
    text = block.redline.new or block.redline.old
    return _quote(text, 12)


def _link_words(block: BlockChange) -> tuple[str, str]:
    """The words of each side's links, for the link-wording rule."""
    def words(b: Block | None) -> str:
        texts = [" ".join(words_of(clean(link.text))).lower() for link in b.links] if b else []
        return f" {' | '.join(texts)} "
    return words(block.old), words(block.new)


def _hunks(redline: Redline, texts: Texts, context: Sequence[str], line: int,
           table: bool = False, lead: Sequence[str] = (),
           links: tuple[str, str] = ("", "")) -> Iterator[Judged]:
    old, new = words_of(redline.old), words_of(redline.new)
    for hunk in _merge_names(redline.hunks(), old, new):
        finding = editorial_hunk(hunk, old, new, texts, links, table) or \
            material_hunk(hunk, old, new, context, table, lead, texts.extra)
        if finding.rule is Rule.RENAME:
            words = finding.note
        else:
            words = (f"“{_snippet(old, hunk.old_start, hunk.old_end)}” → "
                     f"“{_snippet(new, hunk.new_start, hunk.new_end)}”")
        if finding.verdict is MATERIAL:
            # Show the sentence for material findings: the lawyer reads it there.
            words = (f"“{_in_sentence(old, hunk.old_start, hunk.old_end)}” → "
                     f"“{_in_sentence(new, hunk.new_start, hunk.new_end)}”")
        yield finding, line, words


def _merge_names(hunks: Sequence[Hunk], old: Sequence[str], new: Sequence[str]
                 ) -> Iterator[Hunk]:
    """Runs split only by capitalised words are one change of a name ("a Business plan"
    -> "GitHub Business Cloud"): judge them together."""
    pending: Hunk | None = None
    for hunk in hunks:
        if pending is not None:
            gap = old[pending.old_end: hunk.old_start]
            if 0 < len(gap) <= 2 and all(w[:1].isupper() for w in gap):
                pending = Hunk(pending.old_start, hunk.old_end, pending.new_start, hunk.new_end,
                               tuple(old[pending.old_start: hunk.old_end]),
                               tuple(new[pending.new_start: hunk.new_end]))
                continue
            yield pending
        pending = hunk
    if pending is not None:
        yield pending


def _item_line(block: BlockChange, item: ItemChange) -> int:
    """The line of a list item or table row (the new file's; the old one's if removed)."""
    for b, index in ((block.new, item.new_index), (block.old, item.old_index)):
        if b is not None and index is not None and index < len(b.item_lines):
            return b.item_lines[index]
    return block.line


def _lead_in(block: BlockChange, change: Change) -> list[str]:
    """The last sentence of the paragraph just before a list: it governs the items."""
    for b, section in ((block.new, change.new), (block.old, change.old)):
        if b is None or section is None:
            continue
        index = next((k for k, x in enumerate(section.blocks) if x is b), None)
        if index:
            before = words_of(clean(section.blocks[index - 1].text))
            return _sentence(before, len(before) - 1, len(before) - 1) if before else []
    return []


def _list_items(block: BlockChange, texts: Texts, context: Sequence[str],
                lead: Sequence[str]) -> Iterator[Judged]:
    for item in block.items:
        if item.kind is ItemKind.UNCHANGED:
            continue
        if item.kind is ItemKind.MOVED:
            yield Finding(Rule.REORDERING, EDITORIAL), _item_line(block, item), \
                f"item {_quote(item.redline.new, 12)} moved within the list"
        elif item.kind is ItemKind.CHANGED:
            yield from _hunks(item.redline, texts, context, _item_line(block, item), lead=lead)
        else:
            added = item.kind is ItemKind.ADDED
            text = item.redline.new if added else item.redline.old
            yield whole_text(words_of(text), texts, added, context, lead), \
                _item_line(block, item), f"{'added' if added else 'removed'} item {_quote(text)}"


def _first_cells(block: BlockChange, item: ItemChange) -> list[str]:
    """The first cell of a row on each side: a row that names a section is a table of
    contents entry."""
    cells: list[str] = []
    for b, index in ((block.old, item.old_index), (block.new, item.new_index)):
        if b is not None and index is not None and b.rows[index]:
            cells.append(clean(b.rows[index][0]))
    return cells


def _contents_row(block: BlockChange, item: ItemChange, texts: Texts) -> bool:
    """A row whose first cell names a section (or links to one, `[C. Use](#c-use)`)."""
    anchors = {clean(link.text) for b in (block.old, block.new) if b is not None
               for link in b.links if link.href.startswith("#")}
    return any(texts.is_heading(cell) or cell in anchors for cell in _first_cells(block, item))


def _table_items(block: BlockChange, texts: Texts, context: Sequence[str]
                 ) -> Iterator[Judged]:
    for item in block.items:
        if item.kind is ItemKind.UNCHANGED:
            continue
        if item.kind is ItemKind.MOVED:
            yield Finding(Rule.REORDERING, EDITORIAL), _item_line(block, item), \
                f"row {_quote(item.redline.new, 12)} moved within the table"
            continue
        # A row naming a section is a contents entry, unless its other cells changed:
        # a summary table ("3. Sharing | We never sell your data") is text users read.
        others = item.kind is ItemKind.CHANGED and any(c.changed for c in item.cells[1:])
        if _contents_row(block, item, texts) and not others:
            yield Finding(Rule.CONTENTS, EDITORIAL), _item_line(block, item), \
                f"{item.kind} row {_quote(item.redline.new or item.redline.old, 12)}"
        elif item.kind is ItemKind.CHANGED:
            for cell in item.cells or (item.redline,):
                if cell.changed:
                    yield from _hunks(cell, texts, context, _item_line(block, item),
                                      table=True, links=_link_words(block))
        else:
            added = item.kind is ItemKind.ADDED
            text = item.redline.new if added else item.redline.old
            words = words_of(text)
            moved = texts.old_has(words) if added else texts.new_has(words)
            if moved:
                yield Finding(Rule.REORDERING, EDITORIAL), _item_line(block, item), \
                    f"row {_quote(text, 12)} moved"
            elif any(c.isalnum() for c in text):
                cells = tuple(w for w in words_of(text) if any(c.isalnum() for c in w))
                yield Finding(Rule.TABLE_ENTRY, MATERIAL, cells[:6]), \
                    _item_line(block, item), f"{'added' if added else 'removed'} row {_quote(text)}"
