"""Translations in `check` (shell): which files are translations, and what is wrong with them.

The rules are `translations.py`'s (pure); this module feeds them what needs git and the
materiality rules: the versions of each policy from the state (when each one's notice is
due), the translations on the branch and in the working tree, and, for a committed
translation, whether its source changed since (the source as it was in the
translation's commit against the version's text now).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from ..config import Config
from ..document import ChangeVerdict, Document, parse_document
from ..errors import Problem
from ..history import History
from ..regions import read_declaration
from ..state import State
from ..translations import (
    SourceVersion,
    Translation,
    TranslationCheck,
    check_alignment,
    check_translations,
    read_translation,
)
from ..versions import Translated, Version
from .assessing import assess_texts
from .state import text_at


def is_translation(doc: Document, source_language: str) -> bool:
    """A translation names its language (another than the source's) or what it translates."""
    extra = dict(doc.front.extra)
    language = extra.get("language", "").strip()
    return "translates" in extra or bool(language and language != source_language)


def split(docs: Sequence[Document], source_language: str
          ) -> tuple[tuple[Document, ...], tuple[Document, ...]]:
    """(sources, translations) of the working tree's files."""
    sources = tuple(d for d in docs if not is_translation(d, source_language))
    return sources, tuple(d for d in docs if is_translation(d, source_language))


def file_problems(config: Config, translations: Sequence[Document],
                  sources: Sequence[Document], history: History | None) -> list[Problem]:
    """Each translation file's own problems: its declaration, and its sections against the
    source version it names (the working tree's file if it has that date, else git's)."""
    out: list[Problem] = []
    for doc in translations:
        out += doc.problems
        declared, problems = read_translation(doc, config.source_language)
        out += problems
        if declared is None:
            continue
        source = _source_of(declared, sources, history)
        if source is not None:
            out += check_alignment(source, doc)
    return out


def _source_of(t: Translation, sources: Sequence[Document],
               history: History | None) -> Document | None:
    for doc in sources:
        if doc.policy_id == t.policy and doc.front.effective == t.translates \
                and read_declaration(doc.source).variant == t.variant:
            return doc
    if history is not None:
        for v in history.versions:
            if (v.policy, v.variant, v.effective) == (t.policy, t.variant, t.translates):
                return parse_document(v.text, v.path)
    return None


def source_changed(config: Config, version: Version, t: Translated) -> ChangeVerdict | None:
    """How the version's source changed since the translation's newest commit (None: the
    text translated is the text of the version, or git cannot say)."""
    before = text_at(config.root, version.policy, t.final.sha, config.content_dir,
                     version.variant)
    if before is None or before == version.text:
        return None
    was = parse_document(before, version.path).front.effective
    if was != version.effective:
        return None  # translated ahead of the source's dated text: nothing to compare
    a = assess_texts(before, version.path, version.text, version.path)
    return ChangeVerdict.MATERIAL if a.material else ChangeVerdict.EDITORIAL


def translation_check(config: Config, state: State, history: History,
                      working: Sequence[Document], now: dt.datetime) -> TranslationCheck:
    """Missing, stale and orphan translations of every policy at `now`."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    period = dt.timedelta(days=config.notice_days)
    drafts = [t for t in (read_translation(d, config.source_language)[0] for d in working)
              if t is not None]
    for ps in state.policies:
        if not ps.versions:
            continue
        versions = [SourceVersion(vp.version.effective, vp.switch_at or vp.effective_at,
                                  vp.notice_due_at if vp.material else None)
                    for vp in ps.versions]
        by_date = {vp.version.effective: vp.version for vp in ps.versions}
        declared: dict[tuple[str, dt.date], Translation] = {}
        mine = [c for c in history.translations
                if (c.policy, c.variant) == (ps.policy, ps.variant_id)]
        newest_of = {c.language: c for c in sorted(mine, key=lambda c: c.final.date)}
        for c in mine:
            if c.translates not in by_date and newest_of[c.language] is not c:
                continue  # an older text of the file, for a date since withdrawn
            line = parse_document(c.text, c.path).front.line_of("translates")
            source = by_date.get(c.translates)
            changed = source_changed(config, source, c) if source is not None else None
            declared[(c.language, c.translates)] = Translation(
                c.path, c.policy, c.language, c.translates, line, c.variant,
                source_changed=changed)
        for d in drafts:  # the working tree's file speaks for itself until committed
            if (d.policy, d.variant) == (ps.policy, ps.variant_id) \
                    and (d.language, d.translates) not in declared:
                declared[(d.language, d.translates)] = replace(d)
        newest = ps.versions[-1].version
        found = check_translations(newest.path, versions, tuple(declared.values()),
                                   config.required_for(ps.policy), now, period)
        problems += found.problems
        warnings += found.warnings
    return TranslationCheck(tuple(problems), tuple(warnings))
