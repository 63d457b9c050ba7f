"""The PostgreSQL wiring: the database that .ci/run starts is reachable and writable."""

from __future__ import annotations

import uuid

import sqlalchemy as sa


def test_postgres_round_trip(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    table = f"wiring_{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            version = conn.execute(sa.text("SELECT version()")).scalar_one()
            assert str(version).startswith("PostgreSQL")
            conn.execute(sa.text(f"CREATE TABLE {table} (id int PRIMARY KEY, note text)"))
            conn.execute(sa.text(f"INSERT INTO {table} VALUES (1, 'é')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT note FROM {table}")).scalar_one() == "é"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()
