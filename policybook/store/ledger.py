"""The delivery ledger (shell): one row per (notice, account), claimed in batches.

Exactly-once is not possible with a provider that has no idempotency key, so the
ledger gives the next best guarantee: a row is marked sent only after the provider
accepted it, and a claimed row that was never confirmed (the process died) is claimed
again once its lease has expired. So a kill -9 loses nothing, and at most the one batch
a process had in flight can be sent twice.

Claims are one statement in a write transaction: on PostgreSQL the candidate rows are
selected `FOR UPDATE SKIP LOCKED`, so processes on several machines share a notice
without waiting for or double-claiming each other's rows; on SQLite the transaction
starts with BEGIN IMMEDIATE, so one process claims at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from ..audience import Reach
from ..delivery import BatchResult, DeliveryState, Recipient
from .accounts import AccountStatus, SourceRow, SqlAccountSource
from .db import Store
from .notices import Notice, notice_is_open
from .schema import accounts, deliveries, notices, utc_value

PENDING = DeliveryState.PENDING.value
SENDING = DeliveryState.SENDING.value
# Inline constants, not bound parameters: only then may the planners use the partial
# indexes on `state = 'pending'` and `state = 'sending'` (see schema.py).
IS_PENDING = deliveries.c.state == sa.literal_column("'pending'")
IS_SENDING = deliveries.c.state == sa.literal_column("'sending'")
MATERIALIZE_CHUNK = 50_000


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _id_in(conn: Connection, ids: Sequence[int]) -> Any:
    """`id IN (...)` for a batch; on PostgreSQL one array parameter (`= ANY`), which it
    plans in about half the time of a thousand separate parameters."""
    if conn.dialect.name == "postgresql":
        return deliveries.c.id == sa.any_(sa.literal(list(ids), ARRAY(sa.BigInteger())))
    return deliveries.c.id.in_(list(ids))


# Why not INSERT ... ON CONFLICT DO UPDATE: on PostgreSQL that locks every conflicting
# row even when its WHERE is false, so a process adding recipients would lock every
# delivery of the notice for the length of its statement, and the senders' claims
# (SKIP LOCKED) would see an empty ledger. New rows are inserted with DO NOTHING, and
# only the rows that really changed are updated.
_REFRESHABLE = (PENDING, DeliveryState.SKIPPED.value)


def reach_condition(reach: Reach) -> Any:
    """The SQL condition on `pb_accounts` of the accounts a notice reaches (countries are
    stored as validated ISO codes, "" when unknown, so plain comparisons are exact)."""
    country = accounts.c.country
    if reach.only is not None:
        return country.in_(sorted(reach.only)) if reach.only else sa.false()
    if reach.excluded:
        return country.not_in(sorted(reach.excluded))
    return sa.true()


OUT_OF_REACH = "the account's country is not in the audience of this variant"


def _refresh_local(conn: Connection, notice_id: int, window: Any) -> None:
    """A delivery not sent yet follows its account's new address, name, locale and
    country, and a skipped one (closed account, or one that had moved out of the
    variant's countries) becomes pending again when the account is back (`window`
    holds the reach)."""
    a, d = accounts.c, deliveries.c
    changed = sa.select(a.id).where(
        window, a.status == AccountStatus.ACTIVE.value, a.id == d.account_id,
        sa.or_(d.state == DeliveryState.SKIPPED.value, a.email != d.email, a.name != d.name,
               a.locale != d.locale, a.country != sa.func.coalesce(d.country, ""))).exists()

    def current(column: Any) -> Any:
        return sa.select(column).where(a.id == d.account_id).scalar_subquery()

    conn.execute(deliveries.update().where(
        d.notice_id == notice_id, d.state.in_(_REFRESHABLE), changed,
    ).values(email=current(a.email), name=current(a.name), locale=current(a.locale),
             country=current(a.country), state=PENDING, error=None))


def _count(conn: Connection, notice_id: int) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(deliveries)
                            .where(deliveries.c.notice_id == notice_id)).scalar_one())


def add_local_recipients(store: Store, notice: Notice, now: dt.datetime,
                         chunk: int = MATERIALIZE_CHUNK, *, stop: threading.Event | None = None,
                         on_added: Callable[[int], None] | None = None,
                         reach: Reach | None = None) -> int:
    """Give every active account changed since the notice last looked a pending delivery,
    if `reach` covers it (None: every account); a pending delivery whose account has
    moved out of the reach is skipped.

    Remembers the highest `changed` value it saw, so that later runs only look at new
    or changed accounts (one indexed query when nothing changed). Large passes walk the
    primary key in ranges of `chunk`, each in its own short transaction (other writers,
    such as the webhook, are never locked out for long; a crash loses only the current
    range, which the next run does again). Returns the number of deliveries added;
    `on_added` hears of them chunk by chunk, and `stop` ends the work between chunks
    (then the accounts are looked at again next time).
    """
    a = accounts.c
    with store.read() as conn:
        high = int(conn.execute(sa.select(sa.func.max(a.changed))).scalar_one() or 0)
        low = notice.accounts_mark
    if high <= low:
        if notice.accounts_read_at is None:  # looked once, even at an empty table
            with store.write() as conn:
                conn.execute(notices.update().where(notices.c.id == notice.id)
                             .values(accounts_read_at=now))
        return 0
    with store.read() as conn:
        changed = int(conn.execute(sa.select(sa.func.count()).select_from(accounts)
                                   .where(a.changed > low, a.changed <= high)).scalar_one())
        first_pk, last_pk = conn.execute(sa.select(sa.func.min(a.pk), sa.func.max(a.pk))).one()
    # The first look takes every account, whatever its `changed` (one imported meanwhile
    # is looked at again next time): a plain primary-key range scan, whatever the
    # planner's statistics say about a table that was just bulk-loaded.
    base = sa.true() if low == 0 else sa.and_(a.changed > low, a.changed <= high)
    ranges: list[tuple[int, int] | None] = [None]
    if changed > chunk and first_pk is not None:
        ranges = [(start, start + chunk) for start in range(first_pk, last_pk + 1, chunk)]
    added = 0
    variant = reach.variant if reach is not None else None
    covered = reach_condition(reach) if reach is not None else sa.true()
    for pk_range in ranges:
        if stop is not None and stop.is_set():
            return added
        window = base if pk_range is None else sa.and_(base, a.pk >= pk_range[0],
                                                       a.pk < pk_range[1])
        with store.write() as conn:
            select = sa.select(sa.literal(notice.id), a.id, a.email, a.name, a.locale,
                               a.country, sa.literal(variant, type_=sa.String()),
                               sa.literal(PENDING),
                               sa.literal(now, type_=deliveries.c.created_at.type),
                               ).where(window, covered, a.status == AccountStatus.ACTIVE.value)
            stmt = _insert(conn)(deliveries).from_select(
                ["notice_id", "account_id", "email", "name", "locale", "country", "variant",
                 "state", "created_at"],
                select).on_conflict_do_nothing(index_elements=["notice_id", "account_id"])
            # (SQLAlchemy reports an INSERT's row count only when asked to keep it)
            new_rows = max(0, conn.execute(
                stmt, execution_options={"preserve_rowcount": True}).rowcount)
            if low > 0:  # a first look has nothing to refresh
                _refresh_local(conn, notice.id, sa.and_(window, covered))
                if reach is not None and not reach.everyone:
                    moved = conn.execute(sa.select(a.id).where(
                        window, sa.not_(covered))).scalars().all()
                    _skip(conn, notice.id, moved, OUT_OF_REACH)
            # Closed accounts are few: look them up first, then touch only their rows
            # (a subquery here tempts a generic prepared plan into scanning the ledger).
            closed = conn.execute(sa.select(a.id).where(
                window, a.status == AccountStatus.CLOSED.value)).scalars().all()
            _skip_closed(conn, notice.id, closed)
        added += new_rows
        if on_added is not None:
            on_added(new_rows)
    with store.write() as conn:
        conn.execute(notices.update().where(notices.c.id == notice.id,
                                            notices.c.accounts_mark < high)
                     .values(accounts_mark=high))
        conn.execute(notices.update().where(notices.c.id == notice.id)
                     .values(accounts_read_at=now))
    return added


def add_source_recipients(store: Store, notice: Notice, source: SqlAccountSource,
                          now: dt.datetime, *, stop: threading.Event | None = None,
                          on_added: Callable[[int], None] | None = None,
                          reach: Reach | None = None) -> int:
    """The same from the company's database: every row, batch by batch (those `reach`
    covers; a pending delivery whose account moved out of it is skipped)."""
    added = 0
    for batch in source.batches():
        if stop is not None and stop.is_set():
            return added
        with store.write() as conn:
            new_rows = _upsert_source_batch(conn, notice.id, batch, now, reach)
        added += new_rows
        if on_added is not None:
            on_added(new_rows)
    with store.write() as conn:
        conn.execute(notices.update().where(notices.c.id == notice.id)
                     .values(accounts_read_at=now))
    return added


def _upsert_source_batch(conn: Connection, notice_id: int, batch: Sequence[SourceRow],
                         now: dt.datetime, reach: Reach | None = None) -> int:
    rows, closed, moved = [], [], []
    for row in batch:
        acc = row.account
        if acc.status is AccountStatus.CLOSED:
            closed.append(acc.id)
            continue
        if reach is not None and not reach.covers(acc.country):
            moved.append(acc.id)
            continue
        # An address the provider would refuse is a failed delivery from the start: the
        # proof of notice shows who could not be told, and why.
        rows.append({"notice_id": notice_id, "account_id": acc.id, "email": acc.email,
                     "name": acc.name, "locale": acc.locale, "country": acc.country,
                     "variant": reach.variant if reach is not None else None,
                     "created_at": now,
                     "state": DeliveryState.FAILED.value if row.problem else PENDING,
                     "error": row.problem})
    added = 0
    if rows:
        before = _count(conn, notice_id)
        conn.execute(_insert(conn)(deliveries).on_conflict_do_nothing(
            index_elements=["notice_id", "account_id"]), rows)
        added = _count(conn, notice_id) - before
        d = deliveries.c
        good = [r for r in rows if r["state"] == PENDING]
        if good:
            conn.execute(deliveries.update().where(
                d.notice_id == sa.bindparam("b_notice"),
                d.account_id == sa.bindparam("b_account"),
                sa.or_(d.state == PENDING, d.state == DeliveryState.SKIPPED.value),
                sa.or_(d.state == DeliveryState.SKIPPED.value,
                       d.email != sa.bindparam("b_email"), d.name != sa.bindparam("b_name"),
                       d.locale != sa.bindparam("b_locale"),
                       sa.func.coalesce(d.country, "") != sa.bindparam("b_country")),
            ).values(email=sa.bindparam("b_email"), name=sa.bindparam("b_name"),
                     locale=sa.bindparam("b_locale"), country=sa.bindparam("b_country"),
                     state=PENDING, error=None),
                [{"b_notice": notice_id, "b_account": r["account_id"], "b_email": r["email"],
                  "b_name": r["name"], "b_locale": r["locale"], "b_country": r["country"]}
                 for r in good])
    _skip_closed(conn, notice_id, closed)
    _skip(conn, notice_id, moved, OUT_OF_REACH)
    return added


def _skip_closed(conn: Connection, notice_id: int, account_ids: Sequence[str]) -> None:
    """Deliveries not sent yet to accounts that were closed are skipped."""
    _skip(conn, notice_id, account_ids, "account closed")


def _skip(conn: Connection, notice_id: int, account_ids: Sequence[str], why: str) -> None:
    for start in range(0, len(account_ids), 1000):
        conn.execute(deliveries.update().where(
            deliveries.c.notice_id == notice_id, deliveries.c.state == PENDING,
            deliveries.c.account_id.in_(account_ids[start:start + 1000]),
        ).values(state=DeliveryState.SKIPPED.value, error=why))


@dataclass(frozen=True)
class Claim:
    token: str
    recipients: tuple[Recipient, ...]


def _claim_rows(conn: Connection, candidates: Any, token: str, now: dt.datetime,
                lease_until: dt.datetime) -> list[Recipient]:
    d = deliveries.c
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = deliveries.update().where(d.id.in_(candidates.scalar_subquery())).values(
        state=SENDING, claim_token=token, lease_until=lease_until, claimed_at=now,
        attempts=d.attempts + 1,
    ).returning(d.id, d.account_id, d.email, d.name, d.locale, d.country)
    # (one fetch of plain tuples: this runs for every 1,000 recipients)
    return [Recipient(i, a, e, n, loc, c or "") for i, a, e, n, loc, c
            in conn.execute(stmt).all()]


def claim(store: Store, notice_id: int, size: int, now: dt.datetime, lease_seconds: int
          ) -> Claim:
    """Claim up to `size` deliveries: expired leases first, then pending rows by locale.

    Nothing is claimed for a notice that is paused or cancelled: a pause stops
    every sender before its next batch (checked in the claim's own transaction)."""
    token = secrets.token_hex(8)
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    d = deliveries.c
    with store.write() as conn:
        if not notice_is_open(conn, notice_id):
            return Claim(token, ())
        expired = sa.select(d.id).where(d.notice_id == notice_id, IS_SENDING,
                                        d.lease_until < now).order_by(d.lease_until).limit(size)
        rows = _claim_rows(conn, expired, token, now, lease_until)
        if len(rows) < size:
            pending = sa.select(d.id).where(d.notice_id == notice_id, IS_PENDING) \
                .order_by(d.locale, d.id).limit(size - len(rows))
            rows += _claim_rows(conn, pending, token, now, lease_until)
    rows.sort(key=lambda r: (r.locale, r.delivery_id))
    return Claim(token, tuple(rows))


def record(store: Store, claim: Claim, result: BatchResult, provider: str,
           now: dt.datetime, digests: Mapping[int, str] | None = None,
           languages: Mapping[int, str] | None = None) -> None:
    """Write what the provider did with a claimed batch, in one transaction;
    `digests` (delivery id -> SHA-256 of the message) and `languages` (delivery id ->
    the language the message is written in) go with the accepted rows."""
    d = deliveries.c
    with store.write() as conn:
        by_message: dict[str, list[int]] = {}
        for delivery_id, message_id in result.accepted:
            by_message.setdefault(message_id, []).append(delivery_id)
        # Only a row still open is moved to sent: one the webhook already saw delivered
        # keeps that state, but gains the send time and message id it lacked. (Plain
        # comparisons, not IN: these statements also run as executemany.)
        is_open = sa.or_(d.state == PENDING, d.state == SENDING)
        sent_values = {
            "state": sa.case((is_open, DeliveryState.SENT.value), else_=d.state),
            "provider": provider, "sent_at": sa.func.coalesce(d.sent_at, utc_value(now)),
            "claim_token": None, "lease_until": None, "error": None}
        still_sendable = sa.and_(d.state != DeliveryState.FAILED.value,
                                 d.state != DeliveryState.SKIPPED.value,
                                 d.state != DeliveryState.CANCELLED.value)
        digests = digests or {}
        languages = languages or {}
        postgres = conn.dialect.name == "postgresql"
        if len(by_message) <= 8:  # SendGrid: one message id per request
            for message_id, ids in by_message.items():
                # PostgreSQL: the digests ride in the same UPDATE; SQLite: one below.
                which, own = _with_digests(conn, ids, digests, languages)
                conn.execute(deliveries.update().where(which, still_sendable).values(
                    provider_message_id=sa.func.coalesce(d.provider_message_id, message_id),
                    **own, **sent_values))
            if (digests or languages) and not postgres:
                _record_digests(conn, [(i, digests.get(i), languages.get(i))
                                       for i, _ in result.accepted
                                       if i in digests or i in languages])
        else:  # SMTP, outbox: one message id per message
            conn.execute(deliveries.update().where(d.id == sa.bindparam("b_id"), still_sendable)
                         .values(provider_message_id=sa.func.coalesce(
                             d.provider_message_id, sa.bindparam("b_mid")),
                             message_sha256=sa.func.coalesce(sa.bindparam("b_sha"),
                                                             d.message_sha256),
                             language=sa.func.coalesce(sa.bindparam("b_lang"), d.language),
                             **sent_values),
                         [{"b_id": i, "b_mid": m, "b_sha": digests.get(i),
                           "b_lang": languages.get(i)} for i, m in result.accepted])
        if result.failed:
            conn.execute(deliveries.update().where(d.id == sa.bindparam("b_id"), is_open).values(
                state=DeliveryState.FAILED.value, error=sa.bindparam("b_error"),
                provider=provider, claim_token=None, lease_until=None),
                [{"b_id": i, "b_error": reason[:2000]} for i, reason in result.failed])
        if result.unsent:
            release_ids(conn, claim.token, result.unsent)


def _with_digests(conn: Connection, ids: Sequence[int], digests: Mapping[int, str],
                  languages: Mapping[int, str]) -> tuple[Any, dict[str, Any]]:
    """PostgreSQL: (the WHERE on `ids`, the SET of each row's digest and language) as a
    join with unnested arrays, so that one UPDATE marks a batch sent and records its
    digests (a second UPDATE would write every row version twice)."""
    rows = [(i, digests[i], languages.get(i)) for i in ids if i in digests]
    if conn.dialect.name != "postgresql" or len(rows) != len(ids):
        return _id_in(conn, ids), {}
    v = sa.func.unnest(sa.literal([i for i, _, _ in rows], ARRAY(sa.BigInteger())),
                       sa.literal([h for _, h, _ in rows], ARRAY(sa.Text())),
                       sa.literal([lang for _, _, lang in rows], ARRAY(sa.Text()))
                       ).table_valued("id", "sha", "lang").render_derived(name="v")
    return deliveries.c.id == v.c.id, {
        "message_sha256": v.c.sha,
        "language": sa.func.coalesce(v.c.lang, deliveries.c.language)}


def _record_digests(conn: Connection, rows: Sequence[tuple[int, str | None, str | None]]
                    ) -> None:
    """SQLite: message_sha256 and language of each (delivery id, digest, language) in one
    statement over a JSON list (a third of the time of an executemany)."""
    if not rows:
        return
    if sqlite3.sqlite_version_info >= (3, 33):  # UPDATE ... FROM
        conn.execute(sa.text(
            "UPDATE pb_deliveries SET message_sha256 = coalesce(json_extract(j.value, '$[1]'), "
            "message_sha256), language = coalesce(json_extract(j.value, '$[2]'), language) "
            "FROM json_each(:rows) AS j WHERE pb_deliveries.id = json_extract(j.value, '$[0]')"
        ), {"rows": json.dumps(rows)})
        return
    d = deliveries.c
    conn.execute(deliveries.update().where(d.id == sa.bindparam("b_id")).values(
        message_sha256=sa.func.coalesce(sa.bindparam("b_sha"), d.message_sha256),
        language=sa.func.coalesce(sa.bindparam("b_lang"), d.language)),
        [{"b_id": i, "b_sha": h, "b_lang": lang} for i, h, lang in rows])


def release_ids(conn: Connection, token: str, ids: Sequence[int]) -> int:
    """Give claimed rows back (not sent): pending again, at once, for any process."""
    d = deliveries.c
    return conn.execute(deliveries.update().where(
        _id_in(conn, ids), d.state == SENDING, d.claim_token == token,
    ).values(state=PENDING, claim_token=None, lease_until=None)).rowcount


def release(store: Store, claim: Claim) -> int:
    with store.write() as conn:
        return release_ids(conn, claim.token, [r.delivery_id for r in claim.recipients])


def open_count(conn: Connection, notice_id: int, now: dt.datetime) -> int:
    """Deliveries that a run would send now: pending, or claimed under an expired lease."""
    d = deliveries.c
    return _count_where(conn, d.notice_id == notice_id, IS_PENDING) + _count_where(
        conn, d.notice_id == notice_id, IS_SENDING, d.lease_until < now)


def unsettled_count(conn: Connection, notice_id: int) -> int:
    """Deliveries pending or sending (under any lease)."""
    d = deliveries.c
    return _count_where(conn, d.notice_id == notice_id, IS_PENDING) + _count_where(
        conn, d.notice_id == notice_id, IS_SENDING)


def _count_where(conn: Connection, *where: Any) -> int:
    # One condition on state per query, so that each can use its partial index.
    return int(conn.execute(sa.select(sa.func.count()).select_from(deliveries)
                            .where(*where)).scalar_one())


def missing_local_recipients(conn: Connection, notice_id: int, reach: Reach | None = None
                             ) -> int:
    """Active accounts (of `reach`) without a delivery for the notice (what a run would
    add)."""
    a, d = accounts.c, deliveries.c
    has = sa.select(d.id).where(d.notice_id == notice_id, d.account_id == a.id).exists()
    covered = reach_condition(reach) if reach is not None else sa.true()
    return int(conn.execute(sa.select(sa.func.count()).select_from(accounts).where(
        a.status == AccountStatus.ACTIVE.value, covered, ~has)).scalar_one())


def audience_groups(conn: Connection) -> list[tuple[str, str, int]]:
    """The active accounts counted by (country, locale): what `audience.count_audience`
    turns into the plan's figures per variant and language (one GROUP BY)."""
    a = accounts.c
    return [(str(c), str(loc), int(n)) for c, loc, n in conn.execute(
        sa.select(a.country, a.locale, sa.func.count()).where(
            a.status == AccountStatus.ACTIVE.value).group_by(a.country, a.locale))]


REPORT_COLUMNS = ("account_id", "email", "name", "locale", "country", "variant", "language",
                  "state", "provider",
                  "provider_message_id", "attempts", "created_at", "claimed_at", "sent_at",
                  "delivered_at", "last_event", "event_at", "error")


def report_rows(conn: Connection, notice_id: int, states: Sequence[str] | None = None,
                batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every delivery of a notice, in id order, streamed (the proof of notice)."""
    d = deliveries.c
    query = sa.select(*(getattr(d, c) for c in REPORT_COLUMNS)).where(
        d.notice_id == notice_id).order_by(d.id)
    if states:
        query = query.where(d.state.in_(list(states)))
    result = conn.execution_options(yield_per=batch).execute(query)
    for row in result:
        yield dict(row._mapping)
