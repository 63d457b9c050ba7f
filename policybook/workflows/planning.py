"""The plan of every policy at `now`: git history + verdicts + notices on record -> timeline.

This is where the shell meets `timeline.py` for every reader of the plan (`plan`, `check`,
the scheduler's tick and the website), so that all of them see the same switch moments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

from ..config import Config, LateNotice
from ..errors import HistoryError
from ..history import History, HistoryCache, policy_text_at
from ..store import NoticeState, Store, list_notices
from ..store.schema import current_version, installed_at
from ..timeline import (
    LatePolicy,
    NoticeRecord,
    PolicyPlan,
    Settings,
    notice_start,
    plan_policy,
)
from ..versions import Version, by_policy
from .assessing import Judgement, assess_texts, judgements, verdict_of


@dataclass(frozen=True)
class NoticeOnRecord:
    policy: str
    effective: dt.date
    version: str  # the commit whose text was announced
    started_at: dt.datetime  # when its notice period counts from (see timeline.notice_start)
    notice_id: int
    created_at: dt.datetime  # when it was created (possibly early, by `notices send`)


@dataclass(frozen=True)
class Records:
    """What the store knows that git does not: notices sent, and since when it knows."""

    notices: tuple[NoticeOnRecord, ...] = ()
    tracking_since: dt.datetime | None = None


def read_records(store: Store | None) -> Records:
    """The notices on record (cancelled ones excluded) and the start of tracking."""
    if store is None:
        return Records()
    with store.read() as conn:
        if current_version(conn) is None:
            return Records()
        since = installed_at(conn)
        notices = tuple(
            # A notice starts when it is created (the same tick sends it and the banner
            # shows from then), or at its due moment if created on time.
            NoticeOnRecord(n.policy, n.effective, n.version,
                           notice_start(n.created_at, n.due_at), n.id, n.created_at)
            for n in list_notices(conn)
            if n.state is not NoticeState.CANCELLED)
    return Records(notices, since)


def settings(config: Config, records: Records) -> Settings:
    late = LatePolicy.WARN if config.late_notice is LateNotice.WARN else LatePolicy.POSTPONE
    return Settings(notice_days=config.notice_days, zone=config.zone,
                    recently_updated_days=config.recently_updated_days, late=late,
                    tracking_since=records.tracking_since)


@dataclass(frozen=True)
class Plans:
    now: dt.datetime
    history: History
    policies: tuple[PolicyPlan, ...]
    assessments: Mapping[str, Mapping[dt.date, Judgement]]
    # Notices that no longer announce what will take effect: (notice id, why).
    stale: tuple[tuple[int, str], ...] = field(default=())

    def policy(self, policy: str) -> PolicyPlan | None:
        return next((p for p in self.policies if p.policy == policy), None)


def valid_notices(config: Config, versions: tuple[Version, ...],
                  notices: tuple[NoticeOnRecord, ...]
                  ) -> tuple[dict[dt.date, NoticeRecord], list[tuple[int, str]]]:
    """Notices that still announce their version's text, by effective date.

    A notice announced one commit's text. If the version was changed since, editorially,
    the notice still stands; if it was changed materially, it no longer announces what
    will take effect, so it does not count (a new notice will be due) and we say so.
    """
    final = {v.effective: v for v in versions}
    records: dict[dt.date, NoticeRecord] = {}
    stale: list[tuple[int, str]] = []
    for n in sorted(notices, key=lambda n: n.started_at):
        version = final.get(n.effective)
        if version is None:
            continue
        if n.version != version.final.sha:
            announced = _announced_text(config.root, n.policy, n.version, config.content_dir)
            if assess_texts(announced, version.path, version.text, version.path).material:
                stale.append((n.notice_id, f"{n.policy}@{n.effective}: notice {n.notice_id} "
                              f"announced commit {n.version[:10]}, and the text changed "
                              "materially since; a new notice is due"))
                continue
        records[n.effective] = NoticeRecord(n.policy, n.effective, n.started_at)
    return records, stale


@lru_cache(maxsize=256)
def _announced_text(root: Path, policy: str, sha: str, content_dir: str) -> str:
    """The text a notice announced. A commit never changes, so this is read from git once
    per process, not at every tick or every refresh of the site."""
    try:
        return policy_text_at(root, policy, sha, content_dir)[1]
    except HistoryError:  # the announced commit is gone (a rewritten branch)
        return ""


def plan_all(config: Config, history: History, records: Records, now: dt.datetime) -> Plans:
    chosen = settings(config, records)
    plans: list[PolicyPlan] = []
    judged: dict[str, Mapping[dt.date, Judgement]] = {}
    stale: list[tuple[int, str]] = []
    for policy, versions in by_policy(history.versions).items():
        judged[policy] = judgements(versions, config.root)
        verdicts = {day: verdict_of(a) for day, a in judged[policy].items()}
        notices, warnings = valid_notices(
            config, versions, tuple(n for n in records.notices if n.policy == policy))
        stale += warnings
        plans.append(plan_policy(policy, versions, verdicts, notices, chosen, now))
    return Plans(now, history, tuple(plans), judged, tuple(stale))


def optional_store(config: Config, now: dt.datetime) -> Store | None:
    """The store, if there is one. Reading pages, a plan or a check never creates one: an
    SQLite file that does not exist means that nothing is on record yet."""
    url = sa.make_url(config.db_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or not Path(database).exists():
            return None
    return Store.open(config.db_url, now)


NoticeLookup = Callable[[], dict[tuple[str, dt.date], NoticeRecord]]


def site_notices(config: Config, store: Store, ref: str | None = None) -> NoticeLookup:
    """For the website: the notices that count, re-read on each call (the site calls it
    every few seconds), judged exactly as the scheduler judges them."""
    cache = HistoryCache(config.root, ref, config.content_dir, config.zone)

    def lookup() -> dict[tuple[str, dt.date], NoticeRecord]:
        records = read_records(store)
        out: dict[tuple[str, dt.date], NoticeRecord] = {}
        for policy, versions in by_policy(cache.get().versions).items():
            valid, _ = valid_notices(config, versions,
                                     tuple(n for n in records.notices if n.policy == policy))
            out.update({(policy, day): record for day, record in valid.items()})
        return out

    return lookup
