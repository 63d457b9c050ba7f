"""The site in each language (pure core): a policy's state read in one language.

A translation belongs to a version (docs/languages.md), so a page in French is the page
of the same version with the French text: `in_language` swaps each version's text for
its translation and keeps everything the timeline decided (what is in force, the
banner, the switch dates, the verdict). A version without a translation into that
language keeps its source text and is marked so (`has_language`): the site then refuses
the page in that language rather than show English under a French address.

URLs: the source language keeps the unprefixed paths it always had (`privacy-policy/`),
because links already sent in e-mails and printed in apps must keep working; every
other language lives under its tag (`fr/privacy-policy/`), one prefix for the
switcher, `hreflang` and a static server's per-folder defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..i18n import SOURCE_LANGUAGE, direction, language_name, ui_language
from ..segment import Direction
from ..state import PolicyState
from ..timeline import VersionPlan
from ..versions import Version


@dataclass(frozen=True)
class Alternate:
    """One language of a page: for `hreflang` links and the language switcher."""

    language: str
    name: str  # in its own language ("Français")
    path: str  # the page in that language, relative to the site's root
    current: bool


@dataclass(frozen=True)
class PageLanguage:
    """What every page needs of its language: `<html lang dir>`, the link prefix, and
    the same page in the other languages it exists in."""

    language: str
    direction: Direction
    prefix: str  # "" for the site's default language, else "fr/"
    alternates: tuple[Alternate, ...] = ()
    source: str = "en"  # the site's default language: the unprefixed one, `x-default`
    path: str | None = None  # this page, from the site's root (its canonical address)
    # The UI strings' catalog language ("en" when none is in the page's language: the
    # page then marks them so that English sentences keep their order in an RTL page).
    ui: str = "en"

    @property
    def ui_fallback(self) -> bool:
        return self.ui != self.language


def prefix(language: str, default: str) -> str:
    """Where a language's pages start: "" for the site's default language, else "fr/"."""
    return "" if language == default else f"{language}/"


def page_language(language: str, source: str, path: str | None = None,
                  languages: Iterable[str] = ()) -> PageLanguage:
    """The page at `path` (relative to a language's root; None: a page with no address
    of its own, an error) in `language`, with its alternates in `languages`. `source` is
    the site's default language, listed first: it is `x-default`."""
    offered = list(dict.fromkeys([source, *languages]))
    alternates = tuple(Alternate(lang, language_name(lang), prefix(lang, source) + (path or ""),
                                 lang == language) for lang in offered)
    return PageLanguage(language, direction(language), prefix(language, source),
                        alternates if len(offered) > 1 and path is not None else (), source,
                        None if path is None else prefix(language, source) + path,
                        ui_language(language) or SOURCE_LANGUAGE)


def translated(v: Version, language: str, source: str) -> Version | None:
    """`v` with its text in `language` (None: no translation of this version)."""
    if language == source:
        return v
    t = v.translation(language)
    if t is None:
        return None
    return replace(v, text=t.text, path=t.path)


def has_language(v: Version, language: str, source: str) -> bool:
    return language == source or v.translation(language) is not None


def languages_of(versions: Iterable[Version], source: str) -> tuple[str, ...]:
    """The languages a policy is published in: its source, then its translations."""
    found = sorted({t.language for v in versions for t in v.translations})
    return (source, *[lang for lang in found if lang != source])


def in_language(ps: PolicyState, language: str, source: str) -> PolicyState:
    """The state of one policy with each version's text in `language` where it has one."""
    if language == source:
        return ps

    def text(v: Version) -> Version:
        return translated(v, language, source) or v

    def plan(vp: VersionPlan) -> VersionPlan:
        return replace(vp, version=text(vp.version),
                       previous=text(vp.previous) if vp.previous is not None else None)

    plans = tuple(plan(vp) for vp in ps.versions)
    by_date = {vp.version.effective: vp for vp in plans}

    def same(vp: VersionPlan | None) -> VersionPlan | None:
        return by_date[vp.version.effective] if vp is not None else None

    return replace(ps, versions=plans, in_force=same(ps.in_force), upcoming=same(ps.upcoming))
