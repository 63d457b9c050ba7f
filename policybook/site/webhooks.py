"""`POST /webhooks/sendgrid`: SendGrid's signed event webhook (shell, a Starlette route).

The site app mounts it: `Starlette(routes=[..., sendgrid_webhook_route(config)])`.

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
import threading
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..config import Config
from ..errors import ConfigError, PolicybookError
from ..store import Store
from ..store.events import apply_sendgrid_events

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_BODY = 8 * 1024 * 1024  # SendGrid posts batches of events well below this


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


def sendgrid_webhook_route(config: Config, *, store: Store | None = None,
                           clock: Callable[[], dt.datetime] = _utc_now,
                           path: str = "/webhooks/sendgrid") -> Route:
    """The route; raises ConfigError at start-up if the configured key is not usable.

    Without a key every post is refused (403) and logged: events are never accepted
    unsigned. The database is opened on the first post (`store` for tests).
    """
    key = load_public_key(config.sendgrid_webhook_public_key) \
        if config.sendgrid_webhook_public_key else None
    tolerance = config.webhook_tolerance_seconds
    lock = threading.Lock()
    opened: list[Store] = [store] if store is not None else []

    def get_store() -> Store:
        with lock:
            if not opened:
                opened.append(Store.open(config.db_url, clock()))
            return opened[0]

    def forbidden(reason: str) -> Response:
        log.warning("SendGrid webhook: refused a post (%s)", reason)
        return PlainTextResponse(f"forbidden: {reason}\n", status_code=403)

    async def endpoint(request: Request) -> Response:
        if key is None:
            return forbidden("no webhook verification key is configured")
        signature = request.headers.get(SIGNATURE_HEADER)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            return forbidden("unsigned")
        try:
            sent_at = int(timestamp)
        except ValueError:
            return forbidden("bad timestamp")
        if abs(clock().timestamp() - sent_at) > tolerance:
            return forbidden("timestamp outside the accepted window")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY:
            return PlainTextResponse("too large\n", status_code=413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("too large\n", status_code=413)
        if not verify(key, signature, timestamp, body):
            return forbidden("bad signature")
        try:
            events = json.loads(body)
        except ValueError:
            return PlainTextResponse("the body is not JSON\n", status_code=400)
        if not isinstance(events, list):
            return PlainTextResponse("expected a JSON array of events\n", status_code=400)

        def apply() -> dict[str, int]:
            with get_store().write() as conn:
                return apply_sendgrid_events(conn, events, clock()).as_dict()

        try:
            counts = await run_in_threadpool(apply)
        except PolicybookError as exc:
            log.error("SendGrid webhook: events not stored (%s); SendGrid will retry",
                      exc.message)
            return PlainTextResponse("temporarily unavailable\n", status_code=500)
        log.info("SendGrid webhook: %(received)d events, %(applied)d applied, "
                 "%(duplicates)d duplicates, %(ignored)d ignored", counts)
        return JSONResponse(counts)

    return Route(path, endpoint, methods=["POST"], name="sendgrid_webhook")
