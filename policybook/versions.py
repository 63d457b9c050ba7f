"""Versions of a policy and what is in force when (pure core).

A *version* is a policy's text for one `effective` date as it landed on the branch; its
final text is that of the newest commit that carries this date. `history.py` (shell)
builds versions from git; everything here is a pure function of them and of `now`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# The sha of a preview's draft: the working tree's text, not a commit.
WORKING_TREE = "working-tree"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str  # the author's name (never an e-mail address: logs and pages show it)
    date: dt.datetime  # commit date, timezone-aware
    message: str  # first line of the commit message

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True)
class Translated:
    """A translation of one version of a policy (docs/languages.md): it takes effect with
    the version it `translates` and is never a version of its own; its final text is that
    of the newest commit that carried this language and date, as for a version."""

    policy: str
    language: str
    translates: dt.date
    path: str
    text: str
    introduced: Commit
    final: Commit
    commits: tuple[Commit, ...] = ()
    variant: str | None = None  # the variant it translates (None: the general one)


class LazyText:
    """A text read on first use: the shell hands a version the git blob of its text and
    a reader, so a process that only needs dates and verdicts reads no blob. `blob` names
    exactly this text (a text put in its place is a plain `str`, with no blob), so caches
    may key a verdict by it."""

    __slots__ = ("_read", "_text", "blob")

    def __init__(self, blob: str, read: Callable[[str], str]) -> None:
        self.blob = blob
        self._read = read
        self._text: str | None = None

    def get(self) -> str:
        if self._text is None:
            self._text = self._read(self.blob)
        return self._text


class _TextField:
    """The `text` of a version: a `str`, or a `LazyText` read on first access."""

    def __get__(self, obj: object, owner: type | None = None) -> str:
        if obj is None:
            raise AttributeError("text")  # a required field (no default)
        value = obj.__dict__["_text"]
        return value.get() if isinstance(value, LazyText) else str(value)

    def __set__(self, obj: object, value: str | LazyText) -> None:
        obj.__dict__["_text"] = value


def text_blob(version: Version) -> str | None:
    """The git blob whose content is exactly `version.text`, if known without reading it."""
    value = version.__dict__.get("_text")
    return value.blob if isinstance(value, LazyText) else None


@dataclass(frozen=True)
class Version:
    policy: str
    effective: dt.date
    path: str  # repository-relative path of the file in the final commit
    if TYPE_CHECKING:  # a `str` to every reader; a `LazyText` may be given (see history.py)
        text: str  # the final text of this version
    else:
        text: _TextField = _TextField()
    introduced: Commit  # the commit that first carried this effective date
    final: Commit  # the newest commit for this effective date (its final text)
    commits: tuple[Commit, ...] = ()  # every commit that changed this version, oldest first
    translations: tuple[Translated, ...] = ()  # those that translate it, by language
    # The regional variant whose timeline this version is on (`variant:` in its front
    # matter; None: the general variant). A policy's timelines are keyed by (policy,
    # variant): a variant's version is judged against the variant's previous version.
    variant: str | None = None

    @property
    def timeline(self) -> str:
        """`privacy-policy` or `privacy-policy.eea` (see `regions.timeline_key`)."""
        return self.policy if self.variant is None else f"{self.policy}.{self.variant}"

    def translation(self, language: str) -> Translated | None:
        return next((t for t in self.translations if t.language == language), None)

    @property
    def key(self) -> str:
        """`privacy-policy@2027-01-15`; `privacy-policy:eea@2027-03-01` for a variant (the
        CLI's spelling, and the audit log's subject)."""
        name = self.policy if self.variant is None else f"{self.policy}:{self.variant}"
        return f"{name}@{self.effective.isoformat()}"


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


def by_timeline(versions: Iterable[Version]
                ) -> dict[tuple[str, str | None], tuple[Version, ...]]:
    """Versions grouped by (policy, variant), each group sorted by effective date; the
    general variant (None) of a policy comes before its regional ones."""
    groups: dict[tuple[str, str | None], list[Version]] = {}
    for v in versions:
        groups.setdefault((v.policy, v.variant), []).append(v)
    return {k: tuple(sorted(g, key=lambda v: v.effective))
            for k, g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))}


_RENAMED = re.compile(r"^renamed-from:[ \t]*[\"']?([a-z0-9][a-z0-9-]{0,79})[\"']?[ \t]*$",
                      re.MULTILINE)


def renamed_from(text: str) -> str | None:
    """The `renamed-from:` id a version's front matter declares ("none" included)."""
    head = text[:text.find("\n---", 4) + 1] if text.startswith("---") else ""
    found = _RENAMED.search(head)
    return found.group(1) if found else None


def rename_map(versions: Sequence[Version],
               declared: Callable[[Version], str | None] | None = None) -> dict[str, str]:
    """Old policy id -> the id it lives on under, from the `renamed-from:` declarations
    (chains followed, cycles ignored). `declared`: a version's declaration, when the
    caller knows it without reading the text (the history index keeps it)."""
    renames: dict[str, str] = {}
    for v in versions:
        old = declared(v) if declared is not None else renamed_from(v.text)
        if old and old not in ("none", v.policy):
            renames.setdefault(old, v.policy)
    resolved: dict[str, str] = {}
    for old in renames:
        policy, seen = old, {old}
        while policy in renames and renames[policy] not in seen:
            policy = renames[policy]
            seen.add(policy)
        if policy != old:
            resolved[old] = policy
    return resolved


def follow_renames(versions: Sequence[Version],
                   renames: dict[str, str] | None = None) -> tuple[Version, ...]:
    """Versions with each renamed policy's history carried under its new id.

    A policy whose file says `renamed-from: OLD` continues OLD: OLD's versions become its
    own, so its first version under the new id is judged against OLD's (and a material
    change gets its notice) instead of starting a new policy while OLD stays in force.
    A version the new id already has for the same date wins."""
    renames = rename_map(versions) if renames is None else renames
    if not renames:
        return tuple(versions)
    kept: dict[tuple[str, str | None, dt.date], Version] = {}
    for v in versions:
        new = renames.get(v.policy, v.policy)
        if (new, v.variant, v.effective) not in kept or v.policy == new:
            kept[(new, v.variant, v.effective)] = v if new == v.policy \
                else replace(v, policy=new)
    return tuple(kept.values())
