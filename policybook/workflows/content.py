"""Validate the policies of a repository's working tree (`policybook check`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..document import Document
from ..errors import HistoryError, Problem
from ..history import (
    ensure_full_history,
    is_repository,
    read_history,
    require_common_history,
)
from ..repository import Loaded, load_content, load_documents
from ..validate import validate_all
from .gates import gate_problems
from .planning import optional_store


def committed_problems(config: Config, loaded: Loaded, base: str | None) -> list[Problem]:
    """What the history of the branch cannot read: a shallow clone or a base that is not
    there is refused (HistoryError), and a committed policy file that the history skips
    (so that no version of it would ever take effect) is a problem of `check`, unless the
    file is in the working tree's check already (then its own problem says what to fix)."""
    try:
        ensure_full_history(config.root)
        if base is not None:
            require_common_history(config.root, base)
        history = read_history(config.root, None, config.content_dir, config.zone)
    except HistoryError:
        if base is not None or is_repository(config.root):
            raise
        return []  # not a repository yet: nothing is committed
    checked = {d.path for d in loaded.documents} | {p.path for p in loaded.problems}
    return [Problem(p.path, p.line, f"committed version: {p.message}")
            for p in history.problems if p.path not in checked]


@dataclass(frozen=True)
class CheckReport:
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        n = len(self.documents)
        ids = ", ".join(d.policy_id for d in self.documents)
        if self.ok:
            return f"{n} polic{'y' if n == 1 else 'ies'} checked, no problems ({ids})"
        files = len({p.path for p in self.problems})
        count = len(self.problems)
        return (f"{count} problem{'s' if count != 1 else ''} in {files} "
                f"file{'s' if files != 1 else ''}")


def check_content(config: Config, paths: list[Path] | None = None,
                  now: dt.datetime | None = None, base: str | None = None,
                  gate: bool = True) -> CheckReport:
    """Every content problem of the repository (or of the given files and folders), and,
    with `now`, every notice-period problem against the versions on record at `base`."""
    if paths:
        loaded = load_documents(paths, config.root)
        if not loaded.documents and not loaded.problems:
            missing = ", ".join(str(p) for p in paths)
            return CheckReport((), (Problem(missing, 0, "contains no policies (*.md files)"),))
    else:
        loaded = load_content(config.root, config.content_dir)
    problems = list(loaded.problems) + validate_all(loaded.documents)
    if gate and not paths:
        problems += committed_problems(config, loaded, base)
    if gate and now is not None:
        store = optional_store(config, now)
        try:
            problems += gate_problems(config, loaded.documents, now, base, store)
        finally:
            if store is not None:
                store.close()
    return CheckReport(loaded.documents, tuple(sorted(set(problems))))
