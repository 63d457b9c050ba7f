"""The languages of the notice e-mail (shell: reads templates): what a letter in one
language names, and whether the e-mail's own words exist in a language.

A letter is written in the account's language when the announced version has a
translation into it and the e-mail's words exist in that language: a catalog of the
package (`policybook/locales`) or a repository's complete `templates/email/<lang>/`
folder (see `mail.compose`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..addresses import clean_name
from ..errors import MailError

if TYPE_CHECKING:  # Jinja loads when a letter is written, not with the tick
    from jinja2 import Environment


@dataclass(frozen=True)
class LetterText:
    """The announced version in one language: what a letter in that language names
    (from the translation's front matter and headings, and the translated pages)."""

    language: str  # a BCP 47 tag: fr, fr-CA, pt-BR
    title: str
    summary: str
    upcoming_url: str
    changes_url: str
    sections: tuple[tuple[str, str], ...] = ()  # section id -> its title in this language
    disagree: str = ""  # the translation's own `disagree:` front matter


@dataclass(frozen=True)
class NoticeView:
    """What the templates see of the notice: its facts, in the letter's language."""

    id: int
    policy: str
    effective: dt.date
    effective_at: dt.datetime
    title: str
    summary: str
    upcoming_url: str
    changes_url: str


TEMPLATE_FILES = ("subject.txt", "notice.txt", "notice.html", "greeting.txt")


def has_templates(env: Environment, folder: str) -> bool:
    """Whether `folder` holds a language's templates; they come complete, or a message
    would mix two languages (refused, naming what is missing)."""
    from jinja2 import TemplateNotFound

    present = []
    for name in TEMPLATE_FILES:
        try:
            env.get_template(f"{folder}/{name}")
            present.append(name)
        except TemplateNotFound:
            pass
    if present and len(present) < len(TEMPLATE_FILES):
        missing = ", ".join(n for n in TEMPLATE_FILES if n not in present)
        raise MailError(f"templates/{folder}/ lacks {missing}: a language's e-mail templates "
                        "come complete (copy them from templates/email/ and translate them), "
                        "or a message would mix two languages")
    return bool(present)


def has_email_strings(env: Environment, language: str) -> bool:
    """Whether the e-mail's own words exist in `language`: a catalog of the package, or
    a complete `email/<language>/` folder of templates (so that a letter in it mixes
    no two languages)."""
    from ..i18n import available_languages, base_language

    base = base_language(language)
    if base in {base_language(c) for c in available_languages()}:
        return True
    return any(has_templates(env, f"email/{tag}")
               for tag in dict.fromkeys((language.replace("-", "_"), base)))


# No-break spaces are typography (French puts one inside « » and before ':'), not
# whitespace to collapse: they survive the subject's cleaning.
_NO_BREAK = {"\u00a0": "\ue000", "\u202f": "\ue001"}


def clean_subject(value: str) -> str:
    for space, mark in _NO_BREAK.items():
        value = value.replace(space, mark)
    value = clean_name(value)
    for space, mark in _NO_BREAK.items():
        value = value.replace(mark, space)
    return value


def message_in(language: str, message: str) -> str:
    """One message of the catalogs in `language` (Babel loads with the first letter)."""
    from ..i18n import gettext

    return gettext(language, message)
