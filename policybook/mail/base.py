"""The `Mailer` protocol every provider implements (SendGrid, SMTP, outbox)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from ..delivery import BatchResult, Recipient

if TYPE_CHECKING:
    from .compose import Letter


class Mailer(Protocol):
    """Hands a batch of recipients of one notice to a provider.

    `send` never raises for a provider problem: it reports per recipient what was
    accepted (with the provider's message id), what was refused (with the reason) and
    what was not handed over, plus an `error` when the provider stopped working, so
    that the caller can record exactly what happened before it stops.
    """

    name: str

    def send(self, letter: Letter, recipients: Sequence[Recipient], now: dt.datetime
             ) -> BatchResult: ...

    def close(self) -> None: ...
