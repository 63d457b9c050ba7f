"""Where the site's versions come from (shell): git, the working tree, or memory.

A source answers two questions: `revision()`, a cheap token that changes whenever the
versions may have changed (the branch head; for a preview, also the working tree), and
`versions()`. The site re-reads versions only when the token moves, and checks it at
most every few seconds, so a new commit on the branch shows without a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from ..document import parse_document
from ..history import head_sha, read_history
from ..repository import decode_policy, find_policy_files
from ..versions import Commit, Version, effective_moment
from .pages import WORKING_TREE


class SiteSource(Protocol):
    def revision(self) -> str:
        """A token that changes whenever `versions()` may return something else."""
        ...

    def versions(self) -> tuple[Version, ...]:
        """Every version of every policy."""
        ...


@dataclass
class MemorySource:
    """Versions held in memory (tests, benchmarks); `set` replaces them like a new commit."""

    _versions: tuple[Version, ...]
    _revision: int = 0

    def set(self, versions: Sequence[Version]) -> None:
        self._versions = tuple(versions)
        self._revision += 1

    def revision(self) -> str:
        return str(self._revision)

    def versions(self) -> tuple[Version, ...]:
        return self._versions


class GitSource:
    """The versions that landed on a branch of the policy repository at `root`."""

    def __init__(self, root: Path, ref: str | None = None, content_dir: str = "content",
                 zone: ZoneInfo | None = None) -> None:
        self.root, self.ref, self.content_dir = root, ref, content_dir
        self.zone = zone or ZoneInfo("UTC")

    def revision(self) -> str:
        return head_sha(self.root, self.ref) or "empty"

    def versions(self) -> tuple[Version, ...]:
        return read_history(self.root, self.ref, self.content_dir, self.zone).versions


class PreviewSource:
    """The committed versions plus the working tree's uncommitted edits, as drafts.

    A policy file whose text differs from the newest committed version of its policy
    becomes a draft version with the file's effective date; a draft with the date of an
    existing version replaces that version's text (the newest text of a date is its final
    text). The token hashes the working tree, so every reload after an edit shows it.
    """

    def __init__(self, base: SiteSource, root: Path, content_dir: str = "content",
                 zone: ZoneInfo | None = None) -> None:
        self.base, self.root, self.content_dir = base, root, content_dir
        self.zone = zone or ZoneInfo("UTC")
        self._committed: tuple[str, tuple[Version, ...]] | None = None

    def committed(self) -> tuple[Version, ...]:
        """The versions as committed (a draft may replace one of them in `versions()`)."""
        revision = self.base.revision()
        if self._committed is None or self._committed[0] != revision:
            self._committed = (revision, self.base.versions())
        return self._committed[1]

    def _files(self) -> list[tuple[str, str]]:
        files, _ = find_policy_files([self.root / self.content_dir])
        out: list[tuple[str, str]] = []
        for f in files:
            try:
                text, problem = decode_policy(f.read_bytes(), str(f))
            except OSError:
                continue
            if text is not None and problem is None:
                out.append((f.relative_to(self.root).as_posix(), text.replace("\r\n", "\n")))
        return out

    def revision(self) -> str:
        digest = hashlib.sha256(self.base.revision().encode())
        for path, text in self._files():
            digest.update(path.encode() + b"\0" + text.encode() + b"\0")
        return digest.hexdigest()

    def versions(self) -> tuple[Version, ...]:
        committed = list(self.committed())
        now = dt.datetime.now(dt.UTC)
        for path, text in self._files():
            doc = parse_document(text, path)
            effective = doc.front.effective
            if effective is None:
                continue  # `policybook check` reports it; a draft needs a date to be shown
            mine = [v for v in committed if v.policy == doc.policy_id]
            newest = max(mine, key=lambda v: v.final.date, default=None)
            if newest is not None and newest.text == text:
                continue  # no uncommitted edit
            stamp = Commit(WORKING_TREE, "working tree", now, "Uncommitted edits")
            same = next((v for v in mine if v.effective == effective), None)
            if same is not None and same.text == text:
                continue
            if same is not None:
                committed.remove(same)
            # As in the history: the file states the next version, so committing this
            # draft would withdraw a pending version with another date.
            for pending in [v for v in mine if v is not same
                            and effective_moment(v.effective, self.zone) > now]:
                committed.remove(pending)
            committed.append(Version(doc.policy_id, effective, path, text,
                                     same.introduced if same else stamp, stamp,
                                     (*(same.commits if same else ()), stamp)))
        return tuple(committed)
