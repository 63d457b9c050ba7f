"""The SendGrid provider through the official client, against the SendGrid-compatible
test server (which validates every body against SendGrid's OpenAPI description)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from policybook.config import Secret
from policybook.delivery import Recipient
from policybook.mail.compose import Letter, LetterText, compose
from policybook.mail.sendgrid import SendGridMailer, split_unique
from policybook.store import Notice, NoticeReason, NoticeState
from tests.support.fixtures import EFFECTIVE, EFFECTIVE_AT, NOW, SENDGRID_KEY
from tests.support.sendgrid_server import SendGridServer

REPO = Path(__file__).resolve().parent.parent


def letter(notice_id: int = 7) -> Letter:
    notice = Notice(notice_id, "privacy-policy", EFFECTIVE, "c0ffee" * 6, "Example Privacy Policy",
                    "We now share usage data.", (NoticeReason("Sharing with analytics", "s"),),
                    "https://p.example.com/privacy-policy/upcoming/",
                    "https://p.example.com/privacy-policy/changes/2027-02-01/", NOW,
                    EFFECTIVE_AT, NOW, NoticeState.SENDING)
    return compose(notice, REPO, "Policy updates <policy@example.com>", None, "cafe0001")


def people(n: int, locale: str = "en", start: int = 0) -> list[Recipient]:
    return [Recipient(i, f"acc-{i}", f"user{i}@example.com", f"User {i}", locale)
            for i in range(start, start + n)]


class Sleeps(list[float]):
    """Records the backoff delays (and waits a little, so that the order is real)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(min(seconds, 0.05))


def mailer(server: SendGridServer, sleeps: Sleeps | None = None, timeout: float = 5.0,
           key: str = SENDGRID_KEY) -> SendGridMailer:
    return SendGridMailer(Secret(key), server.url, timeout=timeout, retries=3, backoff=0.01,
                          sleep=sleeps if sleeps is not None else Sleeps())


def test_a_batch_is_one_valid_request_per_locale(sendgrid: SendGridServer) -> None:
    recipients = people(3, "en") + people(2, "de", start=3)
    recipients[0] = Recipient(0, "acc-0", "user0@example.com", 'Zoë "Zo" O\'Brien, Jr.', "en")
    result = mailer(sendgrid).send(letter(), recipients, NOW)
    assert result.error is None and not result.failed and not result.unsent
    assert sorted(i for i, _ in result.accepted) == [0, 1, 2, 3, 4]
    # no German templates: German accounts get the English message, in the same request
    # (one request per language written; see test_one_request_per_language_written)
    assert result.requests == 1
    assert sendgrid.stats.accepted_requests == 1 and sendgrid.refused == []
    (en,) = sendgrid.bodies
    assert en["subject"] == "Changes to our Example Privacy Policy, effective February 1, 2027"
    first = en["personalizations"][0]
    # one recipient per personalization; custom_args carry the notice and the delivery
    assert first == {"to": [{"email": "user0@example.com", "name": 'Zoë "Zo" O\'Brien, Jr.'}],
                     "headers": {"Message-ID": "<pb.cafe0001.7.0@example.com>"},
                     # the greeting, as text and as HTML (the name escaped)
                     "substitutions": {"PBGREETING0x5f3a9c": 'Dear Zoë "Zo" O\'Brien, Jr.,',
                                       "PBGREETINGHTML0x5f3a9c":
                                           'Dear Zoë "Zo" O\'Brien, Jr.,'},
                     "custom_args": {"pb_notice": "7", "pb_delivery": "0",
                                     "pb_account": "acc-0", "pb_install": "cafe0001"}}
    assert "custom_args" not in en  # the schema has no object custom_args at the top
    assert en["headers"]["Auto-Submitted"] == "auto-generated"
    assert en["tracking_settings"]["click_tracking"]["enable"] is False
    types = [c["type"] for c in en["content"]]
    assert types == ["text/plain", "text/html"]
    assert "https://p.example.com/privacy-policy/changes/2027-02-01/#s" in en["content"][1]["value"]
    assert len({m for _, m in result.accepted}) == 1  # SendGrid's X-Message-Id per request


