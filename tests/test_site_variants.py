"""The site of a policy with an EEA/UK variant: its own pages, archive, banner and API.

A real git repository, the real app served by uvicorn, real HTTP, and the static
build. The general text keeps `/privacy-policy/`; the variant lives under its id
(`/eea/privacy-policy/`), its French translation under `/fr/eea/privacy-policy/`.
A material change to the variant only: its banner and upcoming page, nothing of the
kind for the general text; the API answers with the variant of the reader's country.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policybook.config import Config
from policybook.site.app import create_app
from policybook.site.build import build_site
from policybook.workflows.state import StateBuilder
from tests.helpers import GitRepo
from tests.sitehelpers import MovableClock, free_port, get, serve
from tests.test_variants import EEA_SHARING, eea, general

UTC = dt.UTC
FR_EEA = ("## Bases juridiques {#legal-bases}\n\nNous traitons vos données pour exécuter "
          "notre contrat avec vous et, pour les e-mails de prospection, avec votre "
          "consentement.\n\n## Partage {#sharing}\n\nNous ne partageons, ne vendons, ne louons "
          "ni n’échangeons vos données personnelles.\n\n## Réclamations {#complaints}\n\n"
          "Vous pouvez saisir l’autorité de contrôle du pays où vous résidez.\n")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.create(tmp_path_factory.mktemp("variants") / "policies")
    repo.commit("privacy policy, general and EEA (with its French text)", {
        "policybook.toml": "[notice]\ndays = 30\n",
        "content/privacy-policy.md": general("2026-01-10"),
        "content/privacy-policy.eea.md": eea("2026-01-10"),
        "content/fr/privacy-policy.eea.md": (
            "---\npolicy: privacy-policy\nvariant: eea\nlanguage: fr\n"
            "translates: 2026-01-10\ntitle: Politique de confidentialité (EEE, Royaume-Uni "
            "et Suisse)\n---\n\n" + FR_EEA),
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("EEA: share with advertising partners", {
        "content/privacy-policy.eea.md": eea("2026-04-15", EEA_SHARING),
    }, when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    return repo


@pytest.fixture(scope="module")
def live(repo: GitRepo) -> Iterator[tuple[str, MovableClock]]:
    # After the EEA notice was due (30 days before 15 April): its banner shows.
    clock = MovableClock(dt.datetime(2026, 3, 20, 12, tzinfo=UTC))
    port = free_port()
    config = Config(root=repo.path, base_url=f"http://127.0.0.1:{port}")
    with serve(create_app(config, StateBuilder(config), clock=clock), port) as base:
        yield base, clock


def test_each_variant_has_its_own_pages(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    general_page = get(base, "/privacy-policy/")
    assert general_page.status == 200
    assert "We do not share, sell, rent or trade" in general_page.text
    assert "supervisory authority" not in general_page.text
    # no change to the general text: no banner, no upcoming page
    assert "We are updating" not in general_page.text
    assert get(base, "/privacy-policy/upcoming/").status == 404
    eea_page = get(base, "/eea/privacy-policy/")
    assert eea_page.status == 200
    assert "supervisory authority" in eea_page.text
    assert "who may combine it" not in eea_page.text  # not in force yet
    assert "We are updating this policy on 15 April 2026." in eea_page.text
    assert 'href="/eea/privacy-policy/changes/2026-04-15/"' in eea_page.text
    upcoming = get(base, "/eea/privacy-policy/upcoming/")
    assert upcoming.status == 200 and "who may combine it" in upcoming.text
    changes = get(base, "/eea/privacy-policy/changes/2026-04-15/")
    assert changes.status == 200 and "who may combine it" in changes.text
    assert "Material" in changes.text or "material" in changes.text
    archive = get(base, "/eea/privacy-policy/versions/")
    assert archive.text.count('class="version-row') == 2
    assert get(base, "/privacy-policy/versions/").text.count('class="version-row') == 1
    assert get(base, "/eea/privacy-policy/versions/2026-01-10/").status == 200
    assert get(base, "/uk/privacy-policy/").status == 404


def test_the_index_lists_the_variants_with_their_countries(
        live: tuple[str, MovableClock]) -> None:
    base, _ = live
    index = get(base, "/").text
    assert 'href="/privacy-policy/"' in index and 'href="/eea/privacy-policy/"' in index
    assert "Applies to: EEA, CH, GB" in index
    assert index.count("Applies to:") == 1  # the general text applies to the rest


def test_notice_json_has_the_variants_banner_only(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    data = get(base, "/notice.json").json()
    (banner,) = data["notices"]
    assert banner["policy"] == "privacy-policy" and banner["variant"] == "eea"
    assert "GB" in banner["countries"] and "US" not in banner["countries"]
    assert banner["url"].endswith("/eea/privacy-policy/upcoming/")
    assert banner["changes_url"].endswith("/eea/privacy-policy/changes/2026-04-15/")


def test_the_variants_translation(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    page = get(base, "/fr/eea/privacy-policy/")
    assert page.status == 200
    assert '<html lang="fr" dir="ltr">' in page.text
    assert "autorité de contrôle" in page.text
    assert f'<link rel="alternate" hreflang="en" href="{base}/eea/privacy-policy/">' in page.text
    # the general text has no French translation: no French page, never a fallback
    assert get(base, "/fr/privacy-policy/").status == 404


def test_the_api_answers_with_the_variant_of_the_country(
        live: tuple[str, MovableClock]) -> None:
    base, _ = live
    germany = get(base, "/api/policies/privacy-policy?country=DE").json()
    assert (germany["variant"], germany["language"], germany["fallback"]) == \
        ("eea", "en", False)
    assert germany["country"] == "DE" and "GB" in germany["countries"]
    assert "supervisory authority" in germany["text"]
    assert germany["url"].endswith("/eea/privacy-policy/versions/2026-01-10/")
    uk = get(base, "/api/policies/privacy-policy?country=uk").json()
    assert uk["variant"] == "eea" and uk["country"] == "GB"
    usa = get(base, "/api/policies/privacy-policy?country=US").json()
    assert usa["variant"] is None and usa["countries"] is None
    assert "supervisory authority" not in usa["text"]
    nobody = get(base, "/api/policies/privacy-policy").json()
    assert nobody["variant"] is None and nobody["country"] is None
    assert nobody["text"] == usa["text"]
    # in French where the variant's version has a translation...
    french = get(base, "/api/policies/privacy-policy?country=FR&lang=fr").json()
    assert (french["variant"], french["language"], french["fallback"]) == ("eea", "fr", False)
    assert "autorité de contrôle" in french["text"]
    assert french["url"].endswith("/fr/eea/privacy-policy/versions/2026-01-10/")
    # ... and in English, said so, once the untranslated version is in force
    later = get(base, "/api/policies/privacy-policy?country=FR&lang=fr&at=2026-05-01").json()
    assert (later["variant"], later["language"], later["fallback"]) == ("eea", "en", True)
    assert later["effective"] == "2026-04-15" and "advertising partners" in later["text"]
    general_later = get(base, "/api/policies/privacy-policy?country=CA&at=2026-05-01").json()
    assert general_later["effective"] == "2026-01-10"
    bad = get(base, "/api/policies/privacy-policy?country=Atlantis")
    assert bad.status == 400 and "ISO 3166" in bad.json()["error"]


def test_the_static_build_writes_each_variant(repo: GitRepo, tmp_path: Path) -> None:
    config = Config(root=repo.path, base_url="https://policies.example.com")
    out = tmp_path / "site"
    build_site(config, StateBuilder(config), out, dt.datetime(2026, 3, 20, 12, tzinfo=UTC))
    for path in ("privacy-policy/index.html", "eea/privacy-policy/index.html",
                 "eea/privacy-policy/upcoming/index.html",
                 "eea/privacy-policy/versions/index.html",
                 "eea/privacy-policy/changes/2026-04-15/index.html",
                 "fr/eea/privacy-policy/index.html"):
        assert (out / path).is_file(), path
    assert not (out / "privacy-policy" / "upcoming").exists()
    assert "who may combine it" in (out / "eea/privacy-policy/upcoming/index.html").read_text(
        encoding="utf-8")
    in_force = (out / "eea/privacy-policy/index.html").read_text(encoding="utf-8")
    assert "supervisory authority" in in_force and "who may combine it" not in in_force


def test_the_embedded_banner_shows_the_variant_a_site_asks_for(
        live: tuple[str, MovableClock], tmp_path: Path, browser: Any) -> None:
    """`notice.js` with `data-variant`: the company's European site shows the EEA
    variant's banner; its other site (`general`) shows none, the general text being
    unchanged. Real chromium, the script loaded from another origin."""
    from tests.test_site_browser import static_server

    base, _ = live
    company = tmp_path / "company"
    company.mkdir()
    for name, variant in (("europe.html", "eea"), ("world.html", "general")):
        (company / name).write_text(
            "<!doctype html><html lang=en><head><title>Example</title></head><body>"
            "<h1>Example Voice</h1><p>Home.</p>"
            f'<script src="{base}/notice.js" data-variant="{variant}" defer></script>'
            "</body></html>", encoding="utf-8")
    with static_server(company) as other_origin:
        context = browser.new_context()
        page = context.new_page()
        page.goto(other_origin + "/europe.html")
        banner = page.locator(".policybook-notice")
        banner.wait_for()
        assert "15 April 2026" in banner.inner_text()
        link = banner.get_by_role("link")
        assert link.get_attribute("href") == f"{base}/eea/privacy-policy/changes/2026-04-15/"
        with page.expect_response("**/notice.json"):
            page.goto(other_origin + "/world.html")
        page.wait_for_load_state("networkidle")
        assert page.locator(".policybook-notice").count() == 0
        context.close()
