"""What a notice e-mail is made of (shell values): the facts of the notice it announces,
the company that writes it, and the material changes as sentences for customers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..config import Config
    from ..materiality import Reason


class ReasonFacts(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def section(self) -> str | None: ...


class NoticeFacts(Protocol):
    """What the e-mail needs of a notice (a stored notice, or one being previewed)."""

    @property
    def id(self) -> int: ...

    @property
    def policy(self) -> str: ...

    @property
    def effective(self) -> dt.date: ...

    @property
    def variant(self) -> str | None: ...  # the regional variant announced (None: general)

    @property
    def effective_at(self) -> dt.datetime: ...

    @property
    def title(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def reasons(self) -> Sequence[ReasonFacts]: ...

    @property
    def upcoming_url(self) -> str: ...

    @property
    def changes_url(self) -> str: ...


@dataclass(frozen=True)
class Company:
    """Who writes the letter, and what an account holder who disagrees can do."""

    name: str = ""
    address: str = ""  # postal address (line breaks kept)
    contact: str = ""  # an e-mail address or a web address
    disagree: str = ""  # empty: the template's default wording

    @property
    def contact_is_email(self) -> bool:
        return "@" in self.contact and "://" not in self.contact


def company_of(config: Config, policy_id: str, disagree: str | None = None) -> Company:
    """The letterhead; `disagree` (the version's own `disagree:` front matter) comes
    before the configured wording."""
    return Company(config.company_name, config.company_address, config.company_contact,
                   disagree or config.disagree_text(policy_id))


@dataclass(frozen=True)
class PlainReason:
    text: str
    section: str | None = None


class Judged(Protocol):
    """A verdict with its main reasons: an `Assessment`, or the kept `Judgement`."""

    @property
    def main_reasons(self) -> tuple[Reason, ...]: ...


def plain_reasons(assessment: Judged) -> tuple[PlainReason, ...]:
    """The main material changes as sentences for customers: `Reason.plain`, the one
    wording of every surface (what changed, where, the words as written; no rule ids or
    line numbers)."""
    return tuple(PlainReason(r.plain, r.section or None) for r in assessment.main_reasons)