def test_one_request_per_language_written(sendgrid: SendGridServer, tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "email" / "de"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Änderungen ab {{ effective_date }}\n", encoding="utf-8")
    (folder / "notice.txt").write_text("{{ greeting }}\nGültig ab {{ effective_date }}.\n",
                                       encoding="utf-8")
    (folder / "notice.html").write_text("<p>\n{{ greeting }}\n</p>\n", encoding="utf-8")
    (folder / "greeting.txt").write_text("Guten Tag,\n", encoding="utf-8")
    base = letter()
    # (a version translated into German: German accounts are told in German)
    german = compose(base.notice, tmp_path, "Policy updates <policy@example.com>", None,
                     "cafe0001", texts=[LetterText("de", "Datenschutz", "", "u", "c")])
    result = mailer(sendgrid).send(german, people(2, "en") + people(2, "de_CH", start=2), NOW)
    assert result.requests == 2 and result.error is None
    subjects = sorted(b["subject"] for b in sendgrid.bodies)
    assert subjects == ["Changes to our Example Privacy Policy, effective February 1, 2027",
                        "Änderungen ab 1. Februar 2027"]


def test_at_most_1000_per_request_and_each_address_once() -> None:
    recipients = people(2500)
    recipients.append(Recipient(9001, "acc-twin", "USER7@example.com", "Twin", "en"))
    requests = split_unique(recipients)
    assert [len(r) for r in requests] == [1000, 1000, 501]
    for request in requests:
        addresses = [r.email.lower() for r in request]
        assert len(addresses) == len(set(addresses))


def test_shared_mailbox_goes_in_two_requests(sendgrid: SendGridServer) -> None:
    recipients = [*people(3), Recipient(99, "acc-99", "User1@Example.com", "Twin", "en")]
    result = mailer(sendgrid).send(letter(), recipients, NOW)
    assert len(result.accepted) == 4 and result.requests == 2
    assert sendgrid.refused == []


def test_429_is_retried_after_retry_after(sendgrid: SendGridServer) -> None:
    sendgrid.fail(429, times=2, retry_after="2")
    sleeps = Sleeps()
    result = mailer(sendgrid, sleeps).send(letter(), people(5), NOW)
    assert result.error is None and len(result.accepted) == 5
    assert result.requests == 3
    assert sleeps == [2.0, 2.0]  # Retry-After outweighs the (tiny) exponential backoff
    assert sendgrid.stats.by_status[429] == 2 and sendgrid.stats.accepted == 5


def test_500_is_retried_with_exponential_backoff_then_gives_up(sendgrid: SendGridServer
                                                               ) -> None:
    sendgrid.fail(500, times=10)
    sleeps = Sleeps()
    result = mailer(sendgrid, sleeps).send(letter(), people(4), NOW)
    assert result.accepted == () and sorted(result.unsent) == [0, 1, 2, 3]
    assert result.error is not None and "kept answering 500 after 4 attempts" in result.error
    assert len(sleeps) == 3 and sleeps[0] < sleeps[1] < sleeps[2]
    assert sendgrid.stats.accepted == 0


def test_a_bad_address_is_isolated_and_the_rest_sent(sendgrid: SendGridServer) -> None:
    sendgrid.reject_address("user3@example.com")
    result = mailer(sendgrid).send(letter(), people(6), NOW)
    assert [i for i, _ in result.failed] == [3]
    assert "Does not contain a valid address" in result.failed[0][1]
    assert sorted(i for i, _ in result.accepted) == [0, 1, 2, 4, 5]
    assert result.error is None and result.requests == 2
    assert sendgrid.stats.accepted == 5


def test_a_hanging_server_times_out_and_is_retried(sendgrid: SendGridServer) -> None:
    sendgrid.hang(times=1, seconds=3)
    sleeps = Sleeps()
    started = time.monotonic()
    result = mailer(sendgrid, sleeps, timeout=0.5).send(letter(), people(3), NOW)
    assert time.monotonic() - started < 2.5
    assert len(result.accepted) == 3 and result.error is None
    assert len(sleeps) == 1 and result.requests == 2


def test_a_wrong_key_stops_without_failing_anyone(sendgrid: SendGridServer) -> None:
    result = mailer(sendgrid, key="SG.wrong").send(letter(), people(3), NOW)
    assert result.failed == () and sorted(result.unsent) == [0, 1, 2]
    assert result.error is not None and "refused the API key (401)" in result.error
    assert "SG.wrong" not in result.error


def test_the_server_validates_every_body_against_the_spec(sendgrid: SendGridServer) -> None:
    def post(body: dict[str, object]) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(
            sendgrid.url + "/v3/mail/send", data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {SENDGRID_KEY}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, {}
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    good = {"from": {"email": "a@example.com"}, "subject": "s",
            "content": [{"type": "text/plain", "value": "x"}],
            "personalizations": [{"to": [{"email": "b@example.com"}]}]}
    assert post(good) == (202, {})
    status, body = post({**good, "custom_args": {"notice": "1"}})  # the README's quirk
    assert status == 400 and body["errors"][0]["field"] == "custom_args"  # type: ignore[index]
    status, body = post({**good, "personalizations": [{"to": [{"email": "b@example.com"}]}]
                         * 1001})
    assert status == 400
    status, body = post({**good, "personalizations": [{"to": [{"email": "b@example.com"}],
                                                       "custom_args": {"n": 1}}]})
    assert status == 400 and "strings" in str(body)
    status, _ = post({k: v for k, v in good.items() if k != "from"})
    assert status == 400
    assert sendgrid.stats.accepted_requests == 1
