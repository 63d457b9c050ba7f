"""One answer everywhere (issue 9): every surface names the same version in force and the
same upcoming version, with the same text, in each scenario at several moments.

Surfaces: `plan --json`, `versions --json`, `diff POLICY@in-force|@upcoming`, the live
site (page, API, notice.json), the static build, and the scheduler's tick (on a copy of
the database, so that it changes nothing for the other moments).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from policybook.config import load_config
from policybook.mail.outbox import OutboxMailer
from policybook.store import NoticeSpec, Store, create_notice
from policybook.wiring import Wiring
from policybook.workflows.tick import tick
from tests.helpers import GitRepo, policy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
UTC = dt.UTC
V2_DAY = dt.date(2026, 3, 1)
DUE = dt.datetime(2026, 1, 30, 8, 0, tzinfo=UTC)  # 30 days before 2026-03-01 in LA


def text(effective: str, price: int, about: str = "Thank you for chosing us.") -> str:
    return policy("terms", effective, f"## Fees\n\nThe plan costs {price} dollars a month.\n\n"
                  f"## About\n\n{about}\n", summary="Prices change.")


def at(text_: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text_)


@dataclass
class Scenario:
    name: str
    late: str = "postpone"
    database: bool = True
    notice_at: dt.datetime | None = None  # when the notice of the 2026-03-01 version went out
    commits: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    # moment -> (in force: (effective, price), upcoming effective or None)
    expect: dict[str, tuple[tuple[str, int], str | None]] = field(default_factory=dict)
    marker: str | None = None  # a text that must be live at the last moment


BASE = [("v1", text("2026-01-01", 10), at("2025-12-01T12:00:00+00:00")),
        ("v2", text("2026-03-01", 12), at("2026-01-10T12:00:00+00:00"))]
SCENARIOS = [
    Scenario("no database", database=False, commits=BASE, expect={
        "2026-02-15T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01"),
        "2026-03-05T12:00:00+00:00": (("2026-03-01", 12), None)}),
    Scenario("notice on time", notice_at=DUE + dt.timedelta(minutes=5), commits=BASE, expect={
        "2026-02-15T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01"),
        "2026-03-01T07:59:00+00:00": (("2026-01-01", 10), "2026-03-01"),
        "2026-03-01T08:00:00+00:00": (("2026-03-01", 12), None)}),
    Scenario("late, postponed", notice_at=at("2026-02-14T12:00:00+00:00"), commits=BASE,
             expect={"2026-03-05T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01"),
                     "2026-03-16T12:00:00+00:00": (("2026-03-01", 12), None)}),
    Scenario("late, warn", late="warn", notice_at=at("2026-02-14T12:00:00+00:00"),
             commits=BASE, expect={
                 "2026-02-20T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01"),
                 "2026-03-05T12:00:00+00:00": (("2026-03-01", 12), None)}),
    Scenario("never sent, past its date", commits=BASE, expect={
        "2026-03-05T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01"),
        "2026-06-01T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01")}),
    Scenario("withdrawn", database=False, commits=[
        *BASE, ("later", text("2026-04-15", 12), at("2026-02-01T12:00:00+00:00"))], expect={
        "2026-03-05T12:00:00+00:00": (("2026-01-01", 10), "2026-04-15"),
        "2026-04-20T12:00:00+00:00": (("2026-04-15", 12), None)}),
    Scenario("material edit after effect", notice_at=DUE + dt.timedelta(minutes=5), commits=[
        *BASE, ("raise", text("2026-03-01", 15), at("2026-03-10T12:00:00+00:00"))], expect={
        "2026-03-15T12:00:00+00:00": (("2026-03-01", 12), None)}),
    Scenario("editorial edit after effect", notice_at=DUE + dt.timedelta(minutes=5), commits=[
        *BASE, ("typo", text("2026-03-01", 12, "Thank you for choosing us."),
                at("2026-03-10T12:00:00+00:00"))], expect={
        "2026-03-15T12:00:00+00:00": (("2026-03-01", 12), None)},
        marker="Thank you for choosing us."),
    Scenario("material edit of an announced version", notice_at=DUE + dt.timedelta(minutes=5),
             commits=[*BASE, ("raise", text("2026-03-01", 15), at("2026-02-10T12:00:00+00:00"))],
             expect={"2026-02-15T12:00:00+00:00": (("2026-01-01", 10), "2026-03-01"),
                     "2026-03-05T12:00:00+00:00": (("2026-03-01", 12), None)}),
]


def setup_repo(tmp: Path, s: Scenario) -> tuple[GitRepo, dict[str, str]]:
    repo = GitRepo.create(tmp / "policies")
    repo.write("policybook.toml", f'[notice]\ndays = 30\ntimezone = "America/Los_Angeles"\n'
                                  f'late = "{s.late}"\n')
    shas = [repo.commit(msg, {"content/terms.md": body}, when=when)
            for msg, body, when in s.commits]
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp / 'pb.db'}",
           "POLICYBOOK_OUTBOX": str(tmp / "outbox")}
    if s.database:
        with Store.open(env["POLICYBOOK_DATABASE_URL"], at("2025-12-15T00:00:00+00:00")) as st:
            if s.notice_at is not None:
                with st.write() as conn:
                    create_notice(conn, NoticeSpec(
                        "terms", V2_DAY, shas[1], "Terms", "Prices change.", (), "u", "c",
                        DUE, at("2026-03-01T08:00:00+00:00")), s.notice_at)
    return repo, env


def reads_well(html: str, where: str) -> None:
    """Every sentence of a page reads right: no empty value, no clause glued to a date."""
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for bad in (r"\bNone\b", r"\bon waiting\b", r"\b(on|since|until|from) [.,]",
                r"\btakes effect on It\b", r"\(\s*\)"):
        found = re.search(bad, words)
        assert found is None, (bad, where, words[max(0, found.start() - 120):][:240])


def answers(cli: Any, repo: GitRepo, env: dict[str, str], tmp: Path, moment: str,
            database: bool) -> dict[str, tuple[str | None, str | None, str | None]]:
    """surface -> (in force effective, upcoming effective, in-force text marker)."""
    out: dict[str, tuple[str | None, str | None, str | None]] = {}

    def price(body: str) -> str | None:
        found = [p for p in ("10", "12", "15") if f"costs {p} dollars" in body]
        return found[0] if len(found) == 1 else None

    plan = json.loads(cli(["plan", "--json", "--now", moment], cwd=repo.path, env=env).out)
    [p] = plan["policies"]
    out["plan"] = (p["in_force"] and p["in_force"]["effective"],
                   p["upcoming"] and p["upcoming"]["effective"], None)
    rows = json.loads(cli(["versions", "--json", "--now", moment], cwd=repo.path,
                          env=env).out)["versions"]
    status = {r["status"]: r["effective"] for r in rows}
    out["versions"] = (status.get("in force"), status.get("upcoming"), None)
    diff = json.loads(cli(["diff", "terms@in-force", "terms@in-force", "--format", "json",
                           "--now", moment], cwd=repo.path, env=env).out)
    up = cli(["diff", "terms@in-force", "terms@upcoming", "--format", "json", "--now",
              moment], cwd=repo.path, env=env)
    upcoming = json.loads(up.out)["sides"][1].split("@")[1][:10] if up.code == 0 else None
    out["diff"] = (diff["sides"][0].split("@")[1][:10], upcoming, None)
    config = load_config(repo.path, env=env)
    now = at(moment)
    with Wiring.open(config, now) as wiring:
        client = TestClient(wiring.site_app(lambda: now, refresh_seconds=0))
        api = client.get("/api/policies/terms").json()
        page = client.get("/terms/").text
        upcoming_page = client.get("/terms/upcoming/")
        # Pages show no version ids: the text in force, and whether an upcoming page exists.
        out["site"] = (None, "yes" if upcoming_page.status_code == 200 else None, price(page))
        for path in ("/", "/terms/", "/terms/upcoming/", "/terms/versions/", "/feed.xml",
                     "/terms/versions/2026-03-01/", "/terms/changes/2026-03-01/",
                     "/notice.json"):
            reads_well(client.get(path).text, f"{path} at {moment}")
        out["api"] = (api["effective"], None, price(api["text"]))
        site = tmp / f"site-{moment[:13]}"
        wiring.build(site, now)
        built = (site / "terms" / "index.html").read_text(encoding="utf-8")
        has_upcoming = (site / "terms" / "upcoming" / "index.html").exists()
        out["build"] = (None, "yes" if has_upcoming else None, price(built))
    if database:
        copy = tmp / f"tick-{moment[:13]}.db"
        shutil.copy(tmp / "pb.db", copy)
        ticking = config.with_(database_url=f"sqlite:///{copy}")
        with Store.open(ticking.db_url, now) as store:
            report = tick(ticking, now, store=store, mailer=OutboxMailer(tmp / "outbox"))
        [ps] = report.plans.policies
        out["tick"] = (ps.in_force and ps.in_force.version.effective.isoformat(),
                       ps.upcoming and ps.upcoming.version.effective.isoformat(),
                       price(ps.in_force.version.text) if ps.in_force else None)
    return out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_surface_gives_the_same_answer(scenario: Scenario, cli: Any,
                                             tmp_path: Path) -> None:
    repo, env = setup_repo(tmp_path, scenario)
    for moment, ((live, live_price), nxt) in scenario.expect.items():
        got = answers(cli, repo, env, tmp_path, moment, scenario.database)
        where = f"{scenario.name} at {moment}: {got}"
        for surface in ("plan", "versions", "diff", "api", "tick"):
            if surface in got:
                assert got[surface][0] == live, (surface, where)
        for surface in ("plan", "versions", "diff", "tick"):
            if surface in got:
                assert got[surface][1] == nxt, (surface, where)
        for surface in ("site", "build"):
            assert got[surface][1] == ("yes" if nxt else None), (surface, where)
        for surface in ("site", "api", "build", "tick"):
            if surface in got:
                assert got[surface][2] == str(live_price), (surface, where)
    if scenario.marker:
        config = load_config(repo.path, env=env)
        last = at(list(scenario.expect)[-1])
        with Wiring.open(config, last) as wiring:
            client = TestClient(wiring.site_app(lambda: last, refresh_seconds=0))
            assert scenario.marker in client.get("/terms/").text


def test_one_tick_that_publishes_reads_the_git_history_once(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import policybook.history as history

    s = Scenario("count", notice_at=DUE + dt.timedelta(minutes=5), commits=BASE)
    repo, env = setup_repo(tmp_path, s)
    repo.write("policybook.toml", (repo.path / "policybook.toml").read_text(encoding="utf-8")
               + '[site]\nstatic_out = "public"\n')
    reads: list[str | None] = []
    real = history.read_history

    def counting(*args: Any, **kwargs: Any) -> history.History:
        found = real(*args, **kwargs)
        reads.append(found.head)
        return found

    monkeypatch.setattr(history, "read_history", counting)
    result = cli(["run", "--once", "--now", "2026-02-15T12:00:00Z"], cwd=repo.path, env=env)
    assert result.code == 0, result.err
    assert "site published to" in result.out  # the state, the notices, the static pages...
    assert len(reads) == 1  # ...from one walk of the git history
    # A long-running process keeps its wiring: later ticks re-read only a new head.
    config = load_config(repo.path, env=env)
    now = at("2026-02-16T12:00:00+00:00")
    with Wiring.open(config, now) as wiring:
        assert wiring.store is not None
        for day in (16, 17):
            tick(config, at(f"2026-02-{day}T12:00:00+00:00"), store=wiring.store,
                 mailer=OutboxMailer(tmp_path / "outbox"), builder=wiring.builder)
        assert len(reads) == 2 and wiring.builder.history_reads == 1
        repo.commit("typo", {"content/terms.md": text("2026-03-01", 12, "Thank you.")},
                    when=at("2026-02-17T13:00:00+00:00"))
        tick(config, at("2026-02-18T12:00:00+00:00"), store=wiring.store,
             mailer=OutboxMailer(tmp_path / "outbox"), builder=wiring.builder)
        assert len(reads) == 3 and wiring.builder.history_reads == 2
