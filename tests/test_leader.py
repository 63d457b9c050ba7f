"""Only one scheduler ticks: two real processes, one lock, and a takeover after kill -9."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policybook.errors import StoreError
from policybook.leader import leadership_for

HOLD = """
import sys, time
from policybook.leader import leadership_for
lock = leadership_for(sys.argv[1])
print("leader" if lock.acquire() else "standby", flush=True)
time.sleep(60)
"""


def start_holder(url: str, cwd: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE,
                            text=True, cwd=cwd)
    return proc


def first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def elect(url: str) -> None:
    repo = Path(__file__).resolve().parent.parent
    first = start_holder(url, repo)
    second = None
    try:
        assert first_line(first) == "leader"
        second = start_holder(url, repo)
        assert first_line(second) == "standby"
        here = leadership_for(url)
        assert not here.acquire()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        deadline = time.monotonic() + 10
        while not here.acquire():  # the lock dies with its holder
            assert time.monotonic() < deadline, "the lock was not released by kill -9"
            time.sleep(0.1)
        assert here.held
        here.release()
        assert not here.held
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_single_ticker_on_sqlite(tmp_path: Path) -> None:
    elect(f"sqlite:///{tmp_path / 'policybook.db'}")


@pytest.mark.postgres
def test_single_ticker_on_postgres(postgres_url: str) -> None:
    elect(postgres_url)


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(StoreError, match="no scheduler lock"):
        leadership_for("sqlite://")
