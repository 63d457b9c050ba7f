"""Notices and the audit log (shell): what the scheduler creates and what a regulator reads.

A notice is created once per version of a policy (policy, effective date, version):
`create_notice` is an INSERT that yields to an existing row, so two scheduler
processes racing to create the same notice end up with one, and both get it back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..errors import NotFoundError, UsageError
from ..notice import OPEN_STATES, Notice, NoticeReason, NoticeSpec, NoticeState, notice_links
from .schema import audit_log, deliveries, notices, utc_value

# The notice values live in the core (`policybook.notice`): mail and the site read them
# without the store. Re-exported here for the store's callers.
__all__ = ["OPEN_STATES", "Notice", "NoticeReason", "NoticeSpec", "NoticeState", "notice_links"]


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _insert(conn: Connection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)


def create_notice(conn: Connection, spec: NoticeSpec, now: dt.datetime) -> tuple[Notice, bool]:
    """The notice for `spec`'s version, created if it does not exist; (notice, created).

    Idempotent and safe under concurrency (a unique key and ON CONFLICT DO NOTHING):
    a second call, or another process, gets the existing notice and `created=False`;
    the stored notice is never rewritten by a later call.
    """
    _aware(spec.due_at, "due_at")
    _aware(spec.effective_at, "effective_at")
    variant = spec.variant or ""  # '' for the general variant (see schema)
    stmt = _insert(conn)(notices).values(
        policy=spec.policy, variant=variant, effective=spec.effective, version=spec.version,
        title=spec.title,
        summary=spec.summary,
        reasons=[{"text": r.text, "section": r.section} for r in spec.reasons],
        upcoming_url=spec.upcoming_url, changes_url=spec.changes_url, due_at=spec.due_at,
        effective_at=spec.effective_at, created_at=now, state=NoticeState.SCHEDULED.value,
    ).on_conflict_do_nothing(index_elements=["policy", "variant", "effective", "version"]
                             ).returning(notices.c.id)
    created = conn.execute(stmt).scalar_one_or_none() is not None
    row = conn.execute(sa.select(notices).where(
        notices.c.policy == spec.policy, notices.c.variant == variant,
        notices.c.effective == spec.effective, notices.c.version == spec.version)).one()
    notice = _notice(row)
    if created:
        audit(conn, "notice.created", f"notice:{notice.id}", now, {
            "policy": spec.policy, "variant": spec.variant,
            "effective": spec.effective.isoformat(),
            "version": spec.version, "due_at": spec.due_at.isoformat(),
            "effective_at": spec.effective_at.isoformat(), "reasons": len(spec.reasons)})
    return notice, created


def _notice(row: Any) -> Notice:
    m = row._mapping
    return Notice(
        id=m["id"], policy=m["policy"], effective=m["effective"], version=m["version"],
        title=m["title"], summary=m["summary"],
        reasons=tuple(NoticeReason(str(r["text"]), r.get("section")) for r in m["reasons"]),
        upcoming_url=m["upcoming_url"], changes_url=m["changes_url"], due_at=m["due_at"],
        effective_at=m["effective_at"], created_at=m["created_at"],
        state=NoticeState(m["state"]), started_at=m["started_at"],
        completed_at=m["completed_at"], accounts_mark=m["accounts_mark"],
        accounts_read_at=m["accounts_read_at"], paused_at=m["paused_at"],
        resumed_at=m["resumed_at"], control_by=m["control_by"],
        control_reason=m["control_reason"], variant=m["variant"] or None)


def get_notice(conn: Connection, notice_id: int) -> Notice:
    row = conn.execute(sa.select(notices).where(notices.c.id == notice_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"notice {notice_id} does not exist; see 'policybook notices list'")
    return _notice(row)


_REF = re.compile(r"^(?P<policy>[a-z0-9][a-z0-9-]*)(?::(?P<variant>[a-z0-9][a-z0-9-]*))?"
                  r"@(?P<date>\d{4}-\d{2}-\d{2})$")


def find_notice(conn: Connection, ref: str) -> Notice:
    """A notice by id (`12`) or by version (`privacy-policy@2027-01-15`, or
    `privacy-policy:eea@2027-03-01` for a regional variant: its newest notice)."""
    ref = ref.strip()
    if ref.isdigit():
        return get_notice(conn, int(ref))
    m = _REF.match(ref)
    if not m:
        raise UsageError(f"notice {ref!r} is neither a number nor POLICY@YYYY-MM-DD "
                         "(POLICY:VARIANT@YYYY-MM-DD for a regional variant); see "
                         "'policybook notices list'")
    try:
        effective = dt.date.fromisoformat(m["date"])
    except ValueError:
        raise UsageError(f"notice {ref!r}: {m['date']} is not a date") from None
    row = conn.execute(sa.select(notices).where(
        notices.c.policy == m["policy"], notices.c.variant == (m["variant"] or ""),
        notices.c.effective == effective,
    ).order_by(notices.c.id.desc()).limit(1)).one_or_none()
    if row is None:
        raise NotFoundError(f"no notice for {ref}; see 'policybook notices list'")
    return _notice(row)


def list_notices(conn: Connection, states: Sequence[NoticeState] | None = None
                 ) -> list[Notice]:
    query = sa.select(notices).order_by(notices.c.due_at, notices.c.id)
    if states:
        query = query.where(notices.c.state.in_([s.value for s in states]))
    return [_notice(r) for r in conn.execute(query)]


def due_notices(conn: Connection, now: dt.datetime) -> list[Notice]:
    """Open notices whose sending may start by `now`, oldest due first."""
    return [n for n in list_notices(conn, OPEN_STATES) if n.due_at <= now]


def delivery_totals(conn: Connection, notice_id: int | None = None
                    ) -> dict[int, dict[str, int]]:
    """notice id -> delivery state -> count."""
    query = (sa.select(deliveries.c.notice_id, deliveries.c.state, sa.func.count())
             .group_by(deliveries.c.notice_id, deliveries.c.state))
    if notice_id is not None:
        query = query.where(deliveries.c.notice_id == notice_id)
    totals: dict[int, dict[str, int]] = {}
    for nid, state, count in conn.execute(query):
        totals.setdefault(nid, {})[state] = count
    return totals


def set_notice_state(conn: Connection, notice_id: int, state: NoticeState, now: dt.datetime,
                     **values: Any) -> None:
    changes: dict[str, Any] = {"state": state.value, **values}
    if state is NoticeState.SENDING:
        changes["started_at"] = sa.func.coalesce(notices.c.started_at, utc_value(now))
    if state in (NoticeState.COMPLETE, NoticeState.CANCELLED):
        changes["completed_at"] = now
    conn.execute(notices.update().where(notices.c.id == notice_id).values(**changes))


def cancel_notice(conn: Connection, notice_id: int, now: dt.datetime, reason: str,
                  by: str | None = None) -> int:
    """Withdraw a notice: nothing more is sent; returns how many deliveries stopped.

    A batch in the hands of a sender right now (a live lease) is left to it: the provider
    may already have it, and the sender records what was accepted as sent (the proof
    must not say "cancelled" of an e-mail that went out), then gives the rest back, which
    `stop_leftovers` then cancels."""
    get_notice(conn, notice_id)
    stopped = stop_leftovers(conn, notice_id, now, reason)
    set_notice_state(conn, notice_id, NoticeState.CANCELLED, now, control_by=by,
                     control_reason=reason)
    audit(conn, "notice.cancelled", f"notice:{notice_id}", now,
          {"reason": reason, "stopped": stopped, "by": by})
    return stopped


def stop_leftovers(conn: Connection, notice_id: int, now: dt.datetime, reason: str) -> int:
    """A cancelled notice's deliveries that no sender holds: pending, or claimed under an
    expired lease (a sender that died) -> cancelled."""
    d = deliveries.c
    return int(conn.execute(deliveries.update().where(
        d.notice_id == notice_id,
        sa.or_(d.state == "pending", sa.and_(d.state == "sending", d.lease_until < now)),
    ).values(state="cancelled", claim_token=None, lease_until=None, error=reason)).rowcount)


def pause_notice(conn: Connection, notice: Notice, now: dt.datetime, reason: str | None,
                 by: str) -> None:
    """Hold an open notice: senders stop before their next batch (see ledger.claim)."""
    set_notice_state(conn, notice.id, NoticeState.PAUSED, now, paused_at=now,
                     control_by=by, control_reason=reason)
    audit(conn, "notice.paused", f"notice:{notice.id}", now,
          {"by": by, "reason": reason, "was": notice.state.value})


def resume_notice(conn: Connection, notice: Notice, now: dt.datetime, reason: str | None,
                  by: str) -> NoticeState:
    """Open a paused notice again: sending if it had started, else scheduled."""
    state = NoticeState.SENDING if notice.started_at is not None else NoticeState.SCHEDULED
    conn.execute(notices.update().where(notices.c.id == notice.id).values(
        state=state.value, resumed_at=now, control_by=by, control_reason=reason))
    audit(conn, "notice.resumed", f"notice:{notice.id}", now,
          {"by": by, "reason": reason, "paused_at": notice.paused_at.isoformat()
           if notice.paused_at else None, "state": state.value})
    return state


def reopen_notice(conn: Connection, notice: Notice, now: dt.datetime, reason: str | None,
                  by: str) -> NoticeState:
    """Start a cancelled notice again (`notices send --again`): the deliveries it stopped
    are pending again (those already sent are not sent twice), and its period counts
    from now, like a resume (the cancel counts as the pause)."""
    state = NoticeState.SENDING if notice.started_at is not None else NoticeState.SCHEDULED
    reopened = conn.execute(deliveries.update().where(
        deliveries.c.notice_id == notice.id, deliveries.c.state == "cancelled",
    ).values(state="pending", error=None)).rowcount
    conn.execute(notices.update().where(notices.c.id == notice.id).values(
        state=state.value, paused_at=notice.completed_at or now, resumed_at=now,
        completed_at=None, control_by=by, control_reason=reason))
    audit(conn, "notice.reopened", f"notice:{notice.id}", now,
          {"by": by, "reason": reason, "pending": reopened, "state": state.value})
    return state


def notice_is_open(conn: Connection, notice_id: int) -> bool:
    """Whether a sender may claim for the notice (neither paused nor cancelled)."""
    state = conn.execute(sa.select(notices.c.state).where(notices.c.id == notice_id)
                         ).scalar_one_or_none()
    return state is not None and state not in (NoticeState.PAUSED.value,
                                               NoticeState.CANCELLED.value)


def audit(conn: Connection, kind: str, subject: str, at: dt.datetime,
          details: Mapping[str, Any] | None = None) -> None:
    """Append to the audit log (counts and ids, never e-mail addresses)."""
    conn.execute(audit_log.insert().values(at=_aware(at, "at"), kind=kind, subject=subject,
                                           details=dict(details or {})))


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    kind: str
    subject: str
    details: Mapping[str, Any] = field(default_factory=dict)


def audit_entries(conn: Connection, subject: str | None = None) -> list[AuditEntry]:
    query = sa.select(audit_log).order_by(audit_log.c.id)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    return [AuditEntry(r.at, r.kind, r.subject, r.details) for r in conn.execute(query)]
