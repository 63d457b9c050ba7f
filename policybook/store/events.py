"""Provider events (shell): SendGrid's event webhook, deduplicated, applied to the ledger.

Events are stored once each (`(provider, event_id)` is unique; a replayed or re-posted
event is ignored) and only events of policybook's own messages are kept: they carry
the delivery id in their custom arguments (`pb_delivery`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..delivery import DeliveryState, state_after_event
from .schema import deliveries, provider_events, utc_value


@dataclass(frozen=True)
class EventCounts:
    received: int = 0
    applied: int = 0  # new events of policybook's messages
    duplicates: int = 0  # already seen (sg_event_id)
    ignored: int = 0  # not policybook's, or malformed

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "applied": self.applied,
                "duplicates": self.duplicates, "ignored": self.ignored}


@dataclass(frozen=True)
class _Event:
    event_id: str
    delivery_id: int
    notice_id: int | None
    kind: str
    at: dt.datetime
    data: Mapping[str, Any]


def _parse(raw: Any) -> _Event | None:
    if not isinstance(raw, Mapping):
        return None
    event_id, kind, ts = raw.get("sg_event_id"), raw.get("event"), raw.get("timestamp")
    try:
        delivery_id = int(str(raw.get("pb_delivery")))
        at = dt.datetime.fromtimestamp(int(ts), dt.UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128 \
            or not isinstance(kind, str) or not kind:
        return None
    try:
        notice_id = int(str(raw.get("pb_notice")))
    except ValueError:
        notice_id = None
    return _Event(event_id, delivery_id, notice_id, kind[:32], at, dict(raw))


def apply_sendgrid_events(conn: Connection, events: Sequence[Any], now: dt.datetime
                          ) -> EventCounts:
    """Store the new events of a webhook post and move their deliveries; one transaction."""
    parsed = [e for e in (_parse(raw) for raw in events) if e is not None]
    ignored = len(events) - len(parsed)
    if not parsed:
        return EventCounts(len(events), 0, 0, ignored)
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    new_ids: set[str] = set()
    for event in parsed:
        # One statement per event: RETURNING tells which ones were new, on both
        # databases, and a post holds at most a few thousand events.
        inserted = conn.execute(insert(provider_events).values(
            provider="sendgrid", event_id=event.event_id, delivery_id=event.delivery_id,
            event=event.kind, at=event.at, received_at=now, data=dict(event.data),
        ).on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(provider_events.c.event_id)).scalar_one_or_none()
        if inserted is not None:
            new_ids.add(inserted)
    fresh = [e for e in parsed if e.event_id in new_ids]
    duplicates = len(parsed) - len(fresh)
    d = deliveries.c
    rows: dict[int, dict[str, Any]] = {}
    if fresh:
        rows = {r.id: dict(r._mapping) for r in conn.execute(sa.select(
            d.id, d.notice_id, d.state, d.event_at).where(
            d.id.in_({e.delivery_id for e in fresh})))}
    applied = 0
    for event in sorted(fresh, key=lambda e: e.at):
        row = rows.get(event.delivery_id)
        if row is None or (event.notice_id is not None and event.notice_id != row["notice_id"]):
            ignored += 1
            continue
        applied += 1
        state = DeliveryState(row["state"])
        last_at: dt.datetime | None = row["event_at"]
        target = state_after_event(state, last_at, event.kind, event.at)
        if target is None:
            continue  # stored above (deferred, open, a late older event...); moves nothing
        # `event_at` is the time of the event that decided the state, so that an older
        # event arriving later cannot undo a newer one.
        values: dict[str, Any] = {"state": target.value, "last_event": event.kind,
                                  "event_at": event.at}
        if target is DeliveryState.DELIVERED:
            values["delivered_at"] = event.at
        if target in (DeliveryState.BOUNCED, DeliveryState.DROPPED):
            reason = event.data.get("reason") or event.data.get("type") or event.kind
            values["error"] = str(reason)[:2000]
        if state in (DeliveryState.PENDING, DeliveryState.SENDING):
            # The provider has it: whatever our sender records later, it was sent.
            values["sent_at"] = sa.func.coalesce(d.sent_at, utc_value(event.at))
            values["claim_token"] = None
            values["lease_until"] = None
        conn.execute(deliveries.update().where(d.id == event.delivery_id).values(**values))
        row["state"], row["event_at"] = target.value, event.at
    return EventCounts(len(events), applied, duplicates, ignored)
