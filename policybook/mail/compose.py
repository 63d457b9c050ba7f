"""The notice e-mail (shell: reads templates): subject, plain text and HTML, headers.

A notice is rendered once per language (the account's language where the templates
exist in it, else the default language: prose, date and `lang` always agree) and the
same text goes to every account holder of that language: that is what lets SendGrid
take 1,000 recipients in one request. Per recipient there are only headers (To, with
the name encoded as RFC 2047 when it is not ASCII, and Message-ID) and the greeting
line ("Dear Ann Smith,"): the rendered body holds a marker line in its place, which
SendGrid fills from `substitutions` and SMTP and the outbox splice into the
quoted-printable body (a line of its own, so the splice is exact).

Proof: `message_digest` is the SHA-256 of what an account received, whatever the
provider: the headers that matter (From, Reply-To, To, Subject, Message-ID and the
fixed ones) and both bodies, personalised. The notice keeps one copy of each rendered
language (`Rendered`), so the digest of every delivery can be recomputed from it.

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
import hashlib
import html as html_lib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy, quoprimime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from ..addresses import clean_name, normalize_email, normalize_locale
from ..delivery import Recipient
from ..errors import ConfigError, MailError

if TYPE_CHECKING:
    from babel import Locale
    from jinja2 import Environment

    from ..config import Config
    from ..materiality import Reason

MAX_REASONS = 8  # the e-mail lists this many changes; the redline has them all
HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",  # Exchange's equivalent of Auto-Submitted
}
TEST_HEADER = "X-Policybook-Test"  # on a test send (`notices test`), never on a notice
TEST_PREFIX = "[TEST] "
# The language of the templates in `email/` itself; `email/<language>/` holds others.
TEMPLATES_LANGUAGE = "en"
# The greeting's place in the rendered bodies (a line of its own), and the name's place
# in the rendered greeting: plain ASCII that no template or policy text produces.
GREETING_MARK = "PBGREETING0x5f3a9c"
GREETING_HTML_MARK = "PBGREETINGHTML0x5f3a9c"  # (neither contains the other)
NAME_MARK = "PBNAME0x5f3a9c"


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


# Rule id -> what changed, in words a customer reads. The verdict engine is being
# rewritten to give a plain text per reason; until then this table is the one place
# that turns a rule into a sentence (a rule not listed falls back to its explanation).
_PLAIN = {
    "negation-flip": "we changed what is and is not allowed",
    "narrowed-negated-list": "we no longer rule out some things we ruled out before",
    "widened-negated-list": "we now rule out more than before",
    "modal-weakening": "a commitment we made is weaker or was removed",
    "modal-strengthening": "we added a duty or made one stronger",
    "changed-number": "an amount, a period or another number changed",
    "table-entry": "we added, removed or changed an entry of a table",
    "duties": "we changed the wording of a duty, a permission or a right",
    "override": "our legal team marked this change as important",
}


class Judged(Protocol):
    """A verdict with its main reasons: an `Assessment`, or the kept `Judgement`."""

    @property
    def main_reasons(self) -> tuple[Reason, ...]: ...


def plain_reasons(assessment: Judged) -> tuple[PlainReason, ...]:
    """The main material changes as sentences for customers: the section's title and
    what changed, without rule ids, line numbers or quoted fragments."""
    out: list[PlainReason] = []
    for r in assessment.main_reasons:
        what = _PLAIN.get(str(r.rule)) or r.explanation
        if what.startswith("it changes "):
            what = "we changed " + what.removeprefix("it changes ")
        what = what.replace("users' ", "your ").replace("users ", "you ")
        where = r.where.strip() or "the introduction"
        out.append(PlainReason(f"{where}: {what[0].upper()}{what[1:]}.", r.section or None))
    return tuple(out)


@dataclass(frozen=True)
class Rendered:
    """A notice rendered in one language, as kept for the proof: the bodies hold
    `GREETING_MARK` where each recipient's greeting goes."""

    locale: str  # the language the message is written in
    subject: str
    text: str
    html: str
    greeting_named: str = f"Dear {NAME_MARK},"  # NAME_MARK: the account's name
    greeting_unnamed: str = "Hello,"
    lang: str = "en"

    def greeting(self, name: str) -> str:
        name = clean_name(name)
        return self.greeting_named.replace(NAME_MARK, name) if name else self.greeting_unnamed

    def personal(self, name: str) -> tuple[str, str]:
        """(text, html) as the account named `name` reads them."""
        greeting = self.greeting(name)
        return (self.text.replace(GREETING_MARK, greeting),
                self.html.replace(GREETING_HTML_MARK, html_lib.escape(greeting, quote=False)))

    def to_json(self) -> dict[str, str]:
        return {"locale": self.locale, "lang": self.lang, "subject": self.subject,
                "text": self.text, "html": self.html, "greeting_named": self.greeting_named,
                "greeting_unnamed": self.greeting_unnamed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rendered:
        return cls(str(data["locale"]), str(data["subject"]), str(data["text"]),
                   str(data["html"]), str(data["greeting_named"]),
                   str(data["greeting_unnamed"]), str(data.get("lang") or data["locale"]))


def copy_digest(copy: Mapping[str, Any]) -> str:
    """SHA-256 of a kept copy of a rendered message (every field but the digest)."""
    data = {k: v for k, v in copy.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def digest_from_copy(copy: Mapping[str, Any], delivery_id: int, email: str, name: str) -> str:
    """The digest of the message delivery `delivery_id` (to `email`, `name`) got, from the
    notice's kept copy alone: what `policybook notices verify` recomputes."""
    rendered = Rendered.from_json(copy)
    to = digest_to(email, name)
    sender_domain = str(copy["from"]).rpartition("@")[2].rstrip(">")
    message_id = f"<{copy['message_id_prefix']}{delivery_id}@{sender_domain}>"
    headers = proof_headers(rendered, str(copy["from"]), str(copy["reply_to"]), to,
                            message_id, dict(copy["headers"]))
    return message_digest(headers, *rendered.personal(name))


def message_digest(headers: Sequence[tuple[str, str]], text: str, html: str) -> str:
    """SHA-256 of one message as received: the headers that matter, then both bodies as
    rendered (with LF line ends: `Letter` renders them so; transports may send CRLF)."""
    h = hashlib.sha256(_header_lines(headers))
    for body in (text, html):
        h.update(b"\n--\n")
        h.update(body.encode("utf-8"))
    return h.hexdigest()


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
    from babel import Locale  # Babel and Jinja load when a letter is written, not with
    # the tick that finds nothing to send (see benchmarks/history.py)

    locale, _ = normalize_locale(value)
    return Locale.parse(locale or "en")


def localized_date(day: dt.date, locale: str) -> str:
    """15 January 2027 as the account's locale writes it (babel's 'long' format)."""
    from babel.dates import format_date

    return str(format_date(day, format="long", locale=_locale(locale)))


TEMPLATE_FILES = ("subject.txt", "notice.txt", "notice.html", "greeting.txt")


def _has_templates(env: Environment, folder: str) -> bool:
    """Whether `folder` holds a language's templates; they come complete, or a message
    would mix two languages (refused, naming what is missing)."""
    from jinja2 import TemplateNotFound

    present = []
    for name in TEMPLATE_FILES:
        try:
            env.get_template(f"{folder}/{name}")
            present.append(name)
        except TemplateNotFound:
            pass
    if present and len(present) < len(TEMPLATE_FILES):
        missing = ", ".join(n for n in TEMPLATE_FILES if n not in present)
        raise MailError(f"templates/{folder}/ lacks {missing}: a language's e-mail templates "
                        "come complete (copy them from templates/email/ and translate them), "
                        "or a message would mix two languages")
    return bool(present)


class Letter:
    """One notice, composed: rendered per language on first use, then cached."""

    def __init__(self, notice: NoticeFacts, env: Environment, sender: Address,
                 reply_to: Address | None, install_id: str, default_locale: str = "en",
                 zone: ZoneInfo | None = None, company: Company | None = None,
                 test: bool = False) -> None:
        self.notice = notice
        self.zone = zone
        self.sender = sender
        self.reply_to = reply_to
        self.install_id = install_id
        self.default_locale = default_locale
        self.company = company or Company()
        self.test = test
        self.headers = {**HEADERS, TEST_HEADER: "yes"} if test else dict(HEADERS)
        self._sender_text = str(sender)
        self._reply_text = str(reply_to) if reply_to else ""
        self._env = env
        self._cache: dict[str, Rendered] = {}
        self._languages: dict[str, tuple[str, str]] = {}
        self._bytes: dict[str, bytes] = {}
        self._digest_parts: dict[str, tuple[Any, list[bytes], list[bytes]]] = {}

    # -------------------------------------------------------------- language

    def language(self, locale: str) -> tuple[str, str]:
        """(the locale the message is written in, its template folder) for an account's
        locale: its own language where templates exist in it (`email/pt_BR/`, then
        `email/pt/`), else the default locale's, else the templates of `email/`
        itself, which are in `TEMPLATES_LANGUAGE`."""
        key = locale or self.default_locale
        if key not in self._languages:
            self._languages[key] = self._language(key)
        return self._languages[key]

    def _language(self, locale: str) -> tuple[str, str]:
        for candidate in (locale, self.default_locale):
            parsed = _locale(candidate)
            full = str(parsed)
            for tag in dict.fromkeys((full, parsed.language)):
                if _has_templates(self._env, f"email/{tag}"):
                    return full, f"email/{tag}"
            if parsed.language == TEMPLATES_LANGUAGE:
                return full, "email"
        return TEMPLATES_LANGUAGE, "email"

    def rendered(self, locale: str) -> Rendered:
        """The message for accounts of `locale` (cached per language written)."""
        language, folder = self.language(locale)
        if language not in self._cache:
            self._cache[language] = self._render(language, folder)
        return self._cache[language]

    @property
    def all_rendered(self) -> tuple[Rendered, ...]:
        """Every language rendered so far (what the proof keeps)."""
        return tuple(self._cache.values())

    def _render(self, locale: str, folder: str) -> Rendered:
        n = self.notice
        reasons = [{"text": r.text,
                    "url": f"{n.changes_url}#{r.section}" if r.section else None}
                   for r in n.reasons[:MAX_REASONS]]
        c = self.company
        context: dict[str, Any] = {
            # The switch as announced (a late notice postpones it), in the policy's zone.
            "notice": n, "effective_date": localized_date(
                n.effective_at.astimezone(self.zone).date() if self.zone else n.effective,
                locale),
            "reasons": reasons, "more_changes": max(0, len(n.reasons) - MAX_REASONS),
            "locale": locale, "lang": str(_locale(locale)).replace("_", "-"),
            "greeting": GREETING_MARK, "company": c,
            "sender_name": c.name or self.sender.display_name or self.sender.domain,
            "contact": c.contact or (self.reply_to or self.sender).addr_spec,
            "contact_is_email": c.contact_is_email if c.contact else True,
            "address_lines": [line.strip() for line in c.address.splitlines() if line.strip()],
            "test": self.test,
        }
        from jinja2 import TemplateError

        try:
            def get(name: str) -> Any:
                return self._env.get_template(f"{folder}/{name}")

            subject = clean_name(get("subject.txt").render(context))
            if self.test:
                subject = TEST_PREFIX + subject
            context["subject"] = subject
            text = get("notice.txt").render(context)
            body = get("notice.html").render({**context, "greeting": GREETING_HTML_MARK})
            greeting = get("greeting.txt")
            named = clean_name(greeting.render({**context, "name": NAME_MARK}))
            unnamed = clean_name(greeting.render({**context, "name": ""}))
        except TemplateError as exc:
            raise MailError(f"the e-mail templates cannot be rendered: {exc}") from exc
        if not subject:
            raise MailError("templates/email/subject.txt renders an empty subject")
        for part, mark, rendered_part in (("notice.txt", GREETING_MARK, text),
                                          ("notice.html", GREETING_HTML_MARK, body)):
            if f"\n{rendered_part}".count(f"\n{mark}\n") != 1:
                raise MailError(f"templates/{folder}/{part} must show {{{{ greeting }}}} "
                                "once, on a line of its own")
        return Rendered(locale, subject[:900], _lf(text), _lf(body), named, unnamed,
                        context["lang"])

    # -------------------------------------------------------------- headers

    def message_id(self, recipient: Recipient) -> str:
        """Stable per delivery: a copy sent twice (after a crash) carries the same id,
        which lets many mail clients show it once."""
        return f"<{self._id_prefix()}{recipient.delivery_id}@{self.sender.domain}>"

    def _id_prefix(self) -> str:
        kind = "test" if self.test else str(self.notice.id)
        return f"pb.{self.install_id}.{kind}."

    def to_address(self, recipient: Recipient) -> Address:
        local, _, domain = recipient.email.rpartition("@")
        return Address(display_name=clean_name(recipient.name), username=local,
                       domain=domain)

    def substitutions(self, recipient: Recipient) -> dict[str, str]:
        """SendGrid's per-recipient replacements: the greeting, as text or HTML (the
        marker is a line of its own in each body)."""
        greeting = self.rendered(recipient.locale).greeting(recipient.name)
        return {GREETING_MARK: greeting,
                GREETING_HTML_MARK: html_lib.escape(greeting, quote=False)}

    def proof_copy(self, rendered: Rendered) -> dict[str, Any]:
        """What the notice keeps of one rendered language: enough to recompute the
        digest of every delivery made with it."""
        copy: dict[str, Any] = {
            **rendered.to_json(), "from": self._sender_text, "reply_to": self._reply_text,
            "headers": dict(self.headers), "message_id_prefix": self._id_prefix()}
        copy["sha256"] = copy_digest(copy)
        return copy

    def digest(self, recipient: Recipient) -> str:
        """The SHA-256 of the message this recipient gets: `message_digest` of
        `proof_headers` and the personal bodies, computed from parts prepared once per
        language (it runs for every recipient; `digest_from_copy` is the plain form)."""
        rendered = self.rendered(recipient.locale)
        parts = self._digest_parts.get(rendered.locale)
        if parts is None:
            head = hashlib.sha256(_header_lines(_shared_headers(
                rendered, self._sender_text, self._reply_text, self.headers)))
            text = rendered.text.encode("utf-8").split(GREETING_MARK.encode(), 1)
            html = rendered.html.encode("utf-8").split(GREETING_HTML_MARK.encode(), 1)
            parts = self._digest_parts[rendered.locale] = (head, text, html)
        head, text, html = parts
        greeting = rendered.greeting(recipient.name)
        h = head.copy()
        h.update(_header_lines([("To", digest_to(recipient.email, recipient.name)),
                                ("Message-ID", self.message_id(recipient))]))
        h.update(b"\n--\n" + text[0] + greeting.encode("utf-8") + text[1])
        h.update(b"\n--\n" + html[0] + html_lib.escape(greeting, quote=False).encode("utf-8")
                 + html[1])
        return h.hexdigest()

    # -------------------------------------------------------------- MIME

    def _common(self, locale: str) -> bytes:
        """Everything but To, Date and Message-ID, serialized once per language: the
        headers every recipient shares and the MIME body (text and HTML), both
        quoted-printable, so that the greeting line can be spliced in."""
        r = self.rendered(locale)
        if r.locale not in self._bytes:
            msg = EmailMessage(policy=policy.SMTP)
            msg["From"] = self.sender
            if self.reply_to is not None:
                msg["Reply-To"] = self.reply_to
            for name, value in self.headers.items():
                msg[name] = value
            msg.set_content(r.text, cte="quoted-printable")
            msg.add_alternative(r.html, subtype="html", cte="quoted-printable")
            self._bytes[r.locale] = _subject_line(r.subject) + msg.as_bytes()
        return self._bytes[r.locale]

    def message_bytes(self, recipient: Recipient, date: dt.datetime) -> bytes:
        """The complete message for one recipient, as sent (SMTP) or filed (outbox).

        Per recipient only three headers are made (the e-mail package folds and encodes
        them), and the greeting is spliced into the shared body, which is serialized
        once per language: composing a message costs a tenth of building it whole."""
        head = EmailMessage(policy=policy.SMTP)
        head["To"] = self.to_address(recipient)
        head["Date"] = format_datetime(date.astimezone(dt.UTC))
        head["Message-ID"] = self.message_id(recipient)
        lines = head.as_bytes()
        assert lines.endswith(b"\r\n\r\n")  # header lines, then the empty line
        rendered = self.rendered(recipient.locale)
        greeting = rendered.greeting(recipient.name)
        body = self._common(recipient.locale).replace(
            GREETING_MARK.encode(), _qp(greeting)).replace(
            GREETING_HTML_MARK.encode(), _qp(html_lib.escape(greeting, quote=False)))
        return lines[:-2] + body

    def email_message(self, recipient: Recipient, date: dt.datetime) -> EmailMessage:
        """The message for one recipient, parsed back (for inspection and tests)."""
        msg = message_from_bytes(self.message_bytes(recipient, date), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def proof_headers(rendered: Rendered, sender: str, reply_to: str, to: str, message_id: str,
                  fixed: Mapping[str, str]) -> list[tuple[str, str]]:
    """The headers a delivery's digest covers, in a fixed order: those every recipient
    of a language shares, then the two of its own (so a sender hashes the first once)."""
    return [*_shared_headers(rendered, sender, reply_to, fixed), ("To", to),
            ("Message-ID", message_id)]


def _shared_headers(rendered: Rendered, sender: str, reply_to: str,
                    fixed: Mapping[str, str]) -> list[tuple[str, str]]:
    return [("From", sender), ("Reply-To", reply_to), ("Subject", rendered.subject),
            *sorted(fixed.items())]


def _header_lines(headers: Sequence[tuple[str, str]]) -> bytes:
    return "".join(f"{name.lower()}: {value}\n" for name, value in headers).encode("utf-8")


def digest_to(email: str, name: str) -> str:
    """The To of a digest: `Name <address>` (the name cleaned as in the header), or the
    address alone. (The wire header may quote or encode the name; this form does not
    depend on how.)"""
    name = clean_name(name)
    return f"{name} <{email}>" if name else email


def _lf(body: str) -> str:
    """LF line ends, one at the end (what the digest covers, whatever a template holds)."""
    return "\n".join(body.splitlines()) + "\n"


def _subject_line(subject: str) -> bytes:
    """The Subject header, folded between words after the first one (the e-mail
    package's folder may put the whole value on a continuation line, which some clients
    show with a leading space); non-ASCII as RFC 2047 words of at most 75 characters."""
    charset = "us-ascii" if subject.isascii() else "utf-8"
    value = Header(subject, charset, header_name="Subject").encode(linesep="\r\n",
                                                                   maxlinelen=78)
    return f"Subject: {value}\r\n".encode("ascii")


def _qp(line: str) -> bytes:
    """One line, quoted-printable (UTF-8), with CRLF soft breaks like the body around it."""
    return quoprimime.body_encode(line.encode("utf-8").decode("latin-1"), 76,
                                  "\r\n").encode("ascii")


def compose(notice: NoticeFacts, root: Path, mail_from: str, reply_to: str | None,
            install_id: str, default_locale: str = "en", zone: ZoneInfo | None = None,
            company: Company | None = None, test: bool = False) -> Letter:
    """The letter for `notice`, with the repository's templates over the defaults;
    `zone` is the time zone of effective dates (the date announced is the switch's)."""
    from ..templating import make_environment

    sender = parse_sender(mail_from)
    reply = parse_sender(reply_to, "mail.reply_to") if reply_to else None
    return Letter(notice, make_environment(root), sender, reply, install_id, default_locale,
                  zone, company, test)


def letter_for(config: Config, notice: NoticeFacts, install_id: str, test: bool = False,
               disagree: str | None = None) -> Letter:
    """The letter as the configuration writes it (sender, company, languages); `disagree`
    is the version's own `disagree:` front matter, if it has one."""
    return compose(notice, config.root, config.mail_from, config.mail_reply_to, install_id,
                   config.default_locale, config.zone,
                   company_of(config, notice.policy, disagree), test)
