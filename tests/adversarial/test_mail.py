"""E-mail, adversarially: hostile senders, recipient names, titles and SMTP replies.
A notice goes to exactly the one address it is for, from the one configured sender,
and nothing a provider or an account says reaches a header or a terminal raw."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from policybook.config import Secret
from policybook.delivery import Recipient
from policybook.errors import ConfigError
from policybook.mail.compose import compose, parse_sender
from policybook.mail.smtp import SmtpMailer
from tests.support.fixtures import NOW
from tests.support.smtp_server import SmtpServer
from tests.test_sendgrid import REPO, letter, people

SENDERS = [
    "Policy <policy@example.com>\r\nBcc: all@evil.example",
    "Policy <policy@example.com>\nBcc: all@evil.example",
    "policy@example.com\r\n",
    "Policy\r\n <policy@example.com>",
    "Policy <policy@example.com>\x00",
    "Pol\x1b[2Jicy <policy@example.com>",
    "policy@example.com, other@evil.example",
    "Policy <policy@example.com>, Other <other@evil.example>",
    "policy@example.com\u2028Bcc: x@evil.example",
    "not an address",
    "",
]


@pytest.mark.parametrize("sender", SENDERS)
def test_a_hostile_sender_setting_is_refused(sender: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_sender(sender)
    assert "mail.from" in raised.value.message


@pytest.mark.parametrize("sender", ["Policy updates <policy@example.com>", "policy@example.com",
                                    '"Legal, Inc." <legal@example.com>', "Zoë <z@example.com>"])
def test_ordinary_senders_are_accepted(sender: str) -> None:
    assert parse_sender(sender).addr_spec.endswith("example.com")


NAMES = [
    "Ann\r\nBcc: all@evil.example",
    "Ann\nCc: all@evil.example",
    "Ann\rSubject: free money",
    "=?utf-8?q?Ann=0D=0ABcc=3A_all=40evil=2Eexample?=",
    "Ann <all@evil.example>",
    "all@evil.example",
    '"Ann", <all@evil.example>',
    "Ann\x00\x1b[2J\x07",
    "\u202eAnn\u2066",
    "A" * 5000,
    "Ann; Bcc: all@evil.example",
]


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_name_never_adds_a_recipient_or_a_header(name: str) -> None:
    recipient = Recipient(1, "acc-1", "ann@example.com", name, "en")
    data = letter().message_bytes(recipient, NOW)
    msg = parse(data)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\r\nCc:" not in head
    assert len(msg.get_all("To") or []) == 1 and msg["Bcc"] is None and msg["Cc"] is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["ann@example.com"]
    assert len(msg.get_all("Subject") or []) == 1
    assert all(line.isascii() and len(line) <= 998 for line in head.split(b"\r\n"))


TITLES = ["Privacy\r\nBcc: all@evil.example", "Privacy\x1b]0;owned\x07", "Privacy\nX-Spam: no",
          "=?utf-8?q?Privacy=0D=0ABcc=3A_x=40evil=2Eexample?="]


@pytest.mark.parametrize("title", TITLES)
def test_a_hostile_title_stays_inside_the_subject(title: str) -> None:
    base = letter()
    notice = dataclasses.replace(base.notice, title=title)
    hostile = compose(notice, REPO, "Policy updates <policy@example.com>", None, "cafe0001")
    subject = hostile.rendered("en").subject
    assert subject.isprintable()
    msg = parse(hostile.message_bytes(people(1)[0], NOW))
    assert msg["Bcc"] is None and msg["X-Spam"] is None
    assert len(msg.get_all("Subject") or []) == 1


@pytest.fixture
def smtp(tmp_path: Path) -> SmtpServer:
    with SmtpServer(tmp_path / "tls") as server:
        yield server  # type: ignore[misc]


@pytest.mark.parametrize("reply", ["5.1.1 \x1b[2J\x1b[31mowned", "5.1.1 bell\x07here",
                                   "5.1.1 \x1b]0;title\x07"])
def test_an_smtp_reply_is_kept_without_control_characters(smtp: SmtpServer, reply: str) -> None:
    smtp.refuse("user1@example.com", 550, reply)
    mailer = SmtpMailer(Secret(smtp.url()), "policy@example.com")
    result = mailer.send(letter(), people(3), NOW)
    mailer.close()
    assert [i for i, _ in result.failed] == [1]
    reason = result.failed[0][1]
    assert reason.startswith("SMTP 550") and reason.isprintable(), repr(reason)
    assert len(result.accepted) == 2
