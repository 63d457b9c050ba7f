"""The main job end to end: a policy repository, a material version 2, ticks at simulated
times through the SendGrid-compatible server, the site before and after, an editorial
version 3, and a scheduler killed and restarted in the middle."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from policybook.config import load_config
from policybook.store import Store
from policybook.store.notices import audit_entries, delivery_totals, list_notices
from tests.helpers import CliResult, GitRepo
from tests.support.fixtures import SENDGRID_KEY
from tests.support.sendgrid_server import SendGridServer

REPO = Path(__file__).resolve().parent.parent
SEED = (REPO / "tests" / "data" / "privacy-policy-2013.md").read_text(encoding="utf-8")
UTC = dt.UTC
COMMITTED = dt.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EFFECTIVE = (COMMITTED + dt.timedelta(days=45)).date()  # 2027-01-12
DUE = dt.datetime.combine(EFFECTIVE - dt.timedelta(days=30), dt.time(0), tzinfo=UTC)
ACCOUNTS = 23


def v2_text() -> str:
    return SEED.replace("effective: 2013-11-28", f"effective: {EFFECTIVE}").replace(
        "summary: >\n", "summary: >\n  We now share usage data with Acme Analytics.\n", 1
    ).replace("RingCentral does not sell its customer lists",
              "RingCentral shares usage data with Acme Analytics, its analytics provider, "
              "and does not sell its customer lists")


def v3_text(effective: dt.date) -> str:
    return v2_text().replace(f"effective: {EFFECTIVE}", f"effective: {effective}").replace(
        "Safe Harbor Privacy Principals", "Safe Harbor Privacy Principles")


@pytest.fixture
def setup(tmp_path: Path, sendgrid: SendGridServer, cli: Any) -> dict[str, Any]:
    repo = GitRepo.create(tmp_path / "policies")
    repo.write("policybook.toml", '[notice]\ndays = 30\nrecently_updated_days = 14\n'
                                  '[mail]\nbatch = 5\n[scheduler]\ntick_seconds = 1\n')
    repo.commit("Privacy policy", {"content/privacy-policy.md": SEED},
                when=COMMITTED - dt.timedelta(days=30))
    repo.commit("Privacy: analytics provider", {"content/privacy-policy.md": v2_text()},
                when=COMMITTED)
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'state' / 'pb.db'}",
           "POLICYBOOK_MAIL": "sendgrid", "SENDGRID_API_KEY": SENDGRID_KEY,
           "POLICYBOOK_SENDGRID_URL": sendgrid.url,
           "POLICYBOOK_BASE_URL": "https://policies.example.com",
           "POLICYBOOK_MAIL_SAFETY": "off"}
    rows = "\n".join(f"acc-{i},user{i}@example.com,User {i},en" for i in range(ACCOUNTS))
    csv = tmp_path / "accounts.csv"
    csv.write_text(f"id,email,name,locale\n{rows}\n", encoding="utf-8")
    imported = cli(["accounts", "import", str(csv), "--now",
                    (COMMITTED + dt.timedelta(hours=1)).isoformat()], cwd=repo.path, env=env)
    assert imported.code == 0, imported.err
    return {"repo": repo, "env": env, "tmp": tmp_path}


def tick(cli: Any, setup: dict[str, Any], now: dt.datetime) -> CliResult:
    result: CliResult = cli(["run", "--once", "--now", now.isoformat()],
                            cwd=setup["repo"].path, env=setup["env"])
    assert result.code == 0, result.err
    return result


def page(setup: dict[str, Any], now: dt.datetime, path: str) -> str:
    """The live site as the main job serves it (notices read from the store)."""
    from policybook.wiring import Wiring

    config = load_config(setup["repo"].path, env=setup["env"])
    with Store.open(config.db_url, now) as store, Wiring.open(config, now, store=store) as w:
        client = TestClient(w.site_app(lambda: now))
        response = client.get(path)
        assert response.status_code == 200, response.text
        return response.text


def start_scheduler(setup: dict[str, Any], now: dt.datetime) -> subprocess.Popen[str]:
    env = {**os.environ, **setup["env"], "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "policybook", "scheduler", "--now",
                             now.isoformat()], cwd=setup["repo"].path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_ticks(proc: subprocess.Popen[str], count: int, seconds: float = 30.0) -> None:
    """Read the scheduler's log until it has reported `count` ticks."""
    assert proc.stderr is not None
    seen = 0
    deadline = time.monotonic() + seconds
    while seen < count:
        assert time.monotonic() < deadline and proc.poll() is None, "the scheduler stopped"
        line = proc.stderr.readline()
        seen += " tick: " in line


