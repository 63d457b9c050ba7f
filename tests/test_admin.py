"""The dashboard for legal (/admin/) in chromium: the refusal without credentials, the
sign-in, the pages (notices, progress chart, timeline, lookup), a forged cross-site POST
refused, and a pause performed through its confirmation step. Screenshots go to
test-artifacts/ (or $POLICYBOOK_ARTIFACTS)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from policybook.config import load_config
from policybook.site.admin import Guard, chart_svg
from policybook.store import NoticeState, Store, get_notice
from policybook.store.notices import audit_entries
from policybook.wiring import Wiring
from tests.conftest import ARTIFACTS
from tests.helpers import GitRepo, policy, run_cli
from tests.support.asgi import serve
from tests.support.smtp_server import free_port

pytestmark = pytest.mark.browser
UTC = dt.UTC
TOKEN = "a-long-random-admin-token-for-tests"
V1 = policy("privacy-policy", "2026-01-01", "## 1. Retention {#retention}\n\nWe keep support "
            "tickets for one year.\n\n## 2. Contact\n\nWrite to us.\n", title="Harbor Privacy")
V2 = policy("privacy-policy", "2027-02-01", "## 1. Retention {#retention}\n\nWe keep support "
            "tickets for three years.\n\n## 2. Contact\n\nWrite to us.\n", title="Harbor Privacy",
            summary="We will keep support tickets for three years instead of one.")
AFTER_DUE = dt.datetime(2027, 1, 2, 0, 5, tzinfo=UTC)
NOW = AFTER_DUE + dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitRepo, str]]:
    tmp = tmp_path_factory.mktemp("admin")
    repo = GitRepo.create(tmp / "policies")
    repo.commit("v1", {"content/privacy-policy.md": V1},
                when=dt.datetime(2025, 12, 1, tzinfo=UTC))
    repo.commit("v2", {"content/privacy-policy.md": V2},
                when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    db = f"sqlite:///{tmp / 'pb.db'}"
    env = {"POLICYBOOK_DATABASE_URL": db, "POLICYBOOK_OUTBOX": str(tmp / "outbox")}
    (tmp / "accounts.csv").write_text("id,email,name,locale\n" + "".join(
        f"a{i},user{i}@example.net,User {i},en\n" for i in range(30)), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        for args in (["accounts", "import", str(tmp / "accounts.csv")],
                     ["run", "--once", "--now", AFTER_DUE.isoformat()]):
            result = run_cli(["-C", str(repo.path), *args])
            assert result.code == 0, result.err
    yield repo, db


@pytest.fixture(scope="module")
def site(setup: tuple[GitRepo, str]) -> Iterator[str]:
    repo, db = setup
    config = load_config(repo.path, env={"POLICYBOOK_DATABASE_URL": db,
                                         "POLICYBOOK_ADMIN_TOKEN": TOKEN})
    with Wiring.open(config, NOW) as wiring, serve(wiring.site_app(lambda: NOW)) as url:
        yield url


def notice_state(setup: tuple[GitRepo, str]) -> NoticeState:
    with Store.open(setup[1], NOW) as store, store.read() as conn:
        return get_notice(conn, 1).state


def sign_in(page: Any, url: str) -> None:
    page.goto(url + "/admin/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/admin/")


def test_without_credentials_the_dashboard_refuses(site: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    answer = page.goto(site + "/admin/")
    assert answer.status == 401
    assert page.locator("h1").inner_text() == "Sign in"
    assert "Notice 1" not in page.content() and "privacy-policy@" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "admin-refused.png"), full_page=True)
    for path in ("/admin/notices/1", "/admin/timeline", "/admin/preview/1"):
        assert page.goto(site + path).status == 401, path
    api = context.request.get(site + "/admin/api/lookup?account=a1")
    assert api.status == 401 and "Bearer" in api.headers["www-authenticate"]
    wrong = context.request.get(site + "/admin/api/lookup?account=a1",
                                headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status == 401
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert "That token is not right." in page.content()
    assert not [c for c in context.cookies() if c["name"] == "pb_admin"]
    context.close()


def test_the_pages_a_forged_post_and_a_confirmed_pause(
        site: str, browser: Any, setup: tuple[GitRepo, str]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, site)
    cookie = next(c for c in context.cookies() if c["name"] == "pb_admin")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "privacy-policy@2027-02-01" in rows.first.inner_text()
    assert "30 of 30" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin-notices.png"), full_page=True)

    page.click("text=privacy-policy@2027-02-01")
    page.wait_for_url(site + "/admin/notices/1")
    assert page.locator("svg polyline.series-sent").count() == 1
    assert "sent (30)" in (page.locator("figure.chart svg").text_content() or "")
    assert "notice.created" in page.locator("table").inner_text()
    csp = page.goto(site + "/admin/notices/1").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    page.screenshot(path=str(ARTIFACTS / "admin-notice.png"), full_page=True)

    page.goto(site + "/admin/timeline")
    text = page.locator("main").inner_text()
    assert "privacy-policy" in text and "MATERIAL" in text and "(in force)" in text
    page.screenshot(path=str(ARTIFACTS / "admin-timeline.png"), full_page=True)

    page.goto(site + "/admin/preview/privacy-policy@2027-02-01")
    assert "three years instead of one" in page.locator("pre.letter").inner_text()
    html = page.goto(site + "/admin/preview/privacy-policy@2027-02-01/email.html")
    assert html.status == 200 and "script-src" not in html.headers["content-security-policy"]
    assert "three years instead of one" in page.content()
    # A test send from the dashboard: to the address given only, recorded apart.
    page.goto(site + "/admin/preview/privacy-policy@2027-02-01")
    page.fill("#to", "legal-review@example.org")
    page.fill("#by", "Dana Legal")
    page.check("input[name=confirm]")
    page.click("text=Send the test")
    page.wait_for_url(site + "/admin/preview/privacy-policy@2027-02-01?done=*")
    assert "sent to legal-review@example.org" in page.locator(".done").inner_text()

    # A page on another origin (same host, another port) posts to the dashboard while
    # the browser holds a session: refused, and nothing happens.
    attacker = _attacker_page(site + "/admin/notices/1/pause")
    with attacker as other:
        page.goto(other)
        page.click("button")
        page.wait_for_load_state()
        assert "Refused: this request came from another site." in page.content()
    # Same origin, without the session's CSRF token: refused too.
    forged = context.request.post(site + "/admin/notices/1/pause", headers={"Origin": site},
                                  form={"confirm": "yes", "by": "x", "csrf": "0" * 64})
    assert forged.status == 403 and "security token" in forged.text()
    assert notice_state(setup) is NoticeState.SENDING

    # The pause, through its confirmation step.
    page.goto(site + "/admin/notices/1")
    page.click("text=Pause…")
    page.wait_for_url(site + "/admin/notices/1/pause")
    assert "Pause notice 1" in page.locator("h1").inner_text()
    assert notice_state(setup) is NoticeState.SENDING  # the confirmation page does nothing
    page.screenshot(path=str(ARTIFACTS / "admin-confirm.png"), full_page=True)
    page.fill("#by", "Dana Legal")
    page.fill("#reason", "summary under review")
    page.click("text=Yes, pause notice 1")
    page.wait_for_url(site + "/admin/notices/1?done=*")
    assert "paused: nothing is sent until it is resumed" in page.locator(".done").inner_text()
    assert "Paused by Dana Legal: summary under review" in page.content()
    assert page.locator("text=Resume…").count() == 1
    page.goto(site + "/admin/notices/1?done=Your+session+expired,+sign+in+at+evil.example")
    assert "evil.example" not in page.content()  # only messages the dashboard signed
    page.screenshot(path=str(ARTIFACTS / "admin-paused.png"), full_page=True)
    assert notice_state(setup) is NoticeState.PAUSED
    with Store.open(setup[1], NOW) as store, store.read() as conn:
        paused = [e for e in audit_entries(conn, "notice:1") if e.kind == "notice.paused"]
    assert [(e.details["by"], e.at) for e in paused] == [("Dana Legal", NOW)]

    # The lookup: a page, and JSON for a script with the token.
    page.goto(site + "/admin/lookup?account=a3&policy=privacy-policy@2027-02-01")
    assert "user3@example.net" in page.locator("table").inner_text()
    answer = context.request.get(site + "/admin/api/lookup?account=a3",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    data = json.loads(answer.text())
    assert answer.status == 200 and data["notified"] is True
    assert [(d["policy"], d["effective"], d["state"]) for d in data["deliveries"]] == [
        ("privacy-policy", "2027-02-01", "sent")]
    # (the one error: the forged request's 403; no CSP violation, no failed load)
    assert [e for e in errors if "403" not in e] == []
    context.close()


class _attacker_page:
    """A page on another port whose form posts to `target` (what a forged request is)."""

    def __init__(self, target: str) -> None:
        body = (f'<!doctype html><form method="post" action="{target}">'
                '<input type="hidden" name="confirm" value="yes">'
                '<input type="hidden" name="csrf" value="guess">'
                '<button type="submit">Win a prize</button></form>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_off_without_a_token_and_never_in_the_static_build(
        setup: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, db = setup
    config = load_config(repo.path, env={"POLICYBOOK_DATABASE_URL": db})
    with Wiring.open(config, NOW) as wiring:
        with serve(wiring.site_app(lambda: NOW)) as url, \
                pytest.raises(urllib.error.HTTPError) as off:
            urllib.request.urlopen(url + "/admin/")
        assert off.value.code == 404
        assert "POLICYBOOK_ADMIN_TOKEN" in off.value.read().decode()
        wiring.build(tmp_path / "out", NOW)
    built = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")]
    assert built and not [p for p in built if "admin" in p]


def test_sessions_and_the_chart() -> None:
    guard = Guard(TOKEN, hours=1)
    cookie = guard.new_session(now=1_000_000)
    nonce = guard.session(cookie, now=1_000_100)
    assert nonce is not None and guard.csrf(nonce) != guard.csrf("other")
    assert guard.session(cookie, now=1_000_000 + 3601) is None  # expired
    assert Guard("another-token-of-sixteen", hours=1).session(cookie, now=1_000_100) is None
    assert guard.session(cookie.replace(cookie.split(".")[0], "9999999999"), now=1) is None
    assert guard.token_ok(TOKEN) and not guard.token_ok(TOKEN[:-1])
    start = dt.datetime(2027, 1, 2, tzinfo=UTC)
    svg = chart_svg([(start, "sent"), (start + dt.timedelta(minutes=1), "sent"),
                     (start + dt.timedelta(minutes=5), "delivered"),
                     (start + dt.timedelta(minutes=6), "bounced")])
    assert svg.count("<polyline") == 3 and "sent (2)" in svg and "dropped (0)" in svg
    assert "style=" not in svg and "<script" not in svg
    assert "No e-mail sent yet" in chart_svg([])


def test_the_sign_in_page_speaks_the_visitors_language(site: str) -> None:
    """The dashboard's one public page follows Accept-Language (the shipped catalogs)."""
    def get(language: str) -> tuple[int, str]:
        request = urllib.request.Request(site + "/admin/", headers={"Accept-Language": language})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    status, french = get("fr-CA,fr;q=0.9,en;q=0.5")
    assert status == 401 and '<html lang="fr">' in french
    assert "<h1>Se connecter</h1>" in french and "Jeton d’administration" in french
    assert "Connectez-vous pour voir le tableau de bord." in french
    _, german = get("de")
    assert "<h1>Anmelden</h1>" in german
    _, other = get("ja, ko;q=0.5")  # no catalog: English
    assert '<html lang="en">' in other and "<h1>Sign in</h1>" in other
