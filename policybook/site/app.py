"""The live site (shell): a Starlette app over `Site`.

What is in force is decided per request from `clock()` (the real clock by default;
`policybook serve --now` freezes it for a rehearsal, and tests pass their own): at the
effective moment the site switches with no restart and no rebuild. Visitors can never
move the clock: only the code that creates the app chooses it. New commits on the
branch are picked up by the site's snapshot check (at most every few seconds); reading
a new revision runs in a worker thread so the event loop keeps serving, and so does
the compare page (bounded and cached: see `offload`).

A missing or extra trailing slash is redirected with a relative Location (`./name/`),
never built from the Host header, which the client chooses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route

from ..config import Config
from ..errors import NotFoundError, UsageError
from . import comparing, machine
from .changes import Compare, compare_documents
from .offload import Busy, Offload, cached_compare
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


class _LanguageTag(Convertor[str]):
    """A `/<lang>/` prefix: a language tag's shape (fr, pt-BR, zh-Hant), so that no other
    path (`/assets/x/`, `/api/…`) is ever read as a language."""

    regex = "[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("lang", _LanguageTag())


class _Prefix(_LanguageTag):
    """A `/<lang>/` or `/<variant>/` prefix: a language tag or a variant id
    (regions.py), never the site's own folders (`/assets/…`, `/api/…`)."""

    regex = "(?!(?:assets|api)/)(?:[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*|[a-z0-9]+(?:-[a-z0-9]+)*)"


register_url_convertor("prefix", _Prefix())


def _slash_redirect(request: Request, routes: Sequence[BaseRoute]) -> Response | None:
    """A redirect to the same path with the trailing slash added (or removed) when that
    path has a page, as a relative reference: the Host header never makes the Location,
    and a site served under a path prefix (`/legal/`) keeps it."""
    if request.method not in ("GET", "HEAD"):
        return None
    path: str = request.scope["path"]
    if path == "/" or "//" in path:
        return None
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    scope = {**request.scope, "path": other}
    if not any(route.matches(scope)[0] is Match.FULL for route in routes):
        return None
    segments = [s for s in path.split("/") if s]
    if not segments:
        return None
    last = quote(segments[-1], safe="")
    # "./x/" from ".../x"; "../x" from ".../x/"
    location = f"../{last}" if path.endswith("/") else f"./{last}/"
    if request.url.query:
        location += "?" + quote(request.url.query, safe="=&%+;,")
    return RedirectResponse(location, status_code=307)


