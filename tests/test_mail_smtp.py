"""SMTP through smtplib against a real aiosmtpd server: STARTTLS or TLS, AUTH, one
message per recipient over one connection."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from policybook.config import Secret
from policybook.delivery import Recipient
from policybook.errors import ConfigError
from policybook.mail.smtp import SmtpMailer, SmtpSettings
from tests.support.fixtures import NOW
from tests.support.smtp_server import SmtpServer
from tests.test_sendgrid import letter, people


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.fixture
def smtp(tmp_path: Path) -> SmtpServer:
    with SmtpServer(tmp_path / "tls") as server:
        yield server  # type: ignore[misc]


def test_starttls_login_and_one_connection(smtp: SmtpServer) -> None:
    zoe = Recipient(50, "acc-50", "zoe@example.com", 'Zoë "Zo" Ünal, Jr.', "fr")
    recipients = [*people(4), zoe]
    mailer = SmtpMailer(Secret(smtp.url()), "policy@example.com")
    result = mailer.send(letter(), recipients, NOW)
    mailer.close()
    assert result.error is None and len(result.accepted) == 5
    assert smtp.connections == 1 and smtp.logins == 1
    assert [m.rcpt_tos for m in smtp.messages] == [[r.email] for r in recipients]
    assert all(m.mail_from == "policy@example.com" for m in smtp.messages)
    msg = parse(smtp.messages[-1].data)
    assert msg["To"].addresses[0].display_name == 'Zoë "Zo" Ünal, Jr.'
    assert msg["To"].addresses[0].addr_spec == "zoe@example.com"
    raw_to = next(line for line in smtp.messages[-1].data.split(b"\r\n")
                  if line.startswith(b"To: "))
    assert raw_to.isascii() and b"=?utf-8?" in raw_to.lower()  # RFC 2047 on the wire
    # (no French templates: the subject and its date are English, like the text)
    assert msg["Subject"] == "Changes to our Example Privacy Policy, effective February 1, 2027"
    body = msg.get_body(("plain",))
    assert body is not None and body.get_content().startswith('Dear Zoë "Zo" Ünal, Jr.,\r\n')
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == "<pb.cafe0001.7.50@example.com>"
    assert msg["Date"] == "Fri, 01 Jan 2027 09:00:00 +0000"
    assert msg["List-Unsubscribe"] is None
    for name in ("To", "From", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"):
        assert len(msg.get_all(name) or []) == 1, name
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "February 1, 2027" in plain.get_content()
    assert 'lang="en"' in html.get_content() and "Dear Zoë &quot;Zo&quot;" not in \
        html.get_content() and 'Dear Zoë "Zo" Ünal, Jr.,' in html.get_content()
    assert dict(result.accepted)[50] == "<pb.cafe0001.7.50@example.com>"


def test_implicit_tls(tmp_path: Path) -> None:
    with SmtpServer(tmp_path / "tls", implicit_tls=True) as server:
        mailer = SmtpMailer(Secret(server.url()), "policy@example.com")
        result = mailer.send(letter(), people(2), NOW)
        mailer.close()
        assert len(result.accepted) == 2 and len(server.messages) == 2


def test_refused_recipient_fails_alone(smtp: SmtpServer) -> None:
    smtp.refuse("user1@example.com")
    smtp.refuse("user2@example.com", 450, "4.2.1 Mailbox busy")
    mailer = SmtpMailer(Secret(smtp.url()), "policy@example.com")
    result = mailer.send(letter(), people(4), NOW)
    mailer.close()
    assert [i for i, _ in result.accepted] == [0, 3]
    assert result.failed == ((1, "SMTP 550: 5.1.1 No such user"),)
    assert result.unsent == (2,)  # temporary: the next run tries again
    assert result.error is None


def test_wrong_password_stops_the_run(smtp: SmtpServer) -> None:
    mailer = SmtpMailer(Secret(smtp.url(password="nope")), "policy@example.com")
    result = mailer.send(letter(), people(3), NOW)
    assert result.accepted == () and result.failed == ()
    assert sorted(result.unsent) == [0, 1, 2]
    assert result.error is not None and "refused the login" in result.error
    assert "nope" not in result.error


def test_the_certificate_is_verified(smtp: SmtpServer) -> None:
    url = smtp.url().split("?")[0]  # without cafile=: the self-signed certificate is unknown
    mailer = SmtpMailer(Secret(url), "policy@example.com")
    result = mailer.send(letter(), people(1), NOW)
    assert result.accepted == () and result.error is not None
    assert "SSLCertVerificationError" in result.error or "certificate" in result.error


@pytest.mark.parametrize(("url", "message"), [
    ("http://host", "must start with smtp://"),
    ("smtp://u:p@host?starttls=off", "a login needs TLS"),
    ("smtp://host?colour=red", "unknown option(s) colour"),
])
def test_smtp_url_problems(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SmtpSettings.parse(Secret(url))


def test_smtp_url_defaults() -> None:
    s = SmtpSettings.parse(Secret("smtp://us%40er:p%3Ass@mail.example.com"))
    assert (s.host, s.port, s.starttls, s.ssl, s.user) == ("mail.example.com", 587, True, False,
                                                           "us@er")
    assert s.password.value == "p:ss" and "p:ss" not in repr(s)
    assert SmtpSettings.parse(Secret("smtps://h")).port == 465
