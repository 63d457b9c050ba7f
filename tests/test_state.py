"""The pure core of the policy state: held-back edits, problems, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from policybook.state import (
    Held,
    ProblemKind,
    SummaryFacts,
    fixed_commit,
    policy_state,
)
from policybook.timeline import LatePolicy, NoticeRecord, Settings, Verdict
from policybook.versions import Commit, Version

ZONE = ZoneInfo("America/Los_Angeles")
S = Settings(notice_days=30, zone=ZONE, tracking_since=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=ZONE)


def commit(sha: str, day: str) -> Commit:
    return Commit(sha * 40, "Legal Editor", at(day, 9), f"commit {sha}")


def version(effective: str, text: str, *commits: Commit) -> Version:
    return Version("terms", dt.date.fromisoformat(effective), "content/terms.md", text,
                   commits[0], commits[-1], tuple(commits))


V1 = version("2026-01-01", "one", commit("a", "2025-11-01"))
MATERIAL = Verdict(True, ("changed-number in 3. Fees",))
EDITORIAL = Verdict(False)


def test_a_material_edit_after_effect_is_held_back_and_reported() -> None:
    v2 = version("2026-03-01", "two edited", commit("b", "2026-01-10"), commit("c", "2026-03-09"))
    notices = {v2.effective: NoticeRecord("terms", v2.effective, at("2026-01-30", 0), "b" * 40)}
    # The shell found that commit c changed the announced text materially.
    held = {v2.effective: Held("two", v2.commits[0], MATERIAL, True, at("2026-01-30", 0),
                               (v2.commits[1],))}
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, notices, S,
                         at("2026-03-10"), held=held)
    assert state.in_force is not None
    assert state.in_force.version.effective == v2.effective
    assert state.in_force.version.text == "two"  # what was announced stays live
    assert state.in_force.version.final.sha == "b" * 40
    kinds = [p.kind for p in state.problems]
    assert kinds == [ProblemKind.EDITED_AFTER_NOTICE]
    assert "held back" in state.problems[0].message
    assert "c" * 10 in state.problems[0].message


def test_an_editorial_edit_after_effect_is_published() -> None:
    v2 = version("2026-03-01", "two, fixed", commit("b", "2026-01-10"),
                 commit("c", "2026-03-09"))
    held = {v2.effective: Held("two", v2.commits[0], EDITORIAL, False, at("2026-03-01", 0),
                               (v2.commits[1],))}
    state = policy_state("terms", [V1, v2], {v2.effective: EDITORIAL}, {}, S, at("2026-03-10"),
                         held=held)
    assert state.in_force is not None and state.in_force.version.text == "two, fixed"
    assert state.problems == ()


def test_the_fixed_commit_is_the_announced_one_or_the_last_before_the_switch() -> None:
    v2 = version("2026-03-01", "x", commit("b", "2026-01-10"), commit("c", "2026-02-20"),
                 commit("d", "2026-03-09"))
    state = policy_state("terms", [V1, v2], {v2.effective: EDITORIAL}, {}, S, at("2026-03-10"))
    vp = state.plan(v2.effective)
    assert vp is not None
    found = fixed_commit(vp)
    assert found is not None and found.sha == "c" * 40  # the text on 2026-03-01
    notices = {v2.effective: NoticeRecord("terms", v2.effective, at("2026-01-30", 0), "b" * 40)}
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, notices, S,
                         at("2026-03-10"))
    vp = state.plan(v2.effective)
    assert vp is not None
    found = fixed_commit(vp)
    assert found is not None and found.sha == "b" * 40


def test_an_overdue_material_notice_is_a_problem_with_a_date_that_works() -> None:
    v2 = version("2026-03-01", "two", commit("b", "2026-01-10"))
    now = at("2026-02-19")
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, {}, S, now,
                         summaries={v2.effective: SummaryFacts("Fees go up.")})
    assert [p.kind for p in state.problems] == [ProblemKind.OVERDUE]
    assert "set effective to 2026-03-22 or later" in state.problems[0].message
    assert state.upcoming is not None and state.upcoming.switch_at is None  # postponed
    # With the warn policy, past the date, it took effect without notice: still a problem.
    warn = Settings(30, ZONE, late=LatePolicy.WARN, tracking_since=S.tracking_since)
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, {}, warn,
                         at("2026-03-05"))
    assert state.in_force is not None and state.in_force.version.effective == v2.effective
    assert [p.kind for p in state.problems] == [ProblemKind.OVERDUE]
    assert "without notice" in state.problems[0].message


def test_summaries_missing_or_stale() -> None:
    v2 = version("2026-03-01", "two", commit("b", "2026-01-10"))
    now = at("2026-01-15")
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, {}, S, now,
                         summaries={v2.effective: SummaryFacts(None)})
    assert [p.kind for p in state.problems] == [ProblemKind.NO_SUMMARY]
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, {}, S, now,
                         summaries={v2.effective: SummaryFacts("Fees.", ("late fee",))})
    assert [p.kind for p in state.problems] == [ProblemKind.STALE_SUMMARY]
    assert "summary-confirmed" in state.problems[0].message
    assert state.problems[0].field == "summary"
    # An editorial version needs no summary.
    state = policy_state("terms", [V1, v2], {v2.effective: EDITORIAL}, {}, S, now,
                         summaries={v2.effective: SummaryFacts(None)})
    assert state.problems == ()


def test_without_a_database_notices_are_assumed_when_they_could_start() -> None:
    v2 = version("2026-03-01", "two", commit("b", "2026-01-10"))
    free = Settings(30, ZONE)
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, {}, free,
                         at("2026-03-05"), tracked=False)
    assert state.in_force is not None and state.in_force.version.effective == v2.effective
    assert state.banner is not None and state.banner.kind == "updated"
    assert state.problems == ()  # nothing on record tells whether it was noticed
    before = at("2026-02-10")
    state = policy_state("terms", [V1, v2], {v2.effective: MATERIAL}, {}, free, before,
                         tracked=False)
    assert state.upcoming is not None and state.upcoming.switch_at == \
        state.upcoming.effective_at
    assert [p.kind for p in state.problems] == [ProblemKind.OVERDUE]
    assert "no database" in state.problems[0].message
    # Committed 10 days before its date: the notice could not start earlier: postponed.
    late = version("2026-03-01", "two", commit("b", "2026-02-19"))
    state = policy_state("terms", [V1, late], {late.effective: MATERIAL}, {}, free,
                         at("2026-03-05"), tracked=False)
    assert state.in_force is not None and state.in_force.version.effective == V1.effective
    assert [p.kind for p in state.problems] == [ProblemKind.OVERDUE]
