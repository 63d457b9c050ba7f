"""The notice timeline: what is in force, what is upcoming, which notices are due (pure core).

From the versions in git, the verdict of each version's change (material or editorial),
the notices already on record and *now*, compute each policy's timeline. Everything else
(the scheduler, the site, `plan`, `check`) reads the timeline instead of re-deriving it,
so that the e-mail, the banner and the switch always agree.

The rules, and why:
- A version takes effect at midnight of its `effective` date in the configured zone.
- A material version's notice is due `notice_days` before that moment; the website banner
  runs from then until the switch.
- If its notice started late (the scheduler was down over the due date), the notice period
  actually given is shorter. With `late_notice = postpone` (the default) the switch waits
  until the full period has passed since the notice started; with `warn` it happens on the
  effective date anyway and `plan` says how short the period was.
- A material version whose notice never started does not take effect under `postpone`:
  a promise of notice "prior to the change becoming effective" is kept, not assumed.
- Versions that took effect before policybook started tracking (`tracking_since`, the
  creation of its database) are on record as they are: there was nobody to notify then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from .versions import Version, effective_moment

# The scheduler ticks on an interval, so a notice due at midnight goes out with the first
# tick after it. Within this grace it counts as started on time (a notice period is
# counted in days; a 30-day period must not become 29 days and 23 hours and 59 minutes
# on paper because of the tick interval, nor postpone the switch by a minute).
ON_TIME_GRACE = dt.timedelta(minutes=15)

# The moments a timeline can be planned at: notice periods and switch moments are
# computed from `now`, and near the ends of the calendar they overflow it. `--now` and
# the API's `?at=` are refused outside these years.
PLANNABLE_YEARS = range(1970, 9001)


def notice_start(created_at: dt.datetime, due_at: dt.datetime) -> dt.datetime:
    """When a notice counts as started: its due moment if it was created on time."""
    return due_at if created_at <= due_at + ON_TIME_GRACE else created_at


class LatePolicy(StrEnum):
    POSTPONE = "postpone"
    WARN = "warn"


@dataclass(frozen=True)
class Verdict:
    """What the timeline needs of an assessment: material or not, and why."""

    material: bool
    reasons: tuple[str, ...] = ()
    overridden: bool = False


@dataclass(frozen=True)
class NoticeRecord:
    """A notice on record for one version (from the store)."""

    policy: str
    effective: dt.date
    started_at: dt.datetime  # when it was created, i.e. when sending could start
    version: str | None = None  # the commit whose text it announced
    assumed: bool = False  # no database: taken to have started when it could (state.py)
    # Legal's control: a paused notice holds the switch under `postpone` until resumed; a
    # cancelled one holds it for good (and withdraws the banner), and the version is not
    # due for another notice: legal decides what happens next.
    paused: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class Settings:
    notice_days: int
    zone: ZoneInfo
    recently_updated_days: int = 30
    late: LatePolicy = LatePolicy.POSTPONE
    tracking_since: dt.datetime | None = None


@dataclass(frozen=True)
class VersionPlan:
    version: Version
    previous: Version | None
    verdict: Verdict | None  # None for a policy's first version: nothing to compare with
    effective_at: dt.datetime
    notice_due_at: dt.datetime | None  # material versions only
    notice: NoticeRecord | None
    switch_at: dt.datetime | None  # None: waiting for its notice (postpone policy)
    grandfathered: bool = False

    @property
    def material(self) -> bool:
        return bool(self.verdict and self.verdict.material) and not self.grandfathered

    @property
    def late_by(self) -> dt.timedelta | None:
        """How late the notice started, if it did."""
        if self.notice is None or self.notice_due_at is None:
            return None
        late = self.notice.started_at - self.notice_due_at
        return late if late > dt.timedelta(0) else None

    @property
    def notice_period_given(self) -> dt.timedelta | None:
        if self.notice is None or self.switch_at is None:
            return None
        return self.switch_at - self.notice.started_at

    @property
    def postponed(self) -> bool:
        return self.switch_at is None or self.switch_at > self.effective_at


@dataclass(frozen=True)
class PolicyPlan:
    policy: str
    versions: tuple[VersionPlan, ...]  # by effective date
    in_force: VersionPlan | None
    upcoming: VersionPlan | None  # the next version to take effect (or waiting for notice)
    banner: Banner | None


class BannerKind(StrEnum):
    UPCOMING = "upcoming"  # "We are updating this policy on <date>. See what changes."
    UPDATED = "updated"  # "This policy was updated on <date>."


@dataclass(frozen=True)
class Banner:
    kind: BannerKind
    policy: str
    effective: dt.date  # the date shown: the version's effective date
    switch_at: dt.datetime | None
    until: dt.datetime | None


def switch_after(effective_at: dt.datetime, notice_started: dt.datetime,
                 settings: Settings) -> dt.datetime:
    """When a material version switches, given when its notice started."""
    if settings.late is LatePolicy.WARN:
        return effective_at
    return max(effective_at, notice_started + dt.timedelta(days=settings.notice_days))


def plan_versions(versions: Sequence[Version], verdicts: Mapping[dt.date, Verdict],
                  notices: Mapping[dt.date, NoticeRecord], settings: Settings
                  ) -> tuple[VersionPlan, ...]:
    """The plan of each version of one policy (versions sorted by effective date)."""
    ordered = sorted(versions, key=lambda v: v.effective)
    plans: list[VersionPlan] = []
    notice_period = dt.timedelta(days=settings.notice_days)
    for i, version in enumerate(ordered):
        previous = ordered[i - 1] if i else None
        verdict = verdicts.get(version.effective) if previous is not None else None
        effective_at = effective_moment(version.effective, settings.zone)
        notice = notices.get(version.effective)
        grandfathered = (notice is None and settings.tracking_since is not None
                         and effective_at <= settings.tracking_since)
        material = bool(verdict and verdict.material) and not grandfathered
        due = effective_at - notice_period if material else None
        switch: dt.datetime | None = effective_at
        if material and settings.late is LatePolicy.POSTPONE:
            held = notice is None or notice.paused or notice.cancelled
            switch = None if held or notice is None else switch_after(
                effective_at, notice.started_at, settings)
        plans.append(VersionPlan(version, previous, verdict, effective_at, due, notice, switch,
                                 grandfathered))
    return tuple(plans)


def current(plans: Sequence[VersionPlan], now: dt.datetime) -> VersionPlan | None:
    """The version in force at `now`: the latest one whose switch has happened."""
    best: VersionPlan | None = None
    for p in plans:
        if p.switch_at is not None and p.switch_at <= now and (
                best is None or p.version.effective > best.version.effective):
            best = p
    return best


def next_up(plans: Sequence[VersionPlan], now: dt.datetime) -> VersionPlan | None:
    """The next version to take effect after the one in force (it may await its notice)."""
    live = current(plans, now)
    later = [p for p in plans if (live is None or p.version.effective > live.version.effective)
             and (p.switch_at is None or p.switch_at > now)]
    return min(later, key=lambda p: p.version.effective) if later else None


def banner(plans: Sequence[VersionPlan], now: dt.datetime, settings: Settings) -> Banner | None:
    """The website banner at `now`: a notice period running, or a recent material update."""
    nxt = next_up(plans, now)
    # The notice period runs from the due moment, or from a notice that started earlier
    # (a notice on record whose start is still ahead of `now` has not started).
    withdrawn = nxt is not None and nxt.notice is not None and nxt.notice.cancelled
    if nxt is not None and nxt.material and nxt.notice_due_at is not None and not withdrawn \
            and (nxt.notice_due_at <= now
                 or (nxt.notice is not None and nxt.notice.started_at <= now)):
        return Banner(BannerKind.UPCOMING, nxt.version.policy, nxt.version.effective,
                      nxt.switch_at, nxt.switch_at)
    live = current(plans, now)
    if live is not None and live.material and live.switch_at is not None:
        until = live.switch_at + dt.timedelta(days=settings.recently_updated_days)
        if now < until:
            return Banner(BannerKind.UPDATED, live.version.policy, live.version.effective,
                          live.switch_at, until)
    return None


def plan_policy(policy: str, versions: Sequence[Version], verdicts: Mapping[dt.date, Verdict],
                notices: Mapping[dt.date, NoticeRecord], settings: Settings,
                now: dt.datetime) -> PolicyPlan:
    plans = plan_versions(versions, verdicts, notices, settings)
    return PolicyPlan(policy, plans, current(plans, now), next_up(plans, now),
                      banner(plans, now, settings))


class Planned(Protocol):
    """A policy's plans with the version in force (a `PolicyPlan` or a `PolicyState`)."""

    @property
    def versions(self) -> tuple[VersionPlan, ...]: ...

    @property
    def in_force(self) -> VersionPlan | None: ...


def notices_due(plan: Planned, now: dt.datetime) -> tuple[VersionPlan, ...]:
    """Material versions whose notice is due at `now` and not yet on record.

    A notice that is late is still due (better late than never, and the record says how
    late), unless a later version has already replaced the one it announces."""
    live = plan.in_force
    return tuple(p for p in plan.versions
                 if p.material and p.notice is None and p.notice_due_at is not None
                 and p.notice_due_at <= now
                 and (live is None or p.version.effective >= live.version.effective))


def days_text(delta: dt.timedelta | None) -> str:
    """A duration in days for people: "30 days", "1.4 days"."""
    days = (delta or dt.timedelta(0)) / dt.timedelta(days=1)
    return f"{days:.0f} days" if abs(days - round(days)) < 0.05 else f"{days:.1f} days"


def earliest_effective(now: dt.datetime, settings: Settings) -> dt.date:
    """The first effective date that still leaves `notice_days` of notice from `now`."""
    local = now.astimezone(settings.zone)
    day = local.date() + dt.timedelta(days=settings.notice_days)
    if effective_moment(day, settings.zone) - now < dt.timedelta(days=settings.notice_days):
        day += dt.timedelta(days=1)
    return day
