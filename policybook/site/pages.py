"""View models of the site's pages (pure core): versions + verdicts + `now` -> values.

Nothing here renders HTML, reads git or the clock: `site.py` (shell) feeds versions and
parsed documents in and turns these values into pages with the Jinja2 templates, the
same way for the live server and the static build. Paths are relative to the site's
root ("privacy-policy/versions/2027-01-15/"); templates prefix them with the base path.

The pages of a policy are the pages of one *timeline*: the policy's general text, or
one of its regional variants (docs/languages.md). The view models name a timeline by its
key (`regions.timeline_key`: "privacy-policy", "privacy-policy.eea"; a dot is in no
policy or variant id), and the path functions here take that key, so that a template's
`P.policy_path(summary.policy)` is "eea/privacy-policy/" for the EEA variant.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from .. import urls
from ..document import POLICY_ID, ChangeVerdict, Document
from ..regions import describe_countries
from ..state import PolicyState
from ..timeline import Banner, BannerKind, Settings, VersionPlan
from ..versions import WORKING_TREE, Version, edits_after_effect
from .changes import Comparison

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Status(StrEnum):
    IN_FORCE = "in force"
    UPCOMING = "upcoming"  # the next version to take effect
    SCHEDULED = "scheduled"  # takes effect after the upcoming one
    PAST = "past"
    DRAFT = "draft"  # uncommitted edits (preview only)


def is_draft(v: Version) -> bool:
    return v.final.sha == WORKING_TREE


def valid_policy_id(text: str) -> bool:
    """A policy id, or a timeline key (`privacy-policy.eea`)."""
    policy, _, variant = text.partition(".")
    return bool(POLICY_ID.match(policy)) and (not variant or bool(POLICY_ID.match(variant)))


def split_key(key: str) -> tuple[str, str | None]:
    """"privacy-policy.eea" -> ("privacy-policy", "eea"); a policy id has no variant."""
    policy, _, variant = key.partition(".")
    return policy, variant or None


def parse_date(text: str) -> dt.date | None:
    """A YYYY-MM-DD path or query value; None when it is not exactly that."""
    if not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# ------------------------------------------------------------------ paths (see urls.py)
# Each takes a timeline key ("privacy-policy" or "privacy-policy.eea").


def policy_path(key: str) -> str:
    return urls.policy_path(*split_key(key))


def upcoming_path(key: str) -> str:
    return urls.upcoming_path(*split_key(key))


def archive_path(key: str) -> str:
    return urls.archive_path(*split_key(key))


def compare_path(key: str) -> str:
    return urls.compare_path(*split_key(key))


def draft_path(key: str) -> str:
    return urls.draft_path(*split_key(key))


def version_path(key: str, effective: dt.date) -> str:
    policy, variant = split_key(key)
    return urls.version_path(policy, effective, variant)


def changes_path(key: str, effective: dt.date) -> str:
    policy, variant = split_key(key)
    return urls.changes_path(policy, effective, variant)


def api_path(key: str) -> str:
    return urls.api_path(split_key(key)[0])


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class VersionRef:
    """One version as pages list it."""

    policy: str
    title: str
    effective: dt.date
    starts: dt.datetime  # the effective moment in the configured zone
    switch_at: dt.datetime | None  # when it takes (took) effect; None: waiting for its notice
    status: Status
    verdict: ChangeVerdict | None  # of its change from the version before; None: the first
    commit: str  # short sha, or WORKING_TREE for a draft
    author: str
    committed: dt.datetime
    summary: str | None
    draft: bool = False
    edited_after_effect: bool = False

    @property
    def postponed(self) -> bool:
        return self.switch_at is None or self.switch_at > self.starts

    @property
    def switch_date(self) -> dt.date:
        """The day it takes effect, as readers should be told (a postponed switch included)."""
        if self.switch_at is None:
            return self.effective
        return self.switch_at.astimezone(self.starts.tzinfo).date()

    @property
    def path(self) -> str:
        return version_path(self.policy, self.effective)

    @property
    def changes(self) -> str:
        return changes_path(self.policy, self.effective)


@dataclass(frozen=True)
class VersionLabel:
    """How a page names one side of a comparison: "the upcoming version (15 January 2027)"."""

    effective: dt.date
    path: str
    role: str  # "version in force", "upcoming version"


@dataclass(frozen=True)
class PolicySummary:
    policy: str  # the timeline key ("privacy-policy.eea" for a variant)
    title: str
    in_force: VersionRef | None
    upcoming: VersionRef | None
    banner: Banner | None
    versions: int
    draft: VersionRef | None = None
    variant: str | None = None  # the regional variant's id (None: the general text)
    countries: str | None = None  # a regional text's countries ("EEA, CH, GB")


@dataclass(frozen=True)
class PolicyPage:
    """`/<policy>/`: the version in force (None before the first one takes effect)."""

    summary: PolicySummary
    version: VersionRef | None
    doc: Document | None
    last_updated: dt.date | None


@dataclass(frozen=True)
class VersionPage:
    """One version that may not be in force (`/<policy>/versions/<date>/`, `/upcoming/`)."""

    summary: PolicySummary
    version: VersionRef
    doc: Document
    previous: VersionRef | None
    next: VersionRef | None


@dataclass(frozen=True)
class ArchivePage:
    summary: PolicySummary
    rows: tuple[VersionRef, ...]  # newest first


@dataclass(frozen=True)
class ChangesPage:
    """A redline: `new` against `old` (None when `new` is the first version)."""

    summary: PolicySummary
    new: VersionRef
    old: VersionRef | None
    comparison: Comparison
    consecutive: bool  # `old` is the version just before `new`


@dataclass(frozen=True)
class Notice:
    """A banner as `/notice.json` publishes it."""

    policy: str
    title: str
    kind: BannerKind
    effective: dt.date
    message: str
    link_text: str
    path: str  # the page to read (upcoming version, or the policy)
    changes_path: str  # its redline


# ------------------------------------------------------------------ the model


@dataclass(frozen=True)
class SiteModel:
    """Everything a page needs, at one moment.

    `states` is the state of each policy at `now` (`policybook.state`), built once for
    every surface: what is in force, what is upcoming and which banner shows are read
    from it, never re-derived, so that the site, the e-mails and the switch agree.
    `doc_of` parses a version (the shell caches it); `comparison_of` gives a version's
    redline against the version before it.
    """

    states: Mapping[str, PolicyState]  # by timeline key (PolicyState.timeline)
    doc_of: Callable[[Version], Document]
    comparison_of: Callable[[Version], Comparison]
    settings: Settings
    now: dt.datetime
    regions: Mapping[str, frozenset[str]] = field(default_factory=dict)  # [regions]

    def versions(self, policy: str) -> tuple[Version, ...]:
        state = self.states.get(policy)
        return tuple(p.version for p in state.versions) if state else ()

    def plan(self, v: Version) -> VersionPlan | None:
        state = self.states.get(v.timeline)
        return state.plan(v.effective) if state else None

    def in_force(self, policy: str) -> VersionPlan | None:
        state = self.states.get(policy)
        return state.in_force if state else None

    def upcoming(self, policy: str) -> VersionPlan | None:
        state = self.states.get(policy)
        return state.upcoming if state else None

    def state(self, policy: str) -> tuple[object, ...]:
        """What the pages of `policy` depend on at `now` (a cache key for rendered pages)."""
        state = self.states.get(policy)
        return state.key() if state else ()

    def all_states(self) -> tuple[tuple[object, ...], ...]:
        """What a page that lists every policy depends on (the index, the sitemap,
        `notice.json`): each policy's `state`, in a fixed order."""
        return tuple(self.state(p) for p in sorted(self.states))

    def ref(self, v: Version) -> VersionRef:
        plan = self.plan(v)
        cur, nxt = self.in_force(v.timeline), self.upcoming(v.timeline)
        starts = plan.effective_at if plan else dt.datetime.combine(
            v.effective, dt.time(0), tzinfo=self.settings.zone)
        switch_at = plan.switch_at if plan else starts
        if is_draft(v):
            status = Status.DRAFT
        elif cur is not None and cur.version.effective == v.effective:
            status = Status.IN_FORCE
        elif nxt is not None and nxt.version.effective == v.effective:
            status = Status.UPCOMING
        elif cur is not None and v.effective < cur.version.effective:
            status = Status.PAST
        else:
            status = Status.SCHEDULED
        doc = self.doc_of(v)
        verdict = self.comparison_of(v).verdict
        return VersionRef(
            policy=v.timeline, title=doc.title, effective=v.effective, starts=starts,
            switch_at=switch_at, status=status, verdict=verdict,
            commit=WORKING_TREE if is_draft(v) else v.final.short, author=v.final.author,
            committed=v.final.date, summary=doc.front.summary, draft=is_draft(v),
            edited_after_effect=bool(edits_after_effect(v, self.settings.zone))
            and not is_draft(v))

    def banner(self, policy: str) -> Banner | None:
        state = self.states.get(policy)
        return state.banner if state else None

    def summary(self, policy: str) -> PolicySummary:
        versions = self.versions(policy)
        cur, nxt = self.in_force(policy), self.upcoming(policy)
        title_from = cur.version if cur else nxt.version if nxt else versions[-1]
        drafts = [v for v in versions if is_draft(v)]
        state = self.states.get(policy)
        variant = state.variant if state is not None else None
        return PolicySummary(
            policy=policy, title=self.doc_of(title_from).title,
            in_force=self.ref(cur.version) if cur else None,
            upcoming=self.ref(nxt.version) if nxt else None,
            banner=self.banner(policy), versions=len(versions),
            draft=self.ref(drafts[0]) if drafts else None,
            variant=variant.id if variant else None,
            countries=describe_countries(variant.countries, self.regions)
            if variant is not None and variant.countries is not None else None)

    def index(self) -> tuple[PolicySummary, ...]:
        return tuple(self.summary(p) for p in sorted(self.states) if self.states[p].versions)

    def find(self, policy: str, effective: dt.date) -> Version | None:
        return next((v for v in self.versions(policy) if v.effective == effective), None)

    def previous(self, v: Version) -> Version | None:
        earlier = [x for x in self.versions(v.timeline) if x.effective < v.effective]
        return earlier[-1] if earlier else None

    def policy_page(self, policy: str) -> PolicyPage:
        summary = self.summary(policy)
        cur = self.in_force(policy)
        if cur is None:
            return PolicyPage(summary, None, None, None)
        return PolicyPage(summary, self.ref(cur.version), self.doc_of(cur.version),
                          last_updated(cur.version, self.settings.zone))

    def version_page(self, v: Version) -> VersionPage:
        before = self.previous(v)
        after = next((x for x in self.versions(v.timeline) if x.effective > v.effective), None)
        return VersionPage(self.summary(v.timeline), self.ref(v), self.doc_of(v),
                           self.ref(before) if before else None,
                           self.ref(after) if after else None)

    def archive(self, policy: str) -> ArchivePage:
        rows = tuple(self.ref(v) for v in reversed(self.versions(policy)))
        return ArchivePage(self.summary(policy), rows)

    def changes(self, v: Version) -> ChangesPage:
        before = self.previous(v)
        return ChangesPage(self.summary(v.timeline), self.ref(v),
                           self.ref(before) if before else None, self.comparison_of(v), True)

    def compare(self, old: Version, new: Version, comparison: Comparison) -> ChangesPage:
        before = self.previous(new)
        consecutive = before is not None and before.effective == old.effective
        return ChangesPage(self.summary(new.timeline), self.ref(new), self.ref(old), comparison,
                           consecutive)

    def notices(self) -> tuple[Notice, ...]:
        out: list[Notice] = []
        for s in self.index():
            b = s.banner
            if b is None:
                continue
            day = b.effective
            if b.kind is BannerKind.UPCOMING and b.switch_at is not None:
                day = b.switch_at.astimezone(self.settings.zone).date()
            when = f"{day.day} {day:%B %Y}"
            if b.kind is BannerKind.UPCOMING:
                # No switch date while the notice awaits sending: promise no date.
                on = f" on {when}" if b.switch_at is not None else ""
                out.append(Notice(s.policy, s.title, b.kind, day,
                                  f"We are updating our {s.title}{on}.",
                                  "See what changes", upcoming_path(s.policy),
                                  changes_path(s.policy, b.effective)))
            else:
                out.append(Notice(s.policy, s.title, b.kind, day,
                                  f"Our {s.title} was updated on {when}.",
                                  "See what changed", policy_path(s.policy),
                                  changes_path(s.policy, b.effective)))
        return tuple(out)

    def feed(self) -> tuple[VersionRef, ...]:
        """Every committed version, newest announcement first (drafts are never published)."""
        refs = [self.ref(p.version) for state in self.states.values() for p in state.versions
                if not is_draft(p.version)]
        return tuple(sorted(refs, key=lambda r: (r.committed, r.effective), reverse=True))


def last_updated(v: Version, zone: ZoneInfo) -> dt.date:
    """The day the text in force last changed: its effective date, or a later editorial fix."""
    edits = edits_after_effect(v, zone)
    if not edits:
        return v.effective
    return max(c.date for c in edits).astimezone(zone).date()
