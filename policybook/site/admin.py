"""The dashboard for legal (`/admin/`, shell): the notices, their progress, each policy's
timeline, and the actions preview, test, pause, resume and cancel.

Off unless `POLICYBOOK_ADMIN_TOKEN` is set; never part of the static build (it exists
only in the live app, mounted by `wiring.py`). Behind a proxy that terminates HTTPS.

- Sign-in: the token, compared in constant time (`hmac.compare_digest`), gives a session
  cookie (HttpOnly, SameSite=Strict, Path=/admin, Secure on an https base_url) signed
  with a key derived from the token: changing the token ends every session. Scripts may
  send `Authorization: Bearer TOKEN` to the read-only pages and the lookup endpoint.
- Every action is a POST after a confirmation page, and carries a CSRF token tied to the
  session (an HMAC of the session's nonce); a POST whose `Origin` is not this site's, or
  whose `Sec-Fetch-Site` says another site sent it, is refused before anything else.
- Pages run no script and load nothing from elsewhere: the strict CSP holds; the chart
  is SVG drawn here.

The data comes from an `AdminBackend` (`workflows/admin.py`): this module imports no
store and no workflow (see the import contracts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import NotFoundError, PolicybookError
from ..i18n import available_languages, gettext, negotiate, parse_accept_language
from ..notice import Notice
from ..state import PolicyState
from ..templating import CURRENT_LANGUAGE, make_environment
from .app import HTML_HEADERS

Clock = Callable[[], dt.datetime]
COOKIE = "pb_admin"
ACTIONS = ("pause", "resume", "cancel")
# States drawn in the chart, with their colours (SVG attributes, not styles: the CSP
# allows no inline style).
SERIES = (("sent", "#1f6feb"), ("delivered", "#1a7f37"), ("bounced", "#cf222e"),
          ("dropped", "#9a6700"))
ADMIN_HEADERS = {**HTML_HEADERS, "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


class AdminBackend(Protocol):
    def notices(self) -> list[tuple[Notice, dict[str, int]]]: ...
    def notice(self, ref: str) -> tuple[Notice, dict[str, int]]: ...
    def series(self, notice_id: int) -> list[tuple[dt.datetime, str]]: ...
    def audit(self, notice_id: int) -> list[tuple[dt.datetime, str, dict[str, Any]]]: ...
    def timelines(self, now: dt.datetime) -> tuple[PolicyState, ...]: ...
    def preview(self, ref: str, now: dt.datetime) -> tuple[str, str, str]: ...
    def test_send(self, ref: str, now: dt.datetime, addresses: list[str], by: str) -> str: ...
    def control(self, ref: str, action: str, now: dt.datetime, reason: str | None,
                by: str) -> str: ...
    def lookup(self, account: str, policy_ref: str | None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Guard:
    """Sessions and CSRF tokens, keyed by the admin token."""

    token: str
    hours: int = 8
    secure: bool = True

    @property
    def _key(self) -> bytes:
        return hmac.new(self.token.encode(), b"policybook-admin-session",
                        hashlib.sha256).digest()

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token.encode())

    def new_session(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.hours * 3600)
        body = f"{expires}.{secrets.token_hex(16)}"
        return f"{body}.{self._sign(body)}"

    def session(self, cookie: str | None, now: float | None = None) -> str | None:
        """The session's nonce if the cookie is genuine and not expired."""
        if not cookie or cookie.count(".") != 2:
            return None
        expires, nonce, sig = cookie.split(".")
        if not hmac.compare_digest(sig, self._sign(f"{expires}.{nonce}")):
            return None
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        return nonce

    def csrf(self, nonce: str) -> str:
        return self._sign(f"csrf.{nonce}")

    def mark(self, message: str) -> str:
        return self._sign(f"done.{message}")

    def shown(self, request: Request) -> str | None:
        """The `done` message of a redirect after an action, if this dashboard signed it."""
        done, mark = request.query_params.get("done"), request.query_params.get("s", "")
        if done and hmac.compare_digest(mark, self.mark(done)):
            return done
        return None


