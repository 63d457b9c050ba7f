"""The site's pure view models: statuses, banners, notices, redlines and verdicts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from policybook.document import ChangeVerdict, parse_document
from policybook.site import pages
from policybook.site.changes import Comparison, compare_documents
from policybook.state import policy_state
from policybook.timeline import BannerKind, Settings, Verdict
from policybook.versions import Commit, Version
from tests.helpers import policy

UTC = dt.UTC
LA = ZoneInfo("America/Los_Angeles")


def commit(sha: str, when: dt.datetime) -> Commit:
    return Commit(sha * 40, "Legal Editor", when, f"commit {sha}")


def version(effective: str, body: str, sha: str, committed: dt.datetime | None = None,
            extra_commits: tuple[Commit, ...] = ()) -> Version:
    c = commit(sha, committed or dt.datetime(2026, 1, 1, tzinfo=UTC))
    text = policy("privacy-policy", effective, body, title="Privacy Policy",
                  summary=f"Version {effective}.")
    return Version("privacy-policy", dt.date.fromisoformat(effective), "content/p.md", text, c,
                   extra_commits[-1] if extra_commits else c, (c, *extra_commits))


V1 = version("2026-01-01", "## 1. Data {#data}\n\nWe collect your name.\n", "a")
V2 = version("2027-01-15", "## 1. Data {#data}\n\nWe collect your name and location.\n", "b")
V3 = version("2027-06-01", "## 1. Data {#data}\n\nWe collect your name and  location.\n", "c")


def model(now: dt.datetime, versions: tuple[Version, ...] = (V1, V2),
          verdicts: dict[dt.date, ChangeVerdict] | None = None, zone: ZoneInfo = UTC,
          notice_days: int = 30, recent: int = 30) -> pages.SiteModel:
    docs = {v.key: parse_document(v.text, v.path) for v in versions}
    by_date = {v.effective: v for v in versions}

    def comparison_of(v: Version) -> Comparison:
        earlier = [x for x in versions if x.effective < v.effective]
        old = docs[max(earlier, key=lambda x: x.effective).key] if earlier else None
        real = compare_documents(old, docs[v.key])
        if verdicts and v.effective in verdicts and old is not None:
            return replace(real, verdict=verdicts[v.effective], reasons=("stated by the test",))
        return real

    # No database: every version is taken as dated (see policybook.state).
    settings = Settings(notice_days=notice_days, zone=zone, recently_updated_days=recent)
    verdicts_map = {v.effective: Verdict(c.verdict is ChangeVerdict.MATERIAL, c.reasons)
                    for v in versions if (c := comparison_of(v)).verdict is not None}
    state = policy_state("privacy-policy", sorted(by_date.values(), key=lambda v: v.effective),
                         verdicts_map, {}, settings, now, tracked=False)
    return pages.SiteModel(states={"privacy-policy": state}, doc_of=lambda v: docs[v.key],
                           comparison_of=comparison_of, settings=settings, now=now)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_statuses_follow_the_clock() -> None:
    m = model(at("2026-12-01T00:00:00+00:00"), (V1, V2, V3))
    refs = {r.effective.isoformat(): r.status for r in m.archive("privacy-policy").rows}
    assert refs == {"2027-06-01": pages.Status.SCHEDULED, "2027-01-15": pages.Status.UPCOMING,
                    "2026-01-01": pages.Status.IN_FORCE}
    later = model(at("2027-01-15T00:00:00+00:00"), (V1, V2, V3))
    refs = {r.effective.isoformat(): r.status for r in later.archive("privacy-policy").rows}
    assert refs == {"2027-06-01": pages.Status.UPCOMING, "2027-01-15": pages.Status.IN_FORCE,
                    "2026-01-01": pages.Status.PAST}
    assert later.policy_page("privacy-policy").version.effective == V2.effective  # type: ignore[union-attr]


def test_the_switch_is_at_midnight_in_the_configured_zone() -> None:
    just_before = model(at("2027-01-15T07:59:59+00:00"), zone=LA)  # 23:59:59 in Los Angeles
    assert just_before.in_force("privacy-policy").version is V1  # type: ignore[union-attr]
    at_midnight = model(at("2027-01-15T08:00:00+00:00"), zone=LA)
    assert at_midnight.in_force("privacy-policy").version is V2  # type: ignore[union-attr]


@pytest.mark.parametrize(("now", "kind"), [
    ("2026-12-15T23:59:59+00:00", None),  # before the notice period (30 days)
    ("2026-12-16T00:00:00+00:00", BannerKind.UPCOMING),  # the notice period starts
    ("2027-01-14T23:59:59+00:00", BannerKind.UPCOMING),
    ("2027-01-15T00:00:00+00:00", BannerKind.UPDATED),  # switched: recently updated
    ("2027-02-13T23:59:59+00:00", BannerKind.UPDATED),
    ("2027-02-14T00:00:00+00:00", None),  # 30 days later: gone
])
def test_banner_of_a_material_version(now: str, kind: BannerKind | None) -> None:
    m = model(at(now))
    b = m.banner("privacy-policy")
    assert (b.kind if b else None) == kind
    notices = m.notices()
    assert [n.kind for n in notices] == ([kind] if kind else [])
    if kind is BannerKind.UPCOMING:
        assert notices[0].message == "We are updating our Privacy Policy on 15 January 2027."
        assert notices[0].path == "privacy-policy/upcoming/"
        assert notices[0].changes_path == "privacy-policy/changes/2027-01-15/"


def test_an_editorial_version_raises_no_banner() -> None:
    verdicts = {V2.effective: ChangeVerdict.EDITORIAL}
    for now in ("2027-01-01T00:00:00+00:00", "2027-01-16T00:00:00+00:00"):
        assert model(at(now), verdicts=verdicts).banner("privacy-policy") is None


def test_recently_updated_days_zero_means_no_updated_banner() -> None:
    assert model(at("2027-01-16T00:00:00+00:00"), recent=0).banner("privacy-policy") is None


def test_last_updated_is_a_correction_after_effect() -> None:
    fix = commit("d", dt.datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    v1 = version("2026-01-01", "## Data\n\nWe collect your name.\n", "a",
                 dt.datetime(2025, 12, 1, tzinfo=UTC), (fix,))
    m = model(at("2026-06-01T00:00:00+00:00"), (v1,))
    page = m.policy_page("privacy-policy")
    assert page.last_updated == dt.date(2026, 3, 4)
    assert page.version is not None and page.version.edited_after_effect


def test_no_version_in_force_yet() -> None:
    m = model(at("2025-06-01T00:00:00+00:00"))
    page = m.policy_page("privacy-policy")
    assert page.version is None and page.doc is None
    assert page.summary.upcoming is not None and page.summary.upcoming.effective == V1.effective


def test_feed_lists_every_version_newest_first() -> None:
    v2 = version("2027-01-15", "## 1. Data {#data}\n\nWe sell your name.\n", "b",
                 dt.datetime(2026, 11, 1, tzinfo=UTC))
    feed = model(at("2026-12-01T00:00:00+00:00"), (V1, v2)).feed()
    assert [(r.effective.isoformat(), r.verdict) for r in feed] == [
        ("2027-01-15", ChangeVerdict.MATERIAL), ("2026-01-01", None)]


@pytest.mark.parametrize(("text", "ok"), [("2027-01-15", True), ("2027-02-30", False),
                                          ("2027-1-15", False), ("../etc", False),
                                          ("2027-01-15x", False), ("", False)])
def test_parse_date(text: str, ok: bool) -> None:
    assert (pages.parse_date(text) is not None) is ok


@pytest.mark.parametrize(("text", "ok"), [("privacy-policy", True), ("..", False),
                                          ("a/b", False), ("A", False), ("%2e%2e", False),
                                          ("..\\x", False), ("/etc/passwd", False)])
def test_policy_ids_in_paths(text: str, ok: bool) -> None:
    assert pages.valid_policy_id(text) is ok


# ------------------------------------------------------------------ the comparison


def doc(body: str, extra: str = "") -> object:
    return parse_document(policy("p", "2027-01-01", body, extra=extra), "p.md")


def test_comparison_carries_the_assessment_of_the_real_diff() -> None:
    old = doc("## 1. Sharing {#sharing}\n\nWe do not share, sell, rent or trade your data.\n")
    new = doc("## 1. Sharing {#sharing}\n\nWe do not sell your data.\n")
    c = compare_documents(old, new)  # type: ignore[arg-type]
    assert c.verdict is ChangeVerdict.MATERIAL and c.assessment is not None
    assert c.reasons == tuple(str(r) for r in c.assessment.reasons) and c.reasons
    assert any("1. Sharing" in r for r in c.reasons)


def test_markup_only_changes_are_editorial_and_overrides_win() -> None:
    old = doc("## 1. Data {#data}\n\nWe collect your *name*.\n")
    new = doc("## 2. Data {#data}\n\nWe collect your **name**.\n")
    c = compare_documents(old, new)  # type: ignore[arg-type]
    assert c.verdict is ChangeVerdict.EDITORIAL and not c.overridden
    overridden = doc("## 1. Data {#data}\n\nWe collect your name and age.\n",
                     extra="change: editorial\nreason: age was always collected")
    c = compare_documents(old, overridden)  # type: ignore[arg-type]
    assert c.verdict is ChangeVerdict.EDITORIAL and c.overridden
    assert "age was always collected" in c.reasons[0]
    first = compare_documents(None, new)  # type: ignore[arg-type]
    assert first.verdict is None and first.assessment is None


def test_a_material_version_committed_too_late_is_postponed() -> None:
    late = version("2027-01-15", "## 1. Data {#data}\n\nWe collect your name and location.\n",
                   "e", dt.datetime(2027, 1, 5, 12, tzinfo=UTC))  # 10 days ahead, not 30
    m = model(at("2027-01-20T00:00:00+00:00"), (V1, late))
    assert m.in_force("privacy-policy").version is V1  # type: ignore[union-attr]
    ref = m.ref(late)
    assert ref.postponed and ref.switch_date == dt.date(2027, 2, 4)
    b = m.banner("privacy-policy")
    assert b is not None and b.kind is BannerKind.UPCOMING
    assert m.notices()[0].message == "We are updating our Privacy Policy on 4 February 2027."
    switched = model(at("2027-02-04T12:00:00+00:00"), (V1, late))
    assert switched.in_force("privacy-policy").version is late  # type: ignore[union-attr]
