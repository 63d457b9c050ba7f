"""Publishing the site notice: the static output is rebuilt when what it shows changes.

The live server needs nothing (it decides per request); a static copy (`site.static_out`)
must be rewritten when a banner starts or ends, a version comes into force, or a commit
lands. The tick calls this publisher; it rebuilds only when that state moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..store import Store, audit
from ..store.notices import audit_entries
from .planning import Plans

Build = Callable[[Path, dt.datetime], int]  # (folder, now) -> pages written (the wiring's)


def site_state(plans: Plans) -> tuple[object, ...]:
    """What the static pages depend on, beyond the clock."""
    rows: list[object] = [plans.head]
    rows += [(p.policy, p.key()) for p in plans.policies]
    return tuple(rows)


@dataclass
class StaticPublisher:
    """Rebuilds `site.static_out` when what it shows changed since its last build. The
    last build's state is read from the audit log, so a `run --once` from cron rebuilds
    only when needed, like a long-running scheduler. `build` renders the state the tick
    read (the wiring passes it), so a tick that publishes reads git once."""

    store: Store
    build: Build

    def __call__(self, config: Config, plans: Plans) -> str | None:
        if not config.static_out:
            return None
        target = Path(config.static_out)
        if not target.is_absolute():
            target = config.root / target
        subject = f"site:{target}"
        state = hashlib.sha256(repr(site_state(plans)).encode()).hexdigest()[:32]
        with self.store.read() as conn:
            builds = [e for e in audit_entries(conn, subject) if e.kind == "site.published"]
        if builds and builds[-1].details.get("state") == state and target.is_dir():
            return None
        pages = self.build(target, plans.now)
        with self.store.write() as conn:
            audit(conn, "site.published", subject, plans.now,
                  {"pages": pages, "head": plans.head, "state": state})
        return str(target.resolve())
