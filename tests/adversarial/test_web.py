"""The live site, adversarially: hostile Host headers and request targets, a flood of
compare requests, and repository templates that try to reach Python's internals."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from policybook.config import Config
from policybook.document import Document
from policybook.site.app import create_app
from policybook.site.changes import Comparison, compare_documents
from policybook.site.offload import Offload
from policybook.workflows.state import StateBuilder
from tests.helpers import GitRepo
from tests.sitedata import make_site_repo
from tests.sitehelpers import MovableClock, serve

CLOCK = MovableClock(dt.datetime(2026, 12, 20, 12, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return make_site_repo(tmp_path_factory.mktemp("site") / "policies")


@pytest.fixture(scope="module")
def base(repo: GitRepo) -> Iterator[str]:
    with serve(create_app(*site_of(repo.path), clock=CLOCK)) as url:
        yield url


def raw(base: str, target: str, host: str | None = None, method: str = "GET"
        ) -> tuple[int, dict[str, str], bytes]:
    """A request sent exactly as written (Host header included)."""
    h, p = base.removeprefix("http://").split(":")
    with socket.create_connection((h, int(p)), timeout=10) as s:
        head = f"{method} {target} HTTP/1.1\r\nHost: {host or f'{h}:{p}'}\r\n" \
               "Connection: close\r\n\r\n"
        s.sendall(head.encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split(" ", 2)[1]), headers, body


HOSTS = ["evil.example", "evil.example:443", "127.0.0.1@evil.example", "evil.example/x",
         "[::1]:1", "a" * 300, "policies.example.com\tevil.example"]
SLASHLESS = ["/privacy-policy", "/privacy-policy/versions", "/privacy-policy/versions/2013-11-28",
             "/privacy-policy/compare?from=2013-11-28&to=2027-01-15", "/feed.xml/"]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("target", SLASHLESS)
def test_the_slash_redirect_never_follows_the_host_header(base: str, host: str,
                                                          target: str) -> None:
    status, headers, _ = raw(base, target, host=host)
    if status == 400:  # the server refused the Host header itself: fine too
        return
    assert status == 307, (target, status)
    location = headers["location"]
    assert "evil" not in location and "::1" not in location and "aaaa" not in location
    assert location.startswith(("./", "../")), location  # relative: same scheme and host
    moved = urljoin(base + target, location)
    assert moved.startswith(base + "/")
    assert raw(base, moved[len(base):])[0] == 200, moved


@pytest.mark.parametrize("target", ["//evil.example", "//evil.example/", "/\\evil.example",
                                    "/%2f%2fevil.example", "/%5cevil.example",
                                    "/./evil.example", "/privacy-policy//", "///"])
def test_no_open_redirect(base: str, target: str) -> None:
    status, headers, _ = raw(base, target)
    if status in (301, 302, 303, 307, 308):
        location = headers["location"]
        assert not location.startswith(("//", "/\\", "http")), location
        assert urljoin(base + "/x/", location).startswith(base + "/")


HOSTILE_QUERIES = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
                   "javascript:alert(1)", "%00", "\u202e2013-11-28", "2013-11-28\r\nX-A: b",
                   "9" * 5000, "0000-00-00", "2013-02-30", "1e999"]


@pytest.mark.parametrize("value", HOSTILE_QUERIES)
def test_hostile_compare_queries_are_refused_and_escaped(base: str, value: str) -> None:
    query = urllib.parse.urlencode({"from": value, "to": "2027-01-15"})
    status, headers, body = raw(base, f"/privacy-policy/compare/?{query}")
    assert status == 400, (value, status)
    assert b"<script>" not in body and b"<img" not in body and b"Traceback" not in body
    assert "text/html" in headers["content-type"]


@pytest.mark.parametrize("target", ["/" + "a" * 8000 + "/", "/privacy-policy/versions/" +
                                    "9" * 4000 + "/", "/%00/", "/privacy-policy/%00/",
                                    "/api/policies/privacy-policy?at=" + "9" * 4000,
                                    "/api/policies/privacy-policy?at=9999-12-31T23:59:59+14:00",
                                    "/api/policies/privacy-policy?at=-0001-01-01"])
def test_odd_targets_get_a_clean_answer(base: str, target: str) -> None:
    status, _, body = raw(base, target)
    assert status < 500, (target, status)
    assert b"Traceback" not in body


# ---------------------------------------------------------------- the compare page


def policy(effective: str, words: str) -> str:
    return (f"---\npolicy: p\ntitle: P\neffective: {effective}\n---\n"
            f"## Data\n\nWe keep your data for {words}.\n")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """Four versions: the pairs 1-3, 1-4 and 2-4 are compared only on request."""
    repo = GitRepo.create(tmp_path_factory.mktemp("compare") / "p")
    for n, (day, words) in enumerate([("2020-01-01", "ten days"), ("2021-01-01", "a month"),
                                      ("2022-01-01", "a year"), ("2023-01-01", "ever")]):
        repo.commit(f"v{n}", {"content/p.md": policy(day, words)},
                    when=dt.datetime(2019 + n, 6, 1, tzinfo=dt.UTC))
    return repo


class Gate:
    """The real comparison, held at a gate while the test wants it slow."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()
        self.calls = 0

    def __call__(self, old: Document | None, new: Document) -> Comparison:
        if old is not None:
            self.calls += 1
            self.open.wait(20)
        return compare_documents(old, new)


def get(url: str, timeout: float = 20) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode()


PAIRS = [("2020-01-01", "2022-01-01"), ("2020-01-01", "2023-01-01"),
         ("2021-01-01", "2023-01-01")]


def site_of(root: Path) -> tuple[Config, StateBuilder]:
    config = Config(root=root)
    return config, StateBuilder(config)


