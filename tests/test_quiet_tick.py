"""The quiet tick (workflows/quiet.py): a `run --once` that finds nothing to do keeps a
fingerprint of its inputs, and a later one with the same inputs, before the next event,
says "nothing to do" without opening the store. It must never skip real work: each test
moves one input (the clock past an event, a commit, the database, the configuration, the
static copy) and checks that the tick runs and does what is due."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from policybook import cache
from policybook.config import load_config
from policybook.notice import NoticeReason, NoticeSpec
from policybook.store import Store, create_notice
from policybook.workflows import planning
from policybook.workflows.quiet import KIND, inputs
from tests.helpers import CliResult, GitRepo, policy, run_cli
from tests.test_startup import imported

V0 = dt.date(2026, 2, 1)
V1 = dt.date(2026, 7, 1)  # material: its notice is due on 2026-06-01 (UTC, 30 days)
DUE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 5, 10, 12, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC)


@dataclass
class Setup:
    repo: GitRepo
    env: dict[str, str]
    tmp: Path

    def tick(self, now: dt.datetime) -> tuple[CliResult, bool]:
        """(`run --once --now`, whether the quiet shortcut answered)."""
        cache.stats.clear()
        result = self.cli(["run", "--once", "--now", now.isoformat()])
        assert result.code == 0, result.err
        return result, cache.stats[f"{KIND}.taken"] == 1

    def cli(self, args: list[str]) -> CliResult:
        return run_cli(["-C", str(self.repo.path), *args])


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    # What was just written to the database counts as settled (see planning.Stamp).
    monkeypatch.setattr(planning, "SETTLED_NS", 0)
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    repo = GitRepo.create(tmp_path / "policies")
    repo.commit("v0", {"content/privacy.md": policy(
        "privacy-policy", V0.isoformat(), "## Data\n\nWe collect your name.\n",
        title="Privacy")}, when=dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC))
    repo.commit("v1", {"content/privacy.md": policy(
        "privacy-policy", V1.isoformat(),
        "## Data\n\nWe collect your name and your bank details.\n", title="Privacy",
        summary="We now collect your bank details.")},
        when=dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC))
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path}/pb.db",
           "POLICYBOOK_OUTBOX": str(tmp_path / "outbox")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = Setup(repo, env, tmp_path)
    csv = tmp_path / "accounts.csv"
    csv.write_text("id,email,name,locale\na-1,one@example.com,One,en\n", encoding="utf-8")
    assert s.cli(["accounts", "import", str(csv), "--now", T1.isoformat()]).code == 0
    first, taken = s.tick(T1)  # records the version in force: not quiet
    assert "in force" in first.out and not taken
    quiet, taken = s.tick(T1)
    assert quiet.out.splitlines()[1:] == ["nothing to do"] and not taken
    cache.stats.clear()
    yield s
    cache.stats.clear()


def test_a_quiet_tick_answers_the_next_one_as_the_tick_would(setup: Setup) -> None:
    again, taken = setup.tick(T2)
    assert taken
    head = setup.repo.git("rev-parse", "HEAD")[:10]
    assert again.out == f"tick at {T2.isoformat()} (git {head})\nnothing to do\n"
    # Just before the notice falls due: still nothing to do.
    assert setup.tick(DUE - dt.timedelta(seconds=1))[1]


def test_the_notice_falling_due_runs_the_tick(setup: Setup) -> None:
    result, taken = setup.tick(DUE)
    assert not taken
    assert "notice 1 created" in result.out
    # While it is open (sending until its version takes effect) no tick is quiet.
    assert not setup.tick(DUE + dt.timedelta(hours=1))[1]
    assert not setup.tick(DUE + dt.timedelta(hours=2))[1]


def test_a_commit_runs_the_tick(setup: Setup) -> None:
    # A material version whose notice is due at once lands after the quiet tick.
    setup.repo.commit("v2", {"content/privacy.md": policy(
        "privacy-policy", "2026-06-10", "## Data\n\nWe collect your name and your "
        "bank details and your location.\n", title="Privacy",
        summary="We now collect your bank details and your location.")},
        when=dt.datetime(2026, 5, 15, 12, tzinfo=dt.UTC))
    result, taken = setup.tick(T2)
    assert not taken
    assert "notice 1 created" in result.out


def test_a_notice_recorded_by_another_process_runs_the_tick(setup: Setup) -> None:
    # `notices send` (or the admin dashboard) writes the notice to the database early.
    config = load_config(setup.repo.path)
    sha = setup.repo.git("rev-parse", "HEAD")
    spec = NoticeSpec("privacy-policy", V1, sha, "Privacy", "We now collect your bank "
                      "details.", (NoticeReason("new data collected", None),),
                      "https://example.com/u", "https://example.com/c", DUE,
                      dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    with Store.open(config.db_url, T2) as store, store.write() as conn:
        create_notice(conn, spec, T2)
    assert not setup.tick(T2 + dt.timedelta(hours=1))[1]
    # The notice is open (it sends until its version takes effect): no tick is quiet.
    assert not setup.tick(T2 + dt.timedelta(hours=2))[1]


def test_accounts_imported_run_the_tick(setup: Setup) -> None:
    csv = setup.tmp / "more.csv"
    csv.write_text("id,email,name,locale\na-2,two@example.com,Two,en\n", encoding="utf-8")
    assert setup.cli(["accounts", "import", str(csv), "--now", T2.isoformat()]).code == 0
    assert not setup.tick(T2)[1]
    assert setup.tick(T2 + dt.timedelta(hours=1))[1]  # quiet again, with the new stamp


def test_a_configuration_change_runs_the_tick(setup: Setup) -> None:
    # 60 days' notice: the notice of V1 was due on 2026-05-02, so it is created now.
    setup.repo.write("policybook.toml", "[notice]\ndays = 60\n")
    result, taken = setup.tick(T2)
    assert not taken
    assert "notice 1 created" in result.out


def test_a_rehearsal_before_the_quiet_tick_runs_it(setup: Setup) -> None:
    assert not setup.tick(T1 - dt.timedelta(days=1))[1]


@pytest.mark.parametrize("damage", [b"", b"{", b"[]", b'{"key": 1}'])
def test_a_corrupt_fingerprint_is_ignored(setup: Setup, damage: bytes) -> None:
    files = list((setup.repo.path / ".policybook" / "cache").rglob(f"{KIND}/*/*.json"))
    assert len(files) == 1
    files[0].write_bytes(damage)
    result, taken = setup.tick(T2)
    assert not taken and result.out.splitlines()[1:] == ["nothing to do"]
    assert setup.tick(T2)[1]  # written again


def test_a_wrong_shaped_fingerprint_is_ignored(setup: Setup) -> None:
    config = load_config(setup.repo.path)
    disk = cache.DiskCache(cache.cache_folder(config.root), KIND)
    files = list((setup.repo.path / ".policybook" / "cache").rglob(f"{KIND}/*/*.json"))
    key = files[0].stem
    disk.put(key, {"inputs": {"head": 1}, "since": "yesterday", "until": None})
    assert not setup.tick(T2)[1]
    assert cache.stats[f"{KIND}.corrupt"] == 1


def test_a_missing_static_copy_is_published_again(setup: Setup) -> None:
    setup.repo.write("policybook.toml", '[site]\nstatic_out = "public"\n')
    published, taken = setup.tick(T2)
    assert not taken and "site published" in published.out
    assert not setup.tick(T2)[1]  # (its audit entry moved the stamp) quiet: kept
    assert setup.tick(T2)[1]
    import shutil

    shutil.rmtree(setup.repo.path / "public")
    again, taken = setup.tick(T2)
    assert not taken and "site published" in again.out


def test_postgresql_has_no_shortcut(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYBOOK_DATABASE_URL",
                       "postgresql+psycopg://u:p@127.0.0.1:5432/db")
    assert inputs(load_config(setup.repo.path)) is None


def test_a_quiet_tick_loads_no_sqlalchemy(setup: Setup) -> None:
    time.sleep(planning.SETTLED_NS / 1e9 + 2.2)  # (a process of its own: really settled)
    env = {**os.environ, **setup.env}
    env.pop(cache.CACHE_ENV, None)
    args = ("run", "--once", "--now", T2.isoformat())
    imported(setup.repo.path, *args, env=env)  # quiet, kept with a settled stamp
    warm = imported(setup.repo.path, *args, env=env)
    assert "policybook" in warm and "sqlalchemy" not in warm


def test_the_settings_key_is_the_same_in_every_process(setup: Setup) -> None:
    # Sets of settings (materiality rules switched off) print in hash order in a repr.
    setup.repo.write("policybook.toml", '[materiality]\ndisable = ["typo", "punctuation", '
                     '"numbering", "markup", "negation-flip"]\n')
    code = ("import sys; from policybook.config import load_config; "
            "from policybook.workflows.quiet import settings_key; "
            "from pathlib import Path; print(settings_key(load_config(Path(sys.argv[1]))))")
    keys = {subprocess.run([sys.executable, "-c", code, str(setup.repo.path)],
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True,
                           capture_output=True, text=True).stdout for seed in (1, 2, 3)}
    assert len(keys) == 1
    assert "negation-flip" in keys.pop()


def test_a_tick_with_a_warning_is_never_quiet(setup: Setup) -> None:
    # A material version with no summary is a problem the tick reports every time.
    setup.repo.commit("v1 without its summary", {"content/privacy.md": policy(
        "privacy-policy", V1.isoformat(),
        "## Data\n\nWe collect your name and your bank details.\n", title="Privacy")},
        when=dt.datetime(2026, 5, 2, 12, tzinfo=dt.UTC))
    for hour in (1, 2):
        result, taken = setup.tick(T2 + dt.timedelta(hours=hour))
        assert not taken
        assert any(line.startswith("warning: ") for line in result.out.splitlines())
