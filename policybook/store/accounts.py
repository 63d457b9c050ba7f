"""Account holders (shell): the store's own table, or the company's database, read-only.

Either way accounts are read in batches: a million accounts are never in memory at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ..addresses import clean_name, normalize_email, normalize_locale
from ..config import Secret
from ..errors import ConfigError, StoreError
from .schema import accounts

_CHANGE_LOCK = 0x70_62_61_63  # "pbac": serialises imports so `changed` follows commit order


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str = ""
    locale: str = "en"
    status: AccountStatus = AccountStatus.ACTIVE
    country: str = ""  # ISO 3166-1 alpha-2 (regions.country_code), "" when unknown


@dataclass(frozen=True)
class UpsertCounts:
    added: int
    updated: int
    unchanged: int


def next_change(conn: Connection) -> int:
    """The `changed` value of one import, taken under a lock held until it commits.

    A notice remembers the highest value it has seen; numbers must therefore appear in
    commit order, which the lock guarantees on PostgreSQL (SQLite has one writer anyway).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOCK})
    current = conn.execute(sa.select(sa.func.max(accounts.c.changed))).scalar_one()
    return int(current or 0) + 1


def upsert_accounts(conn: Connection, rows: Sequence[Account], now: dt.datetime,
                    change: int) -> UpsertCounts:
    """Insert or update accounts by id; a row whose fields are all unchanged is left alone."""
    if not rows:
        return UpsertCounts(0, 0, 0)
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    base = insert(accounts)
    new = base.excluded
    stmt = base.on_conflict_do_update(
        index_elements=[accounts.c.id],
        set_={"email": new.email, "name": new.name, "locale": new.locale,
              "status": new.status, "country": new.country, "updated_at": new.updated_at,
              "changed": new.changed},
        where=sa.or_(accounts.c.email != new.email, accounts.c.name != new.name,
                     accounts.c.locale != new.locale, accounts.c.status != new.status,
                     accounts.c.country != new.country),
    ).returning(accounts.c.created_at, accounts.c.changed)
    params = [{"id": a.id, "email": a.email, "name": a.name, "locale": a.locale,
               "status": a.status.value, "country": a.country, "created_at": now,
               "updated_at": now,
               "changed": change} for a in rows]
    returned = conn.execute(stmt, params).all()
    # A row inserted now has created_at == now; an updated one keeps its creation time
    # (an earlier import with the same --now is indistinguishable, and harmless).
    added = sum(1 for r in returned if r.created_at == now)
    updated = len(returned) - added
    return UpsertCounts(added, updated, len(rows) - len(returned))


KEEPABLE = ("name", "locale", "status", "country")


def keep_stored(conn: Connection, rows: Sequence[tuple[Account, frozenset[str]]]
                ) -> list[Account]:
    """The accounts, each with the fields named beside it (of `KEEPABLE`) taken from the
    stored account of the same id, when there is one: a file that says nothing about a
    field (no such column, or an empty status) must not overwrite what is on record."""
    ids = [a.id for a, keep in rows if keep]
    stored: dict[str, Any] = {}
    if ids:
        c = accounts.c
        stored = {r.id: r for r in conn.execute(
            sa.select(c.id, c.name, c.locale, c.status, c.country).where(c.id.in_(ids)))}
    out: list[Account] = []
    for account, keep in rows:
        row = stored.get(account.id)
        if row is not None and keep:
            values: dict[str, Any] = {f: getattr(row, f) for f in keep if f in KEEPABLE}
            if "status" in values:
                values["status"] = AccountStatus(values["status"])
            account = replace(account, **values)
        out.append(account)
    return out


def account_counts(conn: Connection) -> dict[str, int]:
    counts = {s.value: 0 for s in AccountStatus}
    for status, n in conn.execute(sa.select(accounts.c.status, sa.func.count())
                                  .group_by(accounts.c.status)):
        counts[status] = n
    return counts


def iter_accounts(conn: Connection, batch: int = 5000) -> Iterator[list[Account]]:
    """Every account of the store, in batches (keyset pagination: constant memory)."""
    last = -1
    while True:
        rows = conn.execute(sa.select(accounts).where(accounts.c.pk > last)
                            .order_by(accounts.c.pk).limit(batch)).all()
        if not rows:
            return
        last = rows[-1].pk
        yield [Account(r.id, r.email, r.name, r.locale, AccountStatus(r.status), r.country)
               for r in rows]


# ---------------------------------------------------------------- the company's database


@dataclass(frozen=True)
class SourceRow:
    """An account read from the company's database, with what is wrong with it (if any)."""

    account: Account
    problem: str | None = None


