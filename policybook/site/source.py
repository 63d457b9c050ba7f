"""What the site renders (the interface it is handed): the state of every policy.

The site reads no git, no database and no workflow: the wiring (`workflows.wiring`)
hands it a `StateSource`. `revision()` is a cheap token that changes whenever a state may
change (a new commit, a notice recorded); the site asks it at most every few seconds and
keeps its caches of parsed documents, redlines and pages while it holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from ..state import State


class StateSource(Protocol):
    def revision(self) -> str:
        """A token that changes whenever `state(now)` may return something else."""
        ...

    def state(self, now: dt.datetime) -> State:
        """Every policy at `now` (from what was read at the last `revision()`)."""
        ...
