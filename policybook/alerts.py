"""Alerts (shell): webhooks told of a notice's life, so that legal hears of it without
reading logs.

Events: `notice.created`, `notice.started`, `notice.paused`, `notice.finished` (with the
delivery totals), `notice.failed` (a run stopped on a provider error, or refused more
than `alerts.failed_threshold` recipients) and `notice.late`.

Targets: `alerts.webhooks` get a JSON object (`event`, `notice`, `policy`, `effective`,
`at`, `text`, `details`); `alerts.slack` get Slack's incoming-webhook format (`text`).
Every post is signed with the shared secret `POLICYBOOK_ALERTS_SECRET`:
`X-Policybook-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the time
is signed too, so a receiver can refuse a replayed post; see `verify_signature`).

Never blocking the send: `notify` puts the alert on a bounded queue and returns; one
background thread posts, retrying a network error, a 429 or a 5xx with exponential
backoff. A full queue drops the alert with a warning (the audit log has every event
anyway). At exit the queue is given `alerts.timeout` seconds to drain.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from http.client import HTTPException
from typing import Any

from .config import Config, Secret

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Policybook-Signature"
EVENT_HEADER = "X-Policybook-Event"
QUEUE_SIZE = 1000
MAX_BACKOFF = 60.0


class AlertKind(StrEnum):
    CREATED = "notice.created"
    STARTED = "notice.started"
    PAUSED = "notice.paused"
    RESUMED = "notice.resumed"
    CANCELLED = "notice.cancelled"
    FINISHED = "notice.finished"
    FAILED = "notice.failed"
    LATE = "notice.late"


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    notice_id: int
    key: str  # policy@effective
    at: dt.datetime
    text: str  # one sentence for people
    details: Mapping[str, Any] = field(default_factory=dict)

    def generic(self) -> dict[str, Any]:
        policy, _, effective = self.key.partition("@")
        return {"event": self.kind.value, "notice": self.notice_id, "policy": policy,
                "effective": effective, "at": self.at.isoformat(), "text": self.text,
                "details": dict(self.details)}

    def slack(self) -> dict[str, Any]:
        return {"text": f"policybook: {self.text}"}


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, body: bytes, header: str, now: float,
                     tolerance: float = 300.0) -> bool:
    """What a receiver does: the signature matches (constant time) and is recent."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


@dataclass(frozen=True)
class Target:
    url: str
    slack: bool = False


class Alerter:
    """Posts alerts from a background thread; `notify` never waits for the network."""

    def __init__(self, targets: tuple[Target, ...], secret: Secret, *, retries: int = 5,
                 timeout: float = 10.0, backoff: float = 1.0, queue_size: int = QUEUE_SIZE,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.targets = targets
        self._secret = secret
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0  # posts a target accepted
        self.dropped = 0  # alerts lost: queue full, or a target kept failing

    def notify(self, alert: Alert) -> None:
        if not self.targets:
            return
        self._start()
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1
            log.warning("alerts: the queue is full; %s for notice %d not posted",
                        alert.kind.value, alert.notice_id)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="policybook-alerts",
                                                daemon=True)
                self._thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued alert was posted (or given up); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            try:
                if alert is None:
                    return
                for target in self.targets:
                    self._post(target, alert)
            except Exception:  # a bug here must not kill the thread (or the send)
                log.exception("alerts: posting %s failed", alert.kind.value if alert else "")
            finally:
                self._queue.task_done()

    def _post(self, target: Target, alert: Alert) -> None:
        body = json.dumps(alert.slack() if target.slack else alert.generic(),
                          ensure_ascii=False, default=str).encode("utf-8")
        for attempt in range(self.retries + 1):
            headers = {"Content-Type": "application/json", EVENT_HEADER: alert.kind.value,
                       "User-Agent": "policybook-alerts"}
            if self._secret:
                headers[SIGNATURE_HEADER] = sign(self._secret.value, body, int(self._clock()))
            # (config.py accepts only http:// and https:// webhook addresses)
            request = urllib.request.Request(target.url, data=body,  # noqa: S310
                                             headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    response.read()
                self.delivered += 1
                return
            except urllib.error.HTTPError as exc:
                retry = exc.code == 429 or exc.code >= 500
                what = f"HTTP {exc.code}"
            except (urllib.error.URLError, HTTPException, OSError) as exc:
                retry = True
                what = type(exc).__name__
            if not retry or attempt == self.retries:
                break
            delay = min(MAX_BACKOFF, self.backoff * 2 ** attempt)
            log.info("alerts: %s from a webhook; retrying in %.1f s", what, delay)
            self._sleep(delay)
        self.dropped += 1
        # (the address of a webhook may carry its secret, as Slack's do: never logged)
        log.warning("alerts: a %s webhook refused %s for notice %d (%s); given up",
                    "Slack" if target.slack else "JSON", alert.kind.value, alert.notice_id,
                    what)


_alerters: dict[tuple[Any, ...], Alerter] = {}
_alerters_lock = threading.Lock()


def alerter_for(config: Config) -> Alerter:
    """One alerter (one thread) per distinct alert configuration in the process."""
    key = (config.alerts_webhooks, config.alerts_slack, config.alerts_secret.value,
           config.alerts_retries, config.alerts_timeout)
    with _alerters_lock:
        if key not in _alerters:
            targets = tuple(Target(u) for u in config.alerts_webhooks) + tuple(
                Target(u, slack=True) for u in config.alerts_slack)
            alerter = Alerter(targets, config.alerts_secret, retries=config.alerts_retries,
                              timeout=config.alerts_timeout)
            _alerters[key] = alerter
            if targets:
                atexit.register(alerter.flush, config.alerts_timeout)
        return _alerters[key]


def notify(config: Config, kind: AlertKind, notice_id: int, key: str, at: dt.datetime,
           text: str, **details: Any) -> None:
    """Tell the configured webhooks (no-op without any); returns at once."""
    if not config.alerts_webhooks and not config.alerts_slack:
        return
    alerter_for(config).notify(Alert(kind, notice_id, key, at, f"{key}: {text}", details))