def chart_svg(series: list[tuple[dt.datetime, str]], width: int = 640,
              height: int = 220) -> Markup:
    """Deliveries over time, cumulative, one line per state (sent, delivered, bounced,
    dropped), with axes and a legend; drawn here so the page needs no script."""
    left, right, top, bottom = 48, 12, 12, 40
    w, h = width - left - right, height - top - bottom
    points = [(at, state) for at, state in series if state in dict(SERIES)]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" '
             'aria-labelledby="chart-title"><title id="chart-title">Deliveries over time, '
             'by state</title>']
    if not points:
        parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" '
                     'fill="#57606a">No e-mail sent yet</text></svg>')
        return Markup("".join(parts))  # noqa: S704 (fixed text and numbers only)
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    counts: dict[str, int] = {}
    lines: dict[str, list[tuple[float, float]]] = {s: [] for s, _ in SERIES}
    for at, state in points:
        counts[state] = counts.get(state, 0) + 1
        lines[state].append(((at - start).total_seconds(), counts[state]))
    peak = max(counts.values())

    def xy(t: float, n: float) -> str:
        return f"{left + w * t / span:.1f},{top + h - h * n / peak:.1f}"

    parts.append(f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" '
                 'stroke="#8c959f"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#8c959f"/>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" '
                 f'font-size="11">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + h}" text-anchor="end" font-size="11">0</text>')
    for x, when in ((left, start), (left + w, end)):
        anchor = "start" if x == left else "end"
        parts.append(f'<text x="{x}" y="{top + h + 14}" text-anchor="{anchor}" '
                     f'font-size="11">{escape(when.strftime("%Y-%m-%d %H:%M UTC"))}</text>')
    legend_x = left
    for state, colour in SERIES:
        pts = lines[state]
        if pts:
            # A step line: the count holds until the next event.
            path = [xy(0, 0)]
            last = 0.0
            for t, n in pts:
                path += [xy(t, last), xy(t, n)]
                last = n
            path.append(xy(span, last))
            parts.append(f'<polyline class="series-{state}" fill="none" stroke="{colour}" '
                         f'stroke-width="2" points="{" ".join(path)}"/>')
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
                     f'fill="{colour}"/><text x="{legend_x + 14}" y="{height - 5}" '
                     f'font-size="11">{state} ({counts.get(state, 0)})</text>')
        legend_x += 130
    parts.append("</svg>")
    # Numbers, fixed names and colours, and escaped dates: nothing from outside unescaped.
    return Markup("".join(parts))  # noqa: S704


