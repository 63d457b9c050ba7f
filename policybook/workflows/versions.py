"""Versions of the repository's policies, with their status at `now`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ..config import Config
from ..errors import NotFoundError
from ..history import History
from ..versions import Version, by_policy, edits_after_effect, effective_moment, in_force, upcoming
from .assessing import Judgement, judgements


class Status(StrEnum):
    IN_FORCE = "in force"
    UPCOMING = "upcoming"  # the next version to take effect
    SCHEDULED = "scheduled"  # takes effect after the upcoming one
    PAST = "past"
    WITHDRAWN = "withdrawn"  # replaced by another date before it took effect


@dataclass(frozen=True)
class VersionRow:
    version: Version
    status: Status
    effective_at: dt.datetime
    edited_after_effect: tuple[str, ...]  # short shas of commits made after it took effect
    assessment: Judgement | None  # its change from the version before (None: the first)
    withdrawn_by: str | None = None  # short sha of the commit that replaced it, if withdrawn

    def verdict(self) -> str:
        if self.withdrawn_by is not None:
            return f"never took effect (replaced in {self.withdrawn_by})"
        a = self.assessment
        if a is None:
            return "first version"
        if a.overridden:
            return f"{a.verdict} (override)"
        if a.material:
            n = len(a.reasons)
            return f"material ({n} reason{'s' if n != 1 else ''})"
        return str(a.verdict)


def version_rows(config: Config, history: History, now: dt.datetime,
                 policy: str | None = None) -> list[VersionRow]:
    groups = by_policy(history.versions)
    if policy is not None and policy not in groups:
        known = ", ".join(groups) or "none"
        raise NotFoundError(f"no policy '{policy}' in the history (policies: {known})")
    rows: list[VersionRow] = []
    for pid, versions in groups.items():
        if policy is not None and pid != policy:
            continue
        current = in_force(versions, now, config.zone)
        nxt = upcoming(versions, now, config.zone)
        judged = judgements(versions, config.root)
        for v in versions:
            if v is current:
                status = Status.IN_FORCE
            elif v is nxt:
                status = Status.UPCOMING
            elif effective_moment(v.effective, config.zone) > now:
                status = Status.SCHEDULED
            else:
                status = Status.PAST
            rows.append(VersionRow(v, status, effective_moment(v.effective, config.zone),
                                   tuple(c.short for c in edits_after_effect(v, config.zone)),
                                   judged.get(v.effective)))
    for v, by in history.withdrawn:
        if policy is None or v.policy == policy:
            rows.append(VersionRow(v, Status.WITHDRAWN, effective_moment(v.effective, config.zone),
                                   (), None, by.short))
    rows.sort(key=lambda r: (r.version.policy, r.version.effective))
    return rows
