"""The site's machine-readable outputs (shell): the Atom feed, `sitemap.xml`,
`notice.json` (what the embeddable banner reads) and the JSON API. Each renders the
state the `Site` holds and is cached by it like a page; none reads git or a database.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from ..i18n import direction, format_date, gettext, negotiate, normalize, ui_language
from ..regions import country_code, variant_for
from ..templating import CURRENT_LANGUAGE
from ..timeline import PLANNABLE_YEARS, BannerKind
from . import pages
from .languages import has_language, languages_of, prefix
from .site import BadRequest, Page, PageNotFound, Site, Snapshot, absolute_root


def feed(site: Site, now: dt.datetime) -> Page:
    snap = site.snapshot()
    model = site.model(now, snap)

    def make() -> Page:
        entries = model.feed()
        updated = max((e.committed for e in entries), default=now)
        token = CURRENT_LANGUAGE.set(site.default_language)
        try:
            xml = site.env.get_template("site/feed.xml").render(
                entries=entries, updated=updated, language=site.default_language,
                root=absolute_root(site.config.base_url))
        finally:
            CURRENT_LANGUAGE.reset(token)
        return Page.of(xml, "application/atom+xml; charset=utf-8")

    return site.cached(snap, ("feed",), make)


def sitemap(site: Site, now: dt.datetime) -> Page:
    """`sitemap.xml`: every page of this site, with its other languages."""
    snap = site.snapshot()
    model = site.model(now, snap)
    key = ("sitemap.xml", model.all_states())

    def make() -> Page:
        root = absolute_root(site.config.base_url)
        lines = ['<?xml version="1.0" encoding="utf-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
        for languages in site.paths(now).values():
            others = "".join(f'<xhtml:link rel="alternate" hreflang="{xml_escape(lang)}" '
                             f'href="{xml_escape(root + path)}"/>'
                             for lang, path in languages.items()) \
                if len(languages) > 1 else ""
            lines += [f"<url><loc>{xml_escape(root + path)}</loc>{others}</url>"
                      for path in languages.values()]
        lines.append("</urlset>")
        return Page.of("\n".join(lines) + "\n", "application/xml; charset=utf-8")

    return site.cached(snap, key, make)


def notice_json(site: Site, now: dt.datetime) -> Page:
    snap = site.snapshot()
    model = site.model(now, snap)
    key = ("notice.json", model.all_states())

    def make() -> Page:
        root = absolute_root(site.config.base_url)
        # (a language without a catalog would get English sentences around a title
        # and a date in its own language: its pages' banner reads the source's)
        others = {lang: _notices_in(site, now, snap, lang, root)
                  for lang in site.languages(now)[1:] if ui_language(lang)}

        def translations(policy: str) -> dict[str, Any]:
            found = {lang: t[policy] for lang, t in others.items() if policy in t}
            return {"translations": found} if found else {}

        # The top-level strings are in the source language (a page in any language
        # without a translation of the policy reads them); `translations` has the others.
        # One banner per timeline: a regional variant's names its variant and
        # countries (`notice.js` shows every banner; a site may filter by variant).
        mine = _notices_in(site, now, snap, site.default_language, root)
        if site.default_language != site.source_language:  # untranslated: the source's
            mine = {**_notices_in(site, now, snap, site.source_language, root), **mine}
        data = {"notices": [{
            "policy": pages.split_key(n.policy)[0], **_variant_of(model, n.policy),
            "title": n.title, "kind": str(n.kind),
            "date": n.effective.isoformat(), **mine[n.policy], **translations(n.policy),
        } for n in model.notices() if n.policy in mine]}
        return Page.of(json.dumps(data, ensure_ascii=False, indent=1),
                       "application/json; charset=utf-8")

    return site.cached(snap, key, make)

def _notices_in(site: Site, now: dt.datetime, snap: Snapshot, lang: str,
                root: str) -> dict[str, dict[str, str]]:
    """Each banner's strings in `lang` (for `notice.js` on a page in that language),
    for the policies whose announced version is translated into it."""
    model = site.model(now, snap, lang)
    at = root + prefix(lang, site.default_language)
    out: dict[str, dict[str, str]] = {}
    for n in model.notices():
        b = model.banner(n.policy)
        plan = model.upcoming(n.policy) if n.kind is BannerKind.UPCOMING \
            else model.in_force(n.policy)
        if b is None or plan is None or not has_language(plan.version, lang,
                                                          site.source_language):
            continue
        date = format_date(n.effective, lang)
        if n.kind is not BannerKind.UPCOMING:
            message = gettext(lang, "Our %(title)s was updated on %(date)s.",
                              title=n.title, date=date)
        elif b.switch_at is None:
            message = gettext(lang, "We are updating our %(title)s.", title=n.title)
        else:
            message = gettext(lang, "We are updating our %(title)s on %(date)s.",
                              title=n.title, date=date)
        link = gettext(lang, "See what changes") if n.kind is BannerKind.UPCOMING \
            else gettext(lang, "See what changed")
        out[n.policy] = {
            "title": n.title, "message": message, "link_text": link,
            "label": gettext(lang, "Policy update"),
            "lang": lang, "dir": str(direction(lang)),
            "url": at + n.path, "changes_url": at + n.changes_path,
            "dismiss": gettext(lang, "Dismiss"),
            "dismiss_label": gettext(lang, "Dismiss this notice about the %(title)s",
                                     title=n.title)}
    return out


def api(site: Site, policy: str, at: str | None, now: dt.datetime,
        lang: str | None = None, country: str | None = None) -> dict[str, Any]:
    if at:
        try:
            # A "+" left unencoded in a query string arrives as a space.
            moment = dt.datetime.fromisoformat(at.strip().replace(" ", "+"))
        except ValueError:
            raise BadRequest(f"at={at!r} is not an ISO 8601 date or time; write for "
                             "example 2027-01-15 or 2027-01-15T09:30:00+01:00") from None
        if moment.tzinfo is None:  # as a lawyer means it: local to the policies
            moment = moment.replace(tzinfo=site.settings.zone)
        if moment.year not in PLANNABLE_YEARS:  # as `--now`
            raise BadRequest(f"at={at!r} is outside the years 1970 to 9000 that "
                             "policybook can plan")
    else:
        moment = now
    if lang is not None and normalize(lang) is None:
        raise BadRequest(f"lang={lang!r} is not a language tag; write for example fr, "
                         "de-CH or pt-BR")
    code = country_code(country) if country else None
    if country and code is None:
        raise BadRequest(f"country={country!r} is not an ISO 3166 country code; write "
                         "for example FR, DE or GB")
    model = site.model(moment)
    if not pages.valid_policy_id(policy) or "." in policy:
        raise PageNotFound(f"There is no policy called “{policy}” on this site.")
    # The variant for the reader's country (docs/languages.md): the one naming it,
    # else the general text; no country: the general text.
    timelines = site.source.state(moment).timelines(policy)
    chosen = variant_for(code, tuple(t.variant for t in timelines if t.variant))
    if chosen is not None and not site.spec.shows(chosen.id):
        raise PageNotFound(f"“{policy}” in {code or 'every country'} is its "
                           f"{chosen.id or 'general'} text, which this site does not show")
    if timelines and chosen is None:
        raise PageNotFound(f"“{policy}” does not apply in {code or 'every country'}; "
                           "it is a regional policy (give ?country=)")
    key = chosen.key if chosen is not None else policy
    policy = key
    site.policy_versions(model, policy)
    plan = model.in_force(policy)
    if plan is None:
        raise PageNotFound(f"No version of “{policy}” was in force at "
                           f"{moment.isoformat()}.")
    # The language asked for among this version's translations (fr-CA gets fr), else
    # the source: a reader always gets the text in force, and is told which one.
    offered = languages_of((plan.version,), site.source_language)
    language = negotiate(lang, offered, site.source_language) if lang \
        else site.source_language
    if language != site.source_language:
        model = site.model(moment, lang=language)
        plan = model.in_force(policy)
        assert plan is not None
    v = plan.version
    doc = site.doc(v)
    token = CURRENT_LANGUAGE.set(language)  # the section links' labels
    try:
        macros = site.env.get_template("site/_document.html").make_module()
        body_html = str(macros.body(doc))  # type: ignore[attr-defined]
    finally:
        CURRENT_LANGUAGE.reset(token)
    ref = model.ref(v)
    root = absolute_root(site.config.base_url)
    path = prefix(language, site.default_language) + pages.version_path(v.timeline,
                                                                       v.effective)
    return {
        "policy": v.policy, "variant": v.variant,
        "countries": sorted(chosen.countries) if chosen is not None
        and chosen.countries is not None else None,
        "country": code, "title": doc.title, "at": moment.isoformat(),
        "language": language, "languages": list(offered),
        "fallback": bool(lang) and language == site.source_language
        and normalize(lang or "") != site.source_language,
        "effective": v.effective.isoformat(),
        "in_force_since": (plan.switch_at or plan.effective_at).isoformat(),
        "verdict": str(ref.verdict) if ref.verdict else None,
        "summary": doc.front.summary, "text": v.text, "html": body_html.strip(),
        "url": root + path,
        **({"commit": {"sha": v.final.sha, "author": v.final.author,
                       "date": v.final.date.isoformat(), "message": v.final.message}}
           if site.config.site_show_internals else {}),
    }


def _variant_of(model: pages.SiteModel, key: str) -> dict[str, Any]:
    state = model.states.get(key)
    variant = state.variant if state is not None else None
    if variant is None or variant.id is None:
        return {}
    return {"variant": variant.id, "countries": sorted(variant.countries or ())}
