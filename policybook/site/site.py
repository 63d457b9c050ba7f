"""The site as a set of pages (shell): caching, rendering, the same for live and static.

`Site` turns a request for a page ("the policy page of privacy-policy, now") into a
`Page` (status, media type, bytes). It keeps one `Snapshot` per source revision: parsed
documents, redlines and the notice plan are computed once per revision; rendered pages
are cached by what they depend on at that moment (the version in force, the upcoming one
and the banner), so the per-request work on a hot page is the in-force lookup and a
dictionary hit. The live app (`app.py`) and the static build (`build.py`) both call it.
The feed, sitemap, `notice.json` and the API are in `machine.py`, the comparison form and
the draft preview in `comparing.py`, the redlines kept on disk in `kept.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import Environment, TemplateError

from ..config import Config
from ..document import Document, parse_document
from ..errors import NotFoundError, PolicybookError, UsageError
from ..i18n import (
    available_languages,
    format_date,
    gettext,
    language_in_text,
    normalize,
)
from ..sites import single
from ..state import PolicyState
from ..templating import CURRENT_LANGUAGE, make_environment
from ..timeline import (
    LatePolicy,
    Settings,
)
from ..versions import WORKING_TREE, Version
from . import pages
from .changes import Compare, Comparison, compare_documents
from .kept import KeptComparisons
from .languages import (
    PageLanguage,
    has_language,
    in_language,
    languages_of,
    page_language,
    prefix,
)
from .source import StateSource

if TYPE_CHECKING:
    from ..sites import Site as SiteSpec

# Assets served at /assets/<name> and /<name>; nothing else is ever read from disk.
ASSETS = {"site.css": "text/css; charset=utf-8"}
ROOT_FILES = {"notice.js": "text/javascript; charset=utf-8"}
HTML = "text/html; charset=utf-8"
log = logging.getLogger(__name__)


class PageNotFound(NotFoundError):
    """No such page: an unknown policy, version or path."""


class BadRequest(UsageError):
    """A query or path value that cannot be understood (answered with 400)."""


class TemplateFailure(PolicybookError):
    """A template (often a repository's own override) failed to render."""


@dataclass(frozen=True)
class Page:
    status: int
    media_type: str
    body: bytes
    etag: str = ""

    @classmethod
    def of(cls, body: str | bytes, media_type: str = HTML, status: int = 200) -> Page:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status, media_type, data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"')


@dataclass
class Snapshot:
    """The caches that live as long as one revision of the state's inputs."""

    revision: str
    comparisons: dict[tuple[str, str], Comparison] = field(default_factory=dict)
    pages: dict[Hashable, Page] = field(default_factory=dict)


def base_path(base_url: str) -> str:
    """The path the site lives under ("/" or "/legal/"), from the configured base URL."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


class Site:
    """The pages of the state that `source` hands over; `committed` (a preview only) is
    the state without the drafts, for the draft page's comparisons. `spec`: one of the
    `[[sites]]` (its base URL, default language and languages); None: the one site of
    `site.base_url`, in the source language."""

    def __init__(self, config: Config, source: StateSource, *, compare: Compare | None = None,
                 committed: StateSource | None = None, preview: bool = False,
                 refresh_seconds: float = 2.0, env: Environment | None = None,
                 live: bool = True, spec: SiteSpec | None = None,
                 keep: Path | None = None) -> None:
        self.spec = spec or single(config.base_url, config.source_language)
        if spec is not None:
            config = config.with_(base_url=spec.base_url, site_name=spec.name or config.site_name)
        self.config, self.source, self.preview, self.live = config, source, preview, live
        self.committed = committed
        self.compare_fn: Compare = compare or compare_documents
        # `keep`: a cache folder (`policybook.cache`) where each redline is kept, so that
        # the static build after one new commit diffs one pair, not every one.
        self._compared = KeptComparisons(keep, self.compare_fn, config.materiality).compared
        self.refresh_seconds = 0.0 if preview else refresh_seconds
        self.env = env or make_environment(config.root)
        self.base = base_path(config.base_url)
        self._docs: dict[tuple[str, str], Document] = {}
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self.settings = Settings(notice_days=config.notice_days, zone=config.zone,
                                 recently_updated_days=config.recently_updated_days,
                                 late=LatePolicy(config.late_notice.value))
        css = self.asset_text("site.css")
        self.asset_version = hashlib.sha256(css.encode()).hexdigest()[:10]
        # `public`: pages carry public facts only (no commit authors, messages or hashes,
        # rule ids or line numbers), unless site.show_internals; a preview is internal.
        self.env.globals.update(base=self.base, site_base=self.base,
                                site_name=config.site_name, preview=preview,
                                public=not (config.site_show_internals or preview),
                                root=absolute_root(config.base_url),
                                source_language=config.source_language,
                                asset_version=self.asset_version, P=pages)

    # ------------------------------------------------------------- snapshots

    def stale(self) -> bool:
        """True when the source should be asked whether it moved (cheap, no I/O)."""
        return self._snapshot is None or time.monotonic() - self._checked >= self.refresh_seconds

    def snapshot(self) -> Snapshot:
        """The current snapshot; asks the source for its revision at most every few seconds
        (a new commit, a notice recorded by the scheduler)."""
        snap = self._snapshot
        if snap is not None and not self.stale():
            return snap
        with self._lock:
            if self._snapshot is not None and not self.stale():
                return self._snapshot
            self._checked = time.monotonic()
            try:
                revision = self.source.revision()
                if self._snapshot is None or self._snapshot.revision != revision:
                    self._snapshot = Snapshot(revision)
            except Exception as exc:
                if self._snapshot is None:
                    raise
                # Keep serving what was read last (a repository being rewritten, a lock
                # held by git): visitors see the last good site, and the next check retries.
                log.warning("could not re-read the policy history (%s); serving revision %s",
                            exc, self._snapshot.revision[:12])
            return self._snapshot

    def doc(self, v: Version) -> Document:
        key = (v.key, v.text)
        found = self._docs.get(key)
        if found is None:
            found = self._docs[key] = parse_document(v.text, v.path)
        return found

    def _comparison(self, snap: Snapshot, before: Version | None, v: Version) -> Comparison:
        key = (f"{before.key}:{before.final.sha}" if before else "", f"{v.key}:{v.final.sha}")
        if v.final.sha == WORKING_TREE:
            key = (key[0], key[1] + hashlib.sha256(v.text.encode()).hexdigest())
        found = snap.comparisons.get(key)
        if found is None:
            found = self._compared(self.doc(before) if before else None, self.doc(v))
            snap.comparisons[key] = found
        return found

    # ------------------------------------------------------------- languages

    @property
    def source_language(self) -> str:
        """The language the policies are written in (their text, never their pages)."""
        return self.config.source_language

    @property
    def default_language(self) -> str:
        """The language of this site's unprefixed pages (its other languages: `/<lang>/`)."""
        return self.spec.default_language

    def policies(self, now: dt.datetime) -> tuple[PolicyState, ...]:
        """The timelines this site shows: each policy's general text and regional
        variants, less those its `[[sites]]` entry leaves out (`variants = ["eea"]`)."""
        return tuple(p for p in self.source.state(now).policies
                     if self.spec.shows(p.variant_id))

    def languages(self, now: dt.datetime) -> tuple[str, ...]:
        """Every language this site publishes a policy in, its default language first."""
        versions = [p.version for s in self.policies(now) for p in s.versions]
        return self._offered(languages_of(versions, self.source_language))

    def _offered(self, languages: tuple[str, ...]) -> tuple[str, ...]:
        rest = [lang for lang in languages if self.spec.offers(lang)]
        return tuple(dict.fromkeys([self.default_language, *rest]))

    def language(self, lang: str | None, now: dt.datetime) -> str:
        """The language of a request's `/<lang>/` prefix (None: the site's default)."""
        if lang is None:
            return self.default_language
        tag = normalize(lang)
        if tag is None or tag == self.default_language or tag not in self.languages(now):
            raise PageNotFound(gettext(self.default_language, "There is no page at this "
                                       "address (no language “%(tag)s” on this site).",
                                       tag=lang))
        return tag

    def page_language(self, lang: str, path: str | None = None,
                      versions: tuple[Version, ...] = ()) -> PageLanguage:
        offered = self._offered(languages_of(versions, self.source_language))
        return page_language(lang, self.default_language, path, offered)

    def _translated_comparison(self, snap: Snapshot, source: Comparison, before: Version | None,
                               v: Version, lang: str) -> Comparison:
        """The redline of a translation's own words, under the source's verdict: a
        translation is never judged on its own (docs/languages.md)."""
        key = (f"{lang}:{before.key}:{before.final.sha}" if before else f"{lang}:",
               f"{lang}:{v.key}:{v.final.sha}")
        found = snap.comparisons.get(key)
        if found is None:
            old = self.doc(before) if before is not None and \
                has_language(before, lang, self.source_language) else None
            drawn = self._compared(old, self.doc(v)) if old is not None \
                else Comparison(None, self.doc(v), None, ())
            found = replace(drawn, verdict=source.verdict, reasons=source.reasons,
                            overridden=source.overridden, judged=source.assessment)
            snap.comparisons[key] = found
        return found

    def model(self, now: dt.datetime, snap: Snapshot | None = None,
              lang: str | None = None) -> pages.SiteModel:
        snap = snap or self.snapshot()
        # One entry per timeline: a policy's general text and each regional variant.
        source = {p.timeline: p for p in self.policies(now)}
        language = lang or self.default_language
        states = {k: in_language(p, language, self.source_language) for k, p in source.items()}

        def comparison(v: Version) -> Comparison:
            original = source[v.timeline].plan(v.effective) if v.timeline in source else None
            before = original.previous if original is not None else None
            plain = self._comparison(snap, before, original.version if original else v)
            if language == self.source_language or original is None:
                return plain
            mine = states[v.timeline].plan(v.effective)
            return self._translated_comparison(snap, plain, mine.previous if mine else None,
                                               v, language)

        return pages.SiteModel(states=states, doc_of=self.doc, comparison_of=comparison,
                               settings=self.settings, now=now,
                               regions=self.config.region_map)

    def resolve(self, first: str, policy: str, now: dt.datetime) -> tuple[str, str | None]:
        """`/<first>/<policy>/…`: (the timeline key, the language). `first` is a variant
        of the policy (`/eea/privacy-policy/`), else a language (`/fr/privacy-policy/`);
        variant ids are never two letters, and one that reads like a longer language tag
        is taken as the variant of that policy it names."""
        key = f"{policy}.{first}"
        # (every timeline: a variant this site does not show is then "no such policy")
        if pages.valid_policy_id(key) and any(p.timeline == key
                                              for p in self.source.state(now).policies):
            return key, None
        return policy, first

    # ------------------------------------------------------------- helpers

    def render(self, template: str, status: int = 200, language: PageLanguage | None = None,
               **context: Any) -> Page:
        language = language or page_language(self.default_language, self.default_language)
        token = CURRENT_LANGUAGE.set(language.language)
        try:
            html = self.env.get_template(f"site/{template}").render(
                page_lang=language, base=self.base + language.prefix, **context)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)  # syntax errors know their line
            name = getattr(exc, "name", None) or f"site/{template}"
            where = f" ({name}, line {line})" if line else ""
            raise TemplateFailure(f"the template site/{template} failed{where}: {exc.message}; "
                                  "fix it, or remove your copy from templates/site/ to use "
                                  "the default") from None
        finally:
            CURRENT_LANGUAGE.reset(token)
        return Page.of(html, status=status)

    def cached(self, snap: Snapshot, key: Hashable, make: Callable[[], Page]) -> Page:
        found = snap.pages.get(key)
        if found is None:
            found = snap.pages[key] = make()
        return found

    def policy_versions(self, model: pages.SiteModel, policy: str,
                        language: str | None = None) -> tuple[Version, ...]:
        versions = model.versions(policy) if pages.valid_policy_id(policy) else ()
        if not versions:
            raise PageNotFound(gettext(language or self.default_language, "There is no "
                                       "policy called “%(policy)s” on this site.",
                                       policy=policy))
        return versions

    def version_at(self, model: pages.SiteModel, policy: str, date: str,
                   language: str | None = None) -> Version:
        self.policy_versions(model, policy, language)
        day = pages.parse_date(date)
        found = model.find(policy, day) if day else None
        if found is None:
            raise PageNotFound(gettext(language or self.default_language, "There is no "
                                       "version of “%(policy)s” dated “%(date)s”.",
                                       policy=policy, date=date))
        return found

    def asset_text(self, name: str) -> str:
        """An asset as served: the style sheet gains its words in every language."""
        text = self.asset_source(name)
        return text + language_css() if name == "site.css" else text

    def asset_source(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None
        source, _, _ = loader.get_source(self.env, f"site/assets/{name}")
        return source

    # ------------------------------------------------------------- pages

    def index(self, now: dt.datetime, lang: str | None = None) -> Page:
        snap = self.snapshot()
        language = self.language(lang, now)
        model = self.model(now, snap, language)
        key = ("index", language, model.all_states())
        offered = page_language(language, self.default_language, "", self.languages(now))
        # Policies with no text in this language are still listed, apart, with a link to
        # the source language's page (a French-default site must not hide them).
        source = self.model(now, snap, self.source_language)
        elsewhere = () if language == self.source_language else tuple(
            p for p in source.index() if not self._shown(model, p.policy, language))
        return self.cached(snap, key, lambda: self.render(
            "index.html", language=offered, policies=tuple(
                s for s in model.index() if self._shown(model, s.policy, language)),
            elsewhere=elsewhere, source_prefix=prefix(self.source_language,
                                                      self.default_language),
            source_name=language_in_text(self.source_language, language)))

    def top(self, name: str, now: dt.datetime) -> Page:
        """`/<name>/`: a language's home page when `name` is one of the site's
        languages and no policy has that id, else the policy's page."""
        tag = normalize(name)
        if tag is not None and tag != self.default_language and tag in self.languages(now) \
                and not any(p.policy == name for p in self.source.state(now).policies):
            return self.index(now, tag)
        return self.policy(name, now)

    def _shown(self, model: pages.SiteModel, policy: str, language: str) -> bool:
        """A policy is listed in a language when its current text exists in it."""
        cur = model.in_force(policy) or model.upcoming(policy)
        return cur is not None and has_language(cur.version, language, self.source_language)

    def _in(self, v: Version, language: str) -> Version:
        """`v` if it exists in `language`; else a page (in that language) that says where
        to read it."""
        if not has_language(v, language, self.source_language):
            raise PageNotFound(gettext(
                language, "This version of “%(policy)s” (%(date)s) has no translation into "
                "this language; read it at %(url)s", policy=v.policy,
                date=format_date(v.effective, language),
                url=self.base + prefix(self.source_language, self.default_language)
                + pages.version_path(v.timeline, v.effective)))
        return v

    def policy(self, policy: str, now: dt.datetime, lang: str | None = None) -> Page:
        snap = self.snapshot()
        language = self.language(lang, now)
        model = self.model(now, snap, language)
        self.policy_versions(model, policy, language)
        cur = model.in_force(policy)
        versions: tuple[Version, ...] = ()
        if cur is not None:
            versions = (self._in(cur.version, language),)
        offered = self.page_language(language, pages.policy_path(policy), versions)
        return self.cached(snap, ("policy", language, policy, model.state(policy)),
                           lambda: self.render("policy.html", language=offered,
                                               page=model.policy_page(policy)))

    def upcoming(self, policy: str, now: dt.datetime, lang: str | None = None) -> Page:
        snap = self.snapshot()
        language = self.language(lang, now)
        model = self.model(now, snap, language)
        self.policy_versions(model, policy, language)
        nxt = model.upcoming(policy)
        if nxt is None:
            return self.cached(snap, ("no-upcoming", language, policy, model.state(policy)),
                               lambda: self.render("no_upcoming.html", status=404,
                                                   language=self.page_language(language),
                                                   summary=model.summary(policy)))
        v = self._in(nxt.version, language)
        offered = self.page_language(language, pages.upcoming_path(policy), (v,))
        return self.cached(snap, ("upcoming", language, policy, model.state(policy)),
                           lambda: self.render("version.html", language=offered,
                                               page=model.version_page(v),
                                               upcoming_page=True))

    def archive(self, policy: str, now: dt.datetime, lang: str | None = None) -> Page:
        snap = self.snapshot()
        language = self.language(lang, now)
        model = self.model(now, snap, language)
        versions = self.policy_versions(model, policy, language)
        offered = self.page_language(language, pages.archive_path(policy), versions)
        return self.cached(snap, ("archive", language, policy, model.state(policy)),
                           lambda: self.render("versions.html", language=offered,
                                               page=self._archive(model, policy, language)))

    def _archive(self, model: pages.SiteModel, policy: str, language: str) -> pages.ArchivePage:
        page = model.archive(policy)
        if language == self.source_language:
            return page
        kept = {v.effective for v in model.versions(policy)
                if has_language(v, language, self.source_language)}
        return replace(page, rows=tuple(r for r in page.rows if r.effective in kept))

    def version(self, policy: str, date: str, now: dt.datetime,
                lang: str | None = None) -> Page:
        snap = self.snapshot()
        language = self.language(lang, now)
        model = self.model(now, snap, language)
        v = self._in(self.version_at(model, policy, date, language), language)
        offered = self.page_language(language, pages.version_path(policy, v.effective), (v,))
        return self.cached(snap, ("version", language, policy, v.effective, model.state(policy)),
                           lambda: self.render("version.html", language=offered,
                                               page=model.version_page(v),
                                               upcoming_page=False))

    def changes(self, policy: str, date: str, now: dt.datetime,
                lang: str | None = None) -> Page:
        snap = self.snapshot()
        language = self.language(lang, now)
        model = self.model(now, snap, language)
        v = self._in(self.version_at(model, policy, date, language), language)
        offered = self.page_language(language, pages.changes_path(policy, v.effective), (v,))
        return self.cached(snap, ("changes", language, policy, v.effective, model.state(policy)),
                           lambda: self.render("changes.html", language=offered,
                                               page=model.changes(v), live=self.live))

    def planned(self, now: dt.datetime, lang: str, snap: Snapshot | None = None
                ) -> list[tuple[str, Callable[[], Page]]]:
        """One language's pages, each as (its path from the language's root, how to
        render it): those whose version has its text in that language (a missing
        translation has no page, never a fallback). The one list of what the static
        build writes and the sitemap names."""
        model = self.model(now, snap or self.snapshot(), lang)
        tag = None if lang == self.default_language else lang
        out: list[tuple[str, Callable[[], Page]]] = [("", partial(self.index, now, tag))]
        for policy in model.states:
            versions = [v for v in model.versions(policy)
                        if has_language(v, lang, self.source_language)]
            if not versions:
                continue
            cur, nxt = model.in_force(policy), model.upcoming(policy)
            if cur is None or has_language(cur.version, lang, self.source_language):
                out.append((pages.policy_path(policy), partial(self.policy, policy, now, tag)))
            if nxt is not None and has_language(nxt.version, lang, self.source_language):
                out.append((pages.upcoming_path(policy),
                            partial(self.upcoming, policy, now, tag)))
            out.append((pages.archive_path(policy), partial(self.archive, policy, now, tag)))
            for v in versions:
                day = v.effective.isoformat()
                out.append((pages.version_path(policy, v.effective),
                            partial(self.version, policy, day, now, tag)))
                out.append((pages.changes_path(policy, v.effective),
                            partial(self.changes, policy, day, now, tag)))
        return out

    def paths(self, now: dt.datetime) -> dict[str, dict[str, str]]:
        """Every page of the site: its path from a language's root -> {language: its
        path from the site's root}, for the languages it exists in (`planned`)."""
        snap = self.snapshot()
        found: dict[str, dict[str, str]] = {}
        for lang in self.languages(now):
            at = prefix(lang, self.default_language)
            for path, _ in self.planned(now, lang, snap):
                found.setdefault(path, {})[lang] = at + path
        return found

    def asset(self, name: str) -> Page:
        media = ASSETS.get(name) or ROOT_FILES.get(name)
        if media is None:
            raise PageNotFound(f"There is no file called “{name}” on this site.")
        return Page.of(self.asset_text(name), media)

    def error(self, status: int, message: str | None = None, path: str = "",
              now: dt.datetime | None = None) -> Page:
        """An error page, in the language of the address asked for (`/fr/…`: French)."""
        language = self.default_language
        first = path.lstrip("/").split("/", 1)[0]
        tag = normalize(first) if first else None
        if tag is not None and now is not None and tag in self.languages(now):
            language = tag
        template = "404.html" if status == 404 else "error.html"
        text = message or (gettext(language, "There is no page at this address.")
                            if status == 404 else gettext(language, "Bad request"))
        return self.render(template, status=status, message=text, code=status,
                           language=page_language(language, self.default_language))


def language_css() -> str:
    """The words a style sheet shows (the hidden start of an insertion or a deletion,
    for screen readers and colourless copies), one rule per language of the catalogs."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    rules = ["\n/* Generated from the catalogs (policybook/locales). */"]
    for folder in available_languages():
        tag = normalize(folder) or folder
        added, removed = gettext(tag, "[added:"), gettext(tag, "[removed:")
        scope = "" if tag == "en" else f":lang({tag}) "
        rules.append(f"{scope}ins::before {{ content: {quoted(f' {added} ')}; }} "
                     f"{scope}del::before {{ content: {quoted(f' {removed} ')}; }}")
    return "\n".join(rules) + "\n"


def absolute_root(base_url: str) -> str:
    """The configured base URL with one trailing slash: links in feeds and notices."""
    return base_url.rstrip("/") + "/"
