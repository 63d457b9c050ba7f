"""SendGrid v3 Mail Send through the official `sendgrid` client (shell).

One request carries up to 1,000 recipients of one rendered message (a locale, and a
site with `[[sites]]`), each in its own
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
- Anything but SendGrid's documented acceptance (202, an empty body and an
  X-Message-Id) is not "sent": a redirect (never followed, because the request carries
  the API key in its Authorization header), another 2xx, an HTML page from a proxy or a
  captive portal all stop the run with the batch given back, to be sent again by the
  next run once the URL is fixed.
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
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient

from ..addresses import clean_name
from ..config import Secret
from ..delivery import BatchResult, Recipient
from .compose import Letter
from .rendered import Rendered

log = logging.getLogger(__name__)
# python_http_client logs whole request bodies (every address) and headers (the API
# key) at DEBUG: keep it quiet whatever the root logger's level.
logging.getLogger("python_http_client").setLevel(logging.WARNING)

MAX_PER_REQUEST = 1000
MAX_RETRY_AFTER = 300.0
CATEGORY = "policybook-notice"
_FIELD = re.compile(r"^personalizations\.(\d+)\b")
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: urllib would send the Authorization header (the API key)
    to wherever the Location points, and take that server's answer for SendGrid's."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirects())


def _open(opener: Any, request: urllib.request.Request, timeout: float | None = None) -> Any:
    """python_http_client's request, through an opener that follows no redirect (the
    client builds a default opener per request; this replaces it)."""
    try:
        return _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        exc = http_errors.handle_error(err)
        exc.__cause__ = None
        raise exc from None


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
            "headers": letter.headers_for(rendered),
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
                # Events come back with these: which delivery, and of which installation
                # (two installs may share a SendGrid account).
                "custom_args": {"pb_notice": str(letter.notice.id),
                                "pb_delivery": str(r.delivery_id),
                                "pb_account": r.account_id,
                                "pb_install": letter.install_id}}

    # -------------------------------------------------------------- sending

    def send(self, letter: Letter, recipients: Sequence[Recipient], now: dt.datetime
             ) -> BatchResult:
        out = _Outcome()
        by_message: dict[str, tuple[Rendered, list[Recipient]]] = {}
        for r in recipients:
            # one request per rendered message: per language written (accounts of a
            # language without templates share the default language's message), and
            # per site with `[[sites]]` (the links differ)
            rendered = letter.rendered_for(r)
            by_message.setdefault(rendered.key, (rendered, []))[1].append(r)
        queue = [(rendered, chunk) for rendered, members in by_message.values()
                 for chunk in split_unique(members)]
        for index, (rendered, chunk) in enumerate(queue):
            static = self._static(letter, rendered)
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
            endpoint = self._client.client.mail.send
            endpoint._make_request = _open  # this request only: no redirects followed
            try:
                response = endpoint.post(request_body=body, timeout=self.timeout)
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
                elif status in REDIRECTS:
                    where = _header(exc.headers, "Location") or "nowhere"
                    out.error = (f"SendGrid's URL answered with a redirect ({status} to "
                                 f"{_clean(where)[:200]}), which is never followed because "
                                 "the request carries the API key; set "
                                 "POLICYBOOK_SENDGRID_URL to the API's own address")
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
            message_id, problem = _acceptance(response)
            if problem is not None:
                out.error = (f"the answer of POLICYBOOK_SENDGRID_URL is not SendGrid's "
                             f"acceptance ({problem}); nothing is marked sent: check the URL "
                             "(a proxy or a captive portal?)")
                out.unsent.extend(r.delivery_id for r in pending)
                return
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
            message = _clean(str(error.get("message") or "invalid"))[:500]
            m = _FIELD.match(str(error.get("field") or ""))
            if m and int(m.group(1)) < len(pending):
                bad[int(m.group(1))] = f"{message} ({_clean(str(error.get('field')))[:100]})"
                continue
            for address, index in addresses.items():
                if _names(message, address):
                    bad[index] = message
        return bad or None


def _names(message: str, address: str) -> bool:
    """Whether `message` names `address` as a whole address: a 400 about
    jimbob@example.com is not about bob@example.com."""
    pattern = r"(?<![\w.+'&=%-])" + re.escape(address) + r"(?![\w-]|\.\w)"
    return re.search(pattern, message, re.IGNORECASE) is not None


def _acceptance(response: Any) -> tuple[str, str | None]:
    """(X-Message-Id, None) for SendGrid's documented success, else ("", what is wrong):
    202 Accepted, no body, and the message id that its events carry back."""
    status = int(response.status_code)
    if status != 202:
        return "", f"HTTP {status} instead of 202"
    body = response.body or b""
    if body.strip():
        kind = _header(response.headers, "Content-Type") or "no Content-Type"
        return "", f"202 with a {len(body)}-byte body ({_clean(kind)[:80]}) instead of none"
    message_id = (_header(response.headers, "X-Message-Id") or "").strip()
    if not message_id or len(message_id) > 200 or not message_id.isprintable():
        return "", "no X-Message-Id header"
    return message_id, None


def _clean(text: str) -> str:
    """A provider's text made safe to print: no control characters (a terminal escape
    sequence in an error would reach the operator's terminal and the logs)."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)


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
            return _clean("; ".join(messages)[:500])
    except (ValueError, AttributeError):
        pass
    return _clean(str(getattr(exc, "reason", "") or "no details"))


def _exc_text(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return _clean(str(reason if reason is not None else exc)[:200])
