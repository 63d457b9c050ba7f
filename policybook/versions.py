"""Versions of a policy and what is in force when (pure core).

A *version* is a policy's text for one `effective` date as it landed on the branch; its
final text is that of the newest commit that carries this date. `history.py` (shell)
builds versions from git; everything here is a pure function of them and of `now`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str  # the author's name (never an e-mail address: logs and pages show it)
    date: dt.datetime  # commit date, timezone-aware
    message: str  # first line of the commit message

    @property
    def short(self) -> str:
        return self.sha[:10]


class TextSource(Protocol):
    """Where a version's text comes from when it is read lazily (the git history)."""

    def text_of(self, blob: str) -> str: ...


class Version:
    """One version of a policy (immutable).

    `text` is the final text of this version. The history gives it lazily (`blob` and a
    `source`): most commands only need the verdicts, which are kept on disk by blob, so a
    version's text is read from git only when something reads it."""

    __slots__ = (
        "_source",
        "_text",
        "blob",
        "commits",
        "effective",
        "final",
        "introduced",
        "path",
        "policy",
    )
    policy: str
    effective: dt.date
    path: str  # repository-relative path of the file in the final commit
    introduced: Commit  # the commit that first carried this effective date
    final: Commit  # the newest commit for this effective date (its final text)
    commits: tuple[Commit, ...]  # every commit that changed this version, oldest first
    blob: str  # the git blob of its text ("" when it did not come from git)
    _text: str | None
    _source: TextSource | None

    def __init__(self, policy: str, effective: dt.date, path: str, text: str | None,
                 introduced: Commit, final: Commit, commits: tuple[Commit, ...] = (),
                 blob: str = "", source: TextSource | None = None) -> None:
        if text is None and (source is None or not blob):
            raise ValueError("a version needs its text, or a blob and a source to read it")
        for name, value in (("policy", policy), ("effective", effective), ("path", path),
                            ("introduced", introduced), ("final", final),
                            ("commits", tuple(commits)), ("blob", blob), ("_text", text),
                            ("_source", source)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Version is immutable (cannot set {name})")

    @property
    def text(self) -> str:
        """The final text of this version."""
        text: str | None = self._text
        if text is None:
            assert self._source is not None
            text = self._source.text_of(self.blob)
            object.__setattr__(self, "_text", text)
        return text

    def _identity(self) -> tuple[object, ...]:
        content = self.blob or self.text
        return (self.policy, self.effective, self.path, self.introduced, self.final,
                self.commits, content)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        if self.blob and other.blob:
            return self._identity() == other._identity()
        return self._identity()[:-1] == other._identity()[:-1] and self.text == other.text

    def __hash__(self) -> int:
        return hash((self.policy, self.effective, self.path, self.final.sha))

    def __repr__(self) -> str:
        return (f"Version({self.policy!r}, {self.effective.isoformat()}, {self.path!r}, "
                f"final={self.final.short})")

    @property
    def key(self) -> str:
        return f"{self.policy}@{self.effective.isoformat()}"


def effective_moment(effective: dt.date, zone: ZoneInfo) -> dt.datetime:
    """A version takes effect at midnight of its effective date in the configured zone."""
    return dt.datetime.combine(effective, dt.time(0, 0), tzinfo=zone)


def in_force(versions: Sequence[Version], now: dt.datetime, zone: ZoneInfo) -> Version | None:
    """The version whose effective moment is the latest one not after `now`."""
    best: Version | None = None
    for v in versions:
        if effective_moment(v.effective, zone) <= now and (best is None
                                                           or v.effective > best.effective):
            best = v
    return best


def upcoming(versions: Sequence[Version], now: dt.datetime, zone: ZoneInfo) -> Version | None:
    """The next version to take effect after `now`, if any."""
    best: Version | None = None
    for v in versions:
        if effective_moment(v.effective, zone) > now and (best is None
                                                          or v.effective < best.effective):
            best = v
    return best


def previous(versions: Sequence[Version], version: Version) -> Version | None:
    """The version in force just before `version` (by effective date)."""
    earlier = [v for v in versions if v.effective < version.effective]
    return max(earlier, key=lambda v: v.effective) if earlier else None


def edits_after_effect(version: Version, zone: ZoneInfo) -> tuple[Commit, ...]:
    """Commits that changed the version's text after it had taken effect."""
    start = effective_moment(version.effective, zone)
    return tuple(c for c in version.commits if c.date > start and c.sha != version.introduced.sha)


def by_policy(versions: Iterable[Version]) -> dict[str, tuple[Version, ...]]:
    """Versions grouped by policy id, each group sorted by effective date."""
    groups: dict[str, list[Version]] = {}
    for v in versions:
        groups.setdefault(v.policy, []).append(v)
    return {k: tuple(sorted(g, key=lambda v: v.effective)) for k, g in sorted(groups.items())}
