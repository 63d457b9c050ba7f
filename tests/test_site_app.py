"""The live site: every route's status codes, bad input, traversal, caching, the switch."""

from __future__ import annotations

import datetime as dt
import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from policybook.config import Config
from policybook.site.app import create_app
from policybook.store import NoticeSpec, Store, create_notice
from policybook.wiring import Wiring
from policybook.workflows.state import StateBuilder
from tests.helpers import GitRepo
from tests.sitedata import V2_DATE, make_site_repo, privacy_v2
from tests.sitehelpers import MovableClock, raw_get, serve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
IN_NOTICE = "2026-12-20T12:00:00+00:00"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return make_site_repo(tmp_path_factory.mktemp("site") / "policies")


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(dt.datetime.fromisoformat(IN_NOTICE))


@pytest.fixture
def client(repo: GitRepo, clock: MovableClock) -> TestClient:
    config = Config(root=repo.path, base_url="https://policies.example.com")
    return TestClient(create_app(config, StateBuilder(config), clock=clock))


ROUTES = [
    ("/", 200), ("/privacy-policy/", 200), ("/privacy-policy/upcoming/", 200),
    ("/privacy-policy/versions/", 200), ("/privacy-policy/versions/2013-11-28/", 200),
    ("/privacy-policy/versions/2027-01-15/", 200), ("/privacy-policy/changes/2027-01-15/", 200),
    ("/privacy-policy/changes/2013-11-28/", 200), ("/privacy-policy/compare/", 200),
    ("/privacy-policy/compare/?from=2013-11-28&to=2027-01-15", 200),
    ("/terms-of-service/upcoming/", 404),  # no upcoming version: a helpful 404
    ("/feed.xml", 200), ("/notice.json", 200), ("/notice.js", 200), ("/assets/site.css", 200),
    ("/api/policies/privacy-policy", 200),
    # unknown things
    ("/nope/", 404), ("/nope/versions/", 404), ("/privacy-policy/versions/2020-01-01/", 404),
    ("/privacy-policy/changes/2020-01-01/", 404), ("/privacy-policy/versions/yesterday/", 404),
    ("/privacy-policy/versions/2027-02-30/", 404), ("/assets/nothing.css", 404),
    ("/assets/..%2f..%2fpyproject.toml", 404), ("/privacy-policy/draft/", 404),
    ("/privacy-policy/whatever/", 404), ("/api/policies/nope", 404),
    # bad query values
    ("/privacy-policy/compare/?from=2013-11-28", 400),
    ("/privacy-policy/compare/?from=yesterday&to=2027-01-15", 400),
    ("/privacy-policy/compare/?from=2013-11-28&to=2099-01-01", 400),
    ("/privacy-policy/compare/?from=2013-11-28&to=2013-11-28", 400),
    ("/api/policies/privacy-policy?at=soon", 400),
]