def wait_for(check: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_material_notice_switch_and_editorial_follow_up(setup: dict[str, Any], cli: Any,
                                                        sendgrid: SendGridServer) -> None:
    # Before the due date: nothing is sent, no banner.
    before = tick(cli, setup, DUE - dt.timedelta(days=1))
    assert "notice" not in before.out and sendgrid.stats.requests == 0
    assert "We are updating this policy" not in page(setup, DUE - dt.timedelta(days=1),
                                                      "/privacy-policy/")

    # At the due date, a scheduler process ticks; killed with -9 after sending everything
    # and restarted later in the notice period, it sends nothing twice.
    first = start_scheduler(setup, DUE + dt.timedelta(minutes=1))
    config = load_config(setup["repo"].path, env=setup["env"])

    def all_recorded_sent() -> bool:
        # Killed between SendGrid's acceptance and the ledger's record, a batch would be
        # sent again after its lease (at least once, by design: SendGrid has no
        # idempotency key). "After sending everything" means: accepted AND recorded.
        if sendgrid.stats.summary()["unique"] != ACCOUNTS:
            return False
        with Store.open(config.db_url, DUE) as store, store.read() as conn:
            totals = delivery_totals(conn)
        return sum(t.get("sent", 0) for t in totals.values()) == ACCOUNTS

    try:
        wait_for(all_recorded_sent)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    second = start_scheduler(setup, DUE + dt.timedelta(days=3))
    try:
        wait_for_ticks(second, 3)  # the restarted scheduler ticked, and ticked again
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    stats = sendgrid.stats.summary()
    assert stats["unique"] == ACCOUNTS and stats["duplicates"] == 0, stats
    assert sorted(a for _, a in sendgrid.stats.accounts) == sorted(
        f"acc-{i}" for i in range(ACCOUNTS))
    body = sendgrid.bodies[0]
    assert body["subject"].startswith("Changes to our RingCentral Service Privacy Policy")
    banner = page(setup, DUE + dt.timedelta(days=3), "/privacy-policy/")
    assert "We are updating this policy on" in banner and "See what changes" in banner

    # At the effective date the site serves version 2 and says it was updated.
    switch = dt.datetime.combine(EFFECTIVE, dt.time(0, 1), tzinfo=UTC)
    after = tick(cli, setup, switch)
    assert f"privacy-policy@{EFFECTIVE} in force since {EFFECTIVE}T00:00+00:00" in after.out
    html = page(setup, switch, "/privacy-policy/")
    assert "Acme Analytics, its analytics provider" in html
    assert "This policy was updated on" in html
    api = json.loads(page(setup, switch, "/api/policies/privacy-policy"))
    assert api["effective"] == EFFECTIVE.isoformat()

    # An editorial version 3 afterwards sends nothing and takes effect on its date.
    v3_day = EFFECTIVE + dt.timedelta(days=3)
    setup["repo"].commit("Fix a typo", {"content/privacy-policy.md": v3_text(v3_day)},
                         when=switch + dt.timedelta(days=1))
    requests = sendgrid.stats.requests
    for moment in (switch + dt.timedelta(days=1, hours=1),
                   dt.datetime.combine(v3_day, dt.time(0, 1), tzinfo=UTC)):
        tick(cli, setup, moment)
    assert sendgrid.stats.requests == requests
    with Store.open(config.db_url, switch) as store, store.read() as conn:
        notices = list_notices(conn)
        kinds = [e.kind for e in audit_entries(conn)]
    assert [(n.policy, n.effective) for n in notices] == [("privacy-policy", EFFECTIVE)]
    assert "Privacy Principles of notice" in page(setup, dt.datetime.combine(v3_day, dt.time(1),
                                                                   tzinfo=UTC),
                                        "/privacy-policy/")
    assert kinds.count("notice.created") == 1
    assert kinds.count("notice.sending") == 1
    assert "notice.late" not in kinds
    assert kinds.count("version.in_force") == 3  # v1, v2, v3: each recorded once


def test_a_late_notice_postpones_the_switch(setup: dict[str, Any], cli: Any,
                                            sendgrid: SendGridServer) -> None:
    late = DUE + dt.timedelta(days=10)  # the scheduler was down for ten days
    result = tick(cli, setup, late)
    assert "LATE by 10 days, notice period given 30 days" in result.out
    assert sendgrid.stats.summary()["unique"] == ACCOUNTS
    plan = cli(["plan", "--json", "--now", (late + dt.timedelta(hours=1)).isoformat()],
               cwd=setup["repo"].path, env=setup["env"])
    upcoming = json.loads(plan.out)["policies"][0]["upcoming"]
    assert upcoming["late_by_seconds"] == 10 * 86400
    assert upcoming["switch_at"] == (late + dt.timedelta(days=30)).isoformat()
    assert upcoming["notice_period_given_seconds"] == 30 * 86400
    # The e-mail announces the postponed date, and the site switches on it, not before.
    switch = late + dt.timedelta(days=30)
    assert sendgrid.bodies[0]["subject"].endswith(f"effective {switch:%B} {switch.day}, "
                                                  f"{switch.year}")
    on_paper = dt.datetime.combine(EFFECTIVE, dt.time(12), tzinfo=UTC)
    assert "Acme Analytics, its analytics provider" not in page(setup, on_paper,
                                                                "/privacy-policy/")
    text = cli(["plan", "--now", on_paper.isoformat()], cwd=setup["repo"].path,
               env=setup["env"]).out
    assert "LATE: the notice started" in text and "the switch is postponed to" in text
    config = load_config(setup["repo"].path, env=setup["env"])
    with Store.open(config.db_url, late) as store, store.read() as conn:
        late_entries = [e for e in audit_entries(conn) if e.kind == "notice.late"]
    assert len(late_entries) == 1
    assert late_entries[0].details["late_by_seconds"] == 10 * 86400


def test_late_notice_that_only_warns(setup: dict[str, Any], cli: Any) -> None:
    (setup["repo"].path / "policybook.toml").write_text(
        '[notice]\ndays = 30\nlate = "warn"\n[mail]\nbatch = 5\n', encoding="utf-8")
    late = DUE + dt.timedelta(days=10)
    tick(cli, setup, late)
    plan = json.loads(cli(["plan", "--json", "--now", late.isoformat()],
                          cwd=setup["repo"].path, env=setup["env"]).out)
    upcoming = plan["policies"][0]["upcoming"]
    assert upcoming["switch_at"] == dt.datetime.combine(EFFECTIVE, dt.time(0),
                                                        tzinfo=UTC).isoformat()
    assert upcoming["notice_period_given_seconds"] == 20 * 86400


def test_the_tick_rebuilds_a_static_site_when_what_it_shows_changes(
        setup: dict[str, Any], cli: Any) -> None:
    repo = setup["repo"]
    toml = repo.path / "policybook.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '[site]\nstatic_out = "public"\n',
                    encoding="utf-8")
    index = repo.path / "public" / "privacy-policy" / "index.html"
    first = tick(cli, setup, DUE - dt.timedelta(days=2))
    assert "site published to" in first.out and index.is_file()
    assert "We are updating this policy" not in index.read_text(encoding="utf-8")
    quiet = tick(cli, setup, DUE - dt.timedelta(days=1))  # nothing changed: no rebuild
    assert "site published" not in quiet.out
    due = tick(cli, setup, DUE + dt.timedelta(minutes=1))  # the banner starts
    assert "site published to" in due.out
    assert "We are updating this policy on" in index.read_text(encoding="utf-8")
    config = load_config(repo.path, env=setup["env"])
    with Store.open(config.db_url, DUE) as store, store.read() as conn:
        published = [e for e in audit_entries(conn) if e.kind == "site.published"]
    assert len(published) == 2


