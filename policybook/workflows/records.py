"""What legal reads about notices (shell): the list with totals, a notice's report, the
per-account proof rows, the proof bundle and the lookup of one account. The CLI and the
dashboard both read through here, so neither touches the store itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..delivery import DeliveryState
from ..notice import Notice
from ..proof import BundleReport, write_bundle
from ..store import Store, find_notice, list_notices
from ..store import proof as store_proof
from ..store.ledger import REPORT_COLUMNS, report_rows
from ..store.notices import AuditEntry, audit_entries, delivery_totals
from .notices import open_store

__all__ = ["PROBLEM_STATES", "REPORT_COLUMNS", "NoticeTotals", "audit_of", "bundle",
           "deliveries_over_time", "lookup", "notice_report", "notices_with_totals",
           "proof_rows"]

PROBLEM_STATES = (DeliveryState.FAILED, DeliveryState.BOUNCED, DeliveryState.DROPPED)


@dataclass(frozen=True)
class NoticeTotals:
    notice: Notice
    totals: dict[str, int]  # delivery state -> count

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def problems(self) -> int:
        return sum(self.totals.get(s.value, 0) for s in PROBLEM_STATES)


@contextmanager
def _store(config: Config, store: Store | None) -> Iterator[Store]:
    opened, own = open_store(config, store, dt.datetime.now(dt.UTC))
    try:
        yield opened
    finally:
        if own:
            opened.close()


def notices_with_totals(config: Config, store: Store | None = None) -> list[NoticeTotals]:
    with _store(config, store) as s, s.read() as conn:
        totals = delivery_totals(conn)
        return [NoticeTotals(n, totals.get(n.id, {})) for n in list_notices(conn)]


def notice_report(config: Config, ref: str, store: Store | None = None) -> NoticeTotals:
    """One notice (by id or POLICY@DATE) with its totals."""
    with _store(config, store) as s, s.read() as conn:
        n = find_notice(conn, ref)
        return NoticeTotals(n, delivery_totals(conn, n.id).get(n.id, {}))


@contextmanager
def proof_rows(config: Config, notice_id: int, states: Sequence[str] | None = None,
               store: Store | None = None) -> Iterator[Iterator[dict[str, Any]]]:
    """The per-account rows of a notice (REPORT_COLUMNS), streamed while open."""
    with _store(config, store) as s, s.read() as conn:
        yield report_rows(conn, notice_id, states)


def lookup(config: Config, account: str, policy: str | None = None,
           effective: dt.date | None = None, store: Store | None = None
           ) -> list[dict[str, Any]]:
    """Was `account` told of a version, when and how (see store.proof.lookup)."""
    with _store(config, store) as s, s.read() as conn:
        return store_proof.lookup(conn, account, policy, effective)


def bundle(config: Config, ref: str, target: Path, now: dt.datetime,
           store: Store | None = None) -> BundleReport:
    """Write the proof bundle of notice `ref` (see policybook.proof.write_bundle)."""
    with _store(config, store) as s:
        return write_bundle(s, ref, target, config.root, config.content_dir, now)


def audit_of(config: Config, notice_id: int, store: Store | None = None) -> list[AuditEntry]:
    with _store(config, store) as s, s.read() as conn:
        return audit_entries(conn, f"notice:{notice_id}")


def deliveries_over_time(config: Config, notice_id: int, store: Store | None = None
                         ) -> list[tuple[dt.datetime, str]]:
    """(moment, state) of each delivery that got anywhere: sent at its send time, and its
    outcome (delivered, bounced, dropped, failed) at its event time; for the chart."""
    out: list[tuple[dt.datetime, str]] = []
    with proof_rows(config, notice_id, store=store) as rows:
        for r in rows:
            if r["sent_at"] is not None:
                out.append((r["sent_at"], "sent"))
            state = r["state"]
            when = r["delivered_at"] or r["event_at"] or r["sent_at"] or r["created_at"]
            if state in ("delivered", "bounced", "dropped", "failed") and when is not None:
                out.append((when, state))
    return sorted(out)
