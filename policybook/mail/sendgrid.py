"""SendGrid v3 Mail Send through the official `sendgrid` client (shell).

One request carries up to 1,000 recipients of one locale, each in its own
personalization (nobody sees another address), each address at most once per request,
and `custom_args` on every personalization (SendGrid's event webhook hands them back,
which is how events find their delivery). The client has no timeout of its own and no
retries: both are here. There is no idempotency key either, so a request that timed
out may have been accepted, and its retry sends twice: that is the one in-flight batch
of the delivery guarantee.

Failures:
- 429, 5xx and network errors: retried with exponential backoff (honouring
  Retry-After), then the batch is given back and the run stops.
- 400 naming recipients (`personalizations.N...` or their address): those recipients
  fail with SendGrid's reason and the rest of the batch is sent again; a 400 about the
  request itself (the From address, the content) stops the run instead of failing
  everyone.
- 413: the batch is split in halves.
- 401/403: the key is wrong; the run stops.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import re
import time
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient

from ..addresses import clean_name
from ..config import Secret
from ..delivery import BatchResult, Recipient
from .compose import Letter, Rendered

log = logging.getLogger(__name__)
# python_http_client logs whole request bodies (every address) and headers (the API
# key) at DEBUG: keep it quiet whatever the root logger's level.
logging.getLogger("python_http_client").setLevel(logging.WARNING)

MAX_PER_REQUEST = 1000
MAX_RETRY_AFTER = 300.0
CATEGORY = "policybook-notice"
_FIELD = re.compile(r"^personalizations\.(\d+)\b")


@dataclass
class _Outcome:
    accepted: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    unsent: list[int] = field(default_factory=list)
    requests: int = 0
    error: str | None = None


def split_unique(recipients: Sequence[Recipient], size: int = MAX_PER_REQUEST
                 ) -> list[list[Recipient]]:
    """Requests of at most `size` recipients in which no address appears twice (two
    accounts may share a mailbox; SendGrid refuses a request that names it twice)."""
    requests: list[tuple[set[str], list[Recipient]]] = []
    for r in recipients:
        key = r.email.lower()
        for seen, members in requests:
            if key not in seen and len(members) < size:
                seen.add(key)
                members.append(r)
                break
        else:
            requests.append(({key}, [r]))
    return [members for _, members in requests]


class SendGridMailer:
    name = "sendgrid"

    def __init__(self, api_key: Secret, url: str, *, timeout: float = 30.0, retries: int = 5,
                 backoff: float = 1.0, max_backoff: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = SendGridAPIClient(api_key=api_key.value, host=url.rstrip("/"))
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep

    def close(self) -> None:
        """Nothing to close: the client opens a connection per request."""

    # -------------------------------------------------------------- request bodies

    def _static(self, letter: Letter, rendered: Rendered) -> dict[str, Any]:
        sender = {"email": letter.sender.addr_spec}
        if letter.sender.display_name:
            sender["name"] = letter.sender.display_name
        body: dict[str, Any] = {
            "from": sender,
            "subject": rendered.subject,
            "content": [{"type": "text/plain", "value": rendered.text},
                        {"type": "text/html", "value": rendered.html}],
            "headers": dict(letter.headers),
            "categories": [CATEGORY],
            # Links in a legal notice stay exactly as written (no click-tracking
            # redirects), and no tracking pixel in a message people must receive.
            "tracking_settings": {"click_tracking": {"enable": False, "enable_text": False},
                                  "open_tracking": {"enable": False},
                                  "subscription_tracking": {"enable": False}},
        }
        if letter.reply_to is not None:
            body["reply_to"] = {"email": letter.reply_to.addr_spec}
            if letter.reply_to.display_name:
                body["reply_to"]["name"] = letter.reply_to.display_name
        return body

    def _personalization(self, letter: Letter, r: Recipient) -> dict[str, Any]:
        to: dict[str, str] = {"email": r.email}
        name = clean_name(r.name)  # JSON carries any character; none may break a header
        if name:
            to["name"] = name
        return {"to": [to],
                "headers": {"Message-ID": letter.message_id(r)},
                "substitutions": letter.substitutions(r),  # the greeting (see compose)
                "custom_args": {"pb_notice": str(letter.notice.id),
                                "pb_delivery": str(r.delivery_id),
                                "pb_account": r.account_id}}

    # -------------------------------------------------------------- sending

    def send(self, letter: Letter, recipients: Sequence[Recipient], now: dt.datetime
             ) -> BatchResult:
        out = _Outcome()
        by_locale: dict[str, list[Recipient]] = {}
        for r in recipients:
            # one request per language written (accounts of a language without
            # templates share the default language's message)
            by_locale.setdefault(letter.rendered(r.locale).locale, []).append(r)
        queue = [(locale, chunk) for locale, members in by_locale.items()
                 for chunk in split_unique(members)]
        for index, (locale, chunk) in enumerate(queue):
            static = self._static(letter, letter.rendered(locale))
            self._send_chunk(letter, static, chunk, out)
            if out.error is not None:
                for _, rest in queue[index + 1:]:
                    out.unsent.extend(r.delivery_id for r in rest)
                break
        return BatchResult(tuple(out.accepted), tuple(out.failed), tuple(out.unsent),
                           out.requests, out.error)

    def _send_chunk(self, letter: Letter, static: dict[str, Any], chunk: list[Recipient],
                    out: _Outcome) -> None:
        pending = list(chunk)
        attempt = 0
        while pending:
            body = {"personalizations": [self._personalization(letter, r) for r in pending],
                    **static}
            out.requests += 1
            try:
                response = self._client.client.mail.send.post(request_body=body,
                                                              timeout=self.timeout)
            except http_errors.HTTPError as exc:
                status = int(exc.status_code)
                if status == 400:
                    bad = self._bad_recipients(exc, pending)
                    if bad is None:
                        out.error = f"SendGrid refused the request (400): {_reason(exc)}"
                        out.unsent.extend(r.delivery_id for r in pending)
                        return
                    log.warning("SendGrid refused %d recipient(s) of a request of %d; "
                                "sending the others again", len(bad), len(pending))
                    out.failed.extend((pending[i].delivery_id, reasons)
                                      for i, reasons in sorted(bad.items()))
                    pending = [r for i, r in enumerate(pending) if i not in bad]
                    attempt = 0
                    continue
                if status == 413 and len(pending) > 1:
                    half = len(pending) // 2
                    log.warning("SendGrid: request too large (413); splitting %d recipients",
                                len(pending))
                    self._send_chunk(letter, static, pending[:half], out)
                    if out.error is None:
                        self._send_chunk(letter, static, pending[half:], out)
                    else:
                        out.unsent.extend(r.delivery_id for r in pending[half:])
                    return
                if status == 429 or status >= 500:
                    if self._wait(attempt, exc.headers, f"HTTP {status}"):
                        attempt += 1
                        continue
                    out.error = (f"SendGrid kept answering {status} after {attempt + 1} "
                                 f"attempts: {_reason(exc)}")
                elif status in (401, 403):
                    out.error = (f"SendGrid refused the API key ({status}): {_reason(exc)}; "
                                 "check SENDGRID_API_KEY and its Mail Send permission")
                else:
                    out.error = f"SendGrid answered {status}: {_reason(exc)}"
                out.unsent.extend(r.delivery_id for r in pending)
                return
            except (urllib.error.URLError, HTTPException, OSError) as exc:  # timeouts too
                what = type(exc).__name__
                if self._wait(attempt, None, what):
                    attempt += 1
                    continue
                out.error = (f"SendGrid could not be reached after {attempt + 1} attempts "
                             f"({what}: {_exc_text(exc)})")
                out.unsent.extend(r.delivery_id for r in pending)
                return
            message_id = _header(response.headers, "X-Message-Id") or ""
            out.accepted.extend((r.delivery_id, message_id) for r in pending)
            return

    def _wait(self, attempt: int, headers: Any, what: str) -> bool:
        """Sleep before retry number `attempt + 1`; False when retries are used up."""
        if attempt >= self.retries:
            return False
        delay = min(self.max_backoff, self.backoff * (2 ** attempt))
        delay *= random.uniform(0.8, 1.0)  # noqa: S311 -- jitter, not cryptography
        retry_after = _retry_after(_header(headers, "Retry-After"))
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        log.warning("SendGrid: %s; retrying in %.1f s (retry %d of %d)", what, delay,
                    attempt + 1, self.retries)
        self._sleep(delay)
        return True

    @staticmethod
    def _bad_recipients(exc: http_errors.HTTPError, pending: Sequence[Recipient]
                        ) -> dict[int, str] | None:
        """Index -> reason for the recipients a 400 names; None if it names none."""
        try:
            errors = json.loads(exc.body or b"{}").get("errors") or []
        except (ValueError, AttributeError):
            errors = []
        bad: dict[int, str] = {}
        addresses = {r.email.lower(): i for i, r in enumerate(pending)}
        for error in errors if isinstance(errors, list) else []:
            if not isinstance(error, dict):
                continue
            message = str(error.get("message") or "invalid")
            m = _FIELD.match(str(error.get("field") or ""))
            if m and int(m.group(1)) < len(pending):
                bad[int(m.group(1))] = f"{message} ({error.get('field')})"
                continue
            for address, index in addresses.items():
                if address in message.lower():
                    bad[index] = message
        return bad or None


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    return None if value is None else str(value)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    # Real waiting time: the wall clock, not the (possibly rehearsed) notice clock.
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _reason(exc: http_errors.HTTPError) -> str:
    try:
        errors = json.loads(exc.body or b"{}").get("errors") or []
        messages = [str(e.get("message")) + (f" ({e['field']})" if e.get("field") else "")
                    for e in errors if isinstance(e, dict)]
        if messages:
            return "; ".join(messages)[:500]
    except (ValueError, AttributeError):
        pass
    return str(getattr(exc, "reason", "") or "no details")


def _exc_text(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc)[:200]
