"""What the store knows for the plan (the notices on record, since when it tracks), and
the `Plans` value that `plan` and the tick read (a `State` with full assessments).

The state itself is built in one place, `workflows/state.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..config import Config, LateNotice
from ..errors import StoreError
from ..notice import Notice
from ..state import PolicyState, State
from ..timeline import LatePolicy, Settings, notice_start
from .assessing import Judgement

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a database exists
    from ..store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticeOnRecord:
    policy: str
    effective: dt.date
    version: str  # the commit whose text was announced
    started_at: dt.datetime  # when its notice period counts from (see timeline.notice_start)
    notice_id: int
    created_at: dt.datetime  # when it was created (possibly early, by `notices send`)
    paused: bool = False
    cancelled: bool = False
    variant: str | None = None  # the regional variant it announced (None: the general one)


@dataclass(frozen=True)
class Records:
    """What the store knows that git does not: notices sent, and since when it knows."""

    notices: tuple[NoticeOnRecord, ...] = ()
    tracking_since: dt.datetime | None = None


def read_records(store: Store | None) -> Records:
    """The notices on record (cancelled ones too: they hold their version, see
    `timeline.NoticeRecord`) and the start of tracking."""
    if store is None:
        return Records()
    from ..store import NoticeState, list_notices
    from ..store.schema import current_version, installed_at

    with store.read() as conn:
        if current_version(conn) is None:
            return Records()
        since = installed_at(conn)
        notices = tuple(
            NoticeOnRecord(n.policy, n.effective, n.version, _started(n), n.id, n.created_at,
                           paused=n.state is NoticeState.PAUSED,
                           cancelled=n.state is NoticeState.CANCELLED, variant=n.variant)
            for n in list_notices(conn))
    return Records(notices, since)


def _started(n: Notice) -> dt.datetime:
    """When a notice's period counts from: when it was created (the same tick sends it and
    the banner shows from then), or its due moment if created on time; a notice that legal
    paused and resumed after it was due counts from its resume (its e-mails waited: it
    follows the late-notice policy like any notice that started late)."""
    start = notice_start(n.created_at, n.due_at)
    if n.resumed_at is not None and n.paused_at is not None and n.resumed_at > start:
        return notice_start(n.resumed_at, n.due_at)
    return start


def settings(config: Config, records: Records) -> Settings:
    late = LatePolicy.WARN if config.late_notice is LateNotice.WARN else LatePolicy.POSTPONE
    return Settings(notice_days=config.notice_days, zone=config.zone,
                    recently_updated_days=config.recently_updated_days, late=late,
                    tracking_since=records.tracking_since)


@dataclass(frozen=True)
class Plans:
    """The state at `now` (see `workflows.state`) with the full assessment of each
    version's change, for the readers that list reasons (`plan`, the notices)."""

    state: State
    assessments: Mapping[str, Mapping[dt.date, Judgement]]

    @property
    def now(self) -> dt.datetime:
        return self.state.now

    @property
    def head(self) -> str | None:
        return self.state.head

    @property
    def policies(self) -> tuple[PolicyState, ...]:
        return self.state.policies

    def policy(self, policy: str, variant: str | None = None) -> PolicyState | None:
        return self.state.policy(policy, variant)


def optional_store(config: Config, now: dt.datetime) -> Store | None:
    """The store, if there is one. Reading pages, a plan or a check never creates one: an
    SQLite file that does not exist means that nothing is on record yet."""
    database = sqlite_database(config.db_url)
    if database is not None and (not database or database == ":memory:"
                                 or not Path(database).exists()):
        return None
    from ..store import Store  # SQLAlchemy loads only when there is a database to read

    return Store.open(config.db_url, now)


def sqlite_database(url: str) -> str | None:
    """The file of an SQLite URL ('' for an in-memory database), None for another
    database. Read as SQLAlchemy's `make_url` reads it (`sqlite:///relative.db`,
    `sqlite:////absolute.db`, `sqlite+driver://...?options`), without loading SQLAlchemy
    just to learn that no database file exists."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite":
        return None
    return unquote(rest.partition("/")[2].partition("?")[0])


NoticeKey = tuple[str, str | None, dt.date]  # (policy, variant, effective)


def notice_facts(config: Config, store: Store | None
                 ) -> tuple[int | None, dict[NoticeKey, dict[str, Any]]]:
    """(active accounts, notices on record by version) for `plan`; None when unknown."""
    if store is None:
        return None, {}
    from ..store import NoticeState, list_notices
    from ..store.notices import delivery_totals
    from .accounts import count_recipients

    notices: dict[NoticeKey, dict[str, Any]] = {}
    with store.read() as conn:
        totals = delivery_totals(conn)
        # (in id order: a later notice of the same version, one started again, wins)
        for n in sorted(list_notices(conn), key=lambda n: n.id):
            notices[(n.policy, n.variant, n.effective)] = {
                "id": n.id, "state": str(n.state), "started_at": n.started_at or n.created_at,
                "deliveries": totals.get(n.id, {}), "by": n.control_by,
                "reason": n.control_reason,
                "paused_at": n.paused_at if n.state is NoticeState.PAUSED else None,
                "cancelled_at": n.completed_at if n.state is NoticeState.CANCELLED else None}
    try:
        accounts: int | None = count_recipients(config, store)
    except StoreError as exc:
        log.warning("accounts could not be counted: %s", exc.message)
        accounts = None
    return accounts, notices
