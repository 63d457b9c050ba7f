"""Webhook mount points (shell, Starlette): bytes and headers in, a reply out.

The site holds no webhook logic and never touches the store: a handler (for SendGrid,
`policybook.workflows.webhooks.SendgridWebhook`) decides, and this route only reads
the body under the handler's size cap and runs the handler off the event loop. The
wiring mounts it: `create_app(..., extra_routes=[webhook_route(SendgridWebhook(config))])`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class Reply(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def counts(self) -> Mapping[str, int] | None: ...


class WebhookHandler(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def max_body(self) -> int: ...
    def check_headers(self, headers: Mapping[str, str]) -> Reply | None: ...
    def handle(self, headers: Mapping[str, str], body: bytes) -> Reply: ...


def _response(reply: Reply) -> Response:
    if reply.counts is not None:
        return JSONResponse(dict(reply.counts), status_code=reply.status)
    return PlainTextResponse(reply.text, status_code=reply.status)


async def _read_body(request: Request, cap: int) -> bytes | None:
    """The request's body, or None once it passes `cap` bytes (then not read further)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            return None
    return body


def webhook_route(handler: WebhookHandler, *, path: str | None = None,
                  name: str = "sendgrid_webhook") -> Route:
    """A POST route at `path` (default: the handler's) answering with `handler`."""

    async def endpoint(request: Request) -> Response:
        # Header names lower-cased, as the handler expects them.
        headers = {k.lower(): v for k, v in request.headers.items()}
        refused = handler.check_headers(headers)
        if refused is not None:
            # The body is read (never parsed) before the refusal goes out: closing with
            # it unread resets the connection, and the sender may see "connection reset"
            # before our answer. One declared over the cap is not read (the refusal is
            # then 413 anyway).
            declared = headers.get("content-length", "")
            if not (declared.isdigit() and int(declared) > handler.max_body):
                await _read_body(request, handler.max_body)
            return _response(refused)
        body = await _read_body(request, handler.max_body)
        if body is None:
            return PlainTextResponse("too large\n", status_code=413)
        return _response(await run_in_threadpool(handler.handle, headers, body))

    return Route(path or handler.path, endpoint, methods=["POST"], name=name)
