"""The notice e-mail and the outbox: content, localized dates, safe headers, atomic files."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from policybook.addresses import check_name, clean_name, normalize_email, normalize_locale
from policybook.delivery import Recipient
from policybook.errors import ConfigError
from policybook.mail.compose import localized_date, parse_sender
from policybook.mail.outbox import OutboxMailer, message_path
from policybook.store import NoticeReason
from tests.support.fixtures import EFFECTIVE, NOW
from tests.test_sendgrid import letter, people


def read(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.parametrize(("locale", "text"), [
    ("en", "February 1, 2027"), ("en_GB", "1 February 2027"), ("de", "1. Februar 2027"),
    ("fr", "1 février 2027"), ("ja", "2027年2月1日"), ("pt-BR", "1 de fevereiro de 2027"),
    ("xx-unknown", "February 1, 2027"),
])
def test_dates_in_the_account_locale(locale: str, text: str) -> None:
    assert localized_date(EFFECTIVE, locale) == text


def test_outbox_writes_one_message_per_recipient(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    recipients = [*people(2), Recipient(9, "acc/../9", "nine@example.com", "Nine", "de")]
    result = OutboxMailer(outbox).send(letter(), recipients, NOW)
    assert result.error is None and len(result.accepted) == 3
    files = sorted(p.relative_to(outbox).as_posix() for p in outbox.rglob("*"))
    assert files == ["notice-7", "notice-7/00000000-acc-0.eml", "notice-7/00000001-acc-1.eml",
                     "notice-7/00000009-acc_.._9.eml"]  # no temporary files, no path escape
    msg = read(message_path(outbox, 7, recipients[2]))
    assert msg["To"] == "Nine <nine@example.com>"
    assert msg["From"] == "Policy updates <policy@example.com>"
    # no German templates: the whole message is English, the date included
    assert msg["Subject"] == "Changes to our Example Privacy Policy, effective February 1, 2027"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == "<pb.cafe0001.7.9@example.com>" == dict(result.accepted)[9]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "The new version takes effect on February 1, 2027." in " ".join(plain.split())
    assert plain.splitlines()[0] == "Dear Nine,"
    assert "- Sharing with analytics" in plain
    assert "https://p.example.com/privacy-policy/upcoming/" in plain
    assert "https://p.example.com/privacy-policy/changes/2027-02-01/" in plain
    assert '<a href="https://p.example.com/privacy-policy/changes/2027-02-01/#s"' in \
        html.get_content()
    # a second send of the same delivery (after a crash) replaces its own file
    OutboxMailer(outbox).send(letter(), recipients[:1], NOW)
    assert len(list((outbox / "notice-7").iterdir())) == 3


def test_outbox_unwritable_is_an_error_not_a_loss(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    result = OutboxMailer(blocker).send(letter(), people(2), NOW)
    assert result.accepted == () and result.unsent == (0, 1)
    assert result.error is not None and "cannot write to the outbox" in result.error


def test_header_injection_is_impossible(tmp_path: Path) -> None:
    # Names from the company's database are not validated on import: they are cleaned.
    evil = Recipient(1, "acc-1", "victim@example.com",
                     "Eve\r\nBcc: everyone@example.com\r\nSubject: hacked", "en")
    notice_letter = letter()
    msg = notice_letter.email_message(evil, NOW)
    raw = msg.as_bytes()
    assert b"\r\nBcc:" not in raw and b"\r\nSubject: hacked" not in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].addr_spec == "victim@example.com"
    assert len(parsed["To"].addresses) == 1
    assert parsed.get_all("Subject") == [msg["Subject"]]


def test_html_is_escaped(tmp_path: Path) -> None:
    notice_letter = letter()
    object.__setattr__(notice_letter.notice, "summary", "<script>alert(1)</script> & more")
    object.__setattr__(notice_letter.notice, "reasons",
                       (NoticeReason('"><img src=x onerror=alert(1)>', None),))
    rendered = notice_letter.rendered("en")
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<img" not in rendered.html
    assert "<script>alert(1)</script> & more" in rendered.text  # plain text stays as written


@pytest.mark.parametrize(("value", "expected"), [
    ("User@Example.COM", "User@example.com"),
    ("  a.b+tag@sub.example.org ", "a.b+tag@sub.example.org"),
    ("info@bücher.de", "info@xn--bcher-kva.de"),
])
def test_addresses_accepted(value: str, expected: str) -> None:
    assert normalize_email(value) == (expected, None)


@pytest.mark.parametrize(("value", "problem"), [
    ("", "empty"), ("no-at-sign", "exactly one @"), ("a@b@c.com", "exactly one @"),
    ("a b@example.com", "contains a space"), (".a@example.com", "not a valid e-mail"),
    ("a..b@example.com", "not a valid e-mail"), ('"q"@example.com', "not a valid e-mail"),
    ("a@localhost", "invalid domain"), ("a@-x.com", "invalid domain"),
    ("a@example.com\r\nBcc: x@y.z", "carriage return"), ("a@ex_ample.com", "invalid domain"),
    ("ü@example.com", "not a valid e-mail"),
])
def test_addresses_refused(value: str, problem: str) -> None:
    address, why = normalize_email(value)
    assert address is None and why is not None and problem in why


def test_names_and_locales() -> None:
    assert check_name("  Zoë O'Brien ") == ("Zoë O'Brien", None)
    assert check_name("زهرا\u200cکریمی")[1] is None  # ZWNJ belongs in Persian names
    assert "line feed" in (check_name("A\nB")[1] or "")
    assert "U+202E" in (check_name("evil\u202etxt.exe")[1] or "")
    assert clean_name("A\r\nB\tC\u2028D") == "A B C D"
    assert normalize_locale("de-CH") == ("de_CH", None)
    assert normalize_locale("")[0] is None
    assert "unknown" in (normalize_locale("zz-QQ")[1] or "")


def test_sender_setting() -> None:
    sender = parse_sender('"Legal, Inc." <legal@example.com>')
    assert (sender.display_name, sender.addr_spec) == ("Legal, Inc.", "legal@example.com")
    with pytest.raises(ConfigError, match=r"mail\.from"):
        parse_sender("not an address")


def test_the_header_safety_expression_is_exactly_the_rule() -> None:
    """`_BAD` (a regex, for speed) is the categories Cc, Zl, Zp and the bidi overrides."""
    import unicodedata

    from policybook.addresses import _BAD, _SPOOFING

    rule = [c for c in range(0x110000)
            if unicodedata.category(chr(c)) in ("Cc", "Zl", "Zp") or chr(c) in _SPOOFING]
    fast = [c for c in range(0x110000) if _BAD.match(chr(c))]
    assert fast == rule


def test_redact_addresses() -> None:
    from policybook.addresses import redact

    assert redact("550 <ann@example.com>: no such user; also bob.b+x@sub.example.org") == \
        "550 <<address>>: no such user; also <address>"
    assert redact("HTTP 503 after 3 attempts") == "HTTP 503 after 3 attempts"
