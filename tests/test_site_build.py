"""`policybook build`: every page as DIR/<path>/index.html, at --now, atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import GitRepo
from tests.sitedata import make_site_repo
from tests.sitehelpers import free_port


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return make_site_repo(tmp_path_factory.mktemp("build") / "policies")


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_build_writes_every_page(repo: GitRepo, tmp_path: Path, cli) -> None:
    out = tmp_path / "public"
    result = cli(["build", "--out", str(out), "--now", "2026-12-20T12:00:00Z"], cwd=repo.path)
    assert result.code == 0, result.err
    assert "Built 17 pages (22 files) for 2 policies and 4 versions" in result.out
    assert files(out) == {
        ".policybook-site", "index.html", "404.html", "feed.xml", "sitemap.xml", "notice.json",
        "notice.js",
        "assets/site.css",
        "privacy-policy/index.html", "privacy-policy/upcoming/index.html",
        "privacy-policy/versions/index.html", "privacy-policy/compare/index.html",
        "privacy-policy/versions/2013-11-28/index.html",
        "privacy-policy/versions/2027-01-15/index.html",
        "privacy-policy/changes/2013-11-28/index.html",
        "privacy-policy/changes/2027-01-15/index.html",
        "terms-of-service/index.html", "terms-of-service/versions/index.html",
        "terms-of-service/compare/index.html",
        "terms-of-service/versions/2026-01-01/index.html",
        "terms-of-service/versions/2026-06-01/index.html",
        "terms-of-service/changes/2026-01-01/index.html",
        "terms-of-service/changes/2026-06-01/index.html",
    }
    compare = (out / "privacy-policy/compare/index.html").read_text(encoding="utf-8")
    assert "needs the live site" in compare
    assert 'href="/privacy-policy/changes/2027-01-15/"' in compare
    changes = (out / "privacy-policy/changes/2027-01-15/index.html").read_text(encoding="utf-8")
    assert "Compare other versions" not in changes  # compare/ is live-only


def test_now_decides_the_version_in_force(repo: GitRepo, tmp_path: Path, cli) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    assert cli(["build", "--out", str(before), "--now", "2027-01-14T23:59:59Z"],
               cwd=repo.path).code == 0
    assert cli(["build", "--out", str(after), "--now", "2027-01-15"], cwd=repo.path).code == 0
    page_before = (before / "privacy-policy/index.html").read_text(encoding="utf-8")
    page_after = (after / "privacy-policy/index.html").read_text(encoding="utf-8")
    assert "Acme Analytics" not in page_before and "We are updating this policy" in page_before
    assert "Acme Analytics" in page_after and "This policy was updated on" in page_after
    assert not (after / "privacy-policy/upcoming").exists()


def test_a_failed_build_changes_nothing(repo: GitRepo, tmp_path: Path, cli) -> None:
    out = tmp_path / "public"
    assert cli(["build", "--out", str(out), "--now", "2026-12-20"], cwd=repo.path).code == 0
    before = {p: (out / p).read_bytes() for p in files(out)}
    broken = repo.path / "templates" / "site" / "versions.html"
    broken.parent.mkdir(parents=True)
    broken.write_text("{% extends 'site/base.html' %}{% block main %}{{ page.nothing.here }}"
                      "{% endblock %}", encoding="utf-8")
    try:
        result = cli(["build", "--out", str(out), "--now", "2027-02-01"], cwd=repo.path)
    finally:
        broken.unlink()
        broken.parent.rmdir()
        broken.parent.parent.rmdir()
    assert result.code == 1
    assert "the template site/versions.html failed" in result.err and "nothing" in result.err
    assert {p: (out / p).read_bytes() for p in files(out)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]  # no temporary left over


def test_a_build_of_unchanged_inputs_rewrites_nothing(tmp_path: Path, cli) -> None:
    repo = make_site_repo(tmp_path / "p")
    out = tmp_path / "out"

    def build(now: str) -> dict[str, int]:
        result = cli(["build", "--out", str(out), "--now", now], cwd=repo.path)
        assert result.code == 0, result.err
        pages = len([p for p in files(out) if p.endswith(".html")])
        assert f"Built {pages} pages ({len(files(out)) - 1} files) for 2 policies and 4 " \
            "versions" in result.out
        return {p: (out / p).stat().st_mtime_ns for p in files(out) if p != ".policybook-site"}

    first = build("2026-12-20T12:00:00Z")
    time.sleep(0.01)
    # Another moment with the same pages: nothing is rendered or written but the marker.
    assert build("2026-12-21T12:00:00Z") == first
    assert (out / ".policybook-site").read_text(encoding="utf-8").startswith(
        "built 2026-12-21T12:00:00+00:00 from ")
    # A page changed by hand in the folder is written again, as the build makes it.
    page = out / "privacy-policy/index.html"
    expected = page.read_bytes()
    page.write_bytes(b"defaced")
    assert build("2026-12-21T12:00:00Z") != first and page.read_bytes() == expected
    second = build("2026-12-21T12:00:00Z")
    # The version of 2027-01-15 takes effect: the pages change, so they are rendered.
    assert build("2027-01-15T12:00:00Z") != second
    assert "Acme Analytics" in page.read_text(encoding="utf-8")
    third = build("2027-01-16T12:00:00Z")
    # A template of the repository is an input too.
    repo.write("templates/site/404.html", "{% extends 'site/base.html' %}{% block main %}"
               "<h1>Nothing here</h1>{% endblock %}")
    assert build("2027-01-16T12:00:00Z") != third
    assert "Nothing here" in (out / "404.html").read_text(encoding="utf-8")
    # So is a new commit.
    fourth = build("2027-01-16T12:00:00Z")
    repo.commit("templates", None)
    assert build("2027-01-16T12:00:00Z") != fourth


def test_a_repository_template_overrides_the_default(tmp_path: Path, cli) -> None:
    repo = make_site_repo(tmp_path / "p")
    repo.write("templates/site/404.html", "{% extends 'site/base.html' %}{% block main %}"
               "<h1>Lost? Ask legal@example.com</h1>{% endblock %}")
    out = tmp_path / "out"
    assert cli(["build", "--out", str(out)], cwd=repo.path).code == 0
    assert "Lost? Ask legal@example.com" in (out / "404.html").read_text(encoding="utf-8")


def test_it_never_replaces_a_folder_that_is_not_a_site(repo: GitRepo, tmp_path: Path,
                                                      cli) -> None:
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious", encoding="utf-8")
    result = cli(["build", "--out", str(mine)], cwd=repo.path)
    assert result.code == 2
    assert "is not empty and is not a site built by policybook" in result.err
    assert (mine / "thesis.txt").read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize(("args", "message"), [
    (["build"], "give the output folder with --out DIR"),
    (["build", "--out", "x", "--now", "tomorrow"], "--now 'tomorrow' is not an ISO 8601"),
    (["build", "--out", "x", "--ref", "nope"], "revision 'nope' is not in this repository"),
])
def test_build_usage_errors(repo: GitRepo, cli, args: list[str], message: str) -> None:
    result = cli(args, cwd=repo.path)
    assert result.code != 0 and message in result.err
    assert "Traceback" not in result.err
    assert not (repo.path / "x").exists()


def test_build_outside_a_repository(tmp_path: Path, cli) -> None:
    result = cli(["build", "--out", str(tmp_path / "o")], cwd=tmp_path)
    assert result.code == 1 and "is not a git repository" in result.err


def test_serve_refuses_a_bad_port(repo: GitRepo, cli) -> None:
    result = cli(["serve", "--port", "70000"], cwd=repo.path)
    assert result.code == 2 and "--port 70000 must be between 1 and 65535" in result.err


def test_serve_runs_the_site_at_a_rehearsed_moment(repo: GitRepo) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    server = subprocess.Popen(
        [sys.executable, "-m", "policybook", "-C", str(repo.path), "serve", "--port", str(port),
         "--now", "2027-01-15T00:00:00Z", "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/privacy-policy/",
                                            timeout=5) as r:
                    html = r.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "policybook serve did not start"
                time.sleep(0.1)
        assert "Acme Analytics" in html and "This policy was updated on 15 January 2027" in html
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/notice.json", timeout=5) as r:
            notice = json.loads(r.read())
        # the links follow the port the site was started on
        assert notice["notices"][0]["url"] == f"http://127.0.0.1:{port}/privacy-policy/"
        # SendGrid's webhook is mounted, and refuses what is not signed
        post = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/sendgrid",
                                      data=b"[]", method="POST")
        try:
            urllib.request.urlopen(post, timeout=5)
            raise AssertionError("an unsigned post was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
    finally:
        server.terminate()
        server.wait(timeout=10)
