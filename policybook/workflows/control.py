"""Legal's control of a notice (shell): pause, resume, cancel (`policybook notices pause|
resume|cancel` and the dashboard's buttons share these).

- **pause**: the notice sends nothing until resumed. Every sender checks before each
  batch (the claim refuses a paused notice, see `store.ledger.claim`), so the batch with
  the provider at that instant is the last one to go out; a batch claimed ahead of it is
  given back to pending. Nothing is lost, nothing is sent twice. The website banner stays:
  the notice period is running, only the e-mails wait. The timeline then treats the
  notice as started at its resume if that comes after it was due (see `timeline.py`).
- **resume**: the notice is open again (sending if it had started, else scheduled); the
  next tick, or `notices send`, carries on from where the ledger stands.
- **cancel**: nothing more is sent, the banner is withdrawn, and the version waits: under
  `late_notice = postpone` it does not take effect, and the scheduler does not notice the
  same text again by itself. Legal then withdraws the version, gives it a new date, or
  starts a new notice explicitly with `notices send POLICY@DATE --again` (see `plan`).

Every action is in the audit log with who (`--by`, else POLICYBOOK_ACTOR, else the login
name), when and why, and raises an alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ..alerts import AlertKind, notify
from ..config import Config
from ..errors import UsageError
from ..store import Notice, NoticeState, Store, find_notice
from ..store.notices import cancel_notice, pause_notice, reopen_notice, resume_notice
from .notices import open_store
from .preview import who


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    REOPEN = "reopen"  # a cancelled notice started again (`notices send --again`)


@dataclass(frozen=True)
class ControlReport:
    action: Action
    notice_id: int
    key: str
    state: NoticeState  # after the action
    by: str
    at: dt.datetime
    reason: str | None = None
    stopped: int = 0  # a cancel: deliveries that will not be sent

    def summary(self) -> str:
        what = {Action.PAUSE: "paused: nothing is sent until it is resumed",
                Action.RESUME: f"resumed ({self.state.value}): sending carries on at the "
                               "next tick or with 'policybook notices send'",
                Action.CANCEL: f"cancelled: {self.stopped} e-mails will not be sent and the "
                               "banner is withdrawn",
                Action.REOPEN: "started again: its notice period counts from now"
                }[self.action]
        return (f"Notice {self.notice_id} ({self.key}) {what} (by {self.by}"
                + (f": {self.reason}" if self.reason else "") + ")")


def _refuse(notice: Notice, action: Action) -> None:
    state = notice.state
    if action is Action.REOPEN:
        if state is not NoticeState.CANCELLED:
            raise UsageError(f"notice {notice.id} ({notice.key}) is {state.value}, not "
                             "cancelled: send it without --again")
        return
    if state is NoticeState.CANCELLED:
        raise UsageError(f"notice {notice.id} ({notice.key}) was cancelled; it cannot be "
                         f"{action.value}d (see 'policybook plan' for what can be done)")
    if action is Action.PAUSE and state is NoticeState.PAUSED:
        raise UsageError(f"notice {notice.id} ({notice.key}) is already paused; resume it "
                         f"with 'policybook notices resume {notice.id}'")
    if action is Action.PAUSE and state is NoticeState.COMPLETE:
        raise UsageError(f"notice {notice.id} ({notice.key}) is complete; there is nothing "
                         "left to pause")
    if action is Action.RESUME and state is not NoticeState.PAUSED:
        raise UsageError(f"notice {notice.id} ({notice.key}) is {state.value}, not paused; "
                         "nothing to resume")
    if action is Action.CANCEL and state is NoticeState.COMPLETE:
        raise UsageError(f"notice {notice.id} ({notice.key}) is complete: every e-mail was "
                         "sent and the version took effect; a cancel cannot undo that")


def control(config: Config, ref: int | str, action: Action, now: dt.datetime, *,
            reason: str | None = None, by: str | None = None, store: Store | None = None
            ) -> ControlReport:
    """Pause, resume or cancel the notice `ref` (an id or POLICY@DATE), as of `now`."""
    actor = who(by)
    reason = (reason or "").strip() or None
    if action is Action.CANCEL and reason is None:
        raise UsageError("a cancel needs --reason TEXT: it is kept with the notice, and "
                         "'plan' shows it to whoever decides what happens next")
    store, own = open_store(config, store, now)
    try:
        with store.write() as conn:
            notice = find_notice(conn, str(ref))
            _refuse(notice, action)
            stopped = 0
            if action is Action.PAUSE:
                pause_notice(conn, notice, now, reason, actor)
                state = NoticeState.PAUSED
            elif action is Action.RESUME:
                state = resume_notice(conn, notice, now, reason, actor)
            elif action is Action.REOPEN:
                state = reopen_notice(conn, notice, now, reason, actor)
            else:
                assert reason is not None
                stopped = cancel_notice(conn, notice.id, now, reason, by=actor)
                state = NoticeState.CANCELLED
    finally:
        if own:
            store.close()
    kind = {Action.PAUSE: AlertKind.PAUSED, Action.RESUME: AlertKind.RESUMED,
            Action.CANCEL: AlertKind.CANCELLED, Action.REOPEN: AlertKind.RESUMED}[action]
    report = ControlReport(action, notice.id, notice.key, state, actor, now, reason, stopped)
    notify(config, kind, notice.id, notice.key, now, report.summary(), by=actor,
           reason=reason)
    return report
