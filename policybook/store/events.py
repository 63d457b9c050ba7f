"""Provider events (shell): SendGrid's event webhook, deduplicated, applied to the ledger.

Only events of this installation's own messages are kept, and each once: an event must
name a delivery of the ledger (`pb_delivery`, and `pb_notice` when given), carry this
installation's id (`pb_install`) when it carries one, or else (messages sent before the
install id was added) its SendGrid message id must be the one the ledger recorded for
that delivery. A staging and a production install that
share a SendGrid account therefore never touch each other's proof: the other install's
events are counted as `foreign` and not stored. An event already stored (`(provider,
event_id)` is unique), or repeated within one post, is a duplicate. An event that
cannot be read (a missing field, a number out of range, text with NUL characters) is
counted as `malformed` and skipped: one bad event never fails a post (SendGrid would
retry it forever).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..delivery import DeliveryState, state_after_event
from .schema import deliveries, install_id, provider_events, utc_value

MAX_ID = 2**63 - 1  # the ledger's ids are 64-bit integers
MAX_FIELD = 4096  # characters of any one text field kept


@dataclass(frozen=True)
class EventCounts:
    received: int = 0
    applied: int = 0  # new events of this installation's messages
    duplicates: int = 0  # already seen (sg_event_id), or twice in this post
    ignored: int = 0  # not policybook's (no delivery id), or no such delivery
    foreign: int = 0  # another installation's (install id or message id differs)
    malformed: int = 0  # could not be read

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "applied": self.applied,
                "duplicates": self.duplicates, "ignored": self.ignored,
                "foreign": self.foreign, "malformed": self.malformed}


@dataclass(frozen=True)
class _Event:
    event_id: str
    delivery_id: int
    notice_id: int | None
    install: str | None
    message_id: str | None
    kind: str
    at: dt.datetime
    data: Mapping[str, Any]


class _Malformed(Exception):
    pass


class _NotOurs(Exception):
    pass


def _text(value: Any, name: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD or "\0" in value:
        raise _Malformed(name)
    return value


def _number(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _Malformed(name)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _Malformed(name) from None
    if not 0 <= number <= MAX_ID:
        raise _Malformed(name)
    return number


def _clean(value: Any, depth: int = 0) -> Any:
    """The event as JSON any database stores: no NUL characters (PostgreSQL refuses
    them), no NaN or infinities, bounded nesting and text."""
    if depth > 8:
        raise _Malformed("nested too deeply")
    if isinstance(value, str):
        if "\0" in value:
            raise _Malformed("NUL character")
        return value[:MAX_FIELD]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Malformed("not a finite number")
    if isinstance(value, Mapping):
        return {_clean(str(k), depth + 1): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    return value


def _parse(raw: Any) -> _Event:
    if not isinstance(raw, Mapping):
        raise _Malformed("not an object")
    if raw.get("pb_delivery") is None:
        raise _NotOurs
    event_id = _text(raw.get("sg_event_id"), "sg_event_id")
    kind = _text(raw.get("event"), "event")
    delivery_id = _number(raw.get("pb_delivery"), "pb_delivery")
    notice = raw.get("pb_notice")
    notice_id = None if notice is None else _number(notice, "pb_notice")
    install = _text(raw.get("pb_install"), "pb_install", required=False)
    message_id = _text(raw.get("sg_message_id"), "sg_message_id", required=False)
    seconds = _number(raw.get("timestamp"), "timestamp")
    try:
        at = dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise _Malformed("timestamp") from None
    assert event_id is not None and kind is not None
    return _Event(event_id[:128], delivery_id, notice_id, install, message_id, kind[:32], at,
                  _clean(dict(raw)))


def _same_message(recorded: str | None, event: _Event) -> bool:
    """SendGrid's event message id is the X-Message-Id it answered, then `.filter...`."""
    if recorded is None or event.message_id is None:
        return False
    return event.message_id == recorded or event.message_id.startswith(recorded + ".")


def apply_sendgrid_events(conn: Connection, events: Sequence[Any], now: dt.datetime
                          ) -> EventCounts:
    """Store the new events of this installation's deliveries and move those deliveries;
    one transaction."""
    malformed = ignored = duplicates = foreign = 0
    parsed: dict[str, _Event] = {}
    for raw in events:
        try:
            event = _parse(raw)
        except _Malformed:
            malformed += 1
            continue
        except _NotOurs:
            ignored += 1
            continue
        if event.event_id in parsed:
            duplicates += 1  # the same event twice in one post counts once
            continue
        parsed[event.event_id] = event
    d = deliveries.c
    rows: dict[int, dict[str, Any]] = {}
    if parsed:
        rows = {r.id: dict(r._mapping) for r in conn.execute(sa.select(
            d.id, d.notice_id, d.state, d.event_at, d.provider_message_id).where(
            d.id.in_({e.delivery_id for e in parsed.values()})))}
    ours = install_id(conn) if parsed else ""
    mine: list[_Event] = []
    for event in parsed.values():
        row = rows.get(event.delivery_id)
        if row is None or (event.notice_id is not None and event.notice_id != row["notice_id"]):
            ignored += 1  # no such delivery here: not stored
            continue
        if event.install is not None:
            # This installation's random id decides; the message id may differ from the
            # one recorded when a batch was sent twice (a crash before it was recorded),
            # and the first copy's events are this installation's all the same.
            if event.install != ours:
                foreign += 1
                continue
        elif not _same_message(row["provider_message_id"] or None, event):
            # No install id (a message sent before policybook added it): only the
            # message id the ledger recorded for this delivery ties the event to it.
            foreign += 1
            continue
        mine.append(event)
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    fresh: list[_Event] = []
    for event in mine:
        # One statement per event: RETURNING tells which ones were new, on both
        # databases, and a post holds at most a few thousand events.
        inserted = conn.execute(insert(provider_events).values(
            provider="sendgrid", event_id=event.event_id, delivery_id=event.delivery_id,
            event=event.kind, at=event.at, received_at=now, data=dict(event.data),
        ).on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(provider_events.c.event_id)).scalar_one_or_none()
        if inserted is not None:
            fresh.append(event)
        else:
            duplicates += 1
    for event in sorted(fresh, key=lambda e: e.at):
        _move(conn, rows[event.delivery_id], event)
    return EventCounts(len(events), len(fresh), duplicates, ignored, foreign, malformed)


def _move(conn: Connection, row: dict[str, Any], event: _Event) -> None:
    d = deliveries.c
    state = DeliveryState(row["state"])
    last_at: dt.datetime | None = row["event_at"]
    target = state_after_event(state, last_at, event.kind, event.at)
    if target is None:
        return  # stored (deferred, open, a late older event...); moves nothing
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
    conn.execute(deliveries.update().where(d.id == row["id"]).values(**values))
    row["state"], row["event_at"] = target.value, event.at
