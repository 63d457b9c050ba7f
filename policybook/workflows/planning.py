"""What the store knows for the plan (the notices on record, since when it tracks), and
the `Plans` value that `plan` and the tick read (a `State` with full assessments).

The state itself is built in one place, `workflows/state.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from ..cache import DiskCache, cache_folder, digest, stats
from ..config import Config, LateNotice
from ..errors import PolicybookError, StoreError
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


def read_records(store: Store | OnRecord | None) -> Records:
    """The notices on record (cancelled ones too: they hold their version, see
    `timeline.NoticeRecord`) and the start of tracking. Through an `OnRecord`, from its
    cache when the database has not changed since it was read."""
    if isinstance(store, OnRecord):
        return store.records()
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
Facts = tuple[int | None, dict[NoticeKey, dict[str, Any]]]


def notice_facts(config: Config, store: Store | OnRecord | None) -> Facts:
    """(active accounts, notices on record by version) for `plan`; None when unknown."""
    if isinstance(store, OnRecord):
        return store.notice_facts()
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


# ------------------------------------------------ what is on record, without SQLAlchemy

# A database file changed less than this long ago may change again within the same tick
# of the file system's clock without its stamp changing: what is read from it then is not
# kept (as git treats a "racily clean" index entry).
SETTLED_NS = 2_000_000_000
T = TypeVar("T")


@dataclass(frozen=True)
class Stamp:
    """What identifies the content of an SQLite database without opening it: the inode,
    size, modification and change times of the file and of its write-ahead log. Any
    commit changes the log (or, once checkpointed, the file), and with it the stamp."""

    key: str
    exists: bool
    newest_ns: int  # the latest modification or change time of the two files

    def settled(self) -> bool:
        return time.time_ns() - self.newest_ns > SETTLED_NS


def database_stamp(url: str) -> Stamp | None:
    """The stamp of an SQLite database file; None for PostgreSQL or an in-memory database
    (their content cannot be known without a connection: see `OnRecord`)."""
    database = sqlite_database(url)
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).absolute()
    parts, newest, exists = [str(path)], 0, False
    for i, file in enumerate((path, path.with_name(path.name + "-wal"))):
        try:
            st = file.stat()
        except FileNotFoundError:
            parts.append("-")
            continue
        if i == 1 and st.st_size == 0:
            # An empty log holds nothing: SQLite creates one when a connection opens and
            # deletes it when the last one closes, and a commit never leaves it empty.
            parts.append("-")
            continue
        exists = exists or i == 0
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        parts.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
    return Stamp("|".join(parts), exists, newest)


class OnRecord:
    """The store of a process, opened only when needed, and what is on record in it.

    What `read_records` and `notice_facts` read from an SQLite database is kept in the
    cache folder (`policybook.cache`) under the database's `Stamp`, so a command that
    starts while nothing was recorded since reads one small file and never loads
    SQLAlchemy. There is one reader of the notices (`read_records`): the cache only keeps
    what it returned, under a key that changes with any write to the database, and an
    entry is kept only if the database did not change while it was read and had settled.

    PostgreSQL has no such stamp: learning whether anything changed takes a connection,
    hence the driver and SQLAlchemy, which are the cost being avoided, so it is always
    read (a deployment on PostgreSQL is mostly a long-running `policybook run`)."""

    def __init__(self, config: Config, now: dt.datetime, store: Store | None = None) -> None:
        self.config, self.now = config, now
        self._store = store
        self._opened = store is not None
        self.own = store is None  # closed by `close` (a store handed over is the caller's)
        self._memo: dict[str, tuple[str, object]] = {}
        self._lock = threading.Lock()  # the live site's threads share one

    @property
    def store(self) -> Store | None:
        """The store (opened now if it was not yet; None when no database exists)."""
        with self._lock:
            if not self._opened:
                self._store = optional_store(self.config, self.now)
                self._opened = True
            return self._store

    def close(self) -> None:
        with self._lock:
            if self.own and self._store is not None:
                self._store.close()
            self._store, self._opened = None, False

    def records(self) -> Records:
        return self._cached("records", lambda: read_records(self.store),
                            _records_json, _records_of)

    def notice_facts(self) -> Facts:
        if self.config.accounts_sql_query:  # accounts counted in another database
            return notice_facts(self.config, self.store)
        return self._cached("notice-facts", lambda: notice_facts(self.config, self.store),
                            _facts_json, _facts_of)

    def audience_groups(self) -> list[tuple[str, str, int]] | None:
        """The active accounts counted by (country, locale), for the plan's audience
        line; None when they cannot be counted (no database, or the source failed)."""
        def read() -> list[tuple[str, str, int]] | None:
            store = self.store
            if store is None and not self.config.accounts_sql_query:
                return None
            from .accounts import audience_groups

            try:
                return audience_groups(self.config, store)
            except PolicybookError as exc:
                log.warning("accounts could not be counted: %s", exc.message)
                return None

        if self.config.accounts_sql_query:  # accounts counted in another database
            return read()
        groups: list[tuple[str, str, int]] | None = self._cached(
            "audience-groups", read, lambda found: found, _groups_of)
        return groups

    def _cached(self, kind: str, read: Callable[[], T], dump: Callable[[T], Any],
                load: Callable[[Any], T]) -> T:
        stamp = database_stamp(self.config.db_url)
        if stamp is None or not stamp.exists:
            return read()  # PostgreSQL, or no database yet (then nothing is opened)
        key = digest(kind, stamp.key)
        memo = self._memo.get(kind)
        if memo is not None and memo[0] == key:
            return memo[1]  # type: ignore[return-value]
        disk = DiskCache(cache_folder(self.config.root), "on-record")
        data = disk.get(key)
        if data is not None:
            try:
                value = load(data)
            except (KeyError, TypeError, ValueError, AttributeError):
                stats["on-record.corrupt"] += 1
            else:
                self._memo[kind] = (key, value)
                return value
        stats[f"on-record.{kind}.read"] += 1
        value = read()
        if database_stamp(self.config.db_url) == stamp and stamp.settled():
            disk.put(key, dump(value))
            self._memo[kind] = (key, value)
        return value



def _moment(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _records_json(records: Records) -> dict[str, Any]:
    return {"since": None if records.tracking_since is None
            else records.tracking_since.isoformat(),
            "notices": [[n.policy, n.effective.isoformat(), n.version, n.started_at.isoformat(),
                         n.notice_id, n.created_at.isoformat(), n.paused, n.cancelled,
                         n.variant]
                        for n in records.notices]}


def _records_of(data: Any) -> Records:
    """Raises KeyError, TypeError or ValueError on anything but what `_records_json` wrote."""
    notices = []
    for policy, effective, version, started, notice_id, created, paused, cancelled, \
            variant in data["notices"]:
        if not isinstance(notice_id, int) or not isinstance(paused, bool) \
                or not isinstance(cancelled, bool) or not isinstance(variant, str | None):
            raise TypeError("not a notice on record")
        notices.append(NoticeOnRecord(str(policy), dt.date.fromisoformat(effective),
                                      str(version), dt.datetime.fromisoformat(started),
                                      notice_id, dt.datetime.fromisoformat(created),
                                      paused=paused, cancelled=cancelled, variant=variant))
    return Records(tuple(notices), _moment(data["since"]))


_FACT_MOMENTS = ("started_at", "paused_at", "cancelled_at")


def _facts_json(facts: Facts) -> dict[str, Any]:
    accounts, notices = facts
    return {"accounts": accounts, "notices": [
        [policy, variant, effective.isoformat(),
         {k: (v.isoformat() if k in _FACT_MOMENTS and v is not None else v)
          for k, v in fact.items()}]
        for (policy, variant, effective), fact in notices.items()]}


def _facts_of(data: Any) -> Facts:
    """Raises KeyError, TypeError or ValueError on anything but what `_facts_json` wrote."""
    accounts = data["accounts"]
    if accounts is not None and not isinstance(accounts, int):
        raise TypeError("not a count")
    notices: dict[NoticeKey, dict[str, Any]] = {}
    for policy, variant, effective, fact in data["notices"]:
        if not isinstance(variant, str | None):
            raise TypeError("not a variant")
        fact = dict(fact)
        for k in _FACT_MOMENTS:
            fact[k] = _moment(fact[k])
        notices[(str(policy), variant, dt.date.fromisoformat(effective))] = fact
    return accounts, notices


def _groups_of(data: Any) -> list[tuple[str, str, int]] | None:
    """Raises TypeError on anything but a list of [country, locale, count]."""
    if data is None:
        return None
    out = []
    for country, locale, count in data:
        if not isinstance(country, str) or not isinstance(locale, str) \
                or not isinstance(count, int):
            raise TypeError("not an audience group")
        out.append((country, locale, count))
    return out
