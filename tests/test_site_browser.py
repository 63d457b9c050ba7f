"""The site in a real browser (Debian's chromium through Playwright).

One browser for the whole module; servers run in threads on 127.0.0.1. Screenshots are
kept as test artifacts in test-artifacts/ (or $POLICYBOOK_ARTIFACTS).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from policybook.config import Config
from policybook.site.app import create_app
from policybook.workflows.state import StateBuilder
from tests.conftest import ARTIFACTS  # the session's one `browser` fixture is there too
from tests.helpers import GitRepo
from tests.sitedata import PRIVACY, TERMS, make_site_repo, privacy_v2
from tests.sitehelpers import MovableClock, free_port, serve

pytestmark = pytest.mark.browser
REPO_ROOT = Path(__file__).resolve().parent.parent

# Every element that shows text must reach 4.5:1 against what is behind it (WCAG AA).
CONTRAST_JS = """() => {
  const parse = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const bg = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('.visually-hidden, .skip-link') || !el.getClientRects().length) {
      continue;
    }
    const [hi, lo] = [lum(parse(getComputedStyle(el).color)), lum(bg(el))].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) {
      bad.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} ${el.textContent.trim()}`);
    }
  }
  return bad;
}"""

HEADINGS_JS = """() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
  .filter(h => !h.closest('[hidden]')).map(h => Number(h.tagName[1]))"""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return make_site_repo(tmp_path_factory.mktemp("browser") / "policies")


@pytest.fixture(scope="module")
def live(repo: GitRepo) -> Iterator[tuple[str, MovableClock]]:
    """The live site with a clock the tests move."""
    clock = MovableClock(dt.datetime(2026, 12, 20, 12, tzinfo=dt.UTC))
    port = free_port()
    config = Config(root=repo.path, base_url=f"http://127.0.0.1:{port}")
    with serve(create_app(config, StateBuilder(config), clock=clock), port) as base:
        yield base, clock


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_until(page: Any, expression: str, seconds: float = 5) -> None:
    """Poll from outside the page: the site's Content-Security-Policy forbids the in-page
    eval that Playwright's wait_for_function uses, and it should."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"never true: {expression}")
        time.sleep(0.05)


def shot(page: Any, name: str, full: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def check_accessible(page: Any) -> None:
    levels = page.evaluate(HEADINGS_JS)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    for a, b in itertools.pairwise(levels):
        assert b <= a + 1, f"heading level skips from h{a} to h{b}: {levels}"
    assert page.locator("main#main").count() == 1
    assert page.locator("header.site-header").count() == 1
    assert page.evaluate(CONTRAST_JS) == []


def test_static_build_before_and_after_the_effective_date(repo: GitRepo, tmp_path: Path, cli,
                                                          page: Any) -> None:
    for now, expect_new in (("2027-01-14T23:59:59Z", False), ("2027-01-15T00:00:00Z", True)):
        out = tmp_path / f"site-{expect_new}"
        result = cli(["build", "--out", str(out), "--now", now], cwd=repo.path)
        assert result.code == 0, result.err
        with static_server(out) as base:
            page.goto(base + "/privacy-policy/")
            body = page.locator("main").inner_text()
            assert ("Acme Analytics" in body) is expect_new
            banner = page.locator(".notice[role=region]").inner_text()
            if expect_new:
                assert "This policy was updated on 15 January 2027." in banner
            else:
                assert "We are updating this policy on 15 January 2027." in banner
            shot(page, f"static-privacy-policy-{'after' if expect_new else 'before'}")
            page.goto(base + "/privacy-policy/compare/")
            assert "needs the live site" in page.locator("main").inner_text()


def test_live_switch_and_banner_follow_the_clock(live: tuple[str, MovableClock],
                                                 page: Any) -> None:
    base, clock = live
    clock.set("2026-12-01T00:00:00+00:00")  # before the notice period
    page.goto(base + "/privacy-policy/")
    assert page.locator(".notice[role=region]").count() == 0
    assert "Acme Analytics" not in page.locator("main").inner_text()
    clock.set("2026-12-20T12:00:00+00:00")  # in the notice period
    page.reload()
    banner = page.locator(".notice[role=region]")
    assert "We are updating this policy on 15 January 2027." in banner.inner_text()
    check_accessible(page)
    shot(page, "live-privacy-policy-notice-period")
    banner.get_by_role("link", name="See what changes").click()
    page.wait_for_url("**/privacy-policy/changes/2027-01-15/")
    assert page.locator("h2#verdict-title").inner_text() == "Material change"
    clock.set("2027-01-15T00:00:00+00:00")  # the effective moment: no restart
    page.goto(base + "/privacy-policy/")
    assert "Acme Analytics" in page.locator("main").inner_text()
    assert "This policy was updated on 15 January 2027." in \
        page.locator(".notice[role=region]").inner_text()
    shot(page, "live-privacy-policy-switched")
    clock.set("2027-03-01T00:00:00+00:00")  # after "recently updated"
    page.reload()
    assert page.locator(".notice[role=region]").count() == 0


def test_archive_and_redline(live: tuple[str, MovableClock], page: Any) -> None:
    base, clock = live
    clock.set("2026-12-20T12:00:00+00:00")
    page.goto(base + "/privacy-policy/versions/")
    rows = page.locator(".version-row")
    assert rows.count() == 2
    assert "UPCOMING" in rows.nth(0).inner_text().upper()
    assert "MATERIAL CHANGE" in rows.nth(0).inner_text().upper()
    assert "IN FORCE" in rows.nth(1).inner_text().upper()
    check_accessible(page)
    shot(page, "live-archive")
    rows.nth(0).get_by_role("link", name="What changed").click()
    page.wait_for_url("**/changes/2027-01-15/")
    ins = page.locator("ins", has_text="Acme Analytics").first
    assert ins.is_visible()
    style = ins.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "underline" in style  # not colour alone
    assert page.locator("del", has_text="does not sell").first.is_visible()
    check_accessible(page)
    page.locator("#unaffiliated-third-parties").scroll_into_view_if_needed()
    shot(page, "live-redline")
    page.goto(base + "/privacy-policy/versions/2013-11-28/")
    assert page.locator(".callout[role=note]").count() == 1
    check_accessible(page)


def test_keyboard_reaches_a_section_through_the_table_of_contents(
        live: tuple[str, MovableClock], page: Any) -> None:
    base, clock = live
    clock.set("2026-11-01T00:00:00+00:00")
    page.goto(base + "/privacy-policy/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    shot(page, "keyboard-skip-link")
    target = page.locator(".toc a[href='#cookies']")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "#cookies":
            break
    else:
        pytest.fail("Tab never reached the table of contents link to #cookies")
    outline = target.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # focus is visible
    shot(page, "keyboard-toc-focus")
    page.keyboard.press("Enter")
    wait_until(page, "location.hash === '#cookies'")
    wait_until(page, "Math.abs(document.getElementById('cookies').getBoundingClientRect().top)"
               " < 40")
    # The next Tab continues from the section: its own anchor link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#cookies"
    assert page.evaluate("document.activeElement.closest('section').getAttribute("
                         "'aria-labelledby')") == "cookies"
    shot(page, "keyboard-toc-landed")


def test_embeddable_banner_on_another_origin(tmp_path: Path, browser: Any, page: Any) -> None:
    # The version in force (its title is the one announced) has markup in its title.
    evil = PRIVACY.replace("title: RingCentral Service Privacy Policy",
                           'title: "Privacy <img src=x onerror=window.pwned=1>"')
    repo = GitRepo.create(tmp_path / "p")
    repo.commit("A title with markup", {"content/privacy-policy.md": evil,
                                        "content/terms-of-service.md": TERMS},
                when=dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC))
    repo.commit("Privacy: analytics provider", {"content/privacy-policy.md": privacy_v2()},
                when=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    clock = MovableClock(dt.datetime(2026, 12, 20, 12, tzinfo=dt.UTC))
    port = free_port()
    config = Config(root=repo.path, base_url=f"http://127.0.0.1:{port}")
    company = tmp_path / "company"
    company.mkdir()
    with serve(create_app(config, StateBuilder(config), clock=clock), port) as policies:
        (company / "index.html").write_text(
            "<!doctype html><html lang=en><head><title>Example Voice</title></head><body>"
            "<h1>Example Voice: cheap calls</h1><p>Our home page.</p>"
            f'<script src="{policies}/notice.js" defer></script></body></html>',
            encoding="utf-8")
        with static_server(company) as other_origin:
            assert other_origin != policies
            page.goto(other_origin + "/")
            banner = page.locator(".policybook-notice")
            banner.wait_for()
            text = banner.inner_text()
            assert "We are updating our Privacy <img src=x onerror=window.pwned=1> on " \
                   "15 January 2027." in text  # shown as text, never parsed
            assert page.evaluate("window.pwned") is None
            assert banner.locator("img").count() == 0
            link = banner.get_by_role("link", name="See what changes")
            assert link.get_attribute("href") == \
                f"{policies}/privacy-policy/changes/2027-01-15/"
            shot(page, "embedded-banner")
            banner.get_by_role("button").click()
            assert page.locator(".policybook-notice").count() == 0
            with page.expect_response("**/notice.json"):
                page.reload()  # dismissed for this visit
            page.wait_for_load_state("networkidle")
            assert page.locator(".policybook-notice").count() == 0
            clock.set("2027-03-01T00:00:00+00:00")  # nothing to announce: no banner
            fresh = browser.new_context()  # notice.json may be cached for a minute
            other = fresh.new_page()
            with other.expect_response("**/notice.json") as response:
                other.goto(other_origin + "/")
            assert response.value.json() == {"notices": []}
            other.wait_for_load_state("networkidle")
            assert other.locator(".policybook-notice").count() == 0
            fresh.close()


def test_pages_read_well_on_a_phone_and_in_print(live: tuple[str, MovableClock],
                                                 browser: Any) -> None:
    base, clock = live
    clock.set("2026-12-20T12:00:00+00:00")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    for path, name in (("/", "index"), ("/privacy-policy/", "policy"),
                       ("/privacy-policy/changes/2027-01-15/", "changes")):
        pg.goto(base + path)
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone"
        check_accessible(pg)
        shot(pg, f"mobile-{name}")
    pg.emulate_media(media="print")
    pg.goto(base + "/privacy-policy/")
    assert pg.locator(".site-nav").is_hidden() and pg.locator(".print-only").first.is_visible()
    shot(pg, "print-policy")
    context.close()


@pytest.mark.parametrize("path", [
    "/", "/privacy-policy/", "/privacy-policy/upcoming/", "/privacy-policy/versions/",
    "/privacy-policy/versions/2013-11-28/", "/privacy-policy/changes/2013-11-28/",
    "/terms-of-service/changes/2026-06-01/", "/privacy-policy/compare/",
    "/privacy-policy/compare/?from=2013-11-28&to=2027-01-15", "/no-such-policy/",
    "/privacy-policy/compare/?from=someday&to=2027-01-15",
])
def test_every_page_is_accessible(live: tuple[str, MovableClock], page: Any, path: str) -> None:
    base, clock = live
    clock.set("2026-12-20T12:00:00+00:00")
    page.goto(base + path)
    check_accessible(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title()
    # The skip link is the first stop and takes keyboard users to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
