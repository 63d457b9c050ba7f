"""Fixtures for the notices tests (registered in tests/conftest.py): databases on SQLite
and PostgreSQL (a schema of its own per test), the SendGrid test server, notices."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from policybook.config import Config, load_config
from policybook.store import Notice, NoticeReason, NoticeSpec, Store, create_notice, notice_links
from policybook.store.accounts import Account, next_change, upsert_accounts
from tests.support.sendgrid_server import SendGridServer, find_spec

NOW = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)
EFFECTIVE = dt.date(2027, 2, 1)
EFFECTIVE_AT = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
SENDGRID_KEY = "SG.test-key-not-a-secret"


def postgres_schema_url(base: str, schema: str) -> str:
    """`base` with every connection's search_path set to `schema`."""
    return sa.make_url(base).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL URL whose connections live in a fresh schema, dropped afterwards."""
    base: str = request.getfixturevalue("postgres_url")
    schema = f"pbtest_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'policybook.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url, NOW) as opened:
        yield opened


@pytest.fixture
def sendgrid() -> Iterator[SendGridServer]:
    if find_spec() is None:
        from tests.conftest import require

        require("the SendGrid spec tests/support/sendgrid/tsg_mail_v3.json is missing "
                "(or set POLICYBOOK_SENDGRID_SPEC)")
    with SendGridServer(SENDGRID_KEY) as server:
        yield server


def make_config(root: Path, db_url: str, **env: str) -> Config:
    """The config of a policy repository at `root` with the given environment."""
    return load_config(root, env={"POLICYBOOK_DATABASE_URL": db_url, **env})


def sendgrid_env(server: SendGridServer) -> dict[str, str]:
    # (a test server with development settings: the production checks are off)
    return {"POLICYBOOK_MAIL": "sendgrid", "SENDGRID_API_KEY": SENDGRID_KEY,
            "POLICYBOOK_SENDGRID_URL": server.url, "POLICYBOOK_MAIL_SAFETY": "off"}


def spec(policy: str = "privacy-policy", version: str = "a" * 40,
         effective_at: dt.datetime = EFFECTIVE_AT, due_at: dt.datetime = NOW,
         reasons: tuple[NoticeReason, ...] = (
             NoticeReason("We now share usage data with an analytics provider", "sharing"),
             NoticeReason("You can ask us to delete your data", None)),
         base_url: str = "https://policies.example.com",
         variant: str | None = None) -> NoticeSpec:
    effective = effective_at.date()
    upcoming, changes = notice_links(base_url, policy, effective, variant)
    return NoticeSpec(policy=policy, effective=effective, version=version,
                      title="Example Privacy Policy",
                      summary="We now share usage data with our analytics provider.",
                      reasons=reasons, upcoming_url=upcoming, changes_url=changes,
                      due_at=due_at, effective_at=effective_at, variant=variant)


def add_notice(store: Store, **kwargs: object) -> Notice:
    with store.write() as conn:
        notice, _ = create_notice(conn, spec(**kwargs), NOW)  # type: ignore[arg-type]
    return notice


def add_accounts(store: Store, accounts: list[Account], now: dt.datetime = NOW) -> None:
    with store.write() as conn:
        upsert_accounts(conn, accounts, now, next_change(conn))


def accounts(n: int, start: int = 0, locales: tuple[str, ...] = ("en",)) -> list[Account]:
    return [Account(f"acc-{i:06d}", f"user{i}@example.com", f"User {i}",
                    locales[i % len(locales)]) for i in range(start, start + n)]
