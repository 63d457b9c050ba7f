"""The next moment a state can change by the clock alone (state.next_event): what a quiet
tick may sleep through. Each kind of event is found, and between `now` and that moment
nothing a tick acts on changes (notices due, the version in force, the banner, problems)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pytest

from policybook.state import State, next_event, policy_state
from policybook.timeline import LatePolicy, NoticeRecord, Settings, Verdict, notices_due
from policybook.versions import Commit, Version

ZONE = ZoneInfo("America/Los_Angeles")
S = Settings(notice_days=30, zone=ZONE, tracking_since=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
MATERIAL = Verdict(True, ("changed-number in 3. Fees",))
EDITORIAL = Verdict(False)


def at(day: str, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=ZONE)


def version(effective: str, text: str, sha: str, committed: str) -> Version:
    c = Commit(sha * 40, "Legal Editor", at(committed, 9), f"commit {sha}")
    return Version("terms", dt.date.fromisoformat(effective), "content/terms.md", text,
                   c, c, (c,))


V1 = version("2026-01-01", "one", "a", "2025-11-01")
V2 = version("2026-06-01", "two", "b", "2026-03-01")


def state(now: dt.datetime, verdict: Verdict = MATERIAL,
          notices: Mapping[dt.date, NoticeRecord] | None = None,
          settings: Settings = S) -> State:
    one = policy_state("terms", [V1, V2], {V2.effective: verdict}, notices or {}, settings,
                       now)
    return State(now, "f" * 40, (one,), True)


def seen(s: State) -> object:
    """What a tick acts on or reports at `s.now`."""
    p = s.policies[0]
    return (p.key(), [(x.kind, x.effective) for x in p.problems],
            [vp.version.effective for vp in notices_due(p, s.now)])


def notice(started: dt.datetime, **flags: bool) -> dict[dt.date, NoticeRecord]:
    return {V2.effective: NoticeRecord("terms", V2.effective, started, "b" * 40, **flags)}


def quiet_until(now: dt.datetime, **kw: object) -> dt.datetime | None:
    """The next event from `now`, checked: nothing a tick sees changes before it."""
    first = state(now, **kw)  # type: ignore[arg-type]
    event = next_event(first, kw.get("settings", S))  # type: ignore[arg-type]
    end = event or now + dt.timedelta(days=800)
    for fraction in (0.0, 0.25, 0.5, 0.9, 0.999):
        moment = now + (end - now) * fraction
        assert seen(state(moment, **kw)) == seen(first), moment  # type: ignore[arg-type]
    assert seen(state(end - dt.timedelta(seconds=1), **kw)) == seen(first)  # type: ignore[arg-type]
    return event


def test_a_material_notice_falling_due_is_the_next_event() -> None:
    now = at("2026-04-01")
    due = at("2026-05-02")  # 30 days before 2026-06-01 in the policy's zone
    assert quiet_until(now) == due
    assert notices_due(state(due).policies[0], due)  # then the tick creates it
    assert not notices_due(state(now).policies[0], now)


def test_an_overdue_notice_is_an_event_after_its_grace() -> None:
    # Past due, with nothing on record, the tick creates it at once (not a quiet tick);
    # past the grace the state carries an OVERDUE problem: that moment is an event too.
    due = at("2026-05-02")
    assert quiet_until(due + dt.timedelta(minutes=1)) == due + dt.timedelta(minutes=15)


def test_a_switch_is_the_next_event_once_the_notice_went_out() -> None:
    now = at("2026-05-10")
    assert quiet_until(now, notices=notice(at("2026-05-02"))) == at("2026-06-01")
    after = state(at("2026-06-01"), notices=notice(at("2026-05-02"))).policies[0]
    assert after.in_force is not None and after.in_force.version.effective == V2.effective


def test_a_postponed_switch_is_the_next_event() -> None:
    # Late by ten days under the postpone policy: it switches 30 days after its start.
    started = at("2026-05-12")
    assert quiet_until(at("2026-06-02"), notices=notice(started)) == at("2026-06-11")


def test_the_end_of_the_updated_banner_is_the_next_event() -> None:
    now = at("2026-06-05")
    until = quiet_until(now, notices=notice(at("2026-05-02")))
    assert until == at("2026-07-01")
    assert state(now, notices=notice(at("2026-05-02"))).policies[0].banner is not None
    assert state(until, notices=notice(at("2026-05-02"))).policies[0].banner is None


def test_a_notice_that_starts_early_starts_the_banner() -> None:
    # A notice on record whose period starts ahead of `now` (sent early from the CLI).
    now = at("2026-04-01")
    early = at("2026-04-20")
    assert quiet_until(now, notices=notice(early)) == early
    assert state(early, notices=notice(early)).policies[0].banner is not None


def test_an_editorial_version_switches_on_its_date() -> None:
    assert quiet_until(at("2026-04-01"), verdict=EDITORIAL) == at("2026-06-01")


def test_a_paused_notice_waits_for_legal_not_for_the_clock() -> None:
    # Paused: the version waits (postpone); only a resume (a write to the database) moves
    # it, so no clock event is ahead but the end of the old banner.
    paused = notice(at("2026-05-02"), paused=True)
    assert quiet_until(at("2026-07-01"), notices=paused) is None


@pytest.mark.parametrize("late", list(LatePolicy))
def test_nothing_ahead_once_everything_took_effect(late: LatePolicy) -> None:
    settings = Settings(notice_days=30, zone=ZONE, late=late,
                        tracking_since=S.tracking_since)
    assert quiet_until(at("2026-08-01"), notices=notice(at("2026-05-02")),
                       settings=settings) is None
