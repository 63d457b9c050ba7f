"""The quiet tick: a `run --once` with nothing to do costs next to nothing (shell).

Most ticks of a cron-driven `policybook run --once` find nothing to do: no notice falls
due, nothing is being sent, no version switches. Such a tick still opened the store
(SQLAlchemy) and planned every policy. Instead, a tick that did nothing (no notice
created or cancelled, no e-mail sent, no notice open at all, no version newly in force,
nothing published, no warning) keeps in the cache folder (`policybook.cache`) a
fingerprint of everything its decisions read:

- the branch head (a commit lands: the state may change);
- the SQLite database's stamp (`planning.database_stamp`): any write, a notice sent or
  paused from the CLI, accounts imported, changes it. PostgreSQL has no stamp without a
  connection, so a tick on PostgreSQL always runs;
- the configuration (every setting, see `settings_key`; secrets are masked, and no
  tick that sends nothing reads them);
- whether the static copy of the site (`site.static_out`) is there (it is rebuilt when
  it is missing);
- policybook itself (the cache's own fingerprint: a new version trusts no entry);
- when it ran, and the NEXT event its state knows (`state.next_event`).

A later `run --once` whose inputs are the same, at a moment from that tick up to (not
including) the next event, prints what the tick would have printed ("nothing to do")
without opening the store. Anything else, a corrupt or foreign entry included, runs the
tick. As everywhere in the cache, the entry is a shortcut: deleting it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache import DiskCache, cache_folder, digest, stats
from ..config import Config, Secret
from ..gitrepo import head_sha
from .planning import database_stamp

if TYPE_CHECKING:  # the tick (and with it the store, SQLAlchemy) loads only when it runs
    from .tick import TickReport

KIND = "quiet-tick"


@dataclass(frozen=True)
class Inputs:
    """What a tick's decisions read, beyond the clock."""

    head: str | None
    database: str  # the database's stamp
    config: str  # a digest of every setting
    published: str  # whether the static copy of the site is there


def _published(config: Config) -> str:
    if not config.static_out:
        return "-"
    target = Path(config.static_out)
    if not target.is_absolute():
        target = config.root / target
    return "there" if target.is_dir() else "missing"


def settings_key(value: object) -> str:
    """The settings as text that is the same in every process: `repr` of a frozenset
    follows the process's string hashing (PYTHONHASHSEED), so sets are sorted; secrets
    stay masked (a tick that sends nothing reads none)."""
    if isinstance(value, Secret):
        return repr(value)
    if is_dataclass(value) and not isinstance(value, type):
        return f"{type(value).__name__}(" + ",".join(
            f"{f.name}={settings_key(getattr(value, f.name))}" for f in fields(value)) + ")"
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(settings_key(v) for v in value)) + "}"
    if isinstance(value, tuple | list):
        return "(" + ",".join(settings_key(v) for v in value) + ")"
    return repr(value)


def inputs(config: Config) -> Inputs | None:
    """The inputs of a tick now; None when they cannot be known without a connection
    (PostgreSQL, no database yet) or the database changed too recently to trust its
    stamp (see `planning.Stamp.settled`)."""
    stamp = database_stamp(config.db_url)
    if stamp is None or not stamp.exists or not stamp.settled():
        return None
    return Inputs(head_sha(config.root), stamp.key, digest("config", settings_key(config)),
                  _published(config))


def _cache(config: Config) -> tuple[DiskCache, str]:
    return DiskCache(cache_folder(config.root), KIND), digest(KIND, str(config.root.resolve()),
                                                              config.db_url)


def quiet_lines(config: Config, now: dt.datetime, current: Inputs | None) -> list[str] | None:
    """What the tick at `now` would print, if the last quiet tick tells it without
    running it; None: run the tick."""
    if current is None:
        return None
    disk, key = _cache(config)
    entry = disk.get(key)
    if entry is None:
        return None
    try:
        kept = Inputs(**entry["inputs"])
        since = dt.datetime.fromisoformat(entry["since"])
        until = None if entry["until"] is None else dt.datetime.fromisoformat(entry["until"])
        if since.tzinfo is None or (until is not None and until.tzinfo is None):
            raise ValueError("a naive moment")
    except (KeyError, TypeError, ValueError, AttributeError):
        stats[f"{KIND}.corrupt"] += 1
        return None
    if kept != current or now < since or (until is not None and now >= until):
        stats[f"{KIND}.stale"] += 1
        return None
    stats[f"{KIND}.taken"] += 1
    head = current.head
    return [f"tick at {now.isoformat(timespec='seconds')} "
            f"(git {head[:10] if head else 'empty'})", "nothing to do"]


def remember(config: Config, before: Inputs | None, report: TickReport) -> bool:
    """Keep the fingerprint of a quiet tick: only if its inputs did not move while it ran
    (a commit or a write by another process would not be in what it decided on)."""
    if before is None or not report.quiet or report.head != before.head:
        return False
    if inputs(config) != before:
        stats[f"{KIND}.moved"] += 1
        return False
    disk, key = _cache(config)
    value: dict[str, Any] = {
        "inputs": asdict(before), "since": report.now.isoformat(),
        "until": None if report.next_event is None else report.next_event.isoformat()}
    disk.put(key, value)
    return True
