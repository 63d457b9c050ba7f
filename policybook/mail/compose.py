"""The notice e-mail (shell: reads templates): subject, plain text and HTML, headers.

A notice is rendered once per language and the same text goes to every account holder
of that language: that is what lets SendGrid take 1,000 recipients in one request. The
language is the account's own when the announced version has a translation into it
(`audience.letter_language`: the exact tag, then the base language, else the policy's
source language); the letter then names the translation's title and summary, links to
the translated pages, and says everything else through the gettext catalogs
(`policybook/locales`), with the date as the account's locale writes it: prose, date,
`lang` and Content-Language always agree. Per recipient there are only headers (To, with
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
from collections.abc import Sequence
from email import message_from_bytes, policy, quoprimime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..addresses import clean_name, normalize_email, normalize_locale
from ..audience import letter_language, offered_languages
from ..delivery import Recipient
from ..errors import ConfigError, MailError
from ..notice import notice_links
from ..sites import Site, page_url, relink, site_for
from .facts import Company, NoticeFacts, company_of
from .languages import (
    LetterText,
    NoticeView,
    clean_subject,
    has_email_strings,
    has_templates,
    message_in,
)
from .rendered import (
    GREETING_HTML_MARK,
    GREETING_MARK,
    NAME_MARK,
    Rendered,
    copy_digest,
    digest_to,
    header_lines,
    shared_headers,
)

if TYPE_CHECKING:
    from babel import Locale
    from jinja2 import Environment

    from ..config import Config

MAX_REASONS = 8  # the e-mail lists this many changes; the redline has them all
HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",  # Exchange's equivalent of Auto-Submitted
}
TEST_HEADER = "X-Policybook-Test"  # on a test send (`notices test`), never on a notice
TEST_PREFIX = "[TEST] "
# The language of the templates in `email/` itself; `email/<language>/` holds others.
TEMPLATES_LANGUAGE = "en"


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


class Letter:
    """One notice, composed: rendered per language (and, with `[[sites]]`, per site)
    on first use, then cached."""

    def __init__(self, notice: NoticeFacts, env: Environment, sender: Address,
                 reply_to: Address | None, install_id: str, default_locale: str = "en",
                 zone: ZoneInfo | None = None, company: Company | None = None,
                 test: bool = False, source_language: str = TEMPLATES_LANGUAGE,
                 texts: Sequence[LetterText] = (), sites: Sequence[Site] = (),
                 base_url: str = "") -> None:
        self.notice = notice
        # `[[sites]]`, and the base URL the notice's links were written for (`relink`).
        self.sites = tuple(sites)
        self.base_url = base_url
        self.source_language = source_language
        self.texts = {t.language: t for t in texts if t.language != source_language}
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
        self._cache: dict[tuple[str, str], Rendered] = {}
        self._languages: dict[str, tuple[str, str, str]] = {}
        self._sites: dict[tuple[str, str], Site | None] = {}
        self._bytes: dict[str, bytes] = {}
        self._digest_parts: dict[str, tuple[Any, list[bytes], list[bytes]]] = {}
        self.offered = offered_languages(
            self.texts, source_language, [lang for lang in self.texts if self._has_strings(lang)])

    # -------------------------------------------------------------- language

    def _has_strings(self, language: str) -> bool:
        return has_email_strings(self._env, language)

    def language(self, locale: str) -> tuple[str, str]:
        """(the locale the message is formatted in, its template folder) for an
        account's locale (see `written_in` for the language of the text)."""
        full, folder, _ = self._choice(locale)
        return full, folder

    def written_in(self, locale: str) -> str:
        """The language the text of an account of `locale` is written in."""
        return self._choice(locale)[2]

    def _choice(self, locale: str) -> tuple[str, str, str]:
        key = locale or self.default_locale
        if key not in self._languages:
            self._languages[key] = self._language(key)
        return self._languages[key]

    def _language(self, locale: str) -> tuple[str, str, str]:
        """The account's language where the version is translated into it (and the
        e-mail's words exist in it), else the source language; formatted as the
        account's own locale writes that language (en_GB dates for an en-GB account),
        with templates from `email/<locale>/`, `email/<language>/` when a repository has
        them, else the catalogs' `email/`."""
        language = letter_language(locale, self.offered, self.source_language)
        own = _locale(locale)
        written = _locale(language)
        parsed = own if own.language == written.language else written
        full = str(parsed)
        for tag in dict.fromkeys((full, parsed.language)):
            if has_templates(self._env, f"email/{tag}"):
                return full, f"email/{tag}", language
        return full, "email", language

    def site(self, country: str, language: str) -> Site | None:
        """The site whose pages a letter in `language` to an account of `country` links
        to (None: no `[[sites]]`): `sites.site_for`, unless that site does not show the
        announced variant, then the first that does (a link must lead to a page)."""
        key = (country, language)
        if key not in self._sites:
            site = site_for(self.sites, country or None, language)
            if site is not None and not site.shows(self.notice.variant):
                site = next((s for s in self.sites if s.shows(self.notice.variant)), site)
            self._sites[key] = site
        return self._sites[key]

    def rendered(self, locale: str, country: str = "") -> Rendered:
        """The message for accounts of `locale` (and `country`, whose site the links go
        to): cached per language written and site, not per account."""
        full, folder, language = self._choice(locale)
        site = self.site(country, language)
        key = (full, site.base_url if site else "")
        if key not in self._cache:
            self._cache[key] = self._render(full, folder, language, site)
        return self._cache[key]

    def rendered_for(self, recipient: Recipient) -> Rendered:
        """The message `recipient` gets (its locale's, linking to its country's site)."""
        return self.rendered(recipient.locale, recipient.country)

    @property
    def all_rendered(self) -> tuple[Rendered, ...]:
        """Every language rendered so far (what the proof keeps)."""
        return tuple(self._cache.values())

    def _view(self, language: str, site: Site | None = None
              ) -> tuple[NoticeView, list[dict[str, Any]], str]:
        """The notice as a letter in `language` names it: (facts, reasons, disagree);
        its links on `site`, in that language, when there are `[[sites]]`."""
        n = self.notice
        text = self.texts.get(language)
        upcoming = text.upcoming_url if text else n.upcoming_url
        changes = text.changes_url if text else n.changes_url
        if site is not None:
            # The announced version's pages on the account's site, in the letter's
            # language there (the site's default language: unprefixed), made from the
            # notice's facts rather than from its stored links (written for a base URL
            # that may have changed since).
            upcoming, changes = notice_links(page_url(site, language, ""), n.policy,
                                             n.effective, n.variant)
        view = NoticeView(n.id, n.policy, n.effective, n.effective_at,
                          text.title if text else n.title, text.summary if text else n.summary,
                          upcoming, changes)
        sections = dict(text.sections) if text else {}
        reasons = []
        for r in n.reasons[:MAX_REASONS]:
            words = r.text
            if text is not None:
                # The reasons are sentences in the source language: a translated letter
                # names the section changed, in its own words, and links to its redline.
                # (Sections keep their ids across languages, `check` sees to it; a
                # section the translation lacks keeps the source's sentence rather than
                # a wrong name.)
                words = (sections.get(r.section) or r.text) if r.section else \
                    message_in(language, "The introduction")
            reasons.append({"text": words,
                            "url": f"{view.changes_url}#{r.section}" if r.section else None})
        disagree = self.company.disagree
        if text is not None:
            disagree = text.disagree  # (else the catalog's wording, in this language)
        return view, reasons, disagree

    def _render(self, locale: str, folder: str, language: str = "",
                site: Site | None = None) -> Rendered:
        from ..i18n import direction

        language = language or self.source_language
        n = self.notice
        view, reasons, disagree = self._view(language, site)
        c = self.company
        contact = c.contact or (self.reply_to or self.sender).addr_spec
        if site is not None and not c.contact_is_email:
            contact = relink(contact, self.base_url, site, language)  # a page of the site
        context: dict[str, Any] = {
            # The switch as announced (a late notice postpones it), in the policy's zone.
            "notice": view, "effective_date": localized_date(
                n.effective_at.astimezone(self.zone).date() if self.zone else n.effective,
                locale),
            "reasons": reasons, "more_changes": max(0, len(n.reasons) - MAX_REASONS),
            "locale": locale, "lang": str(_locale(locale)).replace("_", "-"),
            "language": language, "dir": str(direction(language)),
            "greeting": GREETING_MARK,
            "company": Company(c.name, c.address, c.contact, disagree),
            "sender_name": c.name or self.sender.display_name or self.sender.domain,
            "contact": contact,
            "contact_is_email": c.contact_is_email if c.contact else True,
            "address_lines": [line.strip() for line in c.address.splitlines() if line.strip()],
            "test": self.test,
        }
        # The catalogs' strings in the letter's language (templating reads this).
        from jinja2 import TemplateError

        from ..templating import CURRENT_LANGUAGE

        token = CURRENT_LANGUAGE.set(language)
        try:
            def get(name: str) -> Any:
                return self._env.get_template(f"{folder}/{name}")

            subject = clean_subject(get("subject.txt").render(context))
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
        finally:
            CURRENT_LANGUAGE.reset(token)
        if not subject:
            raise MailError("templates/email/subject.txt renders an empty subject")
        for part, mark, rendered_part in (("notice.txt", GREETING_MARK, text),
                                          ("notice.html", GREETING_HTML_MARK, body)):
            if f"\n{rendered_part}".count(f"\n{mark}\n") != 1:
                raise MailError(f"templates/{folder}/{part} must show {{{{ greeting }}}} "
                                "once, on a line of its own")
        return Rendered(locale, subject[:900], _lf(text), _lf(body), named, unnamed,
                        context["lang"], language, site.base_url if site else "")

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
        greeting = self.rendered_for(recipient).greeting(recipient.name)
        return {GREETING_MARK: greeting,
                GREETING_HTML_MARK: html_lib.escape(greeting, quote=False)}

    def headers_for(self, rendered: Rendered) -> dict[str, str]:
        """The fixed headers of a message in `rendered`'s language: Content-Language
        besides the others (not part of the digest: the bodies' `lang` already is)."""
        return {**self.headers, "Content-Language": rendered.lang}

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
        rendered = self.rendered_for(recipient)
        parts = self._digest_parts.get(rendered.key)
        if parts is None:
            head = hashlib.sha256(header_lines(shared_headers(
                rendered, self._sender_text, self._reply_text, self.headers)))
            text = rendered.text.encode("utf-8").split(GREETING_MARK.encode(), 1)
            html = rendered.html.encode("utf-8").split(GREETING_HTML_MARK.encode(), 1)
            parts = self._digest_parts[rendered.key] = (head, text, html)
        head, text, html = parts
        greeting = rendered.greeting(recipient.name)
        h = head.copy()
        h.update(header_lines([("To", digest_to(recipient.email, recipient.name)),
                                ("Message-ID", self.message_id(recipient))]))
        h.update(b"\n--\n" + text[0] + greeting.encode("utf-8") + text[1])
        h.update(b"\n--\n" + html[0] + html_lib.escape(greeting, quote=False).encode("utf-8")
                 + html[1])
        return h.hexdigest()

    # -------------------------------------------------------------- MIME

    def _common(self, r: Rendered) -> bytes:
        """Everything but To, Date and Message-ID, serialized once per rendered message:
        the headers every recipient shares and the MIME body (text and HTML), both
        quoted-printable, so that the greeting line can be spliced in."""
        if r.key not in self._bytes:
            msg = EmailMessage(policy=policy.SMTP)
            msg["From"] = self.sender
            if self.reply_to is not None:
                msg["Reply-To"] = self.reply_to
            for name, value in self.headers.items():
                msg[name] = value
            msg.set_content(r.text, cte="quoted-printable")
            msg.add_alternative(r.html, subtype="html", cte="quoted-printable")
            # (after the content: set_content clears every Content-* header)
            msg["Content-Language"] = r.lang
            self._bytes[r.key] = _subject_line(r.subject) + msg.as_bytes()
        return self._bytes[r.key]

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
        rendered = self.rendered_for(recipient)
        greeting = rendered.greeting(recipient.name)
        body = self._common(rendered).replace(
            GREETING_MARK.encode(), _qp(greeting)).replace(
            GREETING_HTML_MARK.encode(), _qp(html_lib.escape(greeting, quote=False)))
        return lines[:-2] + body

    def email_message(self, recipient: Recipient, date: dt.datetime) -> EmailMessage:
        """The message for one recipient, parsed back (for inspection and tests)."""
        msg = message_from_bytes(self.message_bytes(recipient, date), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


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
            company: Company | None = None, test: bool = False,
            source_language: str = TEMPLATES_LANGUAGE, texts: Sequence[LetterText] = (),
            sites: Sequence[Site] = (), base_url: str = "") -> Letter:
    """The letter for `notice`, with the repository's templates over the defaults;
    `zone` is the time zone of effective dates (the date announced is the switch's);
    `texts`: the announced version's translations (the languages it can be told in);
    `sites`: `[[sites]]`, whose pages the links go to instead of `base_url`'s."""
    from ..templating import make_environment

    sender = parse_sender(mail_from)
    reply = parse_sender(reply_to, "mail.reply_to") if reply_to else None
    return Letter(notice, make_environment(root), sender, reply, install_id, default_locale,
                  zone, company, test, source_language, texts, sites, base_url)


def letter_for(config: Config, notice: NoticeFacts, install_id: str, test: bool = False,
               disagree: str | None = None, texts: Sequence[LetterText] = ()) -> Letter:
    """The letter as the configuration writes it (sender, company, languages); `disagree`
    is the version's own `disagree:` front matter, if it has one; `texts` the version's
    translations (`workflows.letters.letter_texts`)."""
    return compose(notice, config.root, config.mail_from, config.mail_reply_to, install_id,
                   config.default_locale, config.zone,
                   company_of(config, notice.policy, disagree), test,
                   config.source_language, texts, config.sites, config.base_url)
