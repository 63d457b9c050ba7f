"""The outbox (shell): every message as an `.eml` file in a folder, for review.

The embedded default (`make run`): nothing leaves the machine. Files are written
atomically (a temporary file in the same folder, then renamed), so a reader never sees
half a message, and a delivery sent again after a crash replaces its own file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from ..delivery import BatchResult, Recipient
from ..files import write_atomically
from .compose import Letter

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def message_path(folder: Path, notice_id: int, recipient: Recipient) -> Path:
    account = _UNSAFE.sub("_", recipient.account_id)[:40].strip("._") or "account"
    return folder / f"notice-{notice_id}" / f"{recipient.delivery_id:08d}-{account}.eml"


class OutboxMailer:
    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def close(self) -> None:
        """Nothing to close."""

    def send(self, letter: Letter, recipients: Sequence[Recipient], now: dt.datetime
             ) -> BatchResult:
        accepted: list[tuple[int, str]] = []
        unsent: list[int] = []
        error: str | None = None
        for index, r in enumerate(recipients):
            target = message_path(self.folder, letter.notice.id, r)
            data = letter.message_bytes(r, now)
            try:
                write_atomically(target, data)
            except OSError as exc:
                error = f"cannot write to the outbox {self.folder}: {exc.strerror or exc}"
                unsent.extend(x.delivery_id for x in recipients[index:])
                break
            accepted.append((r.delivery_id, letter.message_id(r)))
        return BatchResult(tuple(accepted), (), tuple(unsent), len(accepted), error)
