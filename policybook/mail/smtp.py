"""SMTP through the standard library's smtplib (shell): one message per recipient, one
connection reused for the whole run.

`POLICYBOOK_SMTP_URL`:
- `smtp://user:password@host:587`: STARTTLS, required (a password never crosses the
  network in clear; add `?starttls=off` for a local relay without TLS and without login);
- `smtps://user:password@host:465`: TLS from the first byte;
- `?cafile=/path/ca.pem` trusts a private certificate authority; `?timeout=30`.
User and password are percent-decoded (`%40` for an @ in a user name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import Secret
from ..delivery import BatchResult, Recipient
from ..errors import ConfigError
from .compose import Letter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    user: str | None
    password: Secret
    cafile: str | None
    timeout: float

    @classmethod
    def parse(cls, url: Secret) -> SmtpSettings:
        try:
            parts = urlsplit(url.value)
            port = parts.port
        except ValueError:
            raise ConfigError(["POLICYBOOK_SMTP_URL is not a URL such as "
                               "smtp://user:password@host:587"]) from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(["POLICYBOOK_SMTP_URL must start with smtp:// (STARTTLS) or "
                               "smtps:// (TLS) and name a host"])
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "cafile", "timeout"}
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ConfigError([f"POLICYBOOK_SMTP_URL: unknown option(s) {names} "
                               "(known: starttls, cafile, timeout)"])
        secure = parts.scheme == "smtps"
        starttls = not secure and query.get("starttls", "on").lower() not in ("off", "no", "0")
        user = unquote(parts.username) if parts.username else None
        if user and not secure and not starttls:
            raise ConfigError(["POLICYBOOK_SMTP_URL: a login needs TLS; remove ?starttls=off "
                               "or use smtps://"])
        try:
            timeout = float(query.get("timeout", "30"))
        except ValueError:
            raise ConfigError(["POLICYBOOK_SMTP_URL: timeout must be a number of seconds"]
                              ) from None
        return cls(parts.hostname, port or (465 if secure else 587), secure, starttls, user,
                   Secret(unquote(parts.password or "")), query.get("cafile"), timeout)


class SmtpMailer:
    name = "smtp"

    def __init__(self, url: Secret, envelope_from: str) -> None:
        self.settings = SmtpSettings.parse(url)
        self.envelope_from = envelope_from
        self._conn: smtplib.SMTP | None = None
        self.connections = 0  # how many times a connection was opened (for reports)

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.ssl:
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo()
            if s.starttls:
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS (add ?starttls=off to the URL "
                        "only for a trusted local relay)")
                conn.starttls(context=self._context())
                conn.ehlo()
        if s.user:
            conn.login(s.user, s.password.value)
        self.connections += 1
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            self._drop()

    def send(self, letter: Letter, recipients: Sequence[Recipient], now: dt.datetime
             ) -> BatchResult:
        accepted: list[tuple[int, str]] = []
        failed: list[tuple[int, str]] = []
        unsent: list[int] = []
        error: str | None = None
        for index, r in enumerate(recipients):
            data = letter.message_bytes(r, now)
            message_id = letter.message_id(r)
            for attempt in (1, 2):  # a dropped connection is reopened once
                try:
                    self._connection().sendmail(self.envelope_from, [r.email], data)
                    accepted.append((r.delivery_id, message_id))
                except smtplib.SMTPRecipientsRefused as exc:
                    code, text = next(iter(exc.recipients.values()), (0, b""))
                    if 400 <= code < 500:  # temporary: a later run tries again
                        unsent.append(r.delivery_id)
                    else:
                        failed.append((r.delivery_id, f"SMTP {code}: {_text(text)}"))
                except smtplib.SMTPDataError as exc:
                    if 400 <= exc.smtp_code < 500:
                        unsent.append(r.delivery_id)
                    else:
                        failed.append((r.delivery_id,
                                       f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"))
                except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
                        ConnectionError, TimeoutError) as exc:
                    self._drop()
                    if attempt == 1:
                        continue
                    error = f"the SMTP server stopped answering ({type(exc).__name__})"
                except smtplib.SMTPAuthenticationError as exc:
                    error = f"the SMTP server refused the login ({exc.smtp_code})"
                except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
                    self._drop()
                    error = f"SMTP failed: {type(exc).__name__}: {_text(exc)}"
                break
            if error is not None:
                unsent.extend(x.delivery_id for x in recipients[index:])
                break
        return BatchResult(tuple(accepted), tuple(failed), tuple(unsent),
                           len(accepted) + len(failed), error)


def _text(value: object) -> str:
    """A server's reply as it may be stored, logged and printed: one line, and no
    control characters (an escape sequence would reach the operator's terminal)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    line = " ".join(str(value).split())[:300]
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in line)
