"""Two versions side by side (shell): the live comparison form and its redline, and the
editor's preview of an uncommitted draft (`serve --preview`). Rendered by the `Site`
from the state it holds; a comparison chosen by a visitor is never cached.
"""

from __future__ import annotations

import datetime as dt

from ..document import ChangeVerdict
from ..i18n import gettext
from ..timeline import VersionPlan, earliest_effective
from ..versions import Version
from . import pages
from .site import BadRequest, Page, PageNotFound, Site


def compare_versions(site: Site, policy: str, old: str | None, new: str | None,
                     now: dt.datetime, live: bool = True) -> Page:
    """Any two versions compared: the source texts (a translation is never judged on
    its own), so the page is the source language's, whatever the site's default."""
    snap = site.snapshot()
    model = site.model(now, snap, site.source_language)
    source = site.page_language(site.source_language)
    versions = site.policy_versions(model, policy)
    summary = model.summary(policy)
    if not live:
        return site.render("compare_static.html", language=source, summary=summary,
                           rows=tuple(model.ref(v) for v in reversed(versions)))
    if not old and not new:
        return site.render("compare_form.html", language=source, summary=summary,
                           message=None,
                           rows=tuple(model.ref(v) for v in reversed(versions)))
    dates = ", ".join(v.effective.isoformat() for v in versions)
    chosen: list[Version] = []
    for name, value in (("from", old), ("to", new)):
        if not value:
            raise BadRequest(f"Choose both versions to compare: “{name}” is missing "
                             f"(versions: {dates}).")
        day = pages.parse_date(value)
        if day is None:
            raise BadRequest(f"“{name}={value}” is not a date; write it as YYYY-MM-DD "
                             f"(versions: {dates}).")
        found = model.find(policy, day)
        if found is None:
            raise BadRequest(f"There is no version of “{policy}” dated {value} "
                             f"(versions: {dates}).")
        chosen.append(found)
    a, b = chosen
    if a.effective == b.effective:
        raise BadRequest("Choose two different versions to compare.")
    if a.effective > b.effective:  # a redline reads from the older text to the newer
        a, b = b, a

    # Not cached: visitors choose any of n² pairs, and a cache of them could be made
    # to grow without bound. A comparison costs a few milliseconds.
    comparison = site.compare_fn(site.doc(a), site.doc(b))
    return site.render("changes.html", language=source, page=model.compare(a, b, comparison),
                       live=True)


def draft(site: Site, policy: str, now: dt.datetime) -> Page:
    """Preview only: the editor's question. The uncommitted draft against the version it
    replaces (the upcoming one while one is pending, else the one in force), then, when
    that is not the version in force, the whole change readers will see against it."""
    if not site.preview:
        raise PageNotFound("Drafts are shown by 'policybook serve --preview' only.")
    snap = site.snapshot()
    model = site.model(now, snap, site.source_language)
    source = site.page_language(site.source_language)
    versions = site.policy_versions(model, policy)
    drafts = [v for v in versions if pages.is_draft(v)]
    if not drafts:
        return site.render("draft.html", language=source, summary=model.summary(policy),
                           draft=None,
                           base_ref=None, comparison=None, earliest=None,
                           cumulative=None, in_force_ref=None)
    draft = drafts[0]
    if site.committed is not None:
        site.committed.revision()  # a preview re-reads at every reload: so does this
    committed = (site.committed or site.source).state(now).policy(*pages.split_key(policy))
    live = committed.in_force if committed else None
    pending = committed.upcoming if committed else None
    replaced = pending or live
    comparison = site.compare_fn(site.doc(replaced.version) if replaced else None,
                                 site.doc(draft))
    cumulative = None
    if pending is not None and live is not None:
        cumulative = site.compare_fn(site.doc(live.version), site.doc(draft))
    judged = cumulative or comparison
    ref = model.ref(draft)
    # A material draft must leave the full notice period: say which date would.
    too_soon = judged.verdict is ChangeVerdict.MATERIAL and \
        ref.starts - now < dt.timedelta(days=site.settings.notice_days)

    def label(vp: VersionPlan | None) -> pages.VersionLabel | None:
        if vp is None:
            return None
        v = vp.version
        return pages.VersionLabel(v.effective, pages.version_path(v.timeline, v.effective),
                                  gettext(site.source_language, "upcoming version")
                                  if vp is pending else
                                  gettext(site.source_language, "version in force"))

    return site.render("draft.html", language=source, summary=model.summary(policy),
                       draft=ref,
                       comparison=comparison, base_ref=label(replaced),
                       cumulative=cumulative, in_force_ref=label(live) if cumulative
                       else None,
                       earliest=earliest_effective(now, site.settings) if too_soon else None)
