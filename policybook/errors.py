"""The one error tree of policybook.

Every error a person can cause (bad content, bad config, a bad argument, a missing
revision) is a `PolicybookError`; the CLI turns it into a message and an exit code in
one place (`cli.main`). Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file, reported as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line > 0:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class PolicybookError(Exception):
    """Base of every error meant for a person, not a developer."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        return [self.message]


class ContentError(PolicybookError):
    """Policy content is invalid; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems = tuple(sorted(problems))
        n = len(self.problems)
        super().__init__(summary or f"{n} problem{'s' if n != 1 else ''} found")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + [self.message]


class ConfigError(PolicybookError):
    """The configuration (policybook.toml or the environment) is invalid."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))

    def lines(self) -> list[str]:
        return list(self.problems)


class UsageError(PolicybookError):
    """A command was called with an argument that cannot work."""

    exit_code = 2


class NotFoundError(PolicybookError):
    """A policy, version, revision, notice or file that does not exist."""


class HistoryError(PolicybookError):
    """The git repository cannot be read as a policy history."""


class StoreError(PolicybookError):
    """The database cannot be reached or is in an unexpected state."""


class MailError(PolicybookError):
    """A mail provider refused or failed in a way that stops the run."""


class GateError(PolicybookError):
    """A notice-period rule is broken (see `policybook check`)."""


class ProofError(PolicybookError):
    """A proof-of-notice bundle that does not verify (changed, truncated, not a bundle);
    carries every mismatch found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} problem(s): the bundle does not verify")

    def lines(self) -> list[str]:
        return [*self.problems, self.message]
class PortBusyError(PolicybookError):
    """The address the site should listen on is taken by another program.

    Exit code 4, of its own: 3 means a material change (`diff --fail-on-material`)."""

    exit_code = 4
