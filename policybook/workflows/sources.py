"""Where versions come from for the state (shell): the branch, or the branch plus drafts.

`HistoryCache` (history.py) is the branch. `PreviewHistory` adds the working tree's
uncommitted edits as drafts, for `policybook serve --preview`: a policy file whose text
differs from the newest committed version of its policy becomes a draft version with the
file's effective date; a draft with the date of an existing version replaces that
version's text (the newest text of a date is its final text).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from ..document import parse_document
from ..history import History, HistoryCache
from ..regions import read_declaration
from ..repository import decode_policy, find_policy_files
from ..versions import WORKING_TREE, Commit, Version, effective_moment


class PreviewHistory:
    """The committed history with the working tree's uncommitted edits as drafts."""

    def __init__(self, base: HistoryCache, root: Path, content_dir: str = "content",
                 zone: ZoneInfo | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.base, self.root, self.content_dir = base, root, content_dir
        self.zone = zone or ZoneInfo("UTC")
        # What "pending" means for a draft that moves a date (`check --now` rehearses).
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._last: tuple[str, History] | None = None

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

    def get(self) -> History:
        committed = self.base.get()
        files = self._files()
        digest = hashlib.sha256((committed.head or "").encode())
        for path, text in files:
            digest.update(path.encode() + b"\0" + text.encode() + b"\0")
        token = digest.hexdigest()
        if self._last is not None and self._last[0] == token:
            return self._last[1]
        versions = list(committed.versions)
        now = self.clock()
        for path, text in files:
            doc = parse_document(text, path)
            effective = doc.front.effective
            if effective is None:
                continue  # `policybook check` reports it; a draft needs a date to be shown
            variant = read_declaration(text).variant
            mine = [v for v in versions if (v.policy, v.variant) == (doc.policy_id, variant)]
            newest = max(mine, key=lambda v: v.final.date, default=None)
            if newest is not None and newest.text == text:
                continue  # no uncommitted edit
            stamp = Commit(WORKING_TREE, "working tree", now, "Uncommitted edits")
            same = next((v for v in mine if v.effective == effective), None)
            if same is not None and same.text == text:
                continue
            if same is not None:
                versions.remove(same)
            # As in the history: the file states the next version, so committing this
            # draft would withdraw a pending version with another date.
            for pending in [v for v in mine if v is not same
                            and effective_moment(v.effective, self.zone) > now]:
                versions.remove(pending)
            versions.append(Version(doc.policy_id, effective, path, text,
                                    same.introduced if same else stamp, stamp,
                                    (*(same.commits if same else ()), stamp),
                                    same.translations if same else (), variant=variant))
        history = History(tuple(versions), f"{committed.head}+{token[:12]}",
                          committed.problems, committed.withdrawn, committed.translations)
        self._last = (token, history)
        return history
