"""The announced version in each language, for the notice e-mail (shell: reads git).

A translation belongs to a version (docs/languages.md): the letter of a notice may be
written in each language the version is translated into, naming the translation's
title and summary and linking to the translated pages. The history (cached per branch
head) gives the translations; this module turns them into `LetterText`s.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from ..audience import Reach, count_audience, everyone, offered_languages
from ..config import Config
from ..errors import PolicybookError
from ..history import read_history
from ..mail.compose import NoticeFacts
from ..mail.languages import LetterText, has_email_strings
from ..notice import notice_links
from ..regions import Audience
from ..store import Store
from ..templating import make_environment
from ..versions import Version
from .assessing import parsed

log = logging.getLogger(__name__)


def letter_links(config: Config, policy: str, effective: dt.date, language: str
                 ) -> tuple[str, str]:
    """(the new version's page, its redline) as a letter in `language` links to them:
    the site's pages in that language (`/fr/privacy-policy/upcoming/`; the source
    language keeps the unprefixed pages). The one place the e-mail's base URL is chosen."""
    base = config.base_url.rstrip("/") + "/"
    if language != config.source_language:
        base += f"{language}/"
    return notice_links(base, policy, effective)


def letter_texts(config: Config, notice: NoticeFacts) -> tuple[LetterText, ...]:
    """The translations of the version `notice` announces, as its letters name them
    (none when git is not there to ask: the letter is then in the source language)."""
    try:
        history = read_history(config.root, None, config.content_dir, config.zone)
    except PolicybookError as exc:
        log.debug("notice %s: no translations read (%s)", notice.id, exc.message)
        return ()
    # (Notices and versions name their regional variant once the variants work lands;
    # until then both are None here, the general variant.)
    variant = getattr(notice, "variant", None)
    version = next((v for v in history.versions
                    if v.policy == notice.policy and v.effective == notice.effective
                    and getattr(v, "variant", None) == variant), None)
    if version is None:
        return ()
    texts = []
    for t in version.translations:
        doc = parsed(t.text, t.path)
        upcoming, changes = letter_links(config, notice.policy, notice.effective, t.language)
        texts.append(LetterText(
            t.language, doc.title, doc.front.summary or "", upcoming, changes,
            tuple((s.id, s.title) for s in doc.sections()), doc.front.disagree or ""))
    return tuple(texts)


def version_languages(config: Config, version: Version) -> tuple[str, ...]:
    """The languages the notice of `version` can be written in: the source, then each
    translation whose e-mail words exist (what `Letter` offers, for the plan)."""
    translated = [t.language for t in version.translations]
    env = make_environment(config.root) if translated else None
    usable = [lang for lang in translated if env is not None and has_email_strings(env, lang)]
    return offered_languages(translated, config.source_language, usable)


def version_audience(config: Config, version: Version, reach: Reach,
                     groups: Sequence[tuple[str, str, int]]) -> Audience:
    """How many accounts the notice of `version` reaches, per language and country."""
    return count_audience(groups, reach, version_languages(config, version),
                          config.source_language)


def version_reach(config: Config, version: Version) -> Reach:
    """The accounts the notice of `version` goes to: `audience.reach_of(the version's
    Variant, the policy's Variants)` once versions name their variant (the variants
    work); until then, the general variant alone: every account."""
    return everyone(version.policy)


def plan_audiences(config: Config, store: Store | None, versions: Sequence[Version]
                   ) -> dict[tuple[str, str | None, dt.date], tuple[Audience, Reach]]:
    """(policy, variant, effective) -> who the notice of each of `versions` reaches, per language
    and country, counted in one query (empty without a database, or when the accounts
    cannot be read: the plan then says "every account holder")."""
    if store is None or not versions:
        return {}
    from .accounts import audience_groups

    try:
        groups = audience_groups(config, store)
    except PolicybookError as exc:
        log.warning("accounts could not be counted: %s", exc.message)
        return {}
    out: dict[tuple[str, str | None, dt.date], tuple[Audience, Reach]] = {}
    for version in versions:
        reach = version_reach(config, version)
        out[(version.policy, version.variant, version.effective)] = (
            version_audience(config, version, reach, groups), reach)
    return out
