"""The announced version in each language, for the notice e-mail (shell: reads git).

A translation belongs to a version (docs/languages.md): the letter of a notice may be
written in each language the version is translated into, naming the translation's
title and summary and linking to the translated pages. The history (cached per branch
head) gives the translations; this module turns them into `LetterText`s.
"""

from __future__ import annotations

import datetime as dt
import logging

from ..config import Config
from ..errors import PolicybookError
from ..history import History, read_history
from ..mail.facts import NoticeFacts
from ..mail.languages import LetterText
from ..notice import notice_links
from .assessing import parsed

log = logging.getLogger(__name__)


def letter_links(config: Config, policy: str, effective: dt.date, language: str,
                 variant: str | None = None) -> tuple[str, str]:
    """(the new version's page, its redline) as a letter in `language` links to them:
    the site's pages in that language (`/fr/privacy-policy/upcoming/`; the source
    language keeps the unprefixed pages). The one place the e-mail's base URL is chosen."""
    base = config.base_url.rstrip("/") + "/"
    if language != config.source_language:
        base += f"{language}/"
    return notice_links(base, policy, effective, variant)


def letter_texts(config: Config, notice: NoticeFacts,
                 history: History | None = None) -> tuple[LetterText, ...]:
    """The translations of the version `notice` announces, as its letters name them
    (none when git is not there to ask: the letter is then in the source language)."""
    try:
        history = history or read_history(config.root, None, config.content_dir,
                                          config.zone)
    except PolicybookError as exc:
        log.debug("notice %s: no translations read (%s)", notice.id, exc.message)
        return ()
    version = next((v for v in history.versions
                    if (v.policy, v.variant, v.effective)
                    == (notice.policy, notice.variant, notice.effective)), None)
    if version is None:
        return ()
    texts = []
    for t in version.translations:
        doc = parsed(t.text, t.path)
        upcoming, changes = letter_links(config, notice.policy, notice.effective, t.language,
                                         notice.variant)
        texts.append(LetterText(
            t.language, doc.title, doc.front.summary or "", upcoming, changes,
            tuple((s.id, s.title) for s in doc.sections()), doc.front.disagree or ""))
    return tuple(texts)


