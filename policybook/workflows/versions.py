"""Versions of the repository's policies, with their status at `now` (read from the state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..config import Config
from ..errors import NotFoundError
from ..regions import split_name
from ..state import PolicyState, State
from ..versions import Version, effective_moment
from .assessing import Judgement


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
    held_back: bool = False  # the edits after it took effect (or was announced) are material

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


def version_rows(config: Config, state: State,
                 judged: Callable[[PolicyState], Mapping[dt.date, Judgement]],
                 policy: str | None = None) -> list[VersionRow]:
    """Every version of the state (or of one policy: each of its variants, or the one
    named `POLICY:VARIANT`), with its status at the state's now."""
    wanted, variant = split_name(policy) if policy is not None else (None, None)
    known = [p.policy if p.variant_id is None else f"{p.policy}:{p.variant_id}"
             for p in state.policies]
    if policy is not None and not any(p.policy == wanted and (variant is None
                                                             or p.variant_id == variant)
                                      for p in state.policies):
        raise NotFoundError(f"no policy '{policy}' in the history (policies: "
                            f"{', '.join(known) or 'none'})")
    rows: list[VersionRow] = []
    for ps in state.policies:
        if wanted is not None and (ps.policy != wanted
                                   or (variant is not None and ps.variant_id != variant)):
            continue
        assessed = judged(ps)
        held = dict(ps.held)
        live = ps.in_force.version.effective if ps.in_force else None
        nxt = ps.upcoming.version.effective if ps.upcoming else None
        for vp in ps.versions:
            v = vp.version
            if v.effective == live:
                status = Status.IN_FORCE
            elif v.effective == nxt:
                status = Status.UPCOMING
            elif live is not None and v.effective < live:
                status = Status.PAST
            else:
                status = Status.SCHEDULED
            h = held.get(v.effective)
            rows.append(VersionRow(v, status, vp.effective_at,
                                   tuple(c.short for c in h.edits) if h else (),
                                   assessed.get(v.effective),
                                   held_back=bool(h and h.verdict.material)))
        for w in ps.withdrawn:
            rows.append(VersionRow(w.version, Status.WITHDRAWN,
                                   effective_moment(w.version.effective, config.zone), (), None,
                                   w.by.short))
    rows.sort(key=lambda r: (r.version.policy, r.version.variant or "", r.version.effective))
    return rows
