"""The tables of policybook's own database, and `migrate()` (shell).

Every table is prefixed `pb_`, so that policybook can live in a schema it shares with
other software (operators do point it at an existing PostgreSQL database).
Timestamps are stored in UTC: `UTCDateTime` refuses naive datetimes on the way in and
gives aware ones on the way out, on SQLite (which has no time zones) as on PostgreSQL.

Migrations are explicit and numbered: `pb_schema` holds the version, `migrate()` brings
any older database up to `SCHEMA_VERSION` in one transaction, under a lock, so an
upgrade of policybook never needs hand-written SQL and two processes starting at the
same time cannot both migrate.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect

from ..errors import StoreError

SCHEMA_VERSION = 5
# Any constant works; it only has to be the same for every policybook process.
_MIGRATION_LOCK = 0x70_62_6D_69  # "pbmi"


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware datetime stored as UTC (naive UTC text on SQLite, timestamptz on PostgreSQL)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass timezone-aware values")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect
                             ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_value(value: dt.datetime) -> sa.BindParameter[dt.datetime]:
    """A moment as an SQL value that goes through `UTCDateTime`. A bare datetime inside an
    SQL function (COALESCE) is bound without the column's type, so SQLite would store its
    local wall time as if it were UTC."""
    return sa.literal(value, UTCDateTime())


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = sa.MetaData()

schema_table = sa.Table(
    "pb_schema", metadata,
    sa.Column("version", sa.Integer, nullable=False),
    # Random per database: part of every Message-ID, so that two installations sending
    # from the same domain (staging and production) never produce the same one.
    sa.Column("install_id", sa.String(32), nullable=False),
    sa.Column("migrated_at", UTCDateTime, nullable=False),
    # When policybook began keeping this record: versions that took effect before then
    # are on record as they are (see timeline.Settings.tracking_since).
    sa.Column("installed_at", UTCDateTime, nullable=False),
)

accounts = sa.Table(
    "pb_accounts", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(255), nullable=False, unique=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("locale", sa.String(35), nullable=False, server_default="en"),
    sa.Column("status", sa.String(10), nullable=False, server_default="active"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # ISO 3166-1 alpha-2 ("FR"), or "" when unknown: decides the variant of a policy the
    # account is told about (regions.variant_for). Added by migration 4.
    sa.Column("country", sa.String(2), nullable=False, server_default=""),
    # The import that last changed the row (a counter, in commit order): a notice keeps
    # the highest value it has seen, so a run only looks at accounts changed since.
    sa.Column("changed", sa.BigInteger, nullable=False),
    sa.Index("pb_accounts_changed", "changed"),
)

notices = sa.Table(
    "pb_notices", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("policy", sa.String(80), nullable=False),
    sa.Column("effective", sa.Date, nullable=False),
    sa.Column("version", sa.String(80), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("reasons", Json, nullable=False),
    sa.Column("upcoming_url", sa.String(2000), nullable=False),
    sa.Column("changes_url", sa.String(2000), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("effective_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("started_at", UTCDateTime),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("accounts_mark", sa.BigInteger, nullable=False, server_default="0"),
    # When recipients were last added (from the store's table or the SQL source).
    sa.Column("accounts_read_at", UTCDateTime),
    # Legal's control (version 3): the last pause and resume, who acted last and why.
    sa.Column("paused_at", UTCDateTime),
    sa.Column("resumed_at", UTCDateTime),
    sa.Column("control_by", sa.String(200)),
    sa.Column("control_reason", sa.Text),
    # The regional variant whose version it announces (version 4; '' for the general
    # one: a NULL would never conflict in the unique key below).
    sa.Column("variant", sa.String(40), nullable=False, server_default=""),
    # One notice per version of a policy's variant, ever: the scheduler may run in
    # several processes, and creation is an INSERT that yields to an existing row.
    sa.UniqueConstraint("policy", "variant", "effective", "version", name="pb_notices_version"),
)

deliveries = sa.Table(
    "pb_deliveries", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("pb_notices.id"), nullable=False),
    sa.Column("account_id", sa.String(255), nullable=False),
    # The address, name and locale the notice went to (the account may change later;
    # the proof of notice must not).
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("locale", sa.String(35), nullable=False, server_default="en"),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claim_token", sa.String(32)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("provider", sa.String(16)),
    sa.Column("provider_message_id", sa.String(255)),
    sa.Column("error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("last_event", sa.String(24)),
    sa.Column("event_at", UTCDateTime),
    # SHA-256 of the message the provider accepted (mail.compose.message_digest): with
    # the notice's copy of the rendered message, it proves what this account was sent.
    sa.Column("message_sha256", sa.String(64)),
    # Which text the account was told about (migration 4): the variant of the policy
    # ("general", or the variant's id), chosen by the account's country when it was
    # added, and the language the e-mail was written in, recorded as it was sent (NULL
    # until then, and in rows older than migration 4).
    sa.Column("variant", sa.String(80)),
    sa.Column("country", sa.String(2)),
    sa.Column("language", sa.String(35)),
    sa.UniqueConstraint("notice_id", "account_id", name="pb_deliveries_account"),
    # The claim walks this index: pending rows of one notice, grouped by locale so that
    # a batch is one SendGrid request (one rendered body per locale). Partial indexes:
    # a row leaves them as it is claimed and sent, and a sent row costs no index work.
    sa.Index("pb_deliveries_pending", "notice_id", "locale", "id",
             sqlite_where=sa.text("state = 'pending'"),
             postgresql_where=sa.text("state = 'pending'")),
    sa.Index("pb_deliveries_leases", "notice_id", "lease_until",
             sqlite_where=sa.text("state = 'sending'"),
             postgresql_where=sa.text("state = 'sending'")),
)

provider_events = sa.Table(
    "pb_provider_events", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("delivery_id", sa.BigInteger, index=True),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.UniqueConstraint("provider", "event_id", name="pb_provider_events_id"),
)

audit_log = sa.Table(
    "pb_audit", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("details", Json, nullable=False),
    sa.Index("pb_audit_subject", "subject", "at"),
)

# The proof of what a notice said: one copy of each distinct rendered message (one per
# language; `sha256` is the digest of the copy), and the version's commit and text hash.
notice_messages = sa.Table(
    "pb_notice_messages", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("pb_notices.id"), nullable=False),
    sa.Column("locale", sa.String(35), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("message", Json, nullable=False),  # subject, bodies, sender, headers
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("notice_id", "sha256", name="pb_notice_messages_copy"),
)

notice_versions = sa.Table(
    "pb_notice_versions", metadata,
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("pb_notices.id"), primary_key=True),
    sa.Column("commit", sa.String(80), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

# Test sends (`notices test`): apart from the deliveries, which are the proof of notice.
test_sends = sa.Table(
    "pb_test_sends", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("policy", sa.String(80), nullable=False),
    sa.Column("effective", sa.Date, nullable=False),
    sa.Column("commit", sa.String(80), nullable=False),
    sa.Column("notice_id", sa.Integer),  # the notice, if it existed then
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("by", sa.String(200), nullable=False, server_default=""),
    # [{"email", "locale", "message_id", "provider_message_id", "sha256", "error"}]
    sa.Column("recipients", Json, nullable=False),
    sa.Column("error", sa.Text),
)


def _v2_proof(conn: Connection) -> None:
    """Version 2: the message digest per delivery, the notice's copies and version, and
    the test sends."""
    conn.execute(sa.text("ALTER TABLE pb_deliveries ADD COLUMN message_sha256 VARCHAR(64)"))
    metadata.create_all(conn, tables=[notice_messages, notice_versions, test_sends])


def _v3_control(conn: Connection) -> None:
    """Version 3: pause, resume and cancel by legal (who, when, why)."""
    for column in ("paused_at TIMESTAMP", "resumed_at TIMESTAMP", "control_by VARCHAR(200)",
                   "control_reason TEXT"):
        name, kind = column.split()
        if kind == "TIMESTAMP" and conn.dialect.name == "postgresql":
            kind = "TIMESTAMP WITH TIME ZONE"
        elif kind == "TIMESTAMP":
            kind = "DATETIME"
        conn.execute(sa.text(f"ALTER TABLE pb_notices ADD COLUMN {name} {kind}"))


_V3_UNIQUE = re.compile(r"CONSTRAINT pb_notices_version UNIQUE \(policy, effective, version\)")


def _v4_notice_variant(conn: Connection) -> None:
    """Version 4: a notice names the regional variant it announces (`variant`, '' for
    the general one), and the unique key of a notice's version includes it: a general
    text and its EEA variant may change on the same day, in the same commit."""
    conn.execute(sa.text("ALTER TABLE pb_notices ADD COLUMN variant VARCHAR(40) "
                         "NOT NULL DEFAULT ''"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ALTER TABLE pb_notices DROP CONSTRAINT pb_notices_version"))
        conn.execute(sa.text("ALTER TABLE pb_notices ADD CONSTRAINT pb_notices_version "
                             "UNIQUE (policy, variant, effective, version)"))
        return
    # SQLite changes a constraint only by copying the table. Foreign keys are on and
    # cannot be turned off inside this transaction: they are deferred instead, and the
    # rows, put back under their ids, satisfy the deliveries' references by the commit.
    ddl = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'pb_notices'")).scalar_one()
    if not _V3_UNIQUE.search(ddl):
        raise StoreError("pb_notices has an unexpected definition; the migration to schema "
                         "version 4 cannot change its unique key (restore it, or ask for help)")
    ddl = _V3_UNIQUE.sub("CONSTRAINT pb_notices_version UNIQUE "
                         "(policy, variant, effective, version)", ddl)
    conn.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
    conn.execute(sa.text("CREATE TABLE pb_notices_v3 AS SELECT * FROM pb_notices"))
    conn.execute(sa.text("DROP TABLE pb_notices"))
    conn.execute(sa.text(ddl))
    conn.execute(sa.text("INSERT INTO pb_notices SELECT * FROM pb_notices_v3"))
    conn.execute(sa.text("DROP TABLE pb_notices_v3"))


def _audience_columns(conn: Connection) -> None:
    """Version 5: the account's country, and the variant, country and language of each
    delivery (issue 10: notices per audience and language). It touches pb_accounts and
    pb_deliveries only, so it commutes with a step on another table."""
    conn.execute(sa.text("ALTER TABLE pb_accounts ADD COLUMN country VARCHAR(2) "
                         "NOT NULL DEFAULT ''"))
    for column in ("variant VARCHAR(80)", "country VARCHAR(2)", "language VARCHAR(35)"):
        conn.execute(sa.text(f"ALTER TABLE pb_deliveries ADD COLUMN {column}"))


# version -> the step that brings a database from version-1 to it. Version 1 is the
# creation of every table above; later versions append explicit steps here (add a
# column, backfill it), never edit an earlier one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _v2_proof, 3: _v3_control,
                                                       4: _v4_notice_variant,
                                                       5: _audience_columns}


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    # SQLite: the write transaction (BEGIN IMMEDIATE) is already exclusive.


def current_version(conn: Connection) -> int | None:
    if not sa.inspect(conn).has_table("pb_schema"):
        return None
    return conn.execute(sa.select(schema_table.c.version)).scalar_one_or_none()


def migrate(conn: Connection, now: dt.datetime) -> int:
    """Create or upgrade the schema inside the caller's write transaction; return the version."""
    _lock(conn)
    version = current_version(conn)
    if version is None:
        metadata.create_all(conn)
        conn.execute(schema_table.insert().values(version=SCHEMA_VERSION,
                                                  install_id=secrets.token_hex(4),
                                                  migrated_at=now, installed_at=now))
        return SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise StoreError(f"the database schema is version {version}, newer than this "
                         f"policybook understands ({SCHEMA_VERSION}); upgrade policybook")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[step](conn)
        conn.execute(schema_table.update().values(version=step, migrated_at=now))
    return SCHEMA_VERSION


def install_id(conn: Connection) -> str:
    return str(conn.execute(sa.select(schema_table.c.install_id)).scalar_one())


def installed_at(conn: Connection) -> dt.datetime:
    value: dt.datetime = conn.execute(sa.select(schema_table.c.installed_at)).scalar_one()
    return value


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
