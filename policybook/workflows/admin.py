"""What the dashboard for legal reads and does (shell): the notices with their totals and
delivery series, each policy's timeline (the one state), and the actions (preview, test,
pause, resume, cancel) and the lookup, through the same workflows as the CLI.

`site/admin.py` renders and guards the pages; it imports no store and no workflow: the
wiring hands it an `AdminBackend` (this class fits its protocol).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..notice import Notice
from ..state import PolicyState
from ..store import Store
from . import records
from .control import Action, control
from .preview import parse_policy_ref, preview, send_test
from .state import StateBuilder, plans_of


@dataclass
class AdminBackend:
    config: Config
    store: Store | None
    builder: StateBuilder

    def notices(self) -> list[tuple[Notice, dict[str, int]]]:
        if self.store is None:
            return []
        return [(i.notice, i.totals) for i in records.notices_with_totals(self.config,
                                                                          self.store)]

    def notice(self, ref: str) -> tuple[Notice, dict[str, int]]:
        found = records.notice_report(self.config, ref, self._store())
        return found.notice, found.totals

    def series(self, notice_id: int) -> list[tuple[dt.datetime, str]]:
        return records.deliveries_over_time(self.config, notice_id, self._store())

    def audit(self, notice_id: int) -> list[tuple[dt.datetime, str, dict[str, Any]]]:
        return [(e.at, e.kind, dict(e.details))
                for e in records.audit_of(self.config, notice_id, self._store())]

    def timelines(self, now: dt.datetime) -> tuple[PolicyState, ...]:
        return plans_of(self.builder, now).policies

    def preview(self, ref: str, now: dt.datetime) -> tuple[str, str, str]:
        """(subject, plain text, HTML) of the notice of `ref` as an account gets it."""
        shown = preview(self.config, ref, now)
        return shown.subject, shown.text(), shown.html()

    def test_send(self, ref: str, now: dt.datetime, addresses: list[str], by: str) -> str:
        report = send_test(self.config, ref, now, addresses, by=by, store=self.store)
        lines = [f"Test {report.test_id} ({report.provider}): {report.subject}"]
        lines += [f"sent to {a}" for a in report.sent]
        lines += [f"refused for {a}: {why}" for a, why in report.failed]
        if report.error:
            lines.append(f"stopped: {report.error}")
        return "; ".join(lines)

    def control(self, ref: str, action: str, now: dt.datetime, reason: str | None,
                by: str) -> str:
        return control(self.config, ref, Action(action), now, reason=reason, by=by,
                       store=self.store).summary()

    def lookup(self, account: str, policy_ref: str | None) -> list[dict[str, Any]]:
        policy, effective = parse_policy_ref(policy_ref)
        if self.store is None:
            return []
        return records.lookup(self.config, account, policy, effective, self.store)

    def _store(self) -> Store:
        if self.store is None:
            from ..errors import NotFoundError

            raise NotFoundError("nothing is on record yet (no database)")
        return self.store
