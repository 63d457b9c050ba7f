"""A previous version kept on the page until the new one took effect (pure core).

Many companies publish an upcoming policy above the one in force ("Effective until
January 15, 2026") and delete the old copy once the new one applies. The rules judge
removed text as a practice withdrawn; this module finds the removed sections that are
such a copy, so that `materiality.assess` calls their removal what it is: the version
that stopped applying, on the day the new one started.

A removed section is a superseded copy when its heading, its first paragraph or its
first subsection's heading says until when it applies ("effective until", "in effect
until", "valid until", "applies until" a date) and that date is on or before the new
version's effective date (its front matter's `effective`, else the first "Effective:
DATE" / "Effective date: DATE" / "effective as of DATE" its text states). Without a
date on both sides nothing is superseded: a section that says it lapses later is a
practice withdrawn early.
"""

from __future__ import annotations

import datetime as dt
import re

from .changeset import ChangeKind, ChangeSet
from .docmodel import Document, Section
from .lexicon import MONTH_NUMBERS

_MONTH = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
_DATE = (rf"(?:(?P<m1>{_MONTH})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<y1>\d{{4}})"
         rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\.? (?P<m2>{_MONTH}),? (?P<y2>\d{{4}})"
         r"|(?P<iso>\d{4}-\d{2}-\d{2}))")
_UNTIL = re.compile(r"\b(?:effective|in effect|in force|valid|applies|applicable)"
                    r" (?:until|till|through) " + _DATE, re.IGNORECASE)
# "Effective: January 15, 2026", "Effective date: 15 January 2026", "effective as of …";
# never "effective until" (that is the copy's own end).
_EFFECTIVE = re.compile(r"\beffective(?: date)?(?: ?[:\-–] ?| )(?:as of |from |on )?" + _DATE,
                        re.IGNORECASE)
_MARKUP = re.compile(r"[*_`#]+")


def _date(found: re.Match[str]) -> dt.date | None:
    groups = found.groupdict()
    try:
        if groups["iso"]:
            return dt.date.fromisoformat(groups["iso"])
        month = (groups["m1"] or groups["m2"]).lower()
        day, year = groups["d1"] or groups["d2"], groups["y1"] or groups["y2"]
        return dt.date(int(year), MONTH_NUMBERS[month], int(day))
    except ValueError:
        return None  # "February 30": no date


def _plain(text: str) -> str:
    return " ".join(_MARKUP.sub("", text).split())


def _until(section: Section) -> dt.date | None:
    """The date until which the section says it applies, if its opening says so."""
    opening = [section.heading]
    if section.blocks:
        opening.append(section.blocks[0].text)
    if section.children and not section.blocks:
        opening.append(section.children[0].heading)
    for text in opening:
        found = _UNTIL.search(_plain(text))
        if found:
            return _date(found)
    return None


def effective_date(doc: Document) -> dt.date | None:
    """The version's effective date: its front matter's, else the first its text states."""
    if doc.front.effective is not None:
        return doc.front.effective
    for section in doc.sections():
        for text in (section.heading, *(b.text for b in section.blocks)):
            found = _EFFECTIVE.search(_plain(text))
            if found:
                return _date(found)
    return None


def superseded_sections(changes: ChangeSet) -> tuple[tuple[int, int], ...]:
    """The line ranges (first, last line of the old version) of the removed sections that
    are a copy of the previous version, superseded by the new version's effective date."""
    removed = [c.old for c in changes.changes
               if c.kind is ChangeKind.REMOVED and c.old is not None and c.old.level > 0]
    if not removed:
        return ()
    starts: dt.date | None = None
    ranges: list[tuple[int, int]] = []
    for section in removed:
        if any(first <= section.line <= last for first, last in ranges):
            continue  # inside a copy found already
        until = _until(section)
        if until is None:
            continue
        if starts is None:
            starts = effective_date(changes.new)
            if starts is None:
                return ()
        if until <= starts:
            ranges.append((section.line, section.end_line))
    return tuple(ranges)
