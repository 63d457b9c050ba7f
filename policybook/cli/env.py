"""The repository a command runs in, and `--now`: what every command shares that needs no
click (`diff`'s plain path, `cli.plain`, runs without loading click)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # a diff of two files reads no config but [materiality] (`use_materiality`)
    from zoneinfo import ZoneInfo

    from ..config import Config


class Env:
    """The policy repository a command runs in; the config is read on first use. (A plain
    class: a dataclass would cost every command's start-up the compiling of its methods.)"""

    __slots__ = ("_config", "root")

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.root = root
        self._config = config

    def __repr__(self) -> str:
        return f"Env(root={self.root!r})"

    @classmethod
    def at(cls, repo: str) -> Env:
        return cls(Path(repo).resolve())

    @property
    def config(self) -> Config:
        if self._config is None:
            from ..config import load_config

            self._config = load_config(self.root)
            if self._config.materiality is not None:  # the verdict follows [materiality]
                from ..workflows.assessing import use_settings

                use_settings(self._config.materiality)
        return self._config

    def use_materiality(self) -> None:
        """Judge with the repository's `[materiality]` settings, reading no other setting
        when the config is not loaded yet: a diff of two files needs nothing else, and the
        whole config (sixty settings, time zones) is a tenth of such a command's start-up.
        A mistake in `[materiality]` is still an error; one elsewhere is `check`'s."""
        if self._config is not None:  # loaded: its settings are in use already
            return
        from ..configfile import materiality_settings

        settings = materiality_settings(self.root)
        if settings is not None:
            from ..workflows.assessing import use_settings

            use_settings(settings)


def parse_now(value: str | None, zone: ZoneInfo | None = None,
              option: str = "--now") -> dt.datetime:
    """`--now` (ISO 8601) -> aware datetime. Default: the clock.

    A date or time without an offset is read in the configured zone (`zone`, the
    policies' `notice.timezone`), as a lawyer means it: `--now 2027-01-15` is midnight
    of that day there, the moment a version dated 2027-01-15 takes effect."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} {value!r} is not an ISO 8601 date or time; write for "
                         "example 2027-01-15 or 2027-01-15T09:30:00+01:00") from None
    from ..timeline import PLANNABLE_YEARS  # not loaded by a command run without --now

    if parsed.year not in PLANNABLE_YEARS:
        raise UsageError(f"{option} {value!r} is outside the years 1970 to 9000 that "
                         "policybook can plan in; give a date in that range")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone or dt.UTC)
