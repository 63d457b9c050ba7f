"""Notices per audience (issue 10): accounts' country, who is told, in which language,
the plan's counts and the proof of notice, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from policybook.store import Store
from policybook.store.db import create_engine
from policybook.store.schema import SCHEMA_VERSION, metadata

T0 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_a_version_3_database_upgrades_without_loss(db_url: str) -> None:
    """Migration 4 adds the accounts' country and the deliveries' variant, country and
    language; accounts and deliveries already there are kept as they were."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(sa.text("ALTER TABLE pb_accounts DROP COLUMN country"))
        for column in ("variant", "country", "language"):
            conn.execute(sa.text(f"ALTER TABLE pb_deliveries DROP COLUMN {column}"))
        conn.execute(sa.text("INSERT INTO pb_schema (version, install_id, migrated_at, "
                             "installed_at) VALUES (3, 'abcd0003', :t, :t)"),
                     {"t": dt.datetime(2026, 1, 1)})
        conn.execute(sa.text("INSERT INTO pb_accounts (id, email, name, locale, status, "
                             "created_at, updated_at, changed) VALUES ('a1', "
                             "'ann@example.net', 'Ann', 'fr', 'active', :t, :t, 1)"),
                     {"t": dt.datetime(2026, 1, 1)})
        conn.execute(sa.text(
            "INSERT INTO pb_notices (policy, effective, version, title, summary, reasons, "
            "upcoming_url, changes_url, due_at, effective_at, created_at, state, "
            "accounts_mark) VALUES ('p', '2027-02-01', 'abc', 'P', '', '[]', 'u', 'c', :t, "
            ":t, :t, 'sending', 0)"), {"t": dt.datetime(2026, 1, 1)})
        conn.execute(sa.text(
            "INSERT INTO pb_deliveries (notice_id, account_id, email, name, locale, state, "
            "attempts, created_at) VALUES (1, 'a1', 'ann@example.net', 'Ann', 'fr', 'sent', "
            "1, :t)"), {"t": dt.datetime(2026, 1, 1)})
    engine.dispose()
    with Store.open(db_url, T0) as store, store.read() as conn:
        assert conn.execute(sa.text("SELECT version, install_id FROM pb_schema")).one() == \
            (SCHEMA_VERSION, "abcd0003")
        assert SCHEMA_VERSION == 4
        assert conn.execute(sa.text("SELECT id, email, locale, country FROM pb_accounts")
                            ).one() == ("a1", "ann@example.net", "fr", "")
        assert conn.execute(sa.text("SELECT account_id, state, variant, country, language "
                                    "FROM pb_deliveries")).one() == \
            ("a1", "sent", None, None, None)
