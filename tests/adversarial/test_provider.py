"""Provider faults, adversarially: SendGrid URLs that redirect, answer something else
than SendGrid's acceptance, or send hostile text back. Nothing may be marked sent that
SendGrid did not accept, and the API key goes nowhere but to the configured URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policybook.delivery import Recipient
from policybook.store import Store
from policybook.store.notices import delivery_totals
from policybook.workflows.notices import send_notice
from tests.support.fixtures import (
    NOW,
    accounts,
    add_accounts,
    add_notice,
    make_config,
    sendgrid_env,
)
from tests.support.sendgrid_server import SendGridServer
from tests.test_sendgrid import letter, mailer, people


@pytest.fixture
def elsewhere() -> SendGridServer:
    """A second server: where a redirect points (it records who knocked, with what)."""
    with SendGridServer("SG.someone-else") as server:
        yield server  # type: ignore[misc]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_nothing_is_sent(
        sendgrid: SendGridServer, elsewhere: SendGridServer, status: int) -> None:
    sendgrid.redirect(elsewhere.url + "/collect", status=status, times=10)
    result = mailer(sendgrid).send(letter(), people(4), NOW)
    assert result.accepted == () and sorted(result.unsent) == [0, 1, 2, 3]
    assert result.error is not None and "redirect" in result.error
    assert f"({status} to {elsewhere.url}/collect)" in result.error
    assert elsewhere.seen == []  # the key (and the body) never went there
    assert "test-key" not in result.error
    assert result.requests == 1  # not retried: the URL is wrong, not busy


ODD_ANSWERS = [
    pytest.param(200, b"", None, True, id="200-empty"),
    pytest.param(200, b"<html><body>Welcome to the hotel wifi</body></html>", "text/html",
                 False, id="200-html-portal"),
    pytest.param(200, b'{"message": "success"}', "application/json", True, id="200-json"),
    pytest.param(201, b"", None, True, id="201"),
    pytest.param(204, b"", None, True, id="204"),
    pytest.param(206, b"x", "text/plain", True, id="206"),
    pytest.param(202, b"<html>ok</html>", "text/html", True, id="202-with-html"),
    pytest.param(202, b"", None, False, id="202-without-message-id"),
]


@pytest.mark.parametrize(("status", "body", "content_type", "message_id"), ODD_ANSWERS)
def test_only_sendgrids_acceptance_counts_as_sent(
        sendgrid: SendGridServer, status: int, body: bytes, content_type: str | None,
        message_id: bool) -> None:
    sendgrid.answer(status, body, content_type, message_id=message_id, times=5)
    result = mailer(sendgrid).send(letter(), people(3), NOW)
    assert result.accepted == () and sorted(result.unsent) == [0, 1, 2]
    assert result.error is not None and "not SendGrid's acceptance" in result.error
    assert sendgrid.stats.accepted == 0


def test_the_real_acceptance_still_counts(sendgrid: SendGridServer) -> None:
    result = mailer(sendgrid).send(letter(), people(3), NOW)
    assert len(result.accepted) == 3 and all(m for _, m in result.accepted)


def test_a_redirecting_url_leaves_the_ledger_pending(
        store: Store, sendgrid: SendGridServer, elsewhere: SendGridServer,
        tmp_path: Path) -> None:
    """The whole send: a redirect marks nobody sent, and the next run (URL fixed) sends."""
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         **sendgrid_env(sendgrid))
    add_accounts(store, accounts(5))
    notice = add_notice(store)
    sendgrid.redirect(elsewhere.url + "/v3/mail/send", times=1)
    first = send_notice(config, notice.id, NOW, store=store)
    assert first.error is not None and first.sent == 0
    with store.read() as conn:
        assert delivery_totals(conn, notice.id)[notice.id] == {"pending": 5}
    assert elsewhere.seen == []
    second = send_notice(config, notice.id, NOW + dt.timedelta(minutes=1), store=store)
    assert second.error is None and second.sent == 5


# A 400 naming one address must fail that recipient only, never one whose address is a
# suffix or a prefix of it.
LOOKALIKES = [
    ("jimbob@example.com", "bob@example.com"),
    ("bob@example.com.evil", "bob@example.com"),
    ("a.bob@example.com", "bob@example.com"),
    ("bob+tag@example.com", "tag@example.com"),
    ("x-bob@example.com", "bob@example.com"),
]


@pytest.mark.parametrize(("refused", "innocent"), LOOKALIKES)
def test_a_400_naming_an_address_fails_only_that_address(
        sendgrid: SendGridServer, refused: str, innocent: str) -> None:
    sendgrid.fail_message(f"The address {refused} is not valid.")
    recipients = [Recipient(1, "a1", refused, "", "en"), Recipient(2, "a2", innocent, "", "en")]
    result = mailer(sendgrid).send(letter(), recipients, NOW)
    assert [i for i, _ in result.failed] == [1]
    assert [i for i, _ in result.accepted] == [2]


HOSTILE = ["\x1b]0;owned\x07title", "\x1b[2J\x1b[31mred", "bell\x07", "cr\rover", "nul\x00"]


@pytest.mark.parametrize("text", HOSTILE)
def test_provider_text_never_carries_control_characters(
        sendgrid: SendGridServer, text: str) -> None:
    """What SendGrid says goes into errors, logs and the proof of notice: printable only."""
    sendgrid.fail_message(f"refused {text} user1@example.com")
    sendgrid.fail(500, times=10, message=text)
    result = mailer(sendgrid).send(letter(), people(3), NOW)
    texts = [result.error or "", *(reason for _, reason in result.failed)]
    assert any(texts)
    for t in texts:
        assert t.isprintable(), repr(t)