@pytest.mark.parametrize(("path", "status"), ROUTES)
def test_route_status(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text[:500]
    if r.headers["content-type"].startswith("text/html"):
        assert "<h1>" in r.text or "<h1 " in r.text
        assert "Content-Security-Policy" in r.headers


def test_error_pages_say_what_is_wrong(client: TestClient) -> None:
    r = client.get("/nope/")
    assert "There is no policy called “nope” on this site." in r.text
    r = client.get("/privacy-policy/compare/?from=yesterday&to=2027-01-15")
    assert "“from=yesterday” is not a date; write it as YYYY-MM-DD" in r.text
    assert "2013-11-28, 2027-01-15" in r.text  # the versions there are
    r = client.get("/api/policies/privacy-policy?at=soon")
    assert r.json() == {"error": "at='soon' is not an ISO 8601 date or time; write for "
                                 "example 2027-01-15 or 2027-01-15T09:30:00+01:00"}


def test_a_missing_slash_redirects(client: TestClient) -> None:
    r = client.get("/privacy-policy", follow_redirects=False)
    assert r.status_code in (307, 308) and r.headers["location"].endswith("/privacy-policy/")


def test_policy_page_in_the_notice_period(client: TestClient) -> None:
    html = client.get("/privacy-policy/").text
    assert "We are updating this policy on 15 January 2027." in html
    assert 'href="/privacy-policy/changes/2027-01-15/">See what changes</a>' in html
    assert 'href="/privacy-policy/upcoming/">Read the new version</a>' in html
    # the label's colon comes from the catalog (French puts a no-break space before it)
    assert "<dt>Effective:</dt><dd>28 November 2013</dd>" in html
    assert "<dt>Last updated:</dt><dd>28 November 2013</dd>" in html
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html
    assert "Acme Analytics" not in html  # the upcoming text is not the text in force


def test_the_page_switches_at_the_effective_moment(client: TestClient,
                                                   clock: MovableClock) -> None:
    clock.set("2027-01-14T23:59:59+00:00")
    assert "Acme Analytics" not in client.get("/privacy-policy/").text
    clock.set("2027-01-15T00:00:00+00:00")
    html = client.get("/privacy-policy/").text
    assert "Acme Analytics" in html
    assert "This policy was updated on 15 January 2027." in html
    assert client.get("/privacy-policy/upcoming/").status_code == 404
    clock.set("2027-03-01T00:00:00+00:00")
    html = client.get("/privacy-policy/").text
    assert "Acme Analytics" in html and "was updated on" not in html


def test_versions_are_marked_not_in_force(client: TestClient) -> None:
    upcoming = client.get("/privacy-policy/versions/2027-01-15/").text
    assert "This version is not in force yet." in upcoming
    assert "We now share usage data with our analytics provider" in upcoming  # its summary
    assert '<meta name="robots" content="noindex">' in upcoming


def test_archive_lists_versions_with_verdicts(client: TestClient, clock: MovableClock) -> None:
    clock.set("2027-02-01T00:00:00+00:00")
    html = client.get("/privacy-policy/versions/").text
    assert html.index("15 January 2027") < html.index("28 November 2013")
    assert "badge-material" in html and "badge-first" in html and "badge-past" in html
    past = client.get("/privacy-policy/versions/2013-11-28/").text
    assert "This version is no longer in force." in past
    assert "It applied from 28 November 2013 until 15 January 2027." in past
    terms = client.get("/terms-of-service/versions/").text
    assert "badge-editorial" in terms


def test_changes_page_has_the_redline_and_reasons(client: TestClient) -> None:
    html = client.get("/privacy-policy/changes/2027-01-15/").text
    assert "<h2 id=\"verdict-title\">Material change</h2>" in html
    reasons = html[html.index('<section class="rl-reasons"'):html.index('id="changes-title"')]
    # Public facts only: the reasons in words, no rule ids or Markdown line numbers.
    assert "rl-rule" not in reasons and "negation-flip" not in reasons
    assert ", line " not in reasons and reasons.count('<span class="rl-why">') >= 2
    # Each reads as in the e-mails (`Reason.plain`): the section, what changed, the words.
    assert '<span class="rl-why">3. Disclosure of Personally Identifiable Information › ' \
        "Analytics Providers: " in reasons
    assert '<del class="rl-del">does not sell </del><ins class="rl-ins">may share usage data ' \
        "about how you use" in html
    assert '<a href="#change-analytics-providers-added">3. Disclosure of Personally ' \
        "Identifiable Information › Analytics Providers</a>" in html
    assert "Front matter" not in html  # the editor's business, not the reader's
    editorial = client.get("/terms-of-service/changes/2026-06-01/").text
    assert '<h2 id="verdict-title">Editorial change</h2>' in editorial
    assert "Decided by the editor's override: names the practice the rule already " \
        "forbade (the rules found it editorial)." in editorial


def test_compare_orders_the_versions(client: TestClient) -> None:
    one = client.get("/privacy-policy/compare/?from=2027-01-15&to=2013-11-28").text
    other = client.get("/privacy-policy/compare/?from=2013-11-28&to=2027-01-15").text
    assert one == other and '<ins class="rl-ins">may share usage data' in one


def test_feed_is_atom_with_material_flagged(client: TestClient) -> None:
    r = client.get("/feed.xml")
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    first = entries[0]  # the newest commit: the material privacy version
    assert first.find(f"{ATOM}id").text == \
        "https://policies.example.com/privacy-policy/versions/2027-01-15/"  # type: ignore[union-attr]
    assert first.find(f"{ATOM}category").get("term") == "material"  # type: ignore[union-attr]
    assert "material change" in first.find(f"{ATOM}title").text  # type: ignore[operator,union-attr]
    for e in entries:
        dt.datetime.fromisoformat(e.find(f"{ATOM}updated").text)  # type: ignore[arg-type,union-attr]
        assert e.find(f"{ATOM}link").get("href").startswith("https://")  # type: ignore[union-attr]


def test_notice_json_is_public_and_absolute(client: TestClient, clock: MovableClock) -> None:
    r = client.get("/notice.json")
    assert r.headers["access-control-allow-origin"] == "*"
    data = r.json()
    assert data["notices"] == [{
        "policy": "privacy-policy", "title": "RingCentral Service Privacy Policy",
        "kind": "upcoming", "date": "2027-01-15",
        "message": "We are updating our RingCentral Service Privacy Policy on 15 January 2027.",
        "link_text": "See what changes", "label": "Policy update", "dismiss": "Dismiss",
        "lang": "en", "dir": "ltr",
        "dismiss_label": "Dismiss this notice about the RingCentral Service Privacy Policy",
        "url": "https://policies.example.com/privacy-policy/upcoming/",
        "changes_url": "https://policies.example.com/privacy-policy/changes/2027-01-15/"}]
    clock.set("2026-11-01T00:00:00+00:00")
    assert client.get("/notice.json").json() == {"notices": []}


def test_api_gives_the_version_in_force_at_a_moment(client: TestClient) -> None:
    url = "/api/policies/privacy-policy"
    before = client.get(url, params={"at": "2027-01-14T23:00:00-08:00"}).json()
    assert before["effective"] == "2027-01-15"  # 23:00 in Los Angeles is 07:00 UTC
    early = client.get(url, params={"at": "2027-01-14T23:00:00+00:00"}).json()
    # an unencoded "+" arrives as a space: still understood
    assert client.get(url + "?at=2027-01-14T23:00:00+00:00").json() == early
    assert early["effective"] == "2013-11-28"
    # Public facts only (issue 9): no commit hash, author or message unless configured.
    assert "commit" not in early and "Legal Editor" not in json.dumps(early)
    assert early["text"].startswith("---\npolicy: privacy-policy")
    assert '<h2 id="disclosure">' in early["html"]
    none = client.get("/api/policies/privacy-policy?at=2000-01-01")
    assert none.status_code == 404 and "No version" in none.json()["error"]


def test_internals_are_shown_only_when_configured(repo: GitRepo, clock: MovableClock) -> None:
    config = Config(root=repo.path, site_show_internals=True)
    client = TestClient(create_app(config, StateBuilder(config), clock=clock))
    data = client.get("/api/policies/privacy-policy").json()
    assert len(data["commit"]["sha"]) == 40 and data["commit"]["author"]
    changes = client.get("/privacy-policy/changes/2027-01-15/").text
    assert '<span class="rl-rule">negation-flip</span>' in changes
    assert "Legal Editor" in client.get("/feed.xml").text
    assert "Legal Editor" in client.get("/privacy-policy/versions/").text
    # A date without an offset is midnight in the configured zone, as for --now.
    assert client.get("/api/policies/privacy-policy?at=2027-01-15").json()["effective"] \
        == "2027-01-15"


def test_public_pages_carry_no_internal_data(client: TestClient, repo: GitRepo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    for path in ("/", "/privacy-policy/", "/privacy-policy/versions/", "/feed.xml",
                 "/privacy-policy/versions/2027-01-15/", "/privacy-policy/changes/2027-01-15/",
                 "/privacy-policy/upcoming/", "/api/policies/privacy-policy", "/notice.json"):
        body = client.get(path).text
        assert "Legal Editor" not in body and head[:10] not in body, path
        assert "rl-rule" not in body, path


def test_etag_revalidation(client: TestClient) -> None:
    r = client.get("/privacy-policy/")
    again = client.get("/privacy-policy/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


TRAVERSALS = [
    "/../pyproject.toml", "/%2e%2e/pyproject.toml", "/%2e%2e%2fpyproject.toml",
    "/assets/../../pyproject.toml", "/assets/%2e%2e/%2e%2e/pyproject.toml",
    "/assets/..%5c..%5cpyproject.toml", "/assets/..\\..\\pyproject.toml",
    "/assets/%2fetc%2fpasswd", "//etc/passwd", "/privacy-policy/versions/..%2f..%2f/",
    "/..%2f..%2f..%2fetc%2fpasswd/", "/%2e%2e/%2e%2e/etc/passwd",
    "/api/policies/..%2f..%2fetc%2fpasswd", "/notice.js/..%2f..%2fpyproject.toml",
    "/assets/%252e%252e%252fpyproject.toml", "/C:%5cWindows%5cwin.ini",
]


def test_no_path_traversal(repo: GitRepo, clock: MovableClock) -> None:
    secret = (repo.path / "content" / "privacy-policy.md").read_bytes()[:60]
    config = Config(root=repo.path)
    with serve(create_app(config, StateBuilder(config), clock=clock)) as base:
        for target in TRAVERSALS:
            status, headers, body = raw_get(base, target)
            if status in (307, 308):  # a slash added: still on this site, and still nothing
                moved = urljoin(base + target, headers["location"])
                assert moved.startswith(base + "/"), target
                status, headers, body = raw_get(base, moved[len(base):])
            assert status in (400, 404), (target, status)
            assert b"[build-system]" not in body and b"root:" not in body
            assert secret not in body, target


def test_new_commits_show_without_a_restart(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "p")
    repo.commit("v1", {"content/p.md": "---\npolicy: p\ntitle: P\neffective: 2026-01-01\n---\n"
                                       "## A\n\nThe frist text.\n"})
    config = Config(root=repo.path)
    clock = MovableClock(dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    client = TestClient(create_app(config, StateBuilder(config), clock=clock,
                                   refresh_seconds=0))
    assert "The frist text." in client.get("/p/").text
    repo.commit("fix", {"content/p.md": "---\npolicy: p\ntitle: P\neffective: 2026-01-01\n---\n"
                                        "## A\n\nThe first text.\n"})
    html = client.get("/p/").text  # an editorial fix after effect is published at once
    assert "The first text." in html
    # A material edit after effect is held back: the text that took effect stays.
    repo.commit("more", {"content/p.md": "---\npolicy: p\ntitle: P\neffective: 2026-01-01\n"
                                         "---\n## A\n\nThe first text. We may sell your data.\n"})
    html = client.get("/p/").text
    assert "The first text." in html and "sell your data" not in html


def test_a_late_notice_postpones_the_switch(repo: GitRepo, clock: MovableClock,
                                            tmp_path: Path) -> None:
    config = Config(root=repo.path, database_url=f"sqlite:///{tmp_path / 'pb.db'}")
    store = Store.open(config.db_url, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    client = TestClient(create_app(config, StateBuilder(config, store), clock=clock,
                                   refresh_seconds=0))
    clock.set("2027-01-20T00:00:00+00:00")  # effective date passed, 30 days not yet
    html = client.get("/privacy-policy/").text
    assert "Acme Analytics" not in html  # no notice on record: the switch waits for it
    assert "We are updating this policy.</strong>" in html  # and no date is promised
    for path in ("/privacy-policy/upcoming/", "/privacy-policy/versions/"):
        text = " ".join(client.get(path).text.split())
        assert "on waiting" not in text and "take effect once its notice has gone out and the " \
            "full notice period has passed (it is dated 15 January 2027)." in text, path
    late = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    with store.write() as conn:  # the scheduler records it: no commit needed
        create_notice(conn, NoticeSpec(
            "privacy-policy", V2_DATE, repo.git("rev-parse", "HEAD").strip(), "Privacy",
            "Changes.", (), "u", "c", late - dt.timedelta(days=20), late), late)
    html = client.get("/privacy-policy/").text
    assert "Acme Analytics" not in html
    assert "We are updating this policy on 31 January 2027." in html
    clock.set("2027-01-31T00:00:00+00:00")
    assert "Acme Analytics" in client.get("/privacy-policy/").text
    store.close()


def test_extra_routes_are_mounted_first(repo: GitRepo, clock: MovableClock) -> None:
    async def hook(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok", status_code=202)

    app = create_app(Config(root=repo.path), StateBuilder(Config(root=repo.path)), clock=clock,
                     extra_routes=[Route("/webhooks/sendgrid", hook, methods=["POST"])])
    client = TestClient(app)
    assert client.post("/webhooks/sendgrid").status_code == 202
    assert client.get("/webhooks/sendgrid").status_code == 405


def test_preview_shows_uncommitted_edits_as_a_draft(tmp_path: Path) -> None:
    repo = make_site_repo(tmp_path / "p")
    clock = MovableClock(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    config = Config(root=repo.path)
    app = Wiring.open(config, clock()).site_app(clock, preview=True)
    client = TestClient(app)
    assert "Draft preview" in client.get("/").text
    assert "no uncommitted edits" in client.get("/terms-of-service/draft/").text
    edited = (repo.path / "content" / "terms-of-service.md").read_text(encoding="utf-8")
    # An edit of the version in force, with the override its commit carried left in place.
    edited = edited.replace("at least 18 years old", "at least 16 years old")
    (repo.path / "content" / "terms-of-service.md").write_text(edited, encoding="utf-8")
    html = client.get("/terms-of-service/draft/").text  # a reload shows the edit at once
    assert 'version in force (1 June 2026)' in html  # the committed text it replaces
    assert "Verdict: material change" in html  # a carried-over override decides nothing
    assert "set <code>effective:</code> to 2026-12-31 or later" in html  # 30 days from now
    assert '<del class="rl-del">18 </del><ins class="rl-ins">16 </ins>' in html
    reasons = html[html.index('<section class="rl-reasons"'):html.index('id="changes-title"')]
    assert "<em>1. Your Account</em>" in reasons
    assert "review the draft" in client.get("/").text
    # a draft is never published in the feed, and is the text in force only in the preview
    assert "working tree" not in client.get("/feed.xml").text
    assert "at least 16 years old" in client.get("/terms-of-service/").text
    public = TestClient(create_app(config, StateBuilder(config), clock=clock))
    assert "at least 16 years old" not in public.get("/terms-of-service/").text
    assert public.get("/terms-of-service/draft/").status_code == 404
    (repo.path / "content" / "privacy-policy.md").write_text(privacy_v2(), encoding="utf-8")
    assert "no uncommitted edits" in client.get("/privacy-policy/draft/").text
    # An edit of the pending version: judged against it, then against the version in force.
    (repo.path / "content" / "privacy-policy.md").write_text(
        privacy_v2().replace("\n\n", "\n\n\n", 3), encoding="utf-8")
    html = " ".join(client.get("/privacy-policy/draft/").text.split())
    assert "upcoming version (15 January 2027)</a>, the text they replace" in html
    assert "Verdict: editorial change" in html
    assert "The whole change against the version in force (28 November 2013)" in html
    assert html.index("Verdict: editorial change") < html.index("Verdict: material change")


def test_json_and_html_never_leak_script_from_content(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "p")
    evil = ('---\npolicy: p\ntitle: "T <script>alert(1)</script>"\neffective: 2026-01-01\n'
            'summary: "</script><img src=x onerror=alert(1)>"\n---\n## A\n\nHi <b>x</b>.\n')
    repo.commit("v1", {"content/p.md": evil})
    client = TestClient(create_app(Config(root=repo.path), StateBuilder(Config(root=repo.path)),
                                   clock=lambda: dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    for path in ("/", "/p/", "/p/versions/", "/p/versions/2026-01-01/", "/feed.xml"):
        body = client.get(path).text
        assert "<script>" not in body and "<img src=x" not in body, path
    json.loads(client.get("/notice.json").text)


def test_an_empty_repository_and_a_history_that_fails(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "p")
    clock = MovableClock(dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    source = StateBuilder(Config(root=repo.path))
    client = TestClient(create_app(Config(root=repo.path), source, clock=clock,
                                   refresh_seconds=0))
    assert "No policy has been published yet." in client.get("/").text
    assert client.get("/p/").status_code == 404
    repo.commit("v1", {"content/p.md": "---\npolicy: p\ntitle: P\neffective: 2026-01-01\n"
                                       "---\n## A\n\nText.\n"})
    assert client.get("/p/").status_code == 200

    def broken() -> str:
        raise OSError("git is busy")

    source.revision = broken  # type: ignore[method-assign]
    assert client.get("/p/").status_code == 200  # the last good revision keeps serving
