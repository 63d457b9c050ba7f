"""The notice timeline (pure): due dates, banners, the switch, late notices."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from policybook.timeline import (
    BannerKind,
    LatePolicy,
    NoticeRecord,
    Settings,
    Verdict,
    earliest_effective,
    notices_due,
    plan_policy,
)
from policybook.versions import Commit, Version

LA = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC
COMMIT = Commit("a" * 40, "Legal", dt.datetime(2026, 1, 1, tzinfo=UTC), "v")


def version(effective: str) -> Version:
    return Version("privacy-policy", dt.date.fromisoformat(effective), "content/p.md", "text",
                   COMMIT, COMMIT, (COMMIT,))


V1, V2 = version("2026-01-01"), version("2027-01-15")
MATERIAL = {V2.effective: Verdict(True, ("new recipient: Acme Analytics",))}
EDITORIAL = {V2.effective: Verdict(False)}


def settings(**kw: object) -> Settings:
    base: dict[str, object] = {"notice_days": 30, "zone": LA}
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_material_version_notice_due_and_banner() -> None:
    s = settings()
    before = plan_policy("privacy-policy", [V1, V2], MATERIAL, {}, s, at("2026-12-15T00:00Z"))
    assert before.in_force and before.in_force.version is V1
    assert before.upcoming and before.upcoming.notice_due_at == at("2026-12-16T00:00-08:00")
    assert before.banner is None
    assert notices_due(before, at("2026-12-15T00:00Z")) == ()
    due_time = at("2026-12-16T08:00Z")
    due = plan_policy("privacy-policy", [V1, V2], MATERIAL, {}, s, due_time)
    assert [p.version for p in notices_due(due, due_time)] == [V2]
    assert due.banner and due.banner.kind is BannerKind.UPCOMING
    assert due.banner.effective == V2.effective


def test_switch_happens_at_midnight_in_the_zone_and_updated_banner_then_ends() -> None:
    s = settings(recently_updated_days=14)
    notice = {V2.effective: NoticeRecord("privacy-policy", V2.effective, at("2026-12-16T08:00Z"))}
    just_before = plan_policy("privacy-policy", [V1, V2], MATERIAL, notice, s,
                              at("2027-01-15T07:59:59Z"))
    assert just_before.in_force and just_before.in_force.version is V1
    after = plan_policy("privacy-policy", [V1, V2], MATERIAL, notice, s,
                        at("2027-01-15T08:00:00Z"))
    assert after.in_force and after.in_force.version is V2
    assert after.banner and after.banner.kind is BannerKind.UPDATED
    later = plan_policy("privacy-policy", [V1, V2], MATERIAL, notice, s, at("2027-01-30T00:00Z"))
    assert later.banner is None


def test_editorial_version_takes_effect_with_no_notice_and_no_banner() -> None:
    s = settings()
    plan = plan_policy("privacy-policy", [V1, V2], EDITORIAL, {}, s, at("2026-12-20T00:00Z"))
    assert plan.upcoming and plan.upcoming.notice_due_at is None
    assert plan.banner is None and notices_due(plan, at("2026-12-20T00:00Z")) == ()
    after = plan_policy("privacy-policy", [V1, V2], EDITORIAL, {}, s, at("2027-01-16T00:00Z"))
    assert after.in_force and after.in_force.version is V2


def test_late_notice_postpones_the_switch_by_default() -> None:
    started = at("2027-01-05T00:00Z")  # 20 days late: 10 days before the effective date
    notice = {V2.effective: NoticeRecord("privacy-policy", V2.effective, started)}
    plan = plan_policy("privacy-policy", [V1, V2], MATERIAL, notice, settings(),
                       at("2027-01-20T00:00Z"))
    v2 = plan.versions[1]
    assert v2.late_by == started - at("2026-12-16T00:00-08:00")
    assert v2.switch_at == started + dt.timedelta(days=30)
    assert v2.notice_period_given == dt.timedelta(days=30)
    assert plan.in_force and plan.in_force.version is V1
    warn = plan_policy("privacy-policy", [V1, V2], MATERIAL, notice,
                       settings(late=LatePolicy.WARN), at("2027-01-20T00:00Z"))
    assert warn.in_force and warn.in_force.version is V2
    assert warn.versions[1].notice_period_given == at("2027-01-15T00:00-08:00") - started


def test_material_version_without_notice_waits_and_is_still_due() -> None:
    now = at("2027-02-01T00:00Z")
    plan = plan_policy("privacy-policy", [V1, V2], MATERIAL, {}, settings(), now)
    assert plan.in_force and plan.in_force.version is V1
    assert plan.upcoming and plan.upcoming.switch_at is None
    assert [p.version for p in notices_due(plan, now)] == [V2]


def test_versions_before_tracking_began_are_on_record_as_they_are() -> None:
    s = settings(tracking_since=at("2027-06-01T00:00Z"))
    plan = plan_policy("privacy-policy", [V1, V2], MATERIAL, {}, s, at("2027-06-02T00:00Z"))
    assert plan.in_force and plan.in_force.version is V2
    assert plan.in_force.grandfathered and not plan.in_force.material
    assert notices_due(plan, at("2027-06-02T00:00Z")) == ()


def test_earliest_effective_date_leaves_the_full_period() -> None:
    s = settings()
    assert earliest_effective(at("2026-11-28T10:00Z"), s) == dt.date(2026, 12, 29)
    assert earliest_effective(at("2026-11-28T07:00Z"), s) == dt.date(2026, 12, 28)


def test_paused_and_cancelled_notices_hold_the_switch_under_postpone() -> None:
    started = at("2026-12-16T00:00-08:00")
    after = at("2027-02-01T00:00Z")  # past the effective date
    paused = {V2.effective: NoticeRecord("privacy-policy", V2.effective, started, paused=True)}
    cancelled = {V2.effective: NoticeRecord("privacy-policy", V2.effective, started,
                                            cancelled=True)}
    for notices in (paused, cancelled):
        held = plan_policy("privacy-policy", [V1, V2], MATERIAL, notices, settings(), after)
        assert held.in_force and held.in_force.version is V1  # waits (postpone)
        assert held.upcoming and held.upcoming.switch_at is None
        assert notices_due(held, after) == ()  # never noticed again by itself
        warned = plan_policy("privacy-policy", [V1, V2], MATERIAL, notices,
                             settings(late=LatePolicy.WARN), after)
        assert warned.in_force and warned.in_force.version is V2  # warn: on its date
    during = at("2026-12-20T00:00Z")
    still = plan_policy("privacy-policy", [V1, V2], MATERIAL, paused, settings(), during)
    assert still.banner and still.banner.kind is BannerKind.UPCOMING  # the period runs
    gone = plan_policy("privacy-policy", [V1, V2], MATERIAL, cancelled, settings(), during)
    assert gone.banner is None  # a cancel withdraws the banner
