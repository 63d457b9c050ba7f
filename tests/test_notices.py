"""Sending notices end to end: the workflow the scheduler calls, and the commands."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from policybook.config import Config
from policybook.store import NoticeState, Store, get_notice, ledger
from policybook.store.accounts import Account, AccountStatus
from policybook.store.notices import audit_entries, delivery_totals
from policybook.workflows.notices import send_due, send_notice
from tests.helpers import CliResult
from tests.support.fixtures import (
    EFFECTIVE_AT,
    NOW,
    accounts,
    add_accounts,
    add_notice,
    make_config,
    sendgrid_env,
)
from tests.support.sendgrid_server import SendGridServer


def totals(store: Store, notice_id: int) -> dict[str, int]:
    with store.read() as conn:
        return delivery_totals(conn, notice_id).get(notice_id, {})


def test_send_due_sends_reaches_new_accounts_and_completes(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    config = make_config(tmp_path, str(store.engine.url.render_as_string(hide_password=False)),
                         POLICYBOOK_MAIL_BATCH="40", **sendgrid_env(sendgrid))
    add_accounts(store, accounts(100, locales=("en", "de", "fr")))
    add_accounts(store, [Account("closed-1", "closed@example.com",
                                 status=AccountStatus.CLOSED)])
    not_yet = add_notice(store, policy="terms", due_at=NOW + dt.timedelta(days=1))
    notice = add_notice(store)
    progress: list[tuple[int, int]] = []
    reports = send_due(config, NOW, store=store, progress=lambda d, t: progress.append((d, t)))
    assert [r.notice_id for r in reports] == [notice.id]  # the other is not due yet
    report = reports[0]
    assert (report.added, report.sent, report.failed, report.remaining) == (100, 100, 0, 0)
    assert report.state is NoticeState.SENDING  # open until the effective date
    # the total grows as recipients are added (while the first batches go out)
    assert progress[0][0] == 0 and progress[-1] == (100, 100)
    assert all(done <= total <= 100 for done, total in progress)
    # batches of 40, grouped by locale: never more than one request per locale and batch
    assert sendgrid.stats.accepted == 100 and sendgrid.stats.max_personalizations <= 40
    assert sendgrid.stats.accepted_requests <= 3 * 3
    # an account opened later, before the effective date, gets it on a later tick
    add_accounts(store, [Account("late-1", "late@example.com", "Late", "en")],
                 NOW + dt.timedelta(days=2))
    again = send_due(config, NOW + dt.timedelta(days=2), store=store)
    assert [(r.added, r.sent) for r in again] == [(1, 1), (101, 101)]
    assert {n for n, _ in sendgrid.stats.accounts} == {str(notice.id), str(not_yet.id)}
    # after the effective date nobody new is added, and the notice completes
    add_accounts(store, [Account("after-1", "after@example.com")], EFFECTIVE_AT)
    final = send_due(config, EFFECTIVE_AT + dt.timedelta(hours=1), store=store)
    assert [(r.added, r.sent, r.state) for r in final] == [
        (0, 0, NoticeState.COMPLETE), (0, 0, NoticeState.COMPLETE)]
    assert send_due(config, EFFECTIVE_AT + dt.timedelta(days=1), store=store) == ()
    assert totals(store, notice.id) == {"sent": 101}
    assert sendgrid.stats.summary()["duplicates"] == 0
    with store.read() as conn:
        kinds = [e.kind for e in audit_entries(conn, f"notice:{notice.id}")]
        assert get_notice(conn, notice.id).completed_at is not None
    assert kinds == ["notice.created", "notice.sending", "notice.sent", "notice.sent",
                     "notice.completed"]


def test_a_provider_outage_stops_the_run_and_loses_nothing(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_MAIL_BATCH="10", **sendgrid_env(sendgrid))
    config = config.with_(sendgrid_retries=1, sendgrid_backoff=0.01)
    add_accounts(store, accounts(35))
    notice = add_notice(store)
    sendgrid.fail(503, times=2, after=1)  # the second batch: its request and its one retry
    first = send_notice(config, notice.id, NOW, store=store)
    assert first.error is not None and "503" in first.error
    assert (first.sent, first.remaining) == (10, 25)
    assert totals(store, notice.id) == {"sent": 10, "pending": 25}  # nothing left claimed
    second = send_notice(config, notice.id, NOW + dt.timedelta(minutes=1), store=store)
    assert second.error is None and (second.sent, second.remaining) == (25, 0)
    assert sendgrid.stats.summary()["duplicates"] == 0


def run(cli: Any, root: Path, env: dict[str, str], *args: str) -> CliResult:
    result: CliResult = cli(list(args), cwd=root, env=env)
    return result


def test_the_commands(cli: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    db = f"sqlite:///{root / '.policybook' / 'policybook.db'}"
    env = {"POLICYBOOK_DATABASE_URL": db}
    (root / "accounts.csv").write_text(
        "id,email,name,locale\n1,ann@example.com,Ann,en\n2,bea@example.com,Béa,fr\n"
        "3,cy@example.com,Cy,de\n", encoding="utf-8")
    assert run(cli, root, env, "accounts", "import", "accounts.csv").code == 0
    assert run(cli, root, env, "notices", "list").out.startswith("No notices yet")
    with Store.open(db, NOW) as store:
        notice = add_notice(store)
    listed = json.loads(run(cli, root, env, "notices", "list", "--json").out)
    assert [(n["id"], n["state"], n["total"]) for n in listed] == [(notice.id, "scheduled", 0)]

    dry = run(cli, root, env, "notices", "send", str(notice.id), "--dry-run", "--now",
              NOW.isoformat())
    assert dry.code == 0, dry.err
    assert "Would send to 3 accounts (0 pending, 3 to add)" in dry.out
    assert "Subject (en): Changes to our Example Privacy Policy, effective February 1, 2027" \
        in dry.out
    # (no git repository here, so no translation: the French and German accounts are told
    # in English, and the dry run says so)
    assert "Audience: privacy-policy: e-mail to 3 accounts (en 3; 2 without a translation " \
        "get en)" in dry.out
    assert not (root / ".policybook" / "outbox").exists()

    sent = run(cli, root, env, "notices", "send", "privacy-policy@2027-02-01", "--now",
               NOW.isoformat())
    assert sent.code == 0, sent.err
    assert sent.out.startswith(f"Notice {notice.id} (privacy-policy@2027-02-01): 3 sent, "
                               "0 failed, 3 recipients added, 0 remaining [outbox")
    files = sorted((root / ".policybook" / "outbox" / f"notice-{notice.id}").glob("*.eml"))
    assert len(files) == 3
    bea = email.message_from_bytes(files[1].read_bytes(), policy=email.policy.default)
    # no French templates: the whole message is in the default language
    assert bea["To"] == "Béa <bea@example.com>" and "February 1, 2027" in str(bea["Subject"])

    report = run(cli, root, env, "notices", "report", str(notice.id), "--csv", "proof.csv")
    assert report.code == 0, report.err
    assert "Deliveries: 3 deliveries: 3 sent" in report.out
    assert "Wrote 3 rows to proof.csv" in report.out
    rows = list(csv.DictReader(io.StringIO((root / "proof.csv").read_text(encoding="utf-8"))))
    assert [(r["account_id"], r["email"], r["state"], r["provider"]) for r in rows] == [
        ("1", "ann@example.com", "sent", "outbox"), ("2", "bea@example.com", "sent", "outbox"),
        ("3", "cy@example.com", "sent", "outbox")]
    assert rows[0]["provider_message_id"].startswith("<pb.")
    assert rows[0]["sent_at"].startswith("2027-01-01T09:00")
    assert rows[0]["policy"] == "privacy-policy" and rows[0]["version"] == "a" * 40
    stdout_csv = run(cli, root, env, "notices", "report", str(notice.id), "--csv", "-")
    assert stdout_csv.out.count("\n") == 4
    data = json.loads(run(cli, root, env, "notices", "report", "1", "--json").out)
    assert data["deliveries"] == {"sent": 3} and data["state"] == "sending"


def test_command_errors(cli: Any, tmp_path: Path, sendgrid: SendGridServer) -> None:
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'pb.db'}",
           **sendgrid_env(sendgrid), "SENDGRID_API_KEY": "SG.wrong-key"}
    missing = run(cli, tmp_path, env, "notices", "send", "42")
    assert missing.code == 1 and "notice 42 does not exist" in missing.err
    bad_ref = run(cli, tmp_path, env, "notices", "report", "privacy")
    assert bad_ref.code == 2 and "neither a number nor POLICY@YYYY-MM-DD" in bad_ref.err
    with Store.open(env["POLICYBOOK_DATABASE_URL"], NOW) as store:
        add_accounts(store, accounts(2))
        notice = add_notice(store)
    refused = run(cli, tmp_path, env, "notices", "send", str(notice.id), "--now",
                  NOW.isoformat())
    assert refused.code == 1
    assert "SendGrid refused the API key (401)" in refused.err
    assert "SG.wrong-key" not in refused.err and "Traceback" not in refused.err
    bad_now = run(cli, tmp_path, env, "notices", "send", "1", "--now", "soon")
    assert bad_now.code == 2 and "--now 'soon' is not an ISO 8601 date" in bad_now.err


def test_template_override(tmp_path: Path, store: Store) -> None:
    (tmp_path / "templates" / "email").mkdir(parents=True)
    (tmp_path / "templates" / "email" / "subject.txt").write_text(
        "Important: {{ notice.title }} changes on {{ effective_date }}\n", encoding="utf-8")
    config: Config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    add_accounts(store, accounts(1))
    notice = add_notice(store)
    send_notice(config, notice.id, NOW, store=store)
    (eml,) = (tmp_path / ".policybook" / "outbox").rglob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "Important: Example Privacy Policy changes on February 1, 2027"


@pytest.mark.parametrize("bad", ["{{ nope }}", "{% if %}"])
def test_broken_template_claims_nothing(tmp_path: Path, store: Store, bad: str) -> None:
    (tmp_path / "templates" / "email").mkdir(parents=True)
    (tmp_path / "templates" / "email" / "notice.txt").write_text(bad, encoding="utf-8")
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    add_accounts(store, accounts(2))
    notice = add_notice(store)
    from policybook.errors import MailError

    with pytest.raises(MailError, match="templates cannot be rendered"):
        send_notice(config, notice.id, NOW, store=store)
    assert totals(store, notice.id) == {}
    # the scheduler's tick reports it and goes on with the other notices
    (report,) = send_due(config, NOW, store=store)
    assert report.error is not None and "templates cannot be rendered" in report.error
    assert report.sent == 0 and totals(store, notice.id) == {}


def test_send_through_smtp(store: Store, tmp_path: Path) -> None:
    from tests.support.smtp_server import SmtpServer

    with SmtpServer(tmp_path / "tls") as smtp:
        config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                             POLICYBOOK_MAIL="smtp", POLICYBOOK_SMTP_URL=smtp.url(),
                             POLICYBOOK_MAIL_BATCH="10", POLICYBOOK_MAIL_SAFETY="off")
        add_accounts(store, accounts(25, locales=("en", "ja")))
        smtp.refuse("user7@example.com")
        notice = add_notice(store)
        report = send_notice(config, notice.id, NOW, store=store)
        assert (report.sent, report.failed, report.remaining) == (24, 1, 0)
        assert len(smtp.messages) == 24 and smtp.connections == 1
    assert totals(store, notice.id) == {"sent": 24, "failed": 1}


def test_accounts_opened_after_the_effective_date_are_not_told(store: Store, tmp_path: Path
                                                               ) -> None:
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    notice = add_notice(store)
    assert send_notice(config, notice.id, NOW, store=store).added == 0  # nobody yet
    add_accounts(store, accounts(2), EFFECTIVE_AT + dt.timedelta(hours=1))
    late = send_notice(config, notice.id, EFFECTIVE_AT + dt.timedelta(hours=2), store=store)
    assert (late.added, late.sent, late.state) == (0, 0, NoticeState.COMPLETE)


def test_a_late_notice_still_reaches_everyone_once(store: Store, tmp_path: Path) -> None:
    """Created after the effective date (a late merge): the first run still adds everyone."""
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    add_accounts(store, accounts(3))
    notice = add_notice(store)
    report = send_notice(config, notice.id, EFFECTIVE_AT + dt.timedelta(days=1), store=store)
    assert (report.added, report.sent, report.state) == (3, 3, NoticeState.COMPLETE)


def test_recipients_from_the_company_database(store: Store, tmp_path: Path) -> None:
    company = f"sqlite:///{tmp_path / 'company.db'}"
    engine = sa.create_engine(company)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id TEXT, email TEXT, name TEXT, lang TEXT, "
                             "state TEXT)")
        conn.exec_driver_sql(
            "INSERT INTO users VALUES ('u1', 'one@example.com', 'One', 'de', 'active'), "
            "('u2', 'not-an-address', 'Two', 'en', 'active'), "
            "('u3', 'three@example.com', 'Three', NULL, 'closed'), "
            "('u4', 'four@example.com', 'Four', 'fr', 'active')")
    (tmp_path / "policybook.toml").write_text(
        '[accounts]\nsql_query = "SELECT id, email, name, lang AS locale, state AS status '
        'FROM users"\nbatch = 2\nrefresh_seconds = 3600\n', encoding="utf-8")
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_ACCOUNTS_URL=company)
    notice = add_notice(store)
    first = send_notice(config, notice.id, NOW, store=store)
    assert (first.added, first.sent) == (3, 2)
    assert totals(store, notice.id) == {"sent": 2, "failed": 1}
    with store.read() as conn:
        rows = {r["account_id"]: r for r in ledger.report_rows(conn, notice.id)}
    assert rows["u2"]["error"] is not None and "not an e-mail address" in rows["u2"]["error"]
    assert rows["u1"]["locale"] == "de"
    # a new account and a changed address: the scheduler re-reads the source only after
    # accounts.refresh_seconds; `notices send` always does
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users VALUES ('u5', 'five@example.com', 'Five', "
                             "'en', 'active')")
    engine.dispose()
    tick = send_due(config, NOW + dt.timedelta(minutes=5), store=store)
    assert [(r.added, r.sent) for r in tick] == [(0, 0)]
    later = send_due(config, NOW + dt.timedelta(hours=2), store=store)
    assert [(r.added, r.sent) for r in later] == [(1, 1)]
    assert totals(store, notice.id) == {"sent": 3, "failed": 1}