class SqlAccountSource:
    """The company's own accounts table: a read-only query, streamed in batches.

    The query returns the columns `id` and `email`, and optionally `name`, `locale`,
    `country` (ISO 3166-1 alpha-2, or a name `regions.country_code` knows: "UK" is GB;
    anything else counts as unknown) and `status` ('closed' rows are not notified, and
    stop a pending delivery).
    """

    def __init__(self, url: Secret, query: str, batch: int = 5000,
                 default_locale: str = "en") -> None:
        self._url = url
        self.query = query.strip().rstrip(";")
        self.batch = batch
        self.default_locale = default_locale

    def _connect(self) -> Any:
        # A plain engine: policybook's own SQLite settings (WAL) would change the file.
        try:
            engine = sa.create_engine(self._url.value)
        except (SQLAlchemyError, ValueError):
            raise ConfigError(["POLICYBOOK_ACCOUNTS_URL is not an SQLAlchemy database URL"]
                              ) from None
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect",
                            lambda dbapi, _rec: dbapi.execute("PRAGMA query_only = ON"))
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"the accounts database cannot be reached: {_first_line(exc)}"
                             ) from None
        conn.begin()
        if conn.dialect.name == "postgresql":
            # Read-only in the database itself, not only by convention: a mistaken query
            # cannot change the company's data.
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        return engine, conn

    def count(self) -> int:
        engine, conn = self._connect()
        try:
            # The query is the operator's own configuration, not outside input.
            count = sa.text(f"SELECT count(*) FROM ({self.query}) AS q")  # noqa: S608
            return int(conn.execute(count).scalar_one())
        except SQLAlchemyError as exc:
            raise StoreError(f"accounts.sql_query failed: {_first_line(exc)}") from None
        finally:
            conn.close()
            engine.dispose()

    def groups(self) -> list[tuple[str, str, int]]:
        """The active accounts of the source counted by (country, locale), normalised
        as the rows are: one GROUP BY in the company's database, for the plan."""
        from ..regions import country_code

        engine, conn = self._connect()
        try:
            # The query is the operator's own configuration, not outside input.
            probe = sa.text(f"SELECT * FROM ({self.query}) AS q WHERE 1 = 0")  # noqa: S608
            columns = {str(c).lower() for c in conn.execute(probe).keys()}  # noqa: SIM118
            keys = [c for c in ("country", "locale", "status") if c in columns]
            listed = ", ".join(keys)
            query = (f"SELECT {listed + ', ' if keys else ''}count(*) AS n "  # noqa: S608
                     f"FROM ({self.query}) AS q" + (f" GROUP BY {listed}" if keys else ""))
            rows = conn.execute(sa.text(query)).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"accounts.sql_query failed: {_first_line(exc)}") from None
        finally:
            conn.close()
            engine.dispose()
        counts: dict[tuple[str, str], int] = {}
        for row in rows:
            data = dict(zip([*keys, "n"], row, strict=True))
            if str(data.get("status") or "active").strip().lower() == "closed":
                continue
            locale, _ = normalize_locale(str(data.get("locale") or ""))
            key = (country_code(str(data.get("country") or "")) or "",
                   locale or self.default_locale)
            counts[key] = counts.get(key, 0) + int(data["n"])
        return [(country, locale, n) for (country, locale), n in sorted(counts.items())]

    def batches(self) -> Iterator[list[SourceRow]]:
        engine, conn = self._connect()
        try:
            try:
                result = conn.execution_options(stream_results=True, yield_per=self.batch) \
                    .execute(sa.text(self.query))
            except SQLAlchemyError as exc:
                raise StoreError(f"accounts.sql_query failed: {_first_line(exc)}") from None
            columns = [str(c).lower() for c in result.keys()]  # noqa: SIM118
            missing = [c for c in ("id", "email") if c not in columns]
            if missing:
                raise ConfigError([f"accounts.sql_query must return the columns id and email "
                                   f"(missing: {', '.join(missing)}; it returned: "
                                   f"{', '.join(columns)})"])
            for part in result.partitions(self.batch):
                yield [self._row(dict(zip(columns, r, strict=True))) for r in part]
        finally:
            conn.close()
            engine.dispose()

    def _row(self, data: dict[str, Any]) -> SourceRow:
        from ..regions import country_code  # Babel's territories: only when rows are read

        account_id = str(data["id"])
        raw_email = "" if data["email"] is None else str(data["email"])
        email, problem = normalize_email(raw_email)
        locale, _ = normalize_locale(str(data.get("locale") or ""))
        status = str(data.get("status") or "active").strip().lower()
        account = Account(
            id=account_id, email=email or raw_email.strip()[:320],
            name=clean_name(str(data.get("name") or "")),
            locale=locale or self.default_locale,
            status=AccountStatus.CLOSED if status == "closed" else AccountStatus.ACTIVE,
            country=country_code(str(data.get("country") or "")) or "")
        return SourceRow(account, problem)


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig) if orig is not None else str(exc)).strip().splitlines()[0]


def flatten(batches: Iterable[list[SourceRow]]) -> Iterator[SourceRow]:
    for batch in batches:
        yield from batch