def test_a_material_rewrite_after_the_notice_is_held_back(
        setup: dict[str, Any], cli: Any, sendgrid: SendGridServer) -> None:
    tick(cli, setup, DUE + dt.timedelta(minutes=1))
    assert sendgrid.stats.summary()["unique"] == ACCOUNTS
    # Pushed past the gate (say with --no-gate): the announced text changes materially.
    rewritten = v2_text().replace("and does not sell its customer lists",
                                  "and may sell its customer lists")
    setup["repo"].commit("Rewrite after the notice", {"content/privacy-policy.md": rewritten},
                         when=DUE + dt.timedelta(days=1))
    later = DUE + dt.timedelta(days=2)
    result = tick(cli, setup, later)
    # What takes effect is what was noticed: the notice stands, the edit is held back and
    # reported, and nothing new is sent for it.
    assert "cancelled" not in result.out and "notice 2" not in result.out
    assert "warning: privacy-policy@" in result.out and "held back" in result.out
    config = load_config(setup["repo"].path, env=setup["env"])
    with Store.open(config.db_url, later) as store, store.read() as conn:
        states = [(n.id, str(n.state)) for n in list_notices(conn)]
    assert states == [(1, "sending")]
    plan = json.loads(cli(["plan", "--json", "--now", later.isoformat()],
                          cwd=setup["repo"].path, env=setup["env"]).out)
    [policy] = [p for p in plan["policies"] if p["policy"] == "privacy-policy"]
    assert policy["upcoming"]["notice"]["id"] == 1
    assert [p["kind"] for p in policy["problems"]] == ["edited-after-notice"]
    switched = DUE + dt.timedelta(days=31)
    html = page(setup, switched, "/privacy-policy/")
    assert "does not sell its customer lists" in html and "may sell its customer" not in html
