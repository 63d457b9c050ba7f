"""What is on record, kept under the SQLite database's stamp (workflows/planning.OnRecord):
read once, then from the cache until anything is written to the database; a warm
command with a database that holds notices loads no SQLAlchemy."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from policybook import cache
from policybook.config import Config, load_config
from policybook.notice import NoticeReason, NoticeSpec
from policybook.store import Store, create_notice
from policybook.workflows import planning
from policybook.workflows.planning import (
    Facts,
    OnRecord,
    Records,
    database_stamp,
    notice_facts,
    read_records,
)
from tests.helpers import GitRepo, policy
from tests.test_startup import imported

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
BODIES = ["## Data\n\nWe collect your name.\n",
          "## Data\n\nWe collect your name and your address.\n",
          "## Data\n\nWe collect your name, your address and your bank details.\n"]


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    cache.stats.clear()
    yield
    cache.stats.clear()


def history(repo: GitRepo, count: int = 3) -> list[tuple[str, dt.date]]:
    """`count` versions, each committed three days before it takes effect."""
    out = []
    for n in range(count):
        day = dt.date(2026, 2, 1) + dt.timedelta(days=30 * n)
        sha = repo.commit(f"v{n}", {"content/privacy.md": policy(
            "privacy-policy", day.isoformat(), BODIES[n], title="Privacy")},
            when=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(days=3))
        out.append((sha, day))
    return out


def configured(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("POLICYBOOK_DATABASE_URL", f"sqlite:///{tmp_path}/policybook.db")
    return load_config(repo.path)


def record_notice(config: Config, sha: str, day: dt.date) -> None:
    effective = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    due = effective - dt.timedelta(days=30)
    spec = NoticeSpec("privacy-policy", day, sha, "Privacy", "We collect more.",
                      (NoticeReason("new data collected", None),), "https://example.com/u",
                      "https://example.com/c", due, effective)
    with Store.open(config.db_url, due) as store, store.write() as conn:
        create_notice(conn, spec, due)


def kept(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
         ) -> tuple[Config, list[tuple[str, dt.date]], tuple[Records, Facts]]:
    """A notice on record, read once through `OnRecord` with the database settled at
    once, so that the reading is kept: the config, the versions, and what was read."""
    monkeypatch.setattr(planning, "SETTLED_NS", 0)
    versions = history(repo)
    config = configured(repo, tmp_path, monkeypatch)
    record_notice(config, *versions[1])
    on = OnRecord(config, NOW)
    read = on.records(), on.notice_facts()
    on.close()
    return config, versions, read


def test_what_is_on_record_is_read_once_then_from_the_cache_until_it_changes(
        policy_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planning, "SETTLED_NS", 0)  # the files just written count as settled
    versions = history(policy_repo)
    config = configured(policy_repo, tmp_path, monkeypatch)
    record_notice(config, *versions[1])
    with Store.open(config.db_url, NOW) as store:
        truth = read_records(store), notice_facts(config, store)
    assert [n.effective for n in truth[0].notices] == [versions[1][1]]

    for reads in (1, 0, 0):  # a cold process reads; the next ones find it on disk
        cache.stats.clear()
        on = OnRecord(config, NOW)
        assert (on.records(), on.notice_facts()) == truth
        assert cache.stats["on-record.records.read"] == reads
        assert cache.stats["on-record.notice-facts.read"] == reads
        on.close()

    record_notice(config, *versions[2])  # a write to the database: the stamp moves
    cache.stats.clear()
    on = OnRecord(config, NOW)
    assert [n.effective for n in on.records().notices] == [versions[1][1], versions[2][1]]
    assert set(on.notice_facts()[1]) == {("privacy-policy", None, versions[1][1]),
                                         ("privacy-policy", None, versions[2][1])}
    assert cache.stats["on-record.records.read"] == 1
    on.close()


def test_a_database_written_just_now_is_read_but_not_kept(
        policy_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Within the file system clock's granularity a second write could leave the stamp
    # as it was: nothing read from a database that changed this recently is kept.
    versions = history(policy_repo)
    config = configured(policy_repo, tmp_path, monkeypatch)
    record_notice(config, *versions[1])
    for _ in range(2):
        on = OnRecord(config, NOW)
        assert len(on.records().notices) == 1
        on.close()
    assert cache.stats["on-record.records.read"] == 2
    assert cache.stats["on-record.write"] == 0


def test_an_empty_write_ahead_log_is_the_same_content(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/policybook.db"
    Store.open(url, NOW).close()
    closed = database_stamp(url)
    with Store.open(url, NOW) as store, store.read():  # an open connection: an empty log
        assert database_stamp(url) == closed
    assert closed is not None and closed.exists
    missing = database_stamp(f"sqlite:///{tmp_path}/none.db")
    assert missing is not None and not missing.exists
    assert database_stamp("postgresql+psycopg://u:p@127.0.0.1/db") is None
    assert database_stamp("sqlite://") is None


@pytest.mark.parametrize("damage", [b"", b"{", b"[]", b'{"key": "x", "value": 1}'])
def test_a_corrupt_entry_is_ignored_and_rebuilt(
        policy_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        damage: bytes) -> None:
    config, _, truth = kept(policy_repo, tmp_path, monkeypatch)
    files = list((policy_repo.path / ".policybook" / "cache").rglob("on-record/*/*.json"))
    assert len(files) == 2
    for file in files:
        file.write_bytes(damage)
    cache.stats.clear()
    on = OnRecord(config, NOW)
    assert (on.records(), on.notice_facts()) == truth
    assert cache.stats["on-record.records.read"] == 1
    on.close()
    cache.stats.clear()
    on = OnRecord(config, NOW)
    assert (on.records(), on.notice_facts()) == truth  # rebuilt: warm again
    assert cache.stats["on-record.records.read"] == 0


def test_a_wrong_shaped_entry_is_ignored(
        policy_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _, (truth, _) = kept(policy_repo, tmp_path, monkeypatch)
    stamp = database_stamp(config.db_url)
    assert stamp is not None
    disk = cache.DiskCache(cache.cache_folder(config.root), "on-record")
    disk.put(cache.digest("records", stamp.key), {"since": None, "notices": [["x"]]})
    cache.stats.clear()
    on = OnRecord(config, NOW)
    assert on.records() == truth
    assert cache.stats["on-record.corrupt"] == 1
    on.close()


@pytest.mark.parametrize("args", [["versions"], ["plan", "--now", "2026-06-01T12:00:00Z"],
                                  ["check", "--now", "2026-06-01T12:00:00Z"]])
def test_a_warm_command_with_notices_on_record_loads_no_sqlalchemy(
        policy_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        args: list[str]) -> None:
    versions = history(policy_repo)
    config = configured(policy_repo, tmp_path, monkeypatch)
    record_notice(config, *versions[1])
    time.sleep(SETTLE)  # what was just written settles (see Stamp.settled)
    env = {**os.environ, "POLICYBOOK_DATABASE_URL": config.db_url}
    env.pop("POLICYBOOK_CACHE_DIR", None)
    assert "sqlalchemy" in imported(policy_repo.path, *args, env=env)  # cold: reads the store
    warm = imported(policy_repo.path, *args, env=env)
    assert "policybook" in warm and "sqlalchemy" not in warm


SETTLE = planning.SETTLED_NS / 1e9 + 0.2


def test_another_policybook_or_another_database_never_reads_the_entry(
        policy_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, versions, (truth, _) = kept(policy_repo, tmp_path, monkeypatch)
    monkeypatch.setattr(cache, "fingerprint", lambda: "f" * 20)  # an upgrade of policybook
    cache.stats.clear()
    on = OnRecord(config, NOW)
    assert on.records() == truth
    assert cache.stats["on-record.records.read"] == 1
    on.close()
    # Another database (the setting changed): its own notices, never the first one's.
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("POLICYBOOK_DATABASE_URL", f"sqlite:///{other}/policybook.db")
    config2 = load_config(policy_repo.path)
    record_notice(config2, *versions[2])
    on = OnRecord(config2, NOW)
    assert [n.effective for n in on.records().notices] == [versions[2][1]]
    on.close()
