"""Validate the policies of a repository's working tree (`policybook check`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..document import Document
from ..errors import Problem
from ..repository import load_content, load_documents
from ..validate import validate_all


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


def check_content(config: Config, paths: list[Path] | None = None) -> CheckReport:
    """Every content problem of the repository (or of the given files and folders)."""
    if paths:
        loaded = load_documents(paths, config.root)
        if not loaded.documents and not loaded.problems:
            missing = ", ".join(str(p) for p in paths)
            return CheckReport((), (Problem(missing, 0, "contains no policies (*.md files)"),))
    else:
        loaded = load_content(config.root, config.content_dir)
    problems = list(loaded.problems) + validate_all(loaded.documents)
    return CheckReport(loaded.documents, tuple(sorted(set(problems))))