def compare_url(base: str, pair: tuple[str, str]) -> str:
    return f"{base}/p/compare/?from={pair[0]}&to={pair[1]}"


def test_slow_compares_do_not_stall_other_pages_and_are_bounded(history: GitRepo) -> None:
    gate = Gate()
    offload: Offload[object] = Offload(workers=1, waiting=1, wait_seconds=15)
    app = create_app(*site_of(history.path), clock=CLOCK,
                     compare=gate, offload=offload)  # type: ignore[arg-type]
    with serve(app) as base, ThreadPoolExecutor(4) as pool:
        for path in ("/", "/p/", "/p/versions/", "/feed.xml", "/notice.json"):
            assert get(base + path)[0] == 200  # warm: consecutive versions judged once
        gate.open.clear()
        calls_before = gate.calls
        first = pool.submit(get, compare_url(base, PAIRS[0]))
        same = pool.submit(get, compare_url(base, PAIRS[0]))  # joins the one in flight
        second = pool.submit(get, compare_url(base, PAIRS[1]))  # queued behind it
        deadline = time.monotonic() + 10
        while offload.started < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert offload.started == 2
        # the pool and its queue are full: a third pair is refused at once, politely
        started = time.monotonic()
        status, headers, text = get(compare_url(base, PAIRS[2]))
        assert status == 429 and headers["retry-after"] == "5"
        assert "try again" in text and time.monotonic() - started < 2
        # other pages answer at once while the comparisons wait
        for path in ("/", "/p/", "/p/versions/", "/feed.xml", "/notice.json"):
            started = time.monotonic()
            assert get(base + path)[0] == 200
            assert time.monotonic() - started < 1.0, path
        gate.open.set()
        assert first.result()[0] == same.result()[0] == second.result()[0] == 200
        assert "a year" in first.result()[2] and first.result()[2] == same.result()[2]
        assert gate.calls - calls_before == 2  # three requests, two comparisons
        # computed once: the same pair again is served from the cache of comparisons
        assert get(compare_url(base, PAIRS[0]))[0] == 200
        assert get(compare_url(base, (PAIRS[0][1], PAIRS[0][0])))[0] == 200  # reversed
        assert gate.calls - calls_before == 2


def test_a_compare_over_the_wait_gets_a_clear_page_then_the_result(history: GitRepo) -> None:
    gate = Gate()
    offload: Offload[object] = Offload(workers=1, waiting=0, wait_seconds=0.5)
    app = create_app(*site_of(history.path), clock=CLOCK,
                     compare=gate, offload=offload)  # type: ignore[arg-type]
    with serve(app) as base:
        assert get(base + "/p/")[0] == 200
        gate.open.clear()
        status, headers, text = get(compare_url(base, PAIRS[1]))
        assert status == 503 and headers["retry-after"] == "1"
        assert "still being prepared" in text
        gate.open.set()
        deadline = time.monotonic() + 10
        while offload.started and offload._flight and time.monotonic() < deadline:
            time.sleep(0.02)
        status, _, text = get(compare_url(base, PAIRS[1]))
        assert status == 200 and "ever" in text


# ---------------------------------------------------------------- repository templates

ESCAPES = [
    "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ joiner.__init__.__globals__['os'].system('touch MARKER') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ namespace.__init__.__globals__"
    ".os.popen('touch MARKER').read() }}",
    "{{ lipsum.__globals__['os'].system('touch MARKER') }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ request.application.__globals__.__builtins__.__import__('os').system('touch MARKER') }}",
    "{% set x = cycler.__init__.__globals__ %}{{ x.os.system('touch MARKER') }}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_repository_templates_cannot_run_commands(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    repo = GitRepo.create(tmp_path / "p")
    repo.commit("v1", {"content/p.md": policy("2020-01-01", "ten days"),
                       "templates/site/404.html": payload.replace("MARKER", str(marker))})
    app = create_app(*site_of(repo.path), clock=CLOCK)
    with serve(app) as url:
        status, _, text = get(url + "/nope/")
    assert not marker.exists()
    assert status in (404, 500)
    assert "Traceback" not in text


@pytest.mark.parametrize("payload", ESCAPES[:3])
def test_email_templates_cannot_run_commands(tmp_path: Path, payload: str) -> None:
    from policybook.errors import PolicybookError
    from tests.test_sendgrid import letter

    marker = tmp_path / "pwned"
    (tmp_path / "templates" / "email").mkdir(parents=True)
    subject = tmp_path / "templates" / "email" / "subject.txt"
    subject.write_text(payload.replace("MARKER", str(marker)))
    from policybook.mail.compose import compose

    base = letter()
    mine = compose(base.notice, tmp_path, "Policy updates <policy@example.com>", None,
                   "cafe0001")
    with pytest.raises(PolicybookError):
        mine.rendered("en")
    assert not marker.exists()


# ---------------------------------------------------------------- a busy port

@pytest.mark.parametrize("command", [["serve"], ["run"]])
def test_a_busy_port_is_said_and_has_an_exit_code_of_its_own(
        tmp_path: Path, cli: Any, command: list[str]) -> None:
    repo = GitRepo.create(tmp_path / "p")
    repo.commit("v1", {"content/p.md": policy("2020-01-01", "ten days")})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli([*command, "--port", str(port)], cwd=repo.path,
                     env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'pb.db'}"})
    assert result.code == 4, (result.out, result.err)  # not 3: that means "material"
    assert f"port {port} on 127.0.0.1 is busy" in result.err
    assert f"--port {port + 1}" in result.err and "site.port" in result.err
    assert "the site is on" not in result.err and "Traceback" not in result.err
