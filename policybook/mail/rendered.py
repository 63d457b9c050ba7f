"""A notice as rendered in one language, and the digest of what each account received
(shell values): the proof of notice. A copy of each `Rendered` is kept with the notice,
so `policybook notices verify` can recompute every delivery's digest from it alone.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..addresses import clean_name

# The greeting's place in the rendered bodies (a line of its own), and the name's place
# in the rendered greeting: plain ASCII that no template or policy text produces.
GREETING_MARK = "PBGREETING0x5f3a9c"
GREETING_HTML_MARK = "PBGREETINGHTML0x5f3a9c"  # (neither contains the other)
NAME_MARK = "PBNAME0x5f3a9c"


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
    lang: str = "en"  # `<html lang>` and Content-Language: the locale's tag (en-GB)
    # The language of the text (the translation's tag, or the source's): what the
    # delivery rows record and the plan counts.
    language: str = ""
    # The base URL of the `[[sites]]` site its links go to ("" : no `[[sites]]`, the
    # one configured base URL): accounts of one language on two sites get two messages.
    site: str = ""

    @property
    def key(self) -> str:
        """What tells two rendered messages of one notice apart: the locale, and the
        site when there are several (what providers group recipients by)."""
        return f"{self.locale} {self.site}" if self.site else self.locale

    def greeting(self, name: str) -> str:
        name = clean_name(name)
        return self.greeting_named.replace(NAME_MARK, name) if name else self.greeting_unnamed

    def personal(self, name: str) -> tuple[str, str]:
        """(text, html) as the account named `name` reads them."""
        greeting = self.greeting(name)
        return (self.text.replace(GREETING_MARK, greeting),
                self.html.replace(GREETING_HTML_MARK, html_lib.escape(greeting, quote=False)))

    def to_json(self) -> dict[str, str]:
        data = {"locale": self.locale, "lang": self.lang, "subject": self.subject,
                "text": self.text, "html": self.html, "greeting_named": self.greeting_named,
                "greeting_unnamed": self.greeting_unnamed}
        if self.language:  # (copies kept before languages were recorded have none)
            data["language"] = self.language
        if self.site:  # (a copy without [[sites]] stays as it was)
            data["site"] = self.site
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rendered:
        return cls(str(data["locale"]), str(data["subject"]), str(data["text"]),
                   str(data["html"]), str(data["greeting_named"]),
                   str(data["greeting_unnamed"]), str(data.get("lang") or data["locale"]),
                   str(data.get("language") or ""), str(data.get("site") or ""))


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
    h = hashlib.sha256(header_lines(headers))
    for body in (text, html):
        h.update(b"\n--\n")
        h.update(body.encode("utf-8"))
    return h.hexdigest()


def proof_headers(rendered: Rendered, sender: str, reply_to: str, to: str, message_id: str,
                  fixed: Mapping[str, str]) -> list[tuple[str, str]]:
    """The headers a delivery's digest covers, in a fixed order: those every recipient
    of a language shares, then the two of its own (so a sender hashes the first once)."""
    return [*shared_headers(rendered, sender, reply_to, fixed), ("To", to),
            ("Message-ID", message_id)]


def shared_headers(rendered: Rendered, sender: str, reply_to: str,
                    fixed: Mapping[str, str]) -> list[tuple[str, str]]:
    return [("From", sender), ("Reply-To", reply_to), ("Subject", rendered.subject),
            *sorted(fixed.items())]


def header_lines(headers: Sequence[tuple[str, str]]) -> bytes:
    return "".join(f"{name.lower()}: {value}\n" for name, value in headers).encode("utf-8")


def digest_to(email: str, name: str) -> str:
    """The To of a digest: `Name <address>` (the name cleaned as in the header), or the
    address alone. (The wire header may quote or encode the name; this form does not
    depend on how.)"""
    name = clean_name(name)
    return f"{name} <{email}>" if name else email
