"""A notice, as a value (pure core): what the store keeps and the e-mail and site show.

The store (`store/notices.py`) creates and reads notices; mail composes them; neither
needs the other's module for the value itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from . import urls


class NoticeState(StrEnum):
    SCHEDULED = "scheduled"  # created, not sent yet (maybe not due yet)
    SENDING = "sending"  # sending started; open to accounts added before the effective date
    COMPLETE = "complete"  # the version took effect and every delivery was attempted
    CANCELLED = "cancelled"  # withdrawn (e.g. the version was withdrawn); nothing more is sent
    PAUSED = "paused"  # held by legal (`notices pause`): nothing is sent until resumed


OPEN_STATES = (NoticeState.SCHEDULED, NoticeState.SENDING)


@dataclass(frozen=True)
class NoticeReason:
    """One material change, in plain language, for the e-mail's short list."""

    text: str
    section: str | None = None  # section id: the e-mail links to it in the redline


@dataclass(frozen=True)
class NoticeSpec:
    """What the scheduler knows when a material version's notice becomes due."""

    policy: str
    effective: dt.date
    version: str  # the commit (sha) of the version's text being noticed
    title: str
    summary: str
    reasons: tuple[NoticeReason, ...]
    upcoming_url: str
    changes_url: str
    due_at: dt.datetime  # when sending may start (aware)
    effective_at: dt.datetime  # when the version takes effect (aware): recipients are added
    # on every run before this moment, and never after the first run past it
    variant: str | None = None  # the regional variant announced (None: the general one)


@dataclass(frozen=True)
class Notice:
    id: int
    policy: str
    effective: dt.date
    version: str
    title: str
    summary: str
    reasons: tuple[NoticeReason, ...]
    upcoming_url: str
    changes_url: str
    due_at: dt.datetime
    effective_at: dt.datetime
    created_at: dt.datetime
    state: NoticeState
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    accounts_mark: int = 0
    accounts_read_at: dt.datetime | None = None
    # Legal's control (`notices pause|resume|cancel`): the last pause and resume, and who
    # did the last action and why (a cancel's reason is what `plan` shows).
    paused_at: dt.datetime | None = None
    resumed_at: dt.datetime | None = None
    control_by: str | None = None
    control_reason: str | None = None
    variant: str | None = None  # the regional variant announced (None: the general one)

    @property
    def key(self) -> str:
        return notice_key(self.policy, self.variant, self.effective)


def notice_key(policy: str, variant: str | None, effective: dt.date) -> str:
    """`privacy-policy@2027-01-15`, `privacy-policy:eea@2027-03-01` for a variant: how
    commands and logs name a notice."""
    name = policy if variant is None else f"{policy}:{variant}"
    return f"{name}@{effective.isoformat()}"


def notice_links(base_url: str, policy: str, effective: dt.date,
                 variant: str | None = None) -> tuple[str, str]:
    """The site's pages for an upcoming version: (the version, its redline)."""
    base = base_url.rstrip("/") + "/"
    return (base + urls.upcoming_path(policy, variant),
            base + urls.changes_path(policy, effective, variant))
