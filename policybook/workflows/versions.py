"""Versions of the repository's policies, and the sides of a diff (`POLICY@REV|DATE`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..config import Config
from ..errors import NotFoundError, UsageError
from ..history import History, policy_text_at, read_history
from ..versions import Version, by_policy, edits_after_effect, effective_moment, in_force, upcoming


class Status(StrEnum):
    IN_FORCE = "in force"
    UPCOMING = "upcoming"  # the next version to take effect
    SCHEDULED = "scheduled"  # takes effect after the upcoming one
    PAST = "past"


@dataclass(frozen=True)
class VersionRow:
    version: Version
    status: Status
    effective_at: dt.datetime
    edited_after_effect: tuple[str, ...]  # short shas of commits made after it took effect


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
                                   tuple(c.short for c in edits_after_effect(v, config.zone))))
    return rows


@dataclass(frozen=True)
class Side:
    """One side of a diff: where it came from, and its text."""

    label: str
    path: str
    text: str


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SPECIAL_REVS = ("in-force", "upcoming")


def read_side(config: Config, spec: str, now: dt.datetime, ref: str | None = None) -> Side:
    """A file path, `POLICY@REV` (a git revision), `POLICY@YYYY-MM-DD` (the version in force
    on that date), `POLICY@in-force` or `POLICY@upcoming` (relative to `now`)."""
    file = Path(spec)
    if not file.is_absolute():
        file = Path.cwd() / file
    if file.is_file() or "@" not in spec:
        if not file.is_file():
            raise NotFoundError(f"{spec}: no such file; give a policy file, POLICY@REV or "
                                "POLICY@YYYY-MM-DD")
        data = file.read_bytes()
        try:
            return Side(spec, spec, data.decode("utf-8"))
        except UnicodeDecodeError:
            raise UsageError(f"{spec}: is not UTF-8 text; save it as UTF-8") from None
    policy, _, rev = spec.rpartition("@")
    if not policy or not rev:
        raise UsageError(f"{spec!r}: write POLICY@REV, POLICY@YYYY-MM-DD, POLICY@in-force or "
                         "POLICY@upcoming")
    if _DATE.match(rev) or rev in SPECIAL_REVS:
        version = _version_for(config, policy, rev, now, ref)
        return Side(f"{policy}@{version.effective} ({version.final.short})", version.path,
                    version.text)
    path, text = policy_text_at(config.root, policy, rev, config.content_dir)
    return Side(spec, path, text)


def _version_for(config: Config, policy: str, rev: str, now: dt.datetime,
                 ref: str | None) -> Version:
    history = read_history(config.root, ref, config.content_dir)
    versions = by_policy(history.versions).get(policy)
    if not versions:
        known = ", ".join(by_policy(history.versions)) or "none"
        raise NotFoundError(f"no policy '{policy}' in the history (policies: {known})")
    if rev == "upcoming":
        found = upcoming(versions, now, config.zone)
        if found is None:
            raise NotFoundError(f"{policy} has no upcoming version at {now.isoformat()}")
        return found
    if rev == "in-force":
        moment = now
    else:
        try:
            day = dt.date.fromisoformat(rev)
        except ValueError:
            raise UsageError(f"{policy}@{rev}: {rev} is not a valid date") from None
        moment = effective_moment(day, config.zone)
    found = in_force(versions, moment, config.zone)
    if found is None:
        first = versions[0].effective.isoformat()
        raise NotFoundError(f"{policy} was not yet in force on {rev} (its first version takes "
                            f"effect on {first})")
    return found
