"""Opening the database: SQLite (a file, WAL) or PostgreSQL (psycopg 3), and transactions.

SQLite allows one writer at a time. Every write transaction starts with
`BEGIN IMMEDIATE`, which takes the write lock at once (waiting up to the busy timeout)
instead of failing halfway when a read turns into a write; reads use a plain `BEGIN`
and, in WAL mode, never wait for a writer. That is what makes a claim on SQLite a
single-writer claim that two processes cannot both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from ..errors import StoreError
from .schema import migrate

BUSY_TIMEOUT_SECONDS = 30


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str) -> Engine:
    """An engine for `url` with policybook's connection settings (no schema work)."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise StoreError(f"database URL {_redact(url)!r} is not an SQLAlchemy URL; write for "
                         "example sqlite:///path/policybook.db or "
                         "postgresql+psycopg://user:password@host/db") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database == "":
            # 'sqlite:///' looks like a file whose path was forgotten, and SQLAlchemy makes
            # it an in-memory database: the proof of notice would vanish with the process.
            # Never take that silently (the explicit 'sqlite://' and ':memory:' are a choice).
            raise StoreError(f"database URL {_redact(url)!r} names no file (SQLite would keep "
                             "everything in memory and lose it on exit); write "
                             "sqlite:///path/to/policybook.db")
        file = _sqlite_file(parsed)
        if file is not None:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder of the database {file} "
                                 f"({exc.strerror or exc}); choose a writable place with "
                                 "POLICYBOOK_DATABASE_URL or database.url") from None
        engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise StoreError(f"database {parsed.get_backend_name()!r} is not supported; use SQLite or "
                     "PostgreSQL (postgresql+psycopg://...)")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the pysqlite driver's own
    # implicit transactions would start them too late, and deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    # In WAL mode NORMAL loses no committed transaction on a process crash (kill -9),
    # only possibly the last ones on a power loss; FULL would fsync every claim.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("pb_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable>"


class Store:
    """policybook's database: an engine plus write/read transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, now: dt.datetime | None = None, *, upgrade: bool = True) -> Store:
        """Connect to `url` and (by default) create or upgrade the schema."""
        store = cls(create_engine(url))
        if upgrade:
            try:
                store.migrate(now or dt.datetime.now(dt.UTC))
            except DatabaseError as exc:
                store.close()
                # OperationalError (a lock, a refused connection) is already a StoreError;
                # this is what is left: the file is not a database, or not one of ours.
                detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None \
                    else type(exc).__name__
                raise StoreError(f"the database {store.url} cannot be used: {detail}; if "
                                 "this file is not policybook's database, point "
                                 "POLICYBOOK_DATABASE_URL (or database.url) at another "
                                 "path") from None
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self, now: dt.datetime) -> int:
        with self.write() as conn:
            return migrate(conn, now)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(pb_write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise StoreError(_operational(exc, self.url)) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (never takes SQLite's write lock)."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise StoreError(_operational(exc, self.url)) from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _operational(exc: OperationalError, url: str) -> str:
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    if "locked" in detail:
        return (f"the database {url} stayed locked for {BUSY_TIMEOUT_SECONDS} s by another "
                f"policybook process ({detail}); try again")
    return f"the database {url} cannot be used: {detail}"
