"""The proof of notice beyond the ledger (shell): what each notice said, the version it
announced, the test sends, and "was this account told?".

- `keep_messages`: one copy of each distinct rendered message of a notice (per
  language), keyed by its digest, so that every delivery's `message_sha256` can be
  recomputed from the copy and the delivery's row (see `policybook.proof`).
- `keep_version`: the commit the notice announced and the SHA-256 of its text.
- `record_test_send` / `test_sends`: `notices test`, kept apart from the deliveries.
- `lookup`: every notice an account was (or was to be) sent, and how it went.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..audience import GENERAL
from .schema import deliveries, notice_messages, notice_versions, notices, test_sends


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def keep_messages(conn: Connection, notice_id: int, copies: Sequence[Mapping[str, Any]],
                  now: dt.datetime) -> int:
    """Keep each copy (a dict with `locale` and `sha256`) once; returns how many were new."""
    added = 0
    for copy in copies:
        added += conn.execute(_insert(conn)(notice_messages).values(
            notice_id=notice_id, locale=str(copy["locale"]), sha256=str(copy["sha256"]),
            message=dict(copy), created_at=now,
        ).on_conflict_do_nothing(index_elements=["notice_id", "sha256"])
            .returning(notice_messages.c.id)).scalar_one_or_none() is not None
    return added


def messages(conn: Connection, notice_id: int) -> list[dict[str, Any]]:
    """The notice's copies, oldest first."""
    rows = conn.execute(sa.select(notice_messages.c.message).where(
        notice_messages.c.notice_id == notice_id).order_by(notice_messages.c.id))
    return [dict(m) for m in rows.scalars()]


@dataclass(frozen=True)
class VersionRecord:
    commit: str
    path: str
    text_sha256: str
    recorded_at: dt.datetime


def keep_version(conn: Connection, notice_id: int, commit: str, path: str, text_sha256: str,
                 now: dt.datetime) -> None:
    conn.execute(_insert(conn)(notice_versions).values(
        notice_id=notice_id, commit=commit, path=path, text_sha256=text_sha256,
        recorded_at=now).on_conflict_do_nothing(index_elements=["notice_id"]))


def version_record(conn: Connection, notice_id: int) -> VersionRecord | None:
    row = conn.execute(sa.select(notice_versions).where(
        notice_versions.c.notice_id == notice_id)).one_or_none()
    if row is None:
        return None
    return VersionRecord(row.commit, row.path, row.text_sha256, row.recorded_at)


@dataclass(frozen=True)
class RecordedTest:
    id: int
    at: dt.datetime
    policy: str
    effective: dt.date
    commit: str
    notice_id: int | None
    provider: str
    by: str
    recipients: tuple[Mapping[str, Any], ...]
    error: str | None


def record_test_send(conn: Connection, *, at: dt.datetime, policy: str, effective: dt.date,
                     commit: str, notice_id: int | None, provider: str, by: str,
                     recipients: Sequence[Mapping[str, Any]], error: str | None) -> int:
    return int(conn.execute(test_sends.insert().values(
        at=at, policy=policy, effective=effective, commit=commit, notice_id=notice_id,
        provider=provider, by=by, recipients=[dict(r) for r in recipients], error=error,
    ).returning(test_sends.c.id)).scalar_one())


def list_test_sends(conn: Connection, policy: str | None = None) -> list[RecordedTest]:
    query = sa.select(test_sends).order_by(test_sends.c.id)
    if policy is not None:
        query = query.where(test_sends.c.policy == policy)
    return [RecordedTest(r.id, r.at, r.policy, r.effective, r.commit, r.notice_id, r.provider,
                     r.by, tuple(r.recipients), r.error) for r in conn.execute(query)]


LOOKUP_COLUMNS = ("notice_id", "policy", "effective", "version", "notice_state", "email",
                  "variant", "language", "state", "provider", "provider_message_id", "sent_at",
                  "delivered_at", "last_event", "event_at", "error", "message_sha256")


def lookup(conn: Connection, account_id: str, policy: str | None = None,
           effective: dt.date | None = None) -> list[dict[str, Any]]:
    """Every delivery of `account_id` (optionally of one policy, one version), with its
    notice: was this account told, when, how. `policy` may name a regional variant
    (`privacy-policy:eea`); a plain id matches every variant of the policy."""
    d, n = deliveries.c, notices.c
    query = sa.select(d.notice_id, n.policy, n.variant, n.effective, n.version,
                      n.state.label("notice_state"), d.email,
                      d.variant.label("told_variant"), d.language, d.state, d.provider,
                      d.provider_message_id, d.sent_at, d.delivered_at, d.last_event,
                      d.event_at, d.error, d.message_sha256
                      ).join(notices, n.id == d.notice_id).where(d.account_id == account_id)
    if policy is not None:
        name, _, variant = policy.partition(":")
        query = query.where(n.policy == name)
        if variant:
            query = query.where(n.variant == variant)
    if effective is not None:
        query = query.where(n.effective == effective)
    rows = [dict(r._mapping) for r in conn.execute(query.order_by(n.effective, d.notice_id))]
    for row in rows:
        # The variant this account was told about (its delivery's, since schema 5); a
        # delivery recorded before then was of its notice's variant ('': the general).
        # None stands for the general text, as in `Notice.variant`.
        told = row.pop("told_variant")
        told = told if told is not None else row["variant"]
        row["variant"] = None if told in (GENERAL, "", None) else told
    return rows
