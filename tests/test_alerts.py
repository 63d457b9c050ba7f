"""Alerts: signed posts to a local receiver on 127.0.0.1 (JSON and Slack formats),
retries with backoff, never blocking the sender, and the notice events that raise them."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from policybook.alerts import (
    SIGNATURE_HEADER,
    Alert,
    Alerter,
    AlertKind,
    Target,
    alerter_for,
    sign,
    verify_signature,
)
from policybook.config import Secret
from policybook.errors import ConfigError
from policybook.store import Store
from policybook.workflows.notices import send_notice
from tests.support.fixtures import (
    EFFECTIVE_AT,
    NOW,
    accounts,
    add_accounts,
    add_notice,
    make_config,
)

SECRET = "alert-secret-for-tests"


class Receiver:
    """A webhook receiver that checks every signature, as a customer's would."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.posts: list[dict[str, Any]] = []
        self.failures: list[int] = []  # status codes to answer first, one per post
        self.delay = 0.0
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay)
                if not verify_signature(receiver.secret, body,
                                        self.headers.get(SIGNATURE_HEADER, ""), time.time()):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if receiver.failures:
                    self.send_response(receiver.failures.pop(0))
                    self.end_headers()
                    return
                receiver.posts.append({"path": self.path, "json": json.loads(body),
                                       "event": self.headers.get("X-Policybook-Event")})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def alert(kind: AlertKind = AlertKind.CREATED, notice_id: int = 4) -> Alert:
    return Alert(kind, notice_id, "privacy-policy@2027-02-01", NOW,
                 "privacy-policy@2027-02-01: notice 4 created", {"due": "2027-01-02"})


def test_signed_json_and_slack_posts(receiver: Receiver) -> None:
    alerter = Alerter((Target(receiver.url + "/hook"), Target(receiver.url + "/slack", True)),
                      Secret(SECRET), backoff=0.01)
    alerter.notify(alert())
    assert alerter.flush(5)
    generic, slack = sorted(receiver.posts, key=lambda p: p["path"])
    assert generic["json"] == {"event": "notice.created", "notice": 4,
                               "policy": "privacy-policy", "effective": "2027-02-01",
                               "at": NOW.isoformat(),
                               "text": "privacy-policy@2027-02-01: notice 4 created",
                               "details": {"due": "2027-01-02"}}
    assert generic["event"] == "notice.created"
    assert slack["json"] == {"text": "policybook: privacy-policy@2027-02-01: notice 4 created"}
    assert receiver.bad_signatures == 0 and alerter.delivered == 2


def test_a_wrong_secret_or_an_old_signature_is_refused() -> None:
    body = b'{"event": "notice.created"}'
    header = sign(SECRET, body, 1_800_000_000)
    assert verify_signature(SECRET, body, header, 1_800_000_010)
    assert not verify_signature("another secret", body, header, 1_800_000_010)
    assert not verify_signature(SECRET, body + b" ", header, 1_800_000_010)
    assert not verify_signature(SECRET, body, header, 1_800_000_000 + 3600)  # a replay
    assert not verify_signature(SECRET, body, "garbage", 1_800_000_000)


def test_retries_with_backoff_then_gives_up(receiver: Receiver) -> None:
    sleeps: list[float] = []
    alerter = Alerter((Target(receiver.url),), Secret(SECRET), retries=3, backoff=0.5,
                      sleep=sleeps.append)
    receiver.failures = [503, 429]
    alerter.notify(alert())
    assert alerter.flush(5)
    assert len(receiver.posts) == 1 and sleeps == [0.5, 1.0]
    receiver.failures = [500] * 4
    alerter.notify(alert(AlertKind.LATE))
    assert alerter.flush(5)
    assert len(receiver.posts) == 1 and alerter.dropped == 1 and sleeps[2:] == [0.5, 1.0, 2.0]
    receiver.failures = [404]  # a client error is not retried
    alerter.notify(alert(AlertKind.FAILED))
    assert alerter.flush(5) and alerter.dropped == 2 and len(sleeps) == 5


