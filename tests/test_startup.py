"""What a command imports: a warm `plan`, `versions` or `check` with no database loads
neither SQLAlchemy nor the differ nor the web stack (nor, but for `check`, which parses
the working tree, the Markdown parser) (start-up is most of what a warm
command costs; see benchmarks/history.py)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from policybook.workflows.planning import sqlite_database
from tests.helpers import GitRepo, policy

HEAVY = ("sqlalchemy", "deepdiff", "starlette", "jinja2", "uvicorn", "apscheduler", "babel")


def imported(root: Path, *args: str, env: dict[str, str]) -> set[str]:
    """The top-level packages that `policybook -C root ARGS` imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "policybook", "-C",
                           str(root), *args], capture_output=True, text=True, env=env,
                          check=False)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [["versions"], ["plan", "--now", "2026-06-01T12:00:00Z"],
                                  ["check", "--now", "2026-06-01T12:00:00Z"]])
def test_a_warm_command_without_a_database_loads_no_heavy_library(
        policy_repo: GitRepo, tmp_path: Path, args: list[str]) -> None:
    for n, body in enumerate(["## Data\n\nWe collect your name.\n",
                              "## Data\n\nWe collect your name and your address.\n"]):
        day = dt.date(2026, 2, 1) + dt.timedelta(days=30 * n)
        policy_repo.commit(f"v{n}", {"content/privacy.md": policy(
            "privacy-policy", day.isoformat(), body, title="Privacy")},
            when=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(days=3))
    env = {**os.environ, "POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path}/none.db"}
    env.pop("POLICYBOOK_CACHE_DIR", None)
    imported(policy_repo.path, *args, env=env)  # cold: judges the pair (the differ loads)
    warm = imported(policy_repo.path, *args, env=env)
    assert "policybook" in warm  # the parse above reads what it should
    heavy = set(HEAVY) | ({"markdown_it"} if args[0] != "check" else set())
    assert warm.isdisjoint(heavy), sorted(warm & heavy)
    assert not (tmp_path / "none.db").exists()  # and no database was created


@pytest.mark.parametrize("url", [
    "sqlite:///relative.db", "sqlite:////tmp/absolute.db", "sqlite://", "sqlite:///:memory:",
    "sqlite+pysqlite:///with%20space.db?mode=ro", "SQLite:///upper.db",
    "postgresql+psycopg://user:pw@127.0.0.1:5432/db", "mysql://h/db"])
def test_the_sqlite_file_is_read_as_sqlalchemy_reads_it(url: str) -> None:
    parsed = sa.make_url(url)
    expected = (parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
    assert sqlite_database(url) == expected


def test_a_single_tick_with_nothing_to_do_loads_no_scheduler_template_or_parser(
        policy_repo: GitRepo, tmp_path: Path) -> None:
    # `run --once` (cron) ticks once: APScheduler is the clock of a long-running `run` only.
    day = dt.date(2026, 2, 1)
    policy_repo.commit("v0", {"content/privacy.md": policy(
        "privacy-policy", day.isoformat(), "## Data\n\nWe collect your name.\n",
        title="Privacy")}, when=dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC))
    env = {**os.environ, "POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path}/policybook.db",
           "POLICYBOOK_OUTBOX": str(tmp_path / "outbox")}
    args = ("run", "--once", "--now", "2026-06-01T12:00:00Z")
    first = imported(policy_repo.path, *args, env=env)  # creates the database
    assert "sqlalchemy" in first and "apscheduler" not in first
    again = imported(policy_repo.path, *args, env=env)  # nothing to do: no letter, no page
    assert "policybook" in again
    assert again.isdisjoint({"apscheduler", "jinja2", "babel", "markdown_it", "deepdiff"}), \
        sorted(again & {"apscheduler", "jinja2", "babel", "markdown_it", "deepdiff"})
