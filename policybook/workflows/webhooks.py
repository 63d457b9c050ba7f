"""SendGrid's signed event webhook (shell): check a post, then apply its events to the ledger.

The logic lives here, free of any web framework, so that the site never imports the
store: the web app mounts it through `policybook.site.webhooks.webhook_route`, which
only moves bytes and headers in and a `WebhookReply` out.

Every request is checked before its body is even parsed: the ECDSA (P-256, SHA-256)
signature in `X-Twilio-Email-Event-Webhook-Signature` over the timestamp header
followed by the raw body, with the public key from the config
(`sendgrid.webhook_public_key` / POLICYBOOK_SENDGRID_WEBHOOK_KEY), and the timestamp
must be within `sendgrid.webhook_tolerance_seconds` of now: SendGrid's signature has
no replay protection of its own. Anything else gets 403. Events already seen
(`sg_event_id`) are ignored, so SendGrid's retries and replays within the window
change nothing. A database failure answers 500, so that SendGrid posts again later.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..config import Config
from ..errors import ConfigError, PolicybookError
from ..store import Store, audit
from ..store.events import apply_sendgrid_events

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_BODY = 8 * 1024 * 1024  # SendGrid posts batches of events well below this
PATH = "/webhooks/sendgrid"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class WebhookReply:
    """What to answer: a status with a line of text, or counts as JSON."""

    status: int
    text: str = ""
    counts: Mapping[str, int] | None = None


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER), or as PEM."""
    data = text.strip()
    try:
        if data.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(data.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(data, validate=True))
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ConfigError([f"sendgrid.webhook_public_key is not a public key ({exc}); paste "
                           "the verification key from SendGrid's Mail Settings > Event "
                           "Webhook > Signature Verification"]) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ConfigError(["sendgrid.webhook_public_key must be an ECDSA P-256 public key "
                           "(SendGrid's signed event webhook key)"])
    return key


def verify(key: ec.EllipticCurvePublicKey, signature: str, timestamp: str, body: bytes) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _forbidden(reason: str) -> WebhookReply:
    log.warning("SendGrid webhook: refused a post (%s)", reason)
    return WebhookReply(403, f"forbidden: {reason}\n")


class SendgridWebhook:
    """The handler; raises ConfigError at start-up if the configured key is not usable.

    Without a key every post is refused (403) and logged: events are never accepted
    unsigned. The database is opened on the first post (`store` for tests and for a
    process that already holds one). `check_headers` runs before the body is read;
    `handle` blocks (signature check and database), so a web app calls it off its loop.
    """

    path = PATH
    max_body = MAX_BODY

    def __init__(self, config: Config, *, store: Store | None = None,
                 clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self._config = config
        self._key = load_public_key(config.sendgrid_webhook_public_key) \
            if config.sendgrid_webhook_public_key else None
        self._tolerance = config.webhook_tolerance_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._store = store

    def _get_store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.open(self._config.db_url, self._clock())
            return self._store

    def check_headers(self, headers: Mapping[str, str]) -> WebhookReply | None:
        """A refusal decided from the headers alone, or None to read the body."""
        if self._key is None:
            return _forbidden("no webhook verification key is configured")
        signature = headers.get(SIGNATURE_HEADER.lower())
        timestamp = headers.get(TIMESTAMP_HEADER.lower())
        if not signature or not timestamp:
            return _forbidden("unsigned")
        # Seconds since 1970 in digits only: int() would also take "+1_0 ", and a huge
        # number overflows the float comparison below (it was a 500 with a traceback).
        if not _TIMESTAMP.fullmatch(timestamp):
            return _forbidden("bad timestamp")
        sent_at = int(timestamp)
        if abs(self._clock().timestamp() - sent_at) > self._tolerance:
            return _forbidden("timestamp outside the accepted window")
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY:
            return WebhookReply(413, "too large\n")
        return None

    def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookReply:
        """Check the whole post and store its events (blocking)."""
        refused = self.check_headers(headers)
        if refused is not None:
            return refused
        assert self._key is not None  # check_headers refused otherwise
        if len(body) > MAX_BODY:
            return WebhookReply(413, "too large\n")
        if not verify(self._key, headers[SIGNATURE_HEADER.lower()],
                      headers[TIMESTAMP_HEADER.lower()], body):
            return _forbidden("bad signature")
        try:
            events = json.loads(body)
        except (ValueError, RecursionError):
            return WebhookReply(400, "the body is not JSON\n")
        if not isinstance(events, list):
            return WebhookReply(400, "expected a JSON array of events\n")
        try:
            with self._get_store().write() as conn:
                now = self._clock()
                counts = apply_sendgrid_events(conn, events, now).as_dict()
                if counts["malformed"] or counts["foreign"]:
                    # On record for whoever audits the proof of notice: what was refused,
                    # as counts (the events themselves are not kept).
                    audit(conn, "webhook.events_refused", "provider:sendgrid", now,
                          {"received": counts["received"], "malformed": counts["malformed"],
                           "foreign": counts["foreign"]})
        except PolicybookError as exc:
            log.error("SendGrid webhook: events not stored (%s); SendGrid will retry",
                      exc.message)
            return WebhookReply(500, "temporarily unavailable\n")
        log.info("SendGrid webhook: %(received)d events, %(applied)d applied, "
                 "%(duplicates)d duplicates, %(ignored)d ignored, %(foreign)d of another "
                 "installation, %(malformed)d malformed", counts)
        return WebhookReply(200, counts=counts)
