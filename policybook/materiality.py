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
- How each block is walked (paragraph runs, list items, table rows) and quoted lives in
  `materiality_blocks.py`. A section whose blocks would read as material but whose
  words are the same in another layout (`relayout.py`) is judged as that layout.
- A change is material when any of its reasons is; the version is material when any
  change is. Front-matter edits are editorial.
- The editor's override in the new version's front matter (`change:` + `reason:`) wins,
  and the assessment says so, with the reason and what the rules had found. An override
  carried over unchanged from the old version is *not* applied: it was written for
  another change.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from .diff import (
    BlockChangeKind,
    Change,
    ChangeKind,
    ChangeSet,
)
from .document import ChangeVerdict, Document, Override
from .materiality_blocks import flips, judge_block, judge_words, quote
from .reasons import Reason
from .redline import Redline, word_redline, words_of
from .relayout import relaid
from .rulebook import Settings
from .rules import (
    EDITORIAL,
    MATERIAL,
    Rule,
    Texts,
    whole_text,
)
from .rules_words import name_core
from .signals import forget_sentences
from .superseded import superseded_sections

__all__ = ["Assessment", "ChangeAssessment", "Reason", "Rule", "assess"]


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
    forget_sentences()
    texts = Texts(lambda: _linear(changes.old), lambda: _linear(changes.new),
                  lambda: frozenset(_headings(changes.old) | _headings(changes.new)),
                  _substitutions(changes))
    texts.extra, texts.profiles = settings.terms, settings.profiles
    texts.disabled = settings.disabled
    superseded = superseded_sections(changes) if Rule.SUPERSEDED not in settings.disabled \
        else ()
    judged = tuple(_judge(change, texts, settings.disabled, superseded)
                   for change in changes.changes)
    front = tuple(Reason(Rule.FRONT_MATTER, EDITORIAL, "front-matter", "front matter",
                         f.line, f"{f.field}: {quote(f.old)} → {quote(f.new)}")
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
        parts.extend(block.words for block in section.blocks)
    # Part by part (no token runs past a space): the diff has tokenised the changed
    # blocks already (`redline` keeps each text's tokens), a long table among them.
    return f" {' '.join(word for part in parts for word in words_of(part))} "


def _substitutions(changes: ChangeSet) -> dict[tuple[tuple[str, ...], tuple[str, ...]], int]:
    """How often each capitalised name (up to three words) was replaced by another one."""
    counts: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    for change in changes.changes:
        for block in change.blocks:
            if block.kind is not BlockChangeKind.CHANGED:
                continue
            for hunk in block.redline.hunks():
                d = tuple(name_core(w)[0] for w in hunk.deleted if any(c.isalnum() for c in w))
                i = tuple(name_core(w)[0] for w in hunk.inserted
                          if any(c.isalnum() for c in w))
                if 0 < len(d) <= 3 and 0 < len(i) <= 3 and \
                        all(w[:1].isupper() for w in d + i):
                    counts[(d, i)] += 1
    return dict(counts)


def _restructured(change: Change) -> bool:
    """Did the section's layout change: its title, a block come or gone, a block of
    another kind, a list or a table with more or fewer items? (Only then can the same
    words stand in another layout; reading a section word by word costs.)"""
    if change.old is None or change.new is None:
        return False
    return change.old.title != change.new.title or any(
        block.kind in (BlockChangeKind.ADDED, BlockChangeKind.REMOVED) or (
            block.old is not None and block.new is not None and (
                block.old.kind is not block.new.kind
                or len(block.old.items) != len(block.new.items)))
        for block in change.blocks)


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


def _judge(change: Change, texts: Texts, disabled: frozenset[Rule] = frozenset(),
           superseded: tuple[tuple[int, int], ...] = ()) -> ChangeAssessment:
    # The rules skip what is switched off themselves, structural findings included (a
    # restyled block, a moved passage, a table row: `materiality_blocks`), so that the
    # change falls to the next rules. This net only keeps a material rule switched off
    # from deciding should any path still report it.
    reasons = [replace(r, verdict=EDITORIAL, note=f"{r.note}; rule switched off".lstrip("; "))
               if r.rule in disabled and r.material else r
               for r in _reasons(change, texts, superseded)]
    unique = tuple(dict.fromkeys(reasons))
    verdict = MATERIAL if any(r.material for r in unique) else EDITORIAL
    return ChangeAssessment(change, verdict, unique)


def _reasons(change: Change, texts: Texts, superseded: tuple[tuple[int, int], ...] = ()
             ) -> Iterator[Reason]:
    def reason(rule: Rule, verdict: ChangeVerdict, words: str, line: int = 0,
               terms: tuple[str, ...] = (), note: str = "") -> Reason:
        old_words, new_words = _sides(words)
        return Reason(rule, verdict, change.section, change.where, line or change.line, words,
                      terms, note, old_words, new_words)

    kind = change.kind
    gone = change.old
    if kind is ChangeKind.REMOVED and gone is not None and \
            any(first <= gone.line <= last for first, last in superseded):
        yield reason(Rule.SUPERSEDED, EDITORIAL, f"removed {quote(gone.heading)}", gone.line)
        return
    structural = {ChangeKind.RENUMBERED: Rule.NUMBERING, ChangeKind.RELEVELED: Rule.HEADING_LEVEL,
                  ChangeKind.MOVED: Rule.REORDERING, ChangeKind.RETITLED: Rule.HEADING_WORDING}
    off = structural.get(kind)
    if off is not None and off in texts.disabled:
        # The structural rule is switched off: the heading's words (or, for a section
        # moved, its text at the new place) fall to the next rules.
        yield from _fallen(change, texts, off, reason)
    elif kind is ChangeKind.RENUMBERED:
        yield reason(Rule.NUMBERING, EDITORIAL, change.detail)
    elif kind is ChangeKind.RELEVELED:
        yield reason(Rule.HEADING_LEVEL, EDITORIAL, change.detail)
    elif kind is ChangeKind.MOVED:
        yield reason(Rule.REORDERING, EDITORIAL, f"section moved {change.detail}")
    elif kind is ChangeKind.RETITLED:
        assert change.old is not None and change.new is not None
        # A heading is a label, but one that states a practice says it: "We never sell
        # your data" -> "We may sell your data" flips it, as a summary would.
        flipped = [] if change.redline is None else [
            j for j in judge_words(_unnumbered(change.redline), texts,
                                   words_of(" ".join(change.path)), change.line)
            if flips(j[0])]
        for finding, line, quoted in flipped:
            yield reason(finding.rule, finding.verdict, f"heading {quoted}", line,
                         finding.terms, finding.note)
        if flipped:
            return
        words = f"“{change.old.title}” → “{change.new.title}”"
        if change.detail:
            words += f" ({change.detail})"
        yield reason(Rule.HEADING_WORDING, EDITORIAL, words)
    else:
        if not change.blocks and Rule.HEADING_WORDING in texts.disabled:
            section = change.new or change.old
            added = change.new is not None
            if section is not None:
                finding = whole_text(words_of(section.title), texts, added)
                yield reason(finding.rule, finding.verdict,
                             f"{'added' if added else 'removed'} “{section.title}”", 0,
                             finding.terms, _skipped(finding.note, Rule.HEADING_WORDING))
        elif not change.blocks:
            verb = {ChangeKind.ADDED: "added", ChangeKind.REMOVED: "removed"}.get(kind, "")
            yield reason(Rule.HEADING_WORDING, EDITORIAL,
                         f"heading {verb} without text of its own".replace("  ", " "))
        judged = [reason(finding.rule, finding.verdict, words, line, finding.terms,
                         finding.note)
                  for block in change.blocks
                  for finding, line, words in judge_block(block, change, texts)]
        layout = relaid(change.old, change.new) \
            if any(r.material for r in judged) and _restructured(change) else None
        # Re-laid out with the same words: the runs the diff paired across the new breaks
        # read as sentences rewritten ("Refunds" -> "you are required to ask first").
        if layout is not None and layout[0] not in texts.disabled:
            rule, how = layout
            for block in change.blocks:
                text = block.new.words if block.new is not None else \
                    block.old.words if block.old is not None else ""
                yield reason(rule, EDITORIAL, quote(text, 12), block.line, (), how)
            return
        yield from judged


# A heading's number glued to its title ("4.Services"), which the parser could not tell
# from the title; a number the title says ("30 days of storage") stays.
_HEADING_NUMBER = re.compile(r"^(?:§\s*)?(?:\d+(?:\.\d+)*[.)]?|[A-Za-z][.)]|\(\w+\))"
                             r"(?=[A-Za-z])")


def _unnumbered(redline: Redline) -> Redline:
    """The title's redline without the numbers that head each side: renumbering is judged
    as renumbering, not as a number changed."""
    old, new = (_HEADING_NUMBER.sub("", text) for text in (redline.old, redline.new))
    return redline if (old, new) == (redline.old, redline.new) else word_redline(old, new)


def _skipped(note: str, rule: Rule) -> str:
    return "; ".join(x for x in (note, f"{rule} switched off") if x)


def _fallen(change: Change, texts: Texts, off: Rule,
            reason: Callable[..., Reason]) -> Iterator[Reason]:
    """A section renumbered, re-levelled, moved or retitled whose rule is switched off:
    the changed words of its heading are judged like a paragraph's, a moved section's
    text as text added at its new place; nothing else left is a clarification."""
    found = False
    context = words_of(" ".join(change.path))
    if change.kind is ChangeKind.MOVED and change.new is not None:
        text = " ".join(b.words for b in change.new.blocks)
        finding = whole_text(words_of(text), texts, True, context)
        found = True
        yield reason(finding.rule, finding.verdict, f"section moved: added {quote(text)}", 0,
                     finding.terms, _skipped(finding.note, off))
    elif change.redline is not None:
        for finding, line, words in judge_words(change.redline, texts, context, change.line):
            found = True
            yield reason(finding.rule, finding.verdict, words, line, finding.terms,
                         _skipped(finding.note, off))
    if not found:
        yield reason(Rule.CLARIFICATION, EDITORIAL, change.detail, 0, (), _skipped("", off))
