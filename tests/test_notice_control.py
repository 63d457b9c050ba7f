"""Legal's control of a notice: pause in the middle of a send (nothing more goes out;
resume finishes with no duplicate, through the SendGrid-compatible server), cancel
(the banner is withdrawn, `plan` and `check` say so, the tick does not notice the same
text again), and the audit of who did what."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from policybook.errors import UsageError
from policybook.store import NoticeState, Store, get_notice
from policybook.store.notices import audit_entries, delivery_totals
from policybook.workflows.control import Action, control
from policybook.workflows.notices import send_due, send_notice
from tests.helpers import CliResult, GitRepo, policy
from tests.support.fixtures import (
    NOW,
    accounts,
    add_accounts,
    add_notice,
    make_config,
    sendgrid_env,
)
from tests.support.sendgrid_server import SendGridServer

UTC = dt.UTC


def totals(store: Store, notice_id: int) -> dict[str, int]:
    with store.read() as conn:
        return delivery_totals(conn, notice_id).get(notice_id, {})


def test_a_pause_in_the_middle_of_a_send_stops_it_and_resume_finishes_it(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_MAIL_BATCH="10", **sendgrid_env(sendgrid))
    add_accounts(store, accounts(45))
    notice = add_notice(store)
    paused: list[int] = []

    def pause_after_first_batch(done: int, total: int) -> None:
        # Legal pauses while the run is sending (the next batch is already claimed).
        if done >= 10 and not paused:
            control(config, notice.id, Action.PAUSE, NOW, reason="checking the summary",
                    by="Dana Legal", store=store)
            paused.append(done)

    first = send_notice(config, notice.id, NOW, store=store, progress=pause_after_first_batch)
    assert paused == [10]
    assert (first.sent, first.remaining, first.state) == (10, 35, NoticeState.PAUSED)
    # The batch claimed ahead went back to pending: nothing is held, nothing lost.
    assert totals(store, notice.id) == {"sent": 10, "pending": 35}
    assert sendgrid.stats.accepted == 10
    # While paused, neither the scheduler's tick nor `notices send` sends anything.
    assert send_due(config, NOW + dt.timedelta(minutes=5), store=store) == ()
    with pytest.raises(UsageError, match="is paused by Dana Legal"):
        send_notice(config, notice.id, NOW + dt.timedelta(minutes=5), store=store)
    assert sendgrid.stats.accepted == 10
    with pytest.raises(UsageError, match="already paused"):
        control(config, notice.id, Action.PAUSE, NOW, store=store)

    resumed = control(config, notice.id, Action.RESUME, NOW + dt.timedelta(minutes=10),
                      by="Dana Legal", store=store)
    assert resumed.state is NoticeState.SENDING
    reports = send_due(config, NOW + dt.timedelta(minutes=11), store=store)
    assert [(r.sent, r.remaining) for r in reports] == [(35, 0)]
    assert totals(store, notice.id) == {"sent": 45}
    summary = sendgrid.stats.summary()
    assert (summary["unique"], summary["duplicates"]) == (45, 0)
    with store.read() as conn:
        entries = [e for e in audit_entries(conn, f"notice:{notice.id}")
                   if e.kind in ("notice.paused", "notice.resumed")]
    assert [(e.kind, e.details["by"], e.at) for e in entries] == [
        ("notice.paused", "Dana Legal", NOW),
        ("notice.resumed", "Dana Legal", NOW + dt.timedelta(minutes=10))]
    assert entries[0].details["reason"] == "checking the summary"


def test_a_cancel_needs_a_reason_and_stops_what_is_pending(
        store: Store, sendgrid: SendGridServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_MAIL_BATCH="10", **sendgrid_env(sendgrid))
    add_accounts(store, accounts(25))
    notice = add_notice(store)
    send_notice(config, notice.id, NOW, store=store, max_batches=1)
    with pytest.raises(UsageError, match="needs --reason"):
        control(config, notice.id, Action.CANCEL, NOW, store=store)
    monkeypatch.setenv("POLICYBOOK_ACTOR", "Eve Counsel")
    report = control(config, notice.id, Action.CANCEL, NOW, reason="the change is dropped",
                     store=store)
    assert (report.stopped, report.by) == (15, "Eve Counsel")
    assert totals(store, notice.id) == {"sent": 10, "cancelled": 15}
    with pytest.raises(UsageError, match="was cancelled"):
        send_notice(config, notice.id, NOW, store=store)
    with pytest.raises(UsageError, match="cannot be resumed"):
        control(config, notice.id, Action.RESUME, NOW, store=store)
    with store.read() as conn:
        n = get_notice(conn, notice.id)
    assert (n.state, n.control_by, n.control_reason) == (
        NoticeState.CANCELLED, "Eve Counsel", "the change is dropped")
    # Started again explicitly: only those not told yet get it.
    control(config, notice.id, Action.REOPEN, NOW + dt.timedelta(hours=1), store=store)
    again = send_notice(config, notice.id, NOW + dt.timedelta(hours=1), store=store)
    assert (again.sent, again.remaining) == (15, 0)
    assert sendgrid.stats.summary()["duplicates"] == 0


V1 = policy("privacy-policy", "2026-01-01", "## 1. Retention {#retention}\n\nWe keep support "
            "tickets for one year.\n\n## 2. Contact\n\nWrite to us.\n", title="Harbor Privacy")
V2 = policy("privacy-policy", "2027-02-01", "## 1. Retention {#retention}\n\nWe keep support "
            "tickets for three years.\n\n## 2. Contact\n\nWrite to us.\n", title="Harbor Privacy",
            summary="We will keep support tickets for three years instead of one.")
AFTER_DUE = dt.datetime(2027, 1, 2, 0, 5, tzinfo=UTC)  # due 2027-01-02 (30 days)


def run(cli: Any, repo: GitRepo, env: dict[str, str], *args: str) -> CliResult:
    result: CliResult = cli(list(args), cwd=repo.path, env=env)
    return result


def make_repo(cli: Any, tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    repo = GitRepo.create(tmp_path / "policies")
    repo.commit("v1", {"content/privacy-policy.md": V1},
                when=dt.datetime(2025, 12, 1, tzinfo=UTC))
    repo.commit("v2", {"content/privacy-policy.md": V2},
                when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'pb.db'}"}
    (tmp_path / "accounts.csv").write_text("id,email,name,locale\na1,ann@example.net,Ann,en\n"
                                           "a2,bo@example.net,Bo,en\n", encoding="utf-8")
    assert run(cli, repo, env, "accounts", "import", str(tmp_path / "accounts.csv")).code == 0
    return repo, env


def test_a_notice_paused_past_its_due_day_follows_the_late_notice_policy(
        cli: Any, tmp_path: Path) -> None:
    repo, env = make_repo(cli, tmp_path)
    early = run(cli, repo, env, "notices", "pause", "privacy-policy@2027-02-01")
    assert early.code != 0 and "no notice for" in early.err  # not created yet
    assert run(cli, repo, env, "run", "--once", "--now", AFTER_DUE.isoformat()).code == 0
    done = run(cli, repo, env, "notices", "pause", "1", "--by", "Ann Counsel", "--reason",
               "summary under review", "--now", AFTER_DUE.isoformat())
    assert done.code == 0 and "paused" in done.out, done.err
    shown = " ".join(run(cli, repo, env, "plan", "--now", AFTER_DUE.isoformat()).out.split())
    assert "PAUSED on 2027-01-02 00:05 UTC by Ann Counsel (summary under review): no " \
        "e-mail goes out until 'policybook notices resume 1'" in shown
    resumed_at = AFTER_DUE + dt.timedelta(days=5)
    assert run(cli, repo, env, "notices", "resume", "1", "--now", resumed_at.isoformat()
               ).code == 0
    late = " ".join(run(cli, repo, env, "plan", "--now", resumed_at.isoformat()).out.split())
    assert "LATE: the notice started 2027-01-07 00:05 UTC" in late
    assert "the switch is postponed to 2027-02-06" in late


def test_cancel_withdraws_the_banner_and_plan_says_what_legal_can_do(
        cli: Any, tmp_path: Path) -> None:
    repo, env = make_repo(cli, tmp_path)
    at = AFTER_DUE.isoformat()
    assert run(cli, repo, env, "run", "--once", "--now", at).code == 0
    before = json.loads(run(cli, repo, env, "plan", "--json", "--now", at).out)
    assert before["policies"][0]["banner"]["kind"] == "upcoming"

    refused = run(cli, repo, env, "notices", "cancel", "1")
    assert refused.code != 0 and "needs --reason" in refused.err
    assert "Traceback" not in refused.err
    done = run(cli, repo, env, "notices", "cancel", "privacy-policy@2027-02-01", "--reason",
               "the retention change is dropped", "--by", "Ann Counsel", "--now", at)
    assert done.code == 0, done.err
    assert "cancelled" in done.out and "banner is withdrawn" in done.out

    later = (AFTER_DUE + dt.timedelta(days=1)).isoformat()
    shown = run(cli, repo, env, "plan", "--now", later)
    assert shown.code == 0, shown.err
    text = " ".join(shown.out.split())
    assert "notice 1 cancelled on 2027-01-02 00:05 UTC by Ann Counsel: the retention " \
        "change is dropped; the banner is withdrawn; it will not take effect" in text
    assert "give it a new effective date" in text and "--again" in text
    after = json.loads(run(cli, repo, env, "plan", "--json", "--now", later).out)
    assert after["policies"][0]["banner"] is None
    assert after["policies"][0]["upcoming"]["notice"]["reason"] == \
        "the retention change is dropped"
    # The next ticks do not notice the same text again, and the version stays out of
    # force past its date (late notice policy: postpone).
    past = dt.datetime(2027, 3, 1, tzinfo=UTC).isoformat()
    assert run(cli, repo, env, "run", "--once", "--now", past).code in (0, 1)
    listed = json.loads(run(cli, repo, env, "notices", "list", "--json").out)
    assert [(n["id"], n["state"]) for n in listed] == [(1, "cancelled")]
    final = json.loads(run(cli, repo, env, "plan", "--json", "--now", past).out)
    assert final["policies"][0]["in_force"]["effective"] == "2026-01-01"
    checked = run(cli, repo, env, "check", "--now", past)
    assert checked.code != 0 and "notice of this MATERIAL version was cancelled" in \
        " ".join(checked.err.split() + checked.out.split())
    # Legal decides to give the notice after all: started again, its period counts from now.
    again = run(cli, repo, env, "notices", "send", "privacy-policy@2027-02-01", "--again",
                "--by", "Ann Counsel", "--now", past)
    assert again.code == 0, again.err
    assert "started again" in again.out and "0 sent" in again.out  # both were told before
    resumed = json.loads(run(cli, repo, env, "plan", "--json", "--now", past).out)
    upcoming = resumed["policies"][0]["upcoming"]
    assert upcoming["switch_at"].startswith("2027-03-31") and upcoming["postponed"] is True
    assert resumed["policies"][0]["banner"]["kind"] == "upcoming"


def test_run_port_and_a_localhost_base_url_agree() -> None:
    from policybook.cli.site import follow_port

    assert follow_port("http://localhost:8000", 9001) == "http://localhost:9001"
    assert follow_port("http://127.0.0.1:8000/legal/", 9001) == "http://127.0.0.1:9001/legal/"
    assert follow_port("http://[::1]:8000", 9001) == "http://[::1]:9001"
    assert follow_port("http://localhost", 80) == "http://localhost"
    # a real address, or a local proxy that terminates HTTPS: left alone
    assert follow_port("https://legal.example.org", 9001) == "https://legal.example.org"
    assert follow_port("https://localhost:8443", 9001) == "https://localhost:8443"
    assert follow_port("http://10.0.0.5:8000", 9001) == "http://10.0.0.5:8000"


def test_a_versions_disagree_front_matter_is_in_its_letter(cli: Any, tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "policies")
    repo.write("policybook.toml", '[company]\nname = "Harbor Mail Ltd"\n'
               'disagree = "Write to us if you object."\n')
    own = ("disagree: If you do not accept the longer retention, close your account in "
           "Settings before the date above; nothing is kept after that.")
    repo.commit("v1", {"content/privacy-policy.md": V1},
                when=dt.datetime(2025, 12, 1, tzinfo=UTC))
    repo.commit("v2", {"content/privacy-policy.md": policy(
        "privacy-policy", "2027-02-01", V2.split("---\n", 2)[2], title="Harbor Privacy",
        summary="We will keep support tickets for three years instead of one.", extra=own)},
        when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'pb.db'}"}
    shown = run(cli, repo, env, "notices", "preview", "privacy-policy@2027-02-01", "--now",
                "2026-12-10T00:00:00Z")
    assert shown.code == 0, shown.err
    text = " ".join(shown.out.split())
    assert "close your account in Settings before the date above" in text
    assert "Write to us if you object." not in text  # the version's own words come first
    # too long for a paragraph of an e-mail: `check` says where, and what to do
    repo.commit("v3", {"content/privacy-policy.md": policy(
        "privacy-policy", "2027-03-01", V2.split("---\n", 2)[2], title="Harbor Privacy",
        summary="Same.", extra="disagree: " + "word " * 150)},
        when=dt.datetime(2026, 12, 2, tzinfo=UTC))
    checked = run(cli, repo, env, "check", "--now", "2026-12-10T00:00:00Z")
    problems = checked.err + checked.out
    assert checked.code != 0 and "content/privacy-policy.md:" in problems
    assert "'disagree' is 749 characters; keep it to 600" in problems