def test_never_blocks_the_sender(receiver: Receiver) -> None:
    receiver.delay = 0.5
    alerter = Alerter((Target(receiver.url),), Secret(SECRET), queue_size=2)
    started = time.monotonic()
    for i in range(5):
        alerter.notify(alert(notice_id=i))
    assert time.monotonic() - started < 0.2  # a slow receiver does not slow the caller
    assert alerter.dropped >= 2  # the queue is bounded: the excess is dropped, with a warning
    assert alerter.flush(10)
    assert len(receiver.posts) == 5 - alerter.dropped


def test_the_notice_events_raise_alerts(receiver: Receiver, store: Store,
                                        tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        f'[alerts]\nwebhooks = ["{receiver.url}/pb"]\nfailed_threshold = 0\n',
        encoding="utf-8")
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_ALERTS_SECRET=SECRET)
    add_accounts(store, accounts(3))
    notice = add_notice(store)
    send_notice(config, notice.id, NOW, store=store)  # starts (and stays open)
    send_notice(config, notice.id, EFFECTIVE_AT + dt.timedelta(minutes=1), store=store)
    assert alerter_for(config).flush(5)
    events = [(p["json"]["event"], p["json"]["notice"]) for p in receiver.posts]
    assert events == [("notice.started", notice.id), ("notice.finished", notice.id)]
    finished = receiver.posts[-1]["json"]
    assert finished["details"] == {"deliveries": {"sent": 3}}
    assert "3 deliveries" in finished["text"]
    assert receiver.bad_signatures == 0


def test_alert_settings(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[alerts]\nwebhooks = ["ftp://x", 3]\nslack = "https://hooks.slack.com/x"\n',
        encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        make_config(tmp_path, "sqlite:///x.db")
    text = "\n".join(info.value.lines())
    assert "'alerts.webhooks' must be a list of texts" in text or \
        "alerts.webhooks must be a list" in text
    assert "'alerts.slack' must be a list of texts" in text
    (tmp_path / "policybook.toml").write_text('[alerts]\nwebhooks = ["https://a.example"]\n',
                                              encoding="utf-8")
    with pytest.raises(ConfigError, match="POLICYBOOK_ALERTS_SECRET"):
        make_config(tmp_path, "sqlite:///x.db")
    config = make_config(tmp_path, "sqlite:///x.db", POLICYBOOK_ALERTS_SECRET="s3cret",
                         POLICYBOOK_ALERTS_SLACK="https://hooks.slack.com/a, "
                                                 "https://hooks.slack.com/b")
    assert config.alerts_slack == ("https://hooks.slack.com/a", "https://hooks.slack.com/b")
    assert "s3cret" not in repr(config)


def test_a_run_that_stops_raises_a_failed_alert(receiver: Receiver, store: Store,
                                                tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the outbox folder should be", encoding="utf-8")
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_ALERTS_SECRET=SECRET, POLICYBOOK_OUTBOX=str(blocker),
                         POLICYBOOK_ALERTS_WEBHOOKS=receiver.url)
    add_accounts(store, accounts(2))
    notice = add_notice(store)
    report = send_notice(config, notice.id, NOW, store=store)
    assert report.error is not None
    assert alerter_for(config).flush(5)
    failed = receiver.posts[-1]["json"]
    assert failed["event"] == "notice.failed" and failed["details"]["sent"] == 0
    assert "cannot write to the outbox" in failed["text"]


def test_pause_resume_and_cancel_raise_alerts_with_who(receiver: Receiver, store: Store,
                                                        tmp_path: Path) -> None:
    from policybook.workflows.control import Action, control

    (tmp_path / "policybook.toml").write_text(
        f'[alerts]\nwebhooks = ["{receiver.url}/pb"]\n', encoding="utf-8")
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_ALERTS_SECRET=SECRET)
    notice = add_notice(store)
    control(config, notice.id, Action.PAUSE, NOW, reason="checking", by="Dana", store=store)
    control(config, notice.id, Action.RESUME, NOW, by="Dana", store=store)
    control(config, notice.id, Action.CANCEL, NOW, reason="dropped", by="Eve", store=store)
    assert alerter_for(config).flush(5)
    got = [(p["event"], p["json"]["details"]["by"], p["json"]["details"]["reason"])
           for p in receiver.posts]
    assert got == [("notice.paused", "Dana", "checking"), ("notice.resumed", "Dana", None),
                   ("notice.cancelled", "Eve", "dropped")]
    assert receiver.bad_signatures == 0
