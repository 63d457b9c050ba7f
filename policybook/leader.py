"""One ticking scheduler at a time, elected by a lock the database's host holds (shell).

Why not a lease row: a lease needs a clock and a length, and a process killed with -9
holds it until it expires. Both locks used here are released by the operating system
or the database server the moment their holder dies, so a standby takes over on its
next attempt:
- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a dedicated
  connection; several machines can run `policybook run` and only one ticks.
- SQLite: an exclusive `flock` on a file beside the database (SQLite is one machine's
  database, so a file lock is exactly as wide as it needs to be).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from .errors import StoreError

_LOCK_NAME = "policybook-scheduler"
# A stable 63-bit key for the advisory lock (pg's bigint), derived from the name.
ADVISORY_KEY = zlib.crc32(_LOCK_NAME.encode()) << 16 | 0x5042


class Leadership(Protocol):
    def acquire(self) -> bool: ...

    def release(self) -> None: ...

    @property
    def held(self) -> bool: ...


class FileLeadership:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class PostgresLeadership:
    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self._conn: sa.Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> bool:
        if self._conn is not None:
            try:  # the server may have gone away: then leadership is lost
                self._conn.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.DBAPIError:
                self._drop()
        conn = self.engine.connect()
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                           {"k": ADVISORY_KEY}).scalar_one()
        conn.commit()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
            finally:
                self._drop()
        self.engine.dispose()


def leadership_for(db_url: str) -> Leadership:
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLeadership(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLeadership(Path(url.database + ".scheduler.lock"))
    raise StoreError(f"no scheduler lock for database {url.get_backend_name()!r}; use "
                     "PostgreSQL or an SQLite file")
