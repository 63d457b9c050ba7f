"""The store on SQLite and PostgreSQL: migrations, idempotent notices, the ledger."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from policybook.delivery import BatchResult, DeliveryState
from policybook.errors import StoreError
from policybook.store import (
    NoticeState,
    Store,
    audit,
    cancel_notice,
    create_notice,
    find_notice,
    get_notice,
    ledger,
)
from policybook.store.accounts import Account, AccountStatus, account_counts, iter_accounts
from policybook.store.notices import audit_entries, delivery_totals, set_notice_state
from policybook.store.schema import SCHEMA_VERSION, schema_table
from tests.support.fixtures import NOW, accounts, add_accounts, add_notice, spec


def states(store: Store, notice_id: int) -> dict[str, str]:
    with store.read() as conn:
        return {r["account_id"]: r["state"] for r in ledger.report_rows(conn, notice_id)}


def test_migrate_is_idempotent_and_refuses_a_newer_schema(store: Store) -> None:
    assert store.migrate(NOW) == SCHEMA_VERSION
    assert store.migrate(NOW) == SCHEMA_VERSION
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema_table)).scalar_one() \
            == 1
    with store.write() as conn:
        conn.execute(schema_table.update().values(version=SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer than this policybook understands"):
        store.migrate(NOW)


def test_sqlite_file_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'a' / 'b.db'}", NOW) as store, store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000
    assert (tmp_path / "a" / "b.db").exists()


def test_create_notice_once_even_when_racing(store: Store) -> None:
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            with store.write() as conn:
                notice, created = create_notice(conn, spec(), NOW)
                results.append((notice.id, created))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({nid for nid, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    with store.read() as conn:
        notice = find_notice(conn, "privacy-policy@2027-02-01")
        assert notice.state is NoticeState.SCHEDULED
        assert next(r.text for r in notice.reasons).startswith("We now share usage data")
        assert notice.changes_url == \
            "https://policies.example.com/privacy-policy/changes/2027-02-01/"
        assert [e.kind for e in audit_entries(conn, f"notice:{notice.id}")] == \
            ["notice.created"]
        # another commit for the same effective date is another notice
        other, created = create_notice(conn, spec(version="b" * 40), NOW)
        assert created and other.id != notice.id


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), store.write() as conn:
        create_notice(conn, spec(due_at=dt.datetime(2027, 1, 1)), NOW)


def test_claim_send_and_lease_expiry(store: Store) -> None:
    add_accounts(store, accounts(7, locales=("en", "de")))
    notice = add_notice(store)
    assert ledger.add_local_recipients(store, notice, NOW) == 7
    first = ledger.claim(store, notice.id, 3, NOW, lease_seconds=600)
    assert len(first.recipients) == 3
    # grouped by locale: one claim is (mostly) one rendered body
    assert [r.locale for r in first.recipients] == ["de", "de", "de"]
    second = ledger.claim(store, notice.id, 10, NOW, lease_seconds=600)
    assert len(second.recipients) == 4
    assert not set(r.delivery_id for r in first.recipients) & \
        set(r.delivery_id for r in second.recipients)
    ids = [r.delivery_id for r in first.recipients]
    ledger.record(store, first, BatchResult(accepted=((ids[0], "m-1"), (ids[1], "m-1")),
                                            failed=((ids[2], "SendGrid 400: bad"),)),
                  "sendgrid", NOW)
    # the second claim "crashed": nothing is open until its lease expires...
    assert not ledger.claim(store, notice.id, 10, NOW + dt.timedelta(seconds=599),
                            600).recipients
    with store.read() as conn:
        assert ledger.open_count(conn, notice.id, NOW) == 0
        assert ledger.open_count(conn, notice.id, NOW + dt.timedelta(seconds=601)) == 4
    # ...and then it is claimed again, with its attempts counted
    later = NOW + dt.timedelta(seconds=601)
    again = ledger.claim(store, notice.id, 10, later, 600)
    assert sorted(r.delivery_id for r in again.recipients) == \
        sorted(r.delivery_id for r in second.recipients)
    ledger.record(store, again, BatchResult(
        accepted=tuple((r.delivery_id, f"m-{r.delivery_id}") for r in again.recipients[:3]),
        unsent=(again.recipients[3].delivery_id,)), "sendgrid", later)
    with store.read() as conn:
        rows = {r["account_id"]: r for r in ledger.report_rows(conn, notice.id)}
        totals = delivery_totals(conn, notice.id)[notice.id]
    assert totals == {"sent": 5, "failed": 1, "pending": 1}
    resent = rows[again.recipients[0].account_id]
    assert resent["attempts"] == 2 and resent["provider"] == "sendgrid"
    assert resent["sent_at"] is not None and resent["sent_at"] >= later
    failed = rows[first.recipients[2].account_id]
    assert failed["error"] == "SendGrid 400: bad" and failed["sent_at"] is None


def test_recipients_follow_accounts_until_the_effective_date(store: Store) -> None:
    add_accounts(store, accounts(3))
    notice = add_notice(store)
    assert ledger.add_local_recipients(store, notice, NOW) == 3
    claim = ledger.claim(store, notice.id, 10, NOW, 600)
    ledger.record(store, claim, BatchResult(
        accepted=tuple((r.delivery_id, "m") for r in claim.recipients)), "outbox", NOW)
    # New accounts and a changed address, before the effective date
    add_accounts(store, [Account("acc-new", "new@example.com", "New", "fr"),
                         Account("acc-000001", "changed@example.com", "User 1")])
    add_accounts(store, accounts(2, start=10))
    with store.read() as conn:
        notice = get_notice(conn, notice.id)
        assert ledger.missing_local_recipients(conn, notice.id) == 3
    assert ledger.add_local_recipients(store, notice, NOW + dt.timedelta(days=1)) == 3
    # an account closed before its notice went out is skipped
    add_accounts(store, [Account("acc-000011", "user11@example.com", "User 11",
                                 status=AccountStatus.CLOSED)])
    with store.read() as conn:
        notice = get_notice(conn, notice.id)
    assert ledger.add_local_recipients(store, notice, NOW + dt.timedelta(days=1)) == 0
    got = states(store, notice.id)
    assert got == {"acc-000000": "sent", "acc-000001": "sent", "acc-000002": "sent",
                   "acc-new": "pending", "acc-000010": "pending", "acc-000011": "skipped"}
    with store.read() as conn:
        rows = {r["account_id"]: r for r in ledger.report_rows(conn, notice.id)}
        notice = get_notice(conn, notice.id)
    # the proof keeps the address the notice went to
    assert rows["acc-000001"]["email"] == "user1@example.com"
    assert rows["acc-new"]["locale"] == "fr"
    # reopened before it was sent: pending again
    add_accounts(store, [Account("acc-000011", "user11@example.com", "User 11")])
    ledger.add_local_recipients(store, notice, NOW + dt.timedelta(days=2))
    assert states(store, notice.id)["acc-000011"] == "pending"


def test_large_materialization_in_chunks(store: Store) -> None:
    add_accounts(store, accounts(250))
    notice = add_notice(store)
    assert ledger.add_local_recipients(store, notice, NOW, chunk=40) == 250
    with store.read() as conn:
        assert ledger.open_count(conn, notice.id, NOW) == 250
        notice = get_notice(conn, notice.id)
    assert ledger.add_local_recipients(store, notice, NOW, chunk=40) == 0
    with store.read() as conn:
        batches = list(iter_accounts(conn, batch=100))
        assert [len(b) for b in batches] == [100, 100, 50]
        assert account_counts(conn) == {"active": 250, "closed": 0}


def test_cancel_stops_what_is_pending(store: Store) -> None:
    add_accounts(store, accounts(4))
    notice = add_notice(store)
    ledger.add_local_recipients(store, notice, NOW)
    claim = ledger.claim(store, notice.id, 1, NOW, 600)
    ledger.record(store, claim, BatchResult(accepted=((claim.recipients[0].delivery_id, "m"),)),
                  "outbox", NOW)
    with store.write() as conn:
        assert cancel_notice(conn, notice.id, NOW, "version withdrawn") == 3
        audit(conn, "test.marker", f"notice:{notice.id}", NOW, {"n": 1})
    with store.read() as conn:
        assert get_notice(conn, notice.id).state is NoticeState.CANCELLED
        assert delivery_totals(conn, notice.id)[notice.id] == {"sent": 1, "cancelled": 3}
        kinds = [e.kind for e in audit_entries(conn, f"notice:{notice.id}")]
    assert kinds == ["notice.created", "notice.cancelled", "test.marker"]
    assert not ledger.claim(store, notice.id, 10, NOW + dt.timedelta(days=1), 600).recipients


def test_failed_rows_stay_failed(store: Store) -> None:
    add_accounts(store, accounts(2))
    notice = add_notice(store)
    ledger.add_local_recipients(store, notice, NOW)
    claim = ledger.claim(store, notice.id, 2, NOW, 600)
    a, b = (r.delivery_id for r in claim.recipients)
    ledger.record(store, claim, BatchResult(accepted=((a, "m"),), failed=((b, "refused"),)),
                  "smtp", NOW)
    # a late "accepted" from a stale process does not turn a refusal into a send
    ledger.record(store, claim, BatchResult(accepted=((b, "late"),)), "smtp", NOW)
    got = states(store, notice.id)
    assert sorted(got.values()) == [DeliveryState.FAILED.value, DeliveryState.SENT.value]


def test_recording_many_messages_and_refusals_at_once(store: Store) -> None:
    """SMTP and the outbox give one message id per recipient (an executemany)."""
    add_accounts(store, accounts(30))
    notice = add_notice(store)
    ledger.add_local_recipients(store, notice, NOW)
    claim = ledger.claim(store, notice.id, 30, NOW, 600)
    ids = [r.delivery_id for r in claim.recipients]
    ledger.record(store, claim, BatchResult(
        accepted=tuple((i, f"<m{i}@example.com>") for i in ids[:20]),
        failed=tuple((i, f"SMTP 550: no such user {i}") for i in ids[20:25]),
        unsent=tuple(ids[25:])), "smtp", NOW)
    with store.read() as conn:
        rows = {r["account_id"]: r for r in ledger.report_rows(conn, notice.id)}
        assert delivery_totals(conn, notice.id)[notice.id] == {"sent": 20, "failed": 5,
                                                                "pending": 5}
    by_id = {r.delivery_id: r.account_id for r in claim.recipients}
    assert rows[by_id[ids[3]]]["provider_message_id"] == f"<m{ids[3]}@example.com>"
    assert rows[by_id[ids[21]]]["error"] == f"SMTP 550: no such user {ids[21]}"


def test_moments_given_in_another_zone_are_stored_as_the_same_instant(store: Store) -> None:
    """`--now 2026-12-16T00:01:00-08:00` is 08:01 UTC wherever the store writes it, also
    inside SQL functions (where a bare value would bypass the column's type)."""
    add_accounts(store, accounts(2))
    notice = add_notice(store)
    pacific = dt.timezone(dt.timedelta(hours=-8))
    local = (NOW + dt.timedelta(hours=1)).astimezone(pacific)
    ledger.add_local_recipients(store, notice, NOW)
    claimed = ledger.claim(store, notice.id, 2, local, lease_seconds=600)
    with store.write() as conn:
        set_notice_state(conn, notice.id, NoticeState.SENDING, local)
    ids = [r.delivery_id for r in claimed.recipients]
    ledger.record(store, claimed, BatchResult(accepted=tuple((i, "m-1") for i in ids)),
                  "sendgrid", local)
    with store.read() as conn:
        started = get_notice(conn, notice.id).started_at
        sent = {r["sent_at"] for r in ledger.report_rows(conn, notice.id)}
    assert started == local and started.utcoffset() == dt.timedelta(0)
    assert sent == {local}