MAX_FORM = 64 * 1024


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form (the only kind these pages send), parsed without a multipart
    library; a body over 64 KB or of another type is no form of ours."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind != "application/x-www-form-urlencoded" or len(body) > MAX_FORM:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace"),
                                         keep_blank_values=True).items()}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def create_admin_app(backend: AdminBackend, guard: Guard, clock: Clock, *,
                     root: Any = None, base_url: str = "") -> Starlette:
    """The dashboard, to be mounted at /admin."""
    env = make_environment(root)

    def render(name: str, status: int = 200, language: str = "en", **values: Any) -> Response:
        values.setdefault("done", None)
        token = CURRENT_LANGUAGE.set(language)
        try:
            body = env.get_template(f"admin/{name}").render(lang=language, **values)
        finally:
            CURRENT_LANGUAGE.reset(token)
        return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                        headers=ADMIN_HEADERS)

    def signed_in(request: Request) -> str | None:
        """The session nonce ('bearer' for a script with the token), or None."""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and guard.token_ok(auth[7:].strip()):
            return "bearer"
        return guard.session(request.cookies.get(COOKIE))

    def refuse(request: Request) -> Response:
        if request.url.path.rstrip("/").endswith("/api/lookup"):
            return JSONResponse({"error": "sign in: send Authorization: Bearer TOKEN"}, 401,
                                headers={"WWW-Authenticate": 'Bearer realm="policybook"',
                                         "Cache-Control": "no-store"})
        lang = visitor_language(request)
        return render("login.html", 401, lang, csrf="",
                      message=gettext(lang, "Sign in to see the dashboard."))

    def same_origin(request: Request) -> bool:
        """Refuse what another site's page sent: its Origin (sent by browsers on every
        POST) must be this site's, and Sec-Fetch-Site, where sent, must agree."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        if origin is None:
            return fetch_site is not None  # a browser that sends neither: refuse
        own = {_origin(str(request.base_url))}
        if base_url:
            own.add(_origin(base_url))
        return origin.lower() in own

    def page(handler: Callable[[Request, str], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            nonce = signed_in(request)
            if nonce is None:
                return refuse(request)
            try:
                result: Response = await handler(request, nonce)
            except PolicybookError as exc:
                return render("error.html", 404 if isinstance(exc, NotFoundError) else 400,
                              message=exc.message, csrf=guard.csrf(nonce))
            return result
        return endpoint

    def action(handler: Callable[[Request, str, dict[str, str]], Any]
               ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if not same_origin(request):
                return render("error.html", 403, message="Refused: this request came from "
                              "another site.", csrf="")
            nonce = guard.session(request.cookies.get(COOKIE))
            if nonce is None:
                return refuse(request)
            form = await _form(request)
            if not hmac.compare_digest(form.get("csrf", ""), guard.csrf(nonce)):
                return render("error.html", 403, message="Refused: the form's security "
                              "token is missing or out of date; reload the page and try "
                              "again.", csrf="")
            try:
                result: Response = await handler(request, nonce, form)
            except PolicybookError as exc:
                return render("error.html", 400, message=exc.message, csrf=guard.csrf(nonce))
            return result
        return endpoint

    async def login_form(request: Request) -> Response:
        return render("login.html", language=visitor_language(request), message="", csrf="")

    async def login(request: Request) -> Response:
        if not same_origin(request):
            return render("error.html", 403, message="Refused: this request came from "
                          "another site.", csrf="")
        form = await _form(request)
        if not guard.token_ok(form.get("token", "")):
            lang = visitor_language(request)
            return render("login.html", 401, lang, csrf="",
                          message=gettext(lang, "That token is not right."))
        response = RedirectResponse("/admin/", 303, headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, guard.new_session(), max_age=guard.hours * 3600,
                            path="/admin", httponly=True, samesite="strict",
                            secure=guard.secure)
        return response

    async def logout(request: Request, nonce: str, form: dict[str, str]) -> Response:
        response = RedirectResponse("/admin/login", 303)
        response.delete_cookie(COOKIE, path="/admin")
        return response

    async def index(request: Request, nonce: str) -> Response:
        now = clock()
        items = backend.notices()
        policies = backend.timelines(now)
        problems = [p for s in policies for p in s.problems]
        troubled = [(n, t) for n, t in items
                    if sum(t.get(s, 0) for s in ("failed", "bounced", "dropped"))]
        return render("index.html", notices=items, problems=problems, troubled=troubled,
                      now=now, csrf=guard.csrf(nonce), done=guard.shown(request))

    async def notice(request: Request, nonce: str) -> Response:
        n, totals = backend.notice(request.path_params["ref"])
        return render("notice.html", notice=n, totals=totals, total=sum(totals.values()),
                      chart=chart_svg(backend.series(n.id)), audit=backend.audit(n.id),
                      csrf=guard.csrf(nonce), done=guard.shown(request),
                      actions=[a for a in ACTIONS if _allowed(n, a)])

    async def timeline(request: Request, nonce: str) -> Response:
        now = clock()
        return render("timeline.html", policies=backend.timelines(now), now=now,
                      csrf=guard.csrf(nonce))

    async def confirm(request: Request, nonce: str) -> Response:
        n, totals = backend.notice(request.path_params["ref"])
        what = request.path_params["action"]
        if what not in ACTIONS:
            return render("error.html", 404, message="No such action.", csrf=guard.csrf(nonce))
        return render("confirm.html", notice=n, action=what, totals=totals,
                      csrf=guard.csrf(nonce))

    async def act(request: Request, nonce: str, form: dict[str, str]) -> Response:
        ref, what = request.path_params["ref"], request.path_params["action"]
        if what not in ACTIONS or form.get("confirm") != "yes":
            return render("error.html", 400, message="Not confirmed: nothing was done.",
                          csrf=guard.csrf(nonce))
        by = form.get("by", "").strip() or "dashboard"
        summary = backend.control(ref, what, clock(), form.get("reason") or None, by)
        return _back(f"/admin/notices/{ref}", summary, guard)

    async def preview_page(request: Request, nonce: str) -> Response:
        ref = request.path_params["ref"]
        subject, text, _ = backend.preview(ref, clock())
        return render("preview.html", ref=ref, subject=subject, text=text,
                      csrf=guard.csrf(nonce), done=guard.shown(request))

    async def preview_html(request: Request, nonce: str) -> Response:
        _, _, html = backend.preview(request.path_params["ref"], clock())
        # The e-mail's own HTML: its inline styles allowed, nothing else.
        headers = {**ADMIN_HEADERS, "Content-Security-Policy":
                   "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                   "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"}
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)

    async def test_send(request: Request, nonce: str, form: dict[str, str]) -> Response:
        ref = request.path_params["ref"]
        addresses = [a for a in form.get("to", "").replace(",", " ").split() if a]
        if form.get("confirm") != "yes":
            return render("error.html", 400, message="Not confirmed: nothing was sent.",
                          csrf=guard.csrf(nonce))
        by = form.get("by", "").strip() or "dashboard"
        summary = backend.test_send(ref, clock(), addresses, by)
        return _back(f"/admin/preview/{ref}", summary, guard)

    async def lookup_page(request: Request, nonce: str) -> Response:
        account = request.query_params.get("account", "").strip()
        ref = request.query_params.get("policy", "").strip() or None
        rows = backend.lookup(account, ref) if account else []
        return render("lookup.html", account=account, policy=ref or "", rows=rows,
                      csrf=guard.csrf(nonce))

    async def lookup_api(request: Request, nonce: str) -> Response:
        account = request.query_params.get("account", "").strip()
        if not account:
            return JSONResponse({"error": "give ?account=ID (and &policy=POLICY[@DATE])"},
                                400, headers={"Cache-Control": "no-store"})
        rows = backend.lookup(account, request.query_params.get("policy") or None)
        told = [r for r in rows if r["state"] in ("sent", "delivered")]
        return JSONResponse({
            "account": account, "notified": bool(told),
            "deliveries": [{k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v)
                            for k, v in r.items()} for r in rows]},
            headers={"Cache-Control": "no-store"})

    async def stylesheet(request: Request) -> Response:
        source, _, _ = env.loader.get_source(env, "admin/admin.css")  # type: ignore[union-attr]
        return Response(source, media_type="text/css",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options":
                                 "nosniff"})

    routes = [
        Route("/", page(index)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", action(logout), methods=["POST"]),
        Route("/admin.css", stylesheet),
        Route("/timeline", page(timeline)),
        Route("/lookup", page(lookup_page)),
        Route("/api/lookup", page(lookup_api)),
        Route("/notices/{ref}", page(notice)),
        Route("/notices/{ref}/{action}", page(confirm), methods=["GET"]),
        Route("/notices/{ref}/{action}", action(act), methods=["POST"]),
        Route("/preview/{ref}", page(preview_page)),
        Route("/preview/{ref}/email.html", page(preview_html)),
        Route("/preview/{ref}/test", action(test_send), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _back(path: str, summary: str, guard: Guard) -> Response:
    """After a POST: back to the page (303, so a reload does not post again), with what
    was done to show, signed: a link made elsewhere cannot put its own words on the
    dashboard."""
    return RedirectResponse(f"{quote(path, safe='/@')}?done={quote(summary)}"
                            f"&s={guard.mark(summary)}", 303)


def _allowed(n: Notice, action: str) -> bool:
    state = n.state.value
    return {"pause": state in ("scheduled", "sending"), "resume": state == "paused",
            "cancel": state in ("scheduled", "sending", "paused")}[action]


def visitor_language(request: Request) -> str:
    """The language of the sign-in page, the dashboard's one public page: the best of
    the shipped catalogs for the browser's Accept-Language (the signed-in pages are
    the legal team's, in English)."""
    wanted = parse_accept_language(request.headers.get("accept-language", ""))
    return negotiate(wanted, available_languages(), "en")


def admin_off() -> Starlette:
    """/admin/ when no token is configured: a plain 404 that says how to turn it on."""
    async def off(request: Request) -> Response:
        return Response("The dashboard is off: set POLICYBOOK_ADMIN_TOKEN (at least 16 "
                        "random characters) in the environment of 'policybook run'.\n",
                        status_code=404, media_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": "no-store"})
    return Starlette(routes=[Route("/{rest:path}", off)])
