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


async def _drain(request: Request, cap: int) -> None:
    """Read and drop a refused post's body, up to `cap` bytes, before replying.

    Closing the connection with the body unread makes the kernel answer with a reset,
    which the sender may see before our refusal: a client (SendGrid, or a test) then
    gets "connection reset" instead of the 403. The body is never parsed, and one
    declared over the cap is not read at all (the refusal is then 413 anyway)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return
    read = 0
    async for chunk in request.stream():
        read += len(chunk)
        if read > cap:
            return


def webhook_route(handler: WebhookHandler, *, path: str | None = None,
                  name: str = "sendgrid_webhook") -> Route:
    """A POST route at `path` (default: the handler's) answering with `handler`."""

    async def endpoint(request: Request) -> Response:
        # Header names lower-cased, as the handler expects them.
        headers = {k.lower(): v for k, v in request.headers.items()}
        refused = handler.check_headers(headers)
        if refused is not None:
            await _drain(request, handler.max_body)
            return _response(refused)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > handler.max_body:
                return PlainTextResponse("too large\n", status_code=413)
        return _response(await run_in_threadpool(handler.handle, headers, body))

    return Route(path or handler.path, endpoint, methods=["POST"], name=name)
