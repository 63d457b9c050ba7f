"""The notice e-mail (shell: reads templates): subject, plain text and HTML, headers.

A notice is rendered once per locale (dates formatted for it with babel) and the same
text goes to every account holder of that locale: that is what lets SendGrid take 1,000
recipients in one request. Per recipient there are only headers: To (the name encoded
as RFC 2047 when it is not ASCII, quoted when it holds specials) and Message-ID.

Header injection is impossible by construction: names and subjects lose every control
and line-separator character before they reach a header (`clean_name`), addresses are
validated dot-atoms, and `email.message.EmailMessage` refuses a header value with a
line break as a last line of defence.

No List-Unsubscribe header: this is a mandatory legal notice, not marketing. An
unsubscribe link would promise an opt-out that cannot exist (every account holder must
be told of a material change), and bulk-sender rules (Gmail, Yahoo) that require it
apply to promotional mail, not to transactional messages about one's own account.
`Auto-Submitted: auto-generated` (RFC 3834) keeps vacation responders from replying.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from jinja2 import Environment, TemplateError

from ..addresses import clean_name, normalize_email, normalize_locale
from ..delivery import Recipient
from ..errors import ConfigError, MailError
from ..store.notices import Notice
from ..templating import make_environment

MAX_REASONS = 8  # the e-mail lists this many changes; the redline has them all
HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",  # Exchange's equivalent of Auto-Submitted
}


@dataclass(frozen=True)
class Rendered:
    """A notice rendered for one locale."""

    locale: str
    subject: str
    text: str
    html: str


def parse_sender(value: str, setting: str = "mail.from") -> Address:
    # A line break (or any control character) would let the setting smuggle a second
    # header or sender past parseaddr, which quietly drops what follows; refuse it, and
    # refuse a list of addresses: a notice has one sender.
    if any(not c.isprintable() for c in value):
        raise ConfigError([f"{setting} {value!r} contains a line break or another control "
                           "character; write one address on one line, such as "
                           "'Policy updates <policy@example.com>'"])
    if len(getaddresses([value])) != 1:
        raise ConfigError([f"{setting} {value!r} names more than one address; a notice has "
                           "one sender, such as 'Policy updates <policy@example.com>'"])
    name, addr = parseaddr(value)
    email, problem = normalize_email(addr)
    if email is None:
        raise ConfigError([f"{setting} {value!r} is not an address such as "
                           f"'Policy updates <policy@example.com>' ({problem})"])
    local, domain = email.split("@")
    return Address(display_name=clean_name(name), username=local, domain=domain)


@functools.lru_cache(maxsize=256)
def _locale(value: str) -> Locale:
    locale, _ = normalize_locale(value)
    return Locale.parse(locale or "en")


def localized_date(day: dt.date, locale: str) -> str:
    """15 January 2027 as the account's locale writes it (babel's 'long' format)."""
    return str(format_date(day, format="long", locale=_locale(locale)))


class Letter:
    """One notice, composed: rendered per locale on first use, then cached."""

    def __init__(self, notice: Notice, env: Environment, sender: Address,
                 reply_to: Address | None, install_id: str, default_locale: str = "en",
                 zone: ZoneInfo | None = None) -> None:
        self.notice = notice
        self.zone = zone
        self.sender = sender
        self.reply_to = reply_to
        self.install_id = install_id
        self.default_locale = default_locale
        self._env = env
        self._cache: dict[str, Rendered] = {}
        self._bytes: dict[str, bytes] = {}

    def rendered(self, locale: str) -> Rendered:
        locale = locale or self.default_locale
        if locale not in self._cache:
            self._cache[locale] = self._render(locale)
        return self._cache[locale]

    def _render(self, locale: str) -> Rendered:
        n = self.notice
        reasons = [{"text": r.text,
                    "url": f"{n.changes_url}#{r.section}" if r.section else None}
                   for r in n.reasons[:MAX_REASONS]]
        context: dict[str, Any] = {
            # The switch as announced (a late notice postpones it), in the policy's zone.
            "notice": n, "effective_date": localized_date(
                n.effective_at.astimezone(self.zone).date() if self.zone else n.effective,
                locale),
            "reasons": reasons, "more_changes": max(0, len(n.reasons) - MAX_REASONS),
            "locale": locale, "lang": str(_locale(locale)).replace("_", "-"),
        }
        try:
            subject = clean_name(self._env.get_template("email/subject.txt").render(context))
            context["subject"] = subject
            text = self._env.get_template("email/notice.txt").render(context)
            body = self._env.get_template("email/notice.html").render(context)
        except TemplateError as exc:
            raise MailError(f"the e-mail templates cannot be rendered: {exc}") from exc
        if not subject:
            raise MailError("templates/email/subject.txt renders an empty subject")
        return Rendered(locale, subject[:998], text, body)

    def message_id(self, recipient: Recipient) -> str:
        """Stable per delivery: a copy sent twice (after a crash) carries the same id,
        which lets many mail clients show it once."""
        return (f"<pb.{self.install_id}.{self.notice.id}.{recipient.delivery_id}"
                f"@{self.sender.domain}>")

    def to_address(self, recipient: Recipient) -> Address:
        local, _, domain = recipient.email.rpartition("@")
        return Address(display_name=clean_name(recipient.name), username=local,
                       domain=domain)

    def _common(self, locale: str) -> bytes:
        """Everything but To, Date and Message-ID, serialized once per locale: the
        headers every recipient shares and the MIME body (text and HTML)."""
        key = f"bytes:{locale}"
        if key not in self._bytes:
            r = self.rendered(locale)
            msg = EmailMessage(policy=policy.SMTP)
            msg["Subject"] = r.subject
            msg["From"] = self.sender
            if self.reply_to is not None:
                msg["Reply-To"] = self.reply_to
            for name, value in HEADERS.items():
                msg[name] = value
            msg.set_content(r.text)
            msg.add_alternative(r.html, subtype="html")
            self._bytes[key] = msg.as_bytes()
        return self._bytes[key]

    def message_bytes(self, recipient: Recipient, date: dt.datetime) -> bytes:
        """The complete message for one recipient, as sent (SMTP) or filed (outbox).

        Per recipient only three headers are made (the e-mail package folds and encodes
        them); they go before the shared headers and body, which are serialized once
        per locale: composing a message costs a tenth of building it whole."""
        head = EmailMessage(policy=policy.SMTP)
        head["To"] = self.to_address(recipient)
        head["Date"] = format_datetime(date.astimezone(dt.UTC))
        head["Message-ID"] = self.message_id(recipient)
        lines = head.as_bytes()
        assert lines.endswith(b"\r\n\r\n")  # header lines, then the empty line
        return lines[:-2] + self._common(recipient.locale or self.default_locale)

    def email_message(self, recipient: Recipient, date: dt.datetime) -> EmailMessage:
        """The message for one recipient, parsed back (for inspection and tests)."""
        msg = message_from_bytes(self.message_bytes(recipient, date), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def compose(notice: Notice, root: Path, mail_from: str, reply_to: str | None,
            install_id: str, default_locale: str = "en", zone: ZoneInfo | None = None
            ) -> Letter:
    """The letter for `notice`, with the repository's templates over the defaults;
    `zone` is the time zone of effective dates (the date announced is the switch's)."""
    sender = parse_sender(mail_from)
    reply = parse_sender(reply_to, "mail.reply_to") if reply_to else None
    return Letter(notice, make_environment(root), sender, reply, install_id, default_locale,
                  zone)
