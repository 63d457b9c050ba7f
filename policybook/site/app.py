"""The live site (shell): a Starlette app over `Site`.

What is in force is decided per request from `clock()` (the real clock by default;
`policybook serve --now` freezes it for a rehearsal, and tests pass their own): at the
effective moment the site switches with no restart and no rebuild. Visitors can never
move the clock: only the code that creates the app chooses it. New commits on the
branch are picked up by the site's snapshot check (at most every few seconds); reading
a new revision runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..config import Config
from ..errors import NotFoundError, UsageError
from .changes import Compare
from .site import Page, Site, TemplateFailure
from .source import StateSource

Clock = Callable[[], dt.datetime]

# Pages hold no secrets and run no script; nothing may frame them or load from elsewhere.
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data: https:; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
NO_STORE_CORS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _response(request: Request, page: Page, cache: str = "no-cache",
              extra: dict[str, str] | None = None) -> Response:
    headers = {"Cache-Control": cache, **(extra or {})}
    if page.media_type.startswith("text/html"):
        headers.update(HTML_HEADERS)
    if page.etag:
        headers["ETag"] = page.etag
        if request.headers.get("if-none-match") == page.etag and page.status == 200:
            return Response(status_code=304, headers=headers)
    return Response(page.body, status_code=page.status, media_type=page.media_type,
                    headers=headers)


def create_app(config: Config, source: StateSource, *, clock: Clock = system_clock,
               extra_routes: Sequence[BaseRoute] = (), compare: Compare | None = None,
               committed: StateSource | None = None, preview: bool = False,
               refresh_seconds: float = 2.0) -> Starlette:
    """The web app over the state `source` hands it (`workflows.wiring` builds both).
    `extra_routes` (the webhooks, say) are matched before the site's pages."""
    site = Site(config, source, compare=compare, committed=committed, preview=preview,
                refresh_seconds=refresh_seconds, live=True)

    async def fresh() -> Site:
        if site.stale():  # reading a new revision is slow: keep it off the event loop
            await run_in_threadpool(site.snapshot)
        return site

    def html(call: Callable[..., Page]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            await fresh()
            p = request.path_params
            page = call(request, p, clock())
            return _response(request, page)
        return endpoint

    async def api(request: Request) -> Response:
        await fresh()
        try:
            data = site.api(request.path_params["policy"], request.query_params.get("at"),
                            clock(), request.query_params.get("lang"))
        except NotFoundError as exc:
            return JSONResponse({"error": exc.message}, 404, headers=NO_STORE_CORS)
        except UsageError as exc:
            return JSONResponse({"error": exc.message}, 400, headers=NO_STORE_CORS)
        return JSONResponse(data, headers={**NO_STORE_CORS, "Cache-Control": "no-cache"})

    async def notice_json(request: Request) -> Response:
        await fresh()
        page = site.notice_json(clock())
        return _response(request, page, "public, max-age=60", NO_STORE_CORS)

    async def asset(request: Request) -> Response:
        name = request.path_params.get("name") or request.url.path.rsplit("/", 1)[-1]
        page = site.asset(name)
        return _response(request, page, "public, max-age=300", {"X-Content-Type-Options":
                                                                 "nosniff"})

    def query(request: Request, name: str) -> str | None:
        return request.query_params.get(name)

    routes: list[BaseRoute] = [
        *extra_routes,
        Route("/", html(lambda r, p, now: site.index(now))),
        Route("/feed.xml", html(lambda r, p, now: site.feed(now))),
        Route("/notice.json", notice_json),
        Route("/notice.js", asset),
        Route("/assets/{name}", asset),
        Route("/api/policies/{policy}", api),
        # A policy's page, or a language's home (/fr/): policy ids and tags never meet.
        Route("/{policy}/", html(lambda r, p, now: site.top(p["policy"], now))),
        Route("/{policy}/upcoming/", html(lambda r, p, now: site.upcoming(p["policy"], now))),
        Route("/{policy}/versions/", html(lambda r, p, now: site.archive(p["policy"], now))),
        Route("/{policy}/versions/{date}/",
              html(lambda r, p, now: site.version(p["policy"], p["date"], now))),
        Route("/{policy}/changes/{date}/",
              html(lambda r, p, now: site.changes(p["policy"], p["date"], now))),
        Route("/{policy}/compare/",
              html(lambda r, p, now: site.compare_page(p["policy"], query(r, "from"),
                                                       query(r, "to"), now))),
        Route("/{policy}/draft/", html(lambda r, p, now: site.draft(p["policy"], now))),
        # The same pages in another language (languages.py): /fr/privacy-policy/...
        Route("/{lang}/{policy}/", html(lambda r, p, now: site.policy(p["policy"], now,
                                                                       p["lang"]))),
        Route("/{lang}/{policy}/upcoming/",
              html(lambda r, p, now: site.upcoming(p["policy"], now, p["lang"]))),
        Route("/{lang}/{policy}/versions/",
              html(lambda r, p, now: site.archive(p["policy"], now, p["lang"]))),
        Route("/{lang}/{policy}/versions/{date}/",
              html(lambda r, p, now: site.version(p["policy"], p["date"], now, p["lang"]))),
        Route("/{lang}/{policy}/changes/{date}/",
              html(lambda r, p, now: site.changes(p["policy"], p["date"], now, p["lang"]))),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, NotFoundError) else \
            "There is no page at this address."
        return _response(request, site.error(404, message))

    async def bad_request(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, UsageError) else "Bad request."
        return _response(request, site.error(400, message))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return await not_found(request, exc)
        return _response(request, site.error(exc.status_code, str(exc.detail)))

    async def broken_template(request: Request, exc: Exception) -> Response:
        # The templates themselves failed: answer plainly rather than through them.
        message = exc.message if isinstance(exc, TemplateFailure) else "internal error"
        return PlainTextResponse(f"The site cannot show this page: {message}", 500)

    app = Starlette(routes=routes, exception_handlers={
        NotFoundError: not_found, UsageError: bad_request, HTTPException: http_error,
        TemplateFailure: broken_template})
    app.state.site = site
    return app
