"""Notices on record are keyed by the regional variant too (schema version 4).

A general policy and its EEA variant may change on the same day in the same commit:
each gets its own notice. A database of schema version 3 is upgraded in place, its
notices and deliveries kept (SQLite copies the table to change its unique key).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from policybook.errors import NotFoundError
from policybook.notice import NoticeSpec
from policybook.store import Store, create_engine
from policybook.store.notices import create_notice, find_notice, list_notices
from policybook.store.proof import lookup
from policybook.store.schema import SCHEMA_VERSION, metadata
from policybook.store.schema import notices as notices_table

UTC = dt.UTC
NOW = dt.datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
DAY = dt.date(2027, 3, 1)


def spec(variant: str | None, version: str = "a" * 40) -> NoticeSpec:
    return NoticeSpec(policy="privacy-policy", effective=DAY, version=version,
                      title="Privacy Policy", summary="We will share more.", reasons=(),
                      upcoming_url="https://example.com/u", changes_url="https://example.com/c",
                      due_at=NOW, effective_at=dt.datetime(2027, 3, 1, tzinfo=UTC),
                      variant=variant)


def test_one_notice_per_variant_of_one_version(db_url: str) -> None:
    with Store.open(db_url, NOW) as store, store.write() as conn:
        general, made = create_notice(conn, spec(None), NOW)
        eea, made_eea = create_notice(conn, spec("eea"), NOW)
        again, made_again = create_notice(conn, spec("eea"), NOW)
        assert made and made_eea and not made_again
        assert general.id != eea.id == again.id
        assert (general.variant, eea.variant) == (None, "eea")
        assert eea.key == "privacy-policy:eea@2027-03-01"
        assert general.key == "privacy-policy@2027-03-01"
        assert find_notice(conn, "privacy-policy:eea@2027-03-01").id == eea.id
        assert find_notice(conn, "privacy-policy@2027-03-01").id == general.id
        with pytest.raises(NotFoundError):
            find_notice(conn, "privacy-policy:uk@2027-03-01")
        for notice in (general, eea):
            conn.execute(sa.text(
                "INSERT INTO pb_deliveries (notice_id, account_id, email, state, created_at) "
                "VALUES (:n, 'a1', 'ann@example.net', 'sent', :t)"),
                {"n": notice.id, "t": dt.datetime(2027, 1, 1)})
        told = lookup(conn, "a1", "privacy-policy:eea")
        assert [(r["notice_id"], r["variant"]) for r in told] == [(eea.id, "eea")]
        every = lookup(conn, "a1", "privacy-policy")
        assert sorted((r["notice_id"], r["variant"]) for r in every) == \
            [(general.id, None), (eea.id, "eea")]
        assert lookup(conn, "a1", "privacy-policy:uk") == []


def _v3_schema(conn: sa.Connection) -> None:
    old = sa.MetaData()
    columns = [c._copy() for c in notices_table.columns if c.name != "variant"]
    sa.Table("pb_notices", old, *columns,
             sa.UniqueConstraint("policy", "effective", "version", name="pb_notices_version"))
    old.create_all(conn)
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables
                                      if t.name != "pb_notices"])
    # what schema version 5 added to the other tables (the audience's columns)
    conn.execute(sa.text("ALTER TABLE pb_accounts DROP COLUMN country"))
    for column in ("variant", "country", "language"):
        conn.execute(sa.text(f"ALTER TABLE pb_deliveries DROP COLUMN {column}"))
    conn.execute(sa.text("INSERT INTO pb_schema (version, install_id, migrated_at, "
                         "installed_at) VALUES (3, 'abcd0003', :t, :t)"),
                 {"t": dt.datetime(2026, 1, 1)})


def test_migration_from_schema_3_keeps_notices_and_deliveries(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        _v3_schema(conn)
        conn.execute(sa.text(
            "INSERT INTO pb_notices (id, policy, effective, version, title, summary, reasons, "
            "upcoming_url, changes_url, due_at, effective_at, created_at, state, "
            "accounts_mark) VALUES (7, 'privacy-policy', :day, :sha, 'Privacy Policy', 's', "
            "'[]', 'u', 'c', :t, :t, :t, 'complete', 0)"),
            {"day": DAY, "sha": "a" * 40, "t": dt.datetime(2027, 1, 1)})
        conn.execute(sa.text(
            "INSERT INTO pb_deliveries (notice_id, account_id, email, state, created_at) "
            "VALUES (7, 'a1', 'ann@example.net', 'sent', :t)"), {"t": dt.datetime(2027, 1, 1)})
    engine.dispose()
    with Store.open(db_url, NOW) as store:
        with store.read() as conn:
            assert conn.execute(sa.text("SELECT version FROM pb_schema")).scalar_one() == \
                SCHEMA_VERSION
            (kept,) = list_notices(conn)
            assert (kept.id, kept.variant, kept.policy) == (7, None, "privacy-policy")
            assert conn.execute(sa.text("SELECT notice_id FROM pb_deliveries")).scalar_one() \
                == 7
        with store.write() as conn:
            # the same version of the EEA variant: a notice of its own
            eea, made = create_notice(conn, spec("eea"), NOW)
            assert made and eea.id != 7
            general, made_general = create_notice(conn, spec(None), NOW)
            assert not made_general and general.id == 7
        # the deliveries still reference their notice (foreign keys hold after the copy)
        with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
            conn.execute(sa.text(
                "INSERT INTO pb_deliveries (notice_id, account_id, email, state, created_at) "
                "VALUES (999, 'b1', 'bob@example.net', 'pending', :t)"),
                {"t": dt.datetime(2027, 1, 1)})
