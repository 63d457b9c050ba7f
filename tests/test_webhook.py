"""POST /webhooks/sendgrid: signed events update the ledger; anything else gets 403."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette

from policybook.config import Config
from policybook.delivery import BatchResult
from policybook.errors import ConfigError
from policybook.site.webhooks import webhook_route
from policybook.store import Store, ledger
from policybook.store.schema import provider_events
from policybook.workflows.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SendgridWebhook,
    load_public_key,
)
from tests.support.asgi import serve
from tests.support.fixtures import NOW, accounts, add_accounts, add_notice, make_config

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = base64.b64encode(KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
CLOCK = NOW + dt.timedelta(days=1)


def sign(body: bytes, timestamp: str, key: ec.EllipticCurvePrivateKey = KEY) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + body,
                                     ec.ECDSA(hashes.SHA256()))).decode()


def webhook_app(config: Config, store: Store) -> Starlette:
    """The webhook mounted as the site mounts it, in a small app."""
    return Starlette(routes=[webhook_route(SendgridWebhook(config, store=store,
                                                           clock=lambda: CLOCK))])


@pytest.fixture
def sent(store: Store) -> tuple[Store, int, list[int]]:
    """A notice with three deliveries sent through SendGrid."""
    add_accounts(store, accounts(3))
    notice = add_notice(store)
    ledger.add_local_recipients(store, notice, NOW)
    claim = ledger.claim(store, notice.id, 10, NOW, 600)
    ids = [r.delivery_id for r in claim.recipients]
    ledger.record(store, claim, BatchResult(accepted=tuple((i, "msg-1") for i in ids)),
                  "sendgrid", NOW)
    return store, notice.id, ids


@pytest.fixture
def client(sent: tuple[Store, int, list[int]], tmp_path: Path) -> Iterator[str]:
    """The webhook in a small Starlette app, served by uvicorn: its base URL."""
    store = sent[0]
    config = make_config(tmp_path, "sqlite://", POLICYBOOK_SENDGRID_WEBHOOK_KEY=PUBLIC)
    app = webhook_app(config, store)
    with serve(app) as url:
        yield url


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url + "/webhooks/sendgrid", data=body, method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def event(delivery: int, notice: int, kind: str, at: dt.datetime, event_id: str,
          **extra: object) -> dict[str, object]:
    return {"email": "someone@example.com", "timestamp": int(at.timestamp()), "event": kind,
            "sg_event_id": event_id, "sg_message_id": "msg-1.filter0001", "pb_notice": str(notice),
            "pb_delivery": str(delivery), "pb_account": "acc", **extra}


def post(client: str, events: list[dict[str, object]], *,
         timestamp: dt.datetime = CLOCK, key: ec.EllipticCurvePrivateKey = KEY,
         tamper: bool = False) -> tuple[int, object]:
    body = json.dumps(events).encode()
    ts = str(int(timestamp.timestamp()))
    signature = sign(body, ts, key)
    if tamper:
        body = body.replace(b"delivered", b"bounce")
    status, text = raw_post(client, body, {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: ts,
                                           "Content-Type": "application/json"})
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def rows(store: Store, notice_id: int) -> dict[int, dict[str, object]]:
    with store.read() as conn:
        return {i: r for i, r in enumerate(ledger.report_rows(conn, notice_id))}


def test_signed_events_update_the_ledger(client: str,
                                         sent: tuple[Store, int, list[int]]) -> None:
    store, notice_id, (a, b, c) = sent
    t = NOW + dt.timedelta(minutes=5)
    status, counts = post(client, [
        event(a, notice_id, "processed", t, "e1"),
        event(a, notice_id, "delivered", t + dt.timedelta(seconds=3), "e2"),
        event(b, notice_id, "bounce", t, "e3", reason="550 5.1.1 unknown user", type="bounce"),
        event(c, notice_id, "dropped", t, "e4", reason="Bounced Address"),
        {"event": "delivered", "sg_event_id": "other", "timestamp": 1},  # not ours
    ])
    assert status == 200
    assert counts == {"received": 5, "applied": 4, "duplicates": 0, "ignored": 1,
                      "foreign": 0, "malformed": 0}
    got = rows(store, notice_id)
    assert [got[i]["state"] for i in range(3)] == ["delivered", "bounced", "dropped"]
    assert got[0]["delivered_at"] == t + dt.timedelta(seconds=3)
    assert got[1]["error"] == "550 5.1.1 unknown user"
    assert got[0]["last_event"] == "delivered"


def test_replayed_events_are_ignored(client: str,
                                     sent: tuple[Store, int, list[int]]) -> None:
    store, notice_id, (a, _, _) = sent
    t = NOW + dt.timedelta(minutes=5)
    batch = [event(a, notice_id, "delivered", t, "e-once")]
    assert post(client, batch)[1] == {"received": 1, "applied": 1, "duplicates": 0,
                                      "ignored": 0, "foreign": 0, "malformed": 0}
    # the same post again (SendGrid retries, or an attacker replays it within the window)
    assert post(client, batch)[1] == {"received": 1, "applied": 0, "duplicates": 1,
                                      "ignored": 0, "foreign": 0, "malformed": 0}
    with store.read() as conn:
        assert len(conn.execute(provider_events.select()).all()) == 1


def test_late_older_events_do_not_undo_newer_ones(client: str,
                                                  sent: tuple[Store, int, list[int]]) -> None:
    store, notice_id, (a, _, _) = sent
    t = NOW + dt.timedelta(minutes=5)
    post(client, [event(a, notice_id, "bounce", t + dt.timedelta(hours=1), "late-bounce",
                        reason="async bounce")])
    post(client, [event(a, notice_id, "delivered", t, "early-delivered")])
    assert rows(store, notice_id)[0]["state"] == "bounced"


@pytest.mark.parametrize("case", ["bad signature", "other key", "stale", "future", "unsigned",
                                  "bad timestamp"])
def test_anything_else_is_refused(client: str, sent: tuple[Store, int, list[int]],
                                  case: str) -> None:
    store, notice_id, (a, _, _) = sent
    events = [event(a, notice_id, "delivered", NOW, f"e-{case}")]
    if case == "bad signature":
        status, text = post(client, events, tamper=True)
    elif case == "other key":
        status, text = post(client, events, key=ec.generate_private_key(ec.SECP256R1()))
    elif case == "stale":
        status, text = post(client, events, timestamp=CLOCK - dt.timedelta(minutes=11))
    elif case == "future":
        status, text = post(client, events, timestamp=CLOCK + dt.timedelta(minutes=11))
    elif case == "unsigned":
        status, text = raw_post(client, json.dumps(events).encode(), {})
    else:
        body = json.dumps(events).encode()
        status, text = raw_post(client, body, {SIGNATURE_HEADER: sign(body, "soon"),
                                               TIMESTAMP_HEADER: "soon"})
    assert status == 403, text
    assert rows(store, notice_id)[0]["state"] == "sent"
    with store.read() as conn:
        assert conn.execute(provider_events.select()).all() == []


def test_within_the_window_is_accepted(client: str,
                                       sent: tuple[Store, int, list[int]]) -> None:
    _, notice_id, (a, _, _) = sent
    status, _ = post(client, [event(a, notice_id, "delivered", NOW, "e-window")],
                     timestamp=CLOCK - dt.timedelta(minutes=9))
    assert status == 200


def test_no_key_configured_refuses_everything(sent: tuple[Store, int, list[int]],
                                              tmp_path: Path) -> None:
    store, notice_id, (a, _, _) = sent
    config = make_config(tmp_path, "sqlite://")
    app = webhook_app(config, store)
    with serve(app) as url:
        assert post(url, [event(a, notice_id, "delivered", NOW, "e-x")])[0] == 403


def test_key_formats() -> None:
    pem = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    assert load_public_key(pem.decode()).public_numbers() == \
        load_public_key(PUBLIC).public_numbers()
    with pytest.raises(ConfigError, match="not a public key"):
        load_public_key("not base64 at all!")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ConfigError, match="P-256"):
        load_public_key(p384.decode())
