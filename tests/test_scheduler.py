"""Two `policybook scheduler` processes started by mistake: one ticks, the other waits and
takes over when the first dies; nothing is sent twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from policybook.config import load_config
from policybook.scheduler import JOB_ID, Ticker, background
from policybook.store import Store
from tests.helpers import GitRepo
from tests.support.fixtures import SENDGRID_KEY
from tests.support.sendgrid_server import SendGridServer
from tests.test_main_job import ACCOUNTS, COMMITTED, DUE, SEED, v2_text

REPO = Path(__file__).resolve().parent.parent


class Process:
    """A scheduler process whose log lines are read in the background."""

    def __init__(self, cwd: Path, env: dict[str, str], now: dt.datetime) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policybook", "scheduler", "--now", now.isoformat()],
            cwd=cwd, env={**os.environ, **env, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.seen):
            assert time.monotonic() < deadline, f"never logged {text!r}: {self.seen}"
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=0.2))

    def drain(self) -> None:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)


def prepare(tmp_path: Path, db_url: str, sendgrid: SendGridServer, cli: Any
            ) -> tuple[GitRepo, dict[str, str]]:
    repo = GitRepo.create(tmp_path / "policies")
    repo.write("policybook.toml", "[mail]\nbatch = 4\n[scheduler]\ntick_seconds = 1\n")
    repo.commit("v1", {"content/privacy-policy.md": SEED}, when=COMMITTED - dt.timedelta(30))
    repo.commit("v2", {"content/privacy-policy.md": v2_text()}, when=COMMITTED)
    env = {"POLICYBOOK_DATABASE_URL": db_url, "POLICYBOOK_MAIL": "sendgrid",
           "SENDGRID_API_KEY": SENDGRID_KEY, "POLICYBOOK_SENDGRID_URL": sendgrid.url,
           "POLICYBOOK_MAIL_SAFETY": "off"}
    csv = tmp_path / "accounts.csv"
    csv.write_text("id,email\n" + "".join(f"a{i},u{i}@example.com\n" for i in range(ACCOUNTS)),
                   encoding="utf-8")
    assert cli(["accounts", "import", str(csv)], cwd=repo.path, env=env).code == 0
    return repo, env


def test_one_scheduler_ticks_the_other_waits(tmp_path: Path, db_url: str,
                                             sendgrid: SendGridServer, cli: Any) -> None:
    repo, env = prepare(tmp_path, db_url, sendgrid, cli)
    sendgrid.delay = 0.05  # batches overlap the other process's attempts
    first = Process(repo.path, env, DUE + dt.timedelta(minutes=1))
    second = None
    try:
        first.wait_for("this process is now the ticking scheduler")
        second = Process(repo.path, env, DUE + dt.timedelta(minutes=1))
        second.wait_for("a standby (another policybook scheduler ticks)")
        deadline = time.monotonic() + 30
        while sendgrid.stats.summary()["unique"] < ACCOUNTS:
            assert time.monotonic() < deadline, sendgrid.stats.summary()
            time.sleep(0.1)
        first.stop(signal.SIGKILL)  # the leader dies: the standby takes over
        second.wait_for("this process is now the ticking scheduler")
        second.wait_for(" tick: ")
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()
    stats = sendgrid.stats.summary()
    assert stats["unique"] == ACCOUNTS and stats["duplicates"] == 0, stats
    second.drain()
    assert not any("Traceback" in line for line in first.seen + second.seen)


def test_the_job_has_a_fixed_id_and_never_multiplies(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "p")
    config = load_config(repo.path, env={"POLICYBOOK_DATABASE_URL":
                                         f"sqlite:///{tmp_path / 'pb.db'}"})
    with Store.open(config.db_url, dt.datetime.now(dt.UTC)) as store:
        ticker = Ticker(config, store)
        scheduler = background(ticker, 3600)
        scheduler.start(paused=True)
        try:
            from policybook.scheduler import schedule

            schedule(scheduler, ticker, 3600)  # added again (a reload): replaced, not doubled
            assert [job.id for job in scheduler.get_jobs()] == [JOB_ID]
            job = scheduler.get_job(JOB_ID)
            assert job.max_instances == 1 and job.coalesce is True
            assert job.misfire_grace_time is None
        finally:
            scheduler.shutdown(wait=False)
            ticker.close()


@pytest.mark.parametrize("when", [DUE - dt.timedelta(days=1)])
def test_once_exits_with_a_message_when_another_scheduler_ticks(
        tmp_path: Path, when: dt.datetime, cli: Any) -> None:
    repo = GitRepo.create(tmp_path / "p")
    repo.commit("v1", {"content/privacy-policy.md": SEED})
    url = f"sqlite:///{tmp_path / 'pb.db'}"
    from policybook.leader import leadership_for

    holder = leadership_for(url)
    assert holder.acquire()
    try:
        result = cli(["run", "--once", "--now", when.isoformat()], cwd=repo.path,
                     env={"POLICYBOOK_DATABASE_URL": url})
        assert result.code == 1
        assert "another policybook scheduler is ticking" in result.err
    finally:
        holder.release()
    result = cli(["run", "--once", "--now", when.isoformat()], cwd=repo.path,
                 env={"POLICYBOOK_DATABASE_URL": url})
    assert result.code == 0, result.err


def test_a_problem_of_the_state_is_logged_once_not_at_every_tick(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from policybook.config import Config
    from tests.helpers import policy

    repo = GitRepo.create(tmp_path / "p")
    body = "## Fees\n\nThe plan costs {} dollars a month.\n"
    repo.commit("v1", {"content/t.md": policy("t", "2026-01-01", body.format(10))},
                when=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    config = Config(root=repo.path, database_url=f"sqlite:///{tmp_path / 'pb.db'}",
                    outbox=str(tmp_path / "outbox"))
    with Store.open(config.db_url, dt.datetime(2025, 12, 2, tzinfo=dt.UTC)) as store:
        repo.commit("raise", {"content/t.md": policy("t", "2026-01-01", body.format(12))},
                    when=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        moments = iter([dt.datetime(2026, 3, d, tzinfo=dt.UTC) for d in (1, 2, 3)])
        ticker = Ticker(config, store, lambda: next(moments))
        try:
            with caplog.at_level("INFO", logger="policybook.scheduler"):
                for _ in range(3):
                    report = ticker.run()
                    assert report is not None and any("held back" in p.message
                                                      for p in report.problems)
        finally:
            ticker.close()
    held = [r for r in caplog.records if "held back" in r.getMessage()]
    assert len(held) == 1 and held[0].levelname == "WARNING"
