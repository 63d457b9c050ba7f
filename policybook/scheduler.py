"""APScheduler wiring: the clock that drives the tick (shell).

APScheduler is only the clock; the project's tables are the truth. Hence:
- one interval job under a fixed id, in a memory job store, added with
  `replace_existing`: a restart, a renamed function or a new version of policybook
  never finds a stale pickled job, and nothing multiplies;
- `coalesce` and `max_instances=1`: a slow tick is never overlapped by the next one, and
  missed runs collapse into one (`misfire_grace_time=None`: run late rather than skip);
- each run first asks for leadership (`leader.py`): of several `policybook run`
  processes, on one machine or many, one ticks and the others wait as standbys, taking
  over within one interval if the leader dies.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import Config
from .errors import PolicybookError
from .leader import Leadership, leadership_for
from .store import Store
from .workflows.state import StateBuilder
from .workflows.tick import Publisher, TickReport, tick

if TYPE_CHECKING:  # APScheduler loads for a scheduler that runs, not for `run --once`
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.base import BaseScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)
JOB_ID = "policybook-tick"
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def rehearsal_clock(start: dt.datetime) -> Clock:
    """A clock that starts at `start` and runs at real speed (`run --now`)."""
    t0 = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


@dataclass
class Ticker:
    """Runs ticks for one process: leadership first, then the tick, errors logged."""

    config: Config
    store: Store
    clock: Clock = system_clock
    publish: Publisher | None = None
    builder: StateBuilder | None = None  # the process's one state (see wiring.py)
    leadership: Leadership | None = None
    last: TickReport | None = None
    leading: bool | None = None  # None until the first attempt
    _told: frozenset[str] = frozenset()  # the state's problems already logged
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.leadership is None:
            self.leadership = leadership_for(self.config.db_url)

    def run(self) -> TickReport | None:
        """One tick if this process leads; None while another process does."""
        assert self.leadership is not None
        with self._lock:
            leads = self.leadership.acquire()
            if leads != self.leading:
                log.info("this process is now %s", "the ticking scheduler" if leads
                         else "a standby (another policybook scheduler ticks)")
                self.leading = leads
            if not leads:
                return None
            try:
                self.last = tick(self.config, self.clock(), store=self.store,
                                 publish=self.publish, builder=self.builder)
            except PolicybookError as exc:
                log.error("tick failed: %s", exc.message)
                return None
            except Exception:
                log.exception("tick failed")
                return None
            # The state's problems (a material edit held back, an overdue notice) stay until
            # fixed: each is logged when it first appears, not at every tick.
            problems = {f"warning: {p}": f"{p.kind}:{p.policy}:{p.variant}@{p.effective}"
                        for p in self.last.problems}
            for line in self.last.lines()[1:]:
                if line == "nothing to do" or problems.get(line, "") in self._told:
                    continue
                log.log(logging.WARNING if line.startswith("warning: ") else logging.INFO,
                        "%s", line)
            self._told = frozenset(problems.values())
            return self.last

    def close(self) -> None:
        if self.leadership is not None:
            self.leadership.release()


def schedule(scheduler: BaseScheduler, ticker: Ticker, seconds: int) -> None:
    scheduler.add_job(ticker.run, "interval", seconds=seconds, id=JOB_ID,
                      name="policybook tick", replace_existing=True, coalesce=True,
                      max_instances=1, misfire_grace_time=None,
                      next_run_time=dt.datetime.now(dt.UTC))


def background(ticker: Ticker, seconds: int) -> BackgroundScheduler:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=dt.UTC)
    schedule(scheduler, ticker, seconds)
    return scheduler


def blocking(ticker: Ticker, seconds: int) -> BlockingScheduler:
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=dt.UTC)
    schedule(scheduler, ticker, seconds)
    return scheduler
