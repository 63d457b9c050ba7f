"""Translations of a policy: what a file declares, and what `check` requires (pure core).

A translation belongs to one version of its source (docs/languages.md): its front
matter names the `policy`, the `language`, the `variant` if any, and the source version
it `translates` (that version's effective date). It has no effective date and no
verdict of its own. This module reads those declarations from a parsed `Document`,
checks that a translation lines up with its source section by section, and decides
what `check` reports for a policy's versions and translations at a moment `now`:

- *missing*: a version whose notice is due within the notice period (or already due,
  and not yet in force) lacks a translation into a required language;
- *stale*: the source text of the version a translation names has changed materially
  since the translation was written (an editorial change only warns);
- *orphan*: a translation names a date that is no version of its source.

Whether the source changed since a translation was committed needs git and the
materiality rules: the caller (the history reader) passes that verdict in.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .document import ChangeVerdict, Document
from .errors import Problem

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class Translation:
    path: str
    policy: str
    language: str
    translates: dt.date
    line: int  # the line of `translates:`, for messages
    variant: str | None = None
    # The verdict of the source's change since this translation was committed (None:
    # the source version's text is the one that was translated).
    source_changed: ChangeVerdict | None = None


@dataclass(frozen=True)
class SourceVersion:
    """What the check needs of one version of the source (from the timeline)."""

    effective: dt.date
    takes_effect: dt.datetime  # the switch (midnight of `effective`, or postponed)
    notice_due: dt.datetime | None  # when its notice is due; None for an editorial version


@dataclass(frozen=True)
class TranslationCheck:
    problems: tuple[Problem, ...]  # `check` fails
    warnings: tuple[Problem, ...]  # shown, not failing


def language_label(code: str) -> str:
    """'French (fr)': a language named for an English-reading editor, with its tag."""
    from babel import Locale, UnknownLocaleError  # Babel loads when a language is named

    try:
        name = Locale.parse(code, sep="-").get_display_name("en")
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name} ({code})" if name else code


def read_translation(doc: Document, source_language: str
                     ) -> tuple[Translation | None, tuple[Problem, ...]]:
    """The translation a file declares (None for a source file), and its problems."""
    extra = dict(doc.front.extra)
    language = extra.get("language", "").strip()
    if not language or language == source_language:
        return None, ()
    front, path = doc.front, doc.path
    problems: list[Problem] = []
    if not _TAG.match(language):
        problems.append(Problem(path, front.line_of("language"), f"language {language!r} is not "
                                "a language tag; write it as 'fr', 'de-CH' or 'pt-BR'"))
    translates = extra.get("translates", "").strip()
    date: dt.date | None = None
    if not translates:
        problems.append(Problem(path, front.line_of("language"), "a translation names the source "
                                "version it translates: add 'translates: YYYY-MM-DD' (that "
                                "version's effective date)"))
    elif not _DATE.match(translates):
        problems.append(Problem(path, front.line_of("translates"), f"translates {translates!r} "
                                "must be the effective date of a source version, as YYYY-MM-DD"))
    else:
        try:
            date = dt.date.fromisoformat(translates)
        except ValueError:
            problems.append(Problem(path, front.line_of("translates"),
                                    f"translates {translates!r} is not a date"))
    if front.effective is not None:
        problems.append(Problem(path, front.line_of("effective"), "a translation takes effect "
                                "with its source version; remove 'effective' and keep "
                                "'translates'"))
    if front.override is not None:
        problems.append(Problem(path, front.line_of("change"), "the verdict of a change is the "
                                "source's; remove 'change' and 'reason' from the translation"))
    if problems or date is None:
        return None, tuple(problems)
    variant = extra.get("variant", "").strip() or None
    return Translation(path, doc.policy_id, language, date, front.line_of("translates"),
                       variant), ()


def check_alignment(source: Document, translation: Document) -> tuple[Problem, ...]:
    """Sections must keep the source's stable ids, so that they align across languages."""
    source_ids = [s.id for s in source.sections()]
    known = set(source_ids)
    problems: list[Problem] = []
    seen: set[str] = set()
    for section in translation.sections():
        seen.add(section.id)
        if section.id not in known:
            problems.append(Problem(translation.path, section.line, f"section '{section.id}' is "
                                    f"not in the source ({source.path}); give it the {{#id}} of "
                                    "the section it translates"))
    missing = [i for i in source_ids if i not in seen]
    if missing:
        problems.append(Problem(translation.path, 0, "sections of the source not translated: "
                                f"{', '.join(missing)} (keep each section's {{#id}})"))
    return tuple(problems)


def suggested_path(source_path: str, language: str) -> str:
    """`content/fr/privacy-policy.md` for `content/privacy-policy.md` (docs/languages.md)."""
    folder, name = posixpath.split(source_path)
    return posixpath.join(folder, language, name)


def check_translations(source_path: str, versions: Sequence[SourceVersion],
                       translations: Sequence[Translation], required: Sequence[str],
                       now: dt.datetime, notice_period: dt.timedelta) -> TranslationCheck:
    """What `check` says of one policy's (or variant's) translations at `now`."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    by_date = {v.effective: v for v in versions}
    for t in translations:
        if t.translates not in by_date:
            known = ", ".join(d.isoformat() for d in sorted(by_date)) or "none"
            problems.append(Problem(t.path, t.line, f"translates the version of "
                                    f"{t.translates.isoformat()}, which {source_path} does not "
                                    f"have (its versions: {known})"))
        elif t.source_changed is ChangeVerdict.MATERIAL:
            problems.append(Problem(t.path, t.line, f"translates the version of "
                                    f"{t.translates.isoformat()}, whose source has changed "
                                    "materially since; update the translation"))
        elif t.source_changed is ChangeVerdict.EDITORIAL:
            warnings.append(Problem(t.path, t.line, f"the source of the version of "
                                    f"{t.translates.isoformat()} was edited since this "
                                    "translation (an editorial change); check the translation"))
    have = {(t.language, t.translates) for t in translations}
    started = [v for v in versions if v.takes_effect <= now]
    current = max(started, key=lambda v: v.takes_effect) if started else None
    for version in sorted(versions, key=lambda v: v.effective):
        deadline = version.notice_due or version.takes_effect
        in_force = version.takes_effect <= now
        # Past versions are history; the one in force only warns (it may predate the
        # requirement); an upcoming one fails once its notice is within the period.
        if (in_force and version is not current) or deadline - notice_period > now:
            continue
        when = version.effective.isoformat()
        what = (f"notice due {version.notice_due.date().isoformat()}" if version.notice_due
                else f"takes effect {version.takes_effect.date().isoformat()}")
        for language in required:
            if (language, version.effective) in have:
                continue
            message = (f"the version of {when} ({what}) has no {language_label(language)} "
                       f"translation: add {suggested_path(source_path, language)} with "
                       f"'translates: {when}'")
            (warnings if in_force else problems).append(Problem(source_path, 0, message))
    return TranslationCheck(tuple(problems), tuple(warnings))