def create_app(config: Config, source: StateSource, *, clock: Clock = system_clock,
               extra_routes: Sequence[BaseRoute] = (), compare: Compare | None = None,
               committed: StateSource | None = None, preview: bool = False,
               refresh_seconds: float = 2.0, offload: Offload[Page] | None = None
               ) -> Starlette:
    """The web app over the state `source` hands it (`wiring` builds both).
    `extra_routes` (the webhooks, say) are matched before the site's pages; `offload`
    bounds the compare page's work (the default: two workers, two waiting)."""
    shared = cached_compare(compare or compare_documents)
    # One Site per `[[sites]]` (none: the one site of site.base_url); a request's Host
    # header picks its site, and a host no site names gets the first.
    sites = [Site(config, source, compare=shared, committed=committed, preview=preview,
                  refresh_seconds=refresh_seconds, live=True, spec=spec)
             for spec in (config.sites or (None,))]
    by_host = {s.spec.host: s for s in sites}

    def site_of(request: Request) -> Site:
        host = urlsplit("//" + request.headers.get("host", "")).hostname or ""
        return by_host.get(host.lower(), sites[0])

    async def fresh(request: Request) -> Site:
        site = site_of(request)
        if site.stale():  # reading a new revision is slow: keep it off the event loop
            await run_in_threadpool(site.snapshot)
        return site

    def html(call: Callable[..., Page]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            site = await fresh(request)
            p = request.path_params
            page = call(site, request, p, clock())
            return _response(request, page)
        return endpoint

    async def api(request: Request) -> Response:
        site = await fresh(request)
        try:
            data = machine.api(site, request.path_params["policy"], request.query_params.get("at"),
                            clock(), request.query_params.get("lang"),
                            request.query_params.get("country"))
        except NotFoundError as exc:
            return JSONResponse({"error": exc.message}, 404, headers=NO_STORE_CORS)
        except UsageError as exc:
            return JSONResponse({"error": exc.message}, 400, headers=NO_STORE_CORS)
        return JSONResponse(data, headers={**NO_STORE_CORS, "Cache-Control": "no-cache"})

    async def notice_json(request: Request) -> Response:
        site = await fresh(request)
        page = machine.notice_json(site, clock())
        return _response(request, page, "public, max-age=60", NO_STORE_CORS)

    async def asset(request: Request) -> Response:
        name = request.path_params.get("name") or request.url.path.rsplit("/", 1)[-1]
        page = site_of(request).asset(name)
        return _response(request, page, "public, max-age=300", {"X-Content-Type-Options":
                                                                 "nosniff"})

    def query(request: Request, name: str) -> str | None:
        return request.query_params.get(name)

    slow: Offload[Page] = offload or Offload()

    async def compare_route(request: Request) -> Response:
        site = await fresh(request)
        policy, old, new = request.path_params["policy"], query(request, "from"), \
            query(request, "to")
        now = clock()
        if "variant" in request.path_params:  # /<variant>/<policy>/compare/
            policy = f"{policy}.{request.path_params['variant']}"
        if not old and not new:  # the form: cheap
            return _response(request, comparing.compare_versions(site, policy, old, new, now,
                                                                 site.live))
        # One computation per (policy, pair) in flight; `now` decides only what the page
        # frames the redline with, and requests a moment apart may share it.
        key = (site.spec.host, policy, old, new)
        page = await slow.run(key, lambda: comparing.compare_versions(site, policy, old, new,
                                                                      now, site.live))
        return _response(request, page)

    def prefixed(name: str, dated: bool = False) -> Callable[[Request], Any]:
        """The page `name` of the request's site under `/<variant or language>/<policy>/`
        (see `Site.resolve`)."""
        def call(site: Site, request: Request, p: dict[str, str], now: dt.datetime) -> Page:
            key, lang = site.resolve(p["first"], p["policy"], now)
            page: Callable[..., Page] = getattr(site, name)
            return page(key, p["date"], now, lang) if dated else page(key, now, lang)
        return html(call)

    def in_variant(name: str, dated: bool = False) -> Callable[[Request], Any]:
        """The page `name` of a variant in another language: /fr/eea/privacy-policy/..."""
        def call(site: Site, request: Request, p: dict[str, str], now: dt.datetime) -> Page:
            page: Callable[..., Page] = getattr(site, name)
            key = f"{p['policy']}.{p['variant']}"
            return page(key, p["date"], now, p["lang"]) if dated else page(key, now, p["lang"])
        return html(call)

    routes: list[BaseRoute] = [
        *extra_routes,
        Route("/", html(lambda s, r, p, now: s.index(now))),
        Route("/feed.xml", html(lambda s, r, p, now: machine.feed(s, now))),
        Route("/sitemap.xml", html(lambda s, r, p, now: machine.sitemap(s, now))),
        Route("/notice.json", notice_json),
        Route("/notice.js", asset),
        Route("/assets/{name}", asset),
        Route("/api/policies/{policy}", api),
        # A policy's page, or a language's home (/fr/): policy ids and tags never meet.
        Route("/{policy}/", html(lambda s, r, p, now: s.top(p["policy"], now))),
        Route("/{policy}/upcoming/", html(lambda s, r, p, now: s.upcoming(p["policy"], now))),
        Route("/{policy}/versions/", html(lambda s, r, p, now: s.archive(p["policy"], now))),
        Route("/{policy}/versions/{date}/",
              html(lambda s, r, p, now: s.version(p["policy"], p["date"], now))),
        Route("/{policy}/changes/{date}/",
              html(lambda s, r, p, now: s.changes(p["policy"], p["date"], now))),
        Route("/{policy}/compare/", compare_route),
        Route("/{policy}/draft/",
              html(lambda s, r, p, now: comparing.draft(s, p["policy"], now))),
        # A regional variant (/eea/privacy-policy/...) or another language
        # (/fr/privacy-policy/...): one prefix, which `Site.resolve` tells apart.
        Route("/{first:prefix}/{policy}/", prefixed("policy")),
        Route("/{first:prefix}/{policy}/upcoming/", prefixed("upcoming")),
        Route("/{first:prefix}/{policy}/versions/", prefixed("archive")),
        Route("/{first:prefix}/{policy}/versions/{date}/", prefixed("version", dated=True)),
        Route("/{first:prefix}/{policy}/changes/{date}/", prefixed("changes", dated=True)),
        Route("/{variant:prefix}/{policy}/compare/", compare_route),
        Route("/{variant:prefix}/{policy}/draft/", html(lambda s, r, p, now: comparing.draft(
            s, f"{p['policy']}.{p['variant']}", now))),
        # A variant in another language: /fr/eea/privacy-policy/...
        Route("/{lang:lang}/{variant}/{policy}/", in_variant("policy")),
        Route("/{lang:lang}/{variant}/{policy}/upcoming/", in_variant("upcoming")),
        Route("/{lang:lang}/{variant}/{policy}/versions/", in_variant("archive")),
        Route("/{lang:lang}/{variant}/{policy}/versions/{date}/",
              in_variant("version", dated=True)),
        Route("/{lang:lang}/{variant}/{policy}/changes/{date}/",
              in_variant("changes", dated=True)),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        moved = _slash_redirect(request, routes)
        if moved is not None:
            return moved
        message = exc.message if isinstance(exc, NotFoundError) else None
        return _response(request, site_of(request).error(404, message, request.url.path,
                                                         clock()))

    async def busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Busy)
        return _response(request, site_of(request).error(exc.status, exc.message,
                                                         request.url.path, clock()),
                         extra={"Retry-After": str(exc.retry_after)})

    async def bad_request(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, UsageError) else None
        return _response(request, site_of(request).error(400, message, request.url.path,
                                                         clock()))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return await not_found(request, exc)
        return _response(request, site_of(request).error(exc.status_code, str(exc.detail),
                                                         request.url.path, clock()))

    async def broken_template(request: Request, exc: Exception) -> Response:
        # The templates themselves failed: answer plainly rather than through them.
        message = exc.message if isinstance(exc, TemplateFailure) else "internal error"
        return PlainTextResponse(f"The site cannot show this page: {message}", 500)

    app = Starlette(routes=routes, exception_handlers={
        NotFoundError: not_found, UsageError: bad_request, HTTPException: http_error,
        TemplateFailure: broken_template, Busy: busy})
    # Starlette's own slash redirect builds an absolute URL from the Host header.
    app.router.redirect_slashes = False
    app.state.site = sites[0]
    app.state.sites = tuple(sites)
    return app
