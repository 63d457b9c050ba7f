"""Deliveries: one notice to one account, its states and how provider events move it
(pure core).

pending -> sending (claimed, under a lease) -> sent (the provider accepted it), or
failed (the provider refused this recipient, with its reason); later, from provider
events: delivered, bounced or dropped. skipped: the account was closed before it was
sent; cancelled: the notice was withdrawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    DROPPED = "dropped"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


# The states in which the provider has the message (a later event may refine them).
HANDED_OVER = frozenset({DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.BOUNCED,
                         DeliveryState.DROPPED})
OPEN = frozenset({DeliveryState.PENDING, DeliveryState.SENDING})


@dataclass(frozen=True)
class Recipient:
    """A claimed delivery, as the mail providers see it."""

    delivery_id: int
    account_id: str
    email: str
    name: str
    locale: str
    # ISO 3166-1 alpha-2 ("" unknown): with `[[sites]]`, whose site the links go to.
    country: str = ""


@dataclass(frozen=True)
class BatchResult:
    """What a provider did with a batch of recipients."""

    accepted: tuple[tuple[int, str], ...] = ()  # (delivery id, provider message id)
    failed: tuple[tuple[int, str], ...] = ()  # (delivery id, the provider's reason)
    unsent: tuple[int, ...] = ()  # not handed over: back to pending for a later run
    requests: int = 0  # provider requests made (HTTP requests, SMTP messages, files)
    error: str | None = None  # why the rest was not sent; stops the run


# Provider event -> the delivery state it proves. Other events (processed, deferred,
# open, click, spamreport...) are recorded but move nothing.
EVENT_STATES = {
    "delivered": DeliveryState.DELIVERED,
    "bounce": DeliveryState.BOUNCED,
    "blocked": DeliveryState.BOUNCED,
    "dropped": DeliveryState.DROPPED,
}
_NEGATIVE = {DeliveryState.BOUNCED: 2, DeliveryState.DROPPED: 2, DeliveryState.DELIVERED: 1}


def state_after_event(state: DeliveryState, last_event_at: dt.datetime | None, event: str,
                      at: dt.datetime) -> DeliveryState | None:
    """The delivery's new state after a provider event, or None if it does not change.

    Events arrive out of order and more than once; the latest event decides (a bounce
    after "delivered" is an asynchronous bounce), and on a tie the worse outcome wins.
    An event for a delivery still marked sending proves the provider accepted it.
    """
    target = EVENT_STATES.get(event)
    if state in (DeliveryState.SKIPPED, DeliveryState.CANCELLED, DeliveryState.FAILED):
        return None
    if target is None:
        return DeliveryState.SENT if state in OPEN and event == "processed" else None
    if state in OPEN or state is DeliveryState.SENT:
        return target
    if last_event_at is None or at > last_event_at:
        return target if target is not state else None
    if at == last_event_at and _NEGATIVE.get(target, 0) > _NEGATIVE.get(state, 0):
        return target
    return None
