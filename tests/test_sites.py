"""Several sites: `[[sites]]` parsed with `file:line` problems, the site of an account,
each site served by its Host header and built into a folder of its own.

A real git repository, the real app served by uvicorn, real HTTP with the Host header a
browser sends for each domain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from policybook.config import load_config
from policybook.errors import ConfigError
from policybook.site.app import create_app
from policybook.site.build import build_sites
from policybook.sites import Site, page_url, relink, site_for
from policybook.workflows.state import StateBuilder
from tests.helpers import GitRepo
from tests.sitehelpers import MovableClock, free_port, get, serve

UTC = dt.UTC
TWO_SITES = """\
[site]
name = "Example policies"

[languages]
source = "en"

[[sites]]
base_url = "https://policies.example.ca"
default_language = "fr"
languages = ["fr", "en"]
countries = ["CA"]
name = "Politiques d’Exemple"

[[sites]]
base_url = "https://policies.example.com"
default_language = "en"
"""


def _source(effective: str, days: str) -> str:
    return ("---\npolicy: messages-policy\ntitle: Messages Policy\n"
            f"effective: {effective}\nsummary: We keep messages for {days} days.\n---\n\n"
            f"## Retention {{#retention}}\n\nWe keep your messages for {days} days.\n")


def _french(translates: str, days: str) -> str:
    return ("---\npolicy: messages-policy\nlanguage: fr\n"
            f"translates: {translates}\ntitle: Politique des messages\n---\n\n"
            f"## Conservation {{#retention}}\n\nNous conservons vos messages {days} jours.\n")


# ---------------------------------------------------------------- the configuration


def _config(tmp_path: Path, text: str) -> object:
    (tmp_path / "policybook.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path, env={})


def test_sites_are_read_from_the_config(tmp_path: Path) -> None:
    config = _config(tmp_path, TWO_SITES)
    ca, com = config.sites  # type: ignore[attr-defined]
    assert ca == Site("https://policies.example.ca", "fr", ("fr", "en"), ("CA",), (),
                      "Politiques d’Exemple")
    assert com == Site("https://policies.example.com", "en")
    assert (ca.host, ca.folder, com.root) == ("policies.example.ca", "policies.example.ca",
                                              "https://policies.example.com/")
    assert _config(tmp_path, "[site]\nname = \"x\"\n").sites == ()  # type: ignore[attr-defined]
    # without site.base_url, links written once for everyone (a notice's) use the first
    assert config.base_url == "https://policies.example.ca"  # type: ignore[attr-defined]
    kept = _config(tmp_path, '[site]\nbase_url = "https://www.example.com/legal/"\n'
                             + TWO_SITES.split("\n\n", 1)[1])
    assert kept.base_url == "https://www.example.com/legal/"  # type: ignore[attr-defined]


def test_a_region_name_expands_to_its_countries(tmp_path: Path) -> None:
    config = _config(tmp_path, '[[sites]]\nbase_url = "https://eu.example"\n'
                               'countries = ["EEA", "gb"]\n')
    (eu,) = config.sites  # type: ignore[attr-defined]
    assert {"FR", "DE", "NO", "GB"} <= set(eu.countries) and "US" not in eu.countries
    assert list(eu.countries) == sorted(eu.countries)  # a stable value (build keys)


def test_every_problem_of_the_sites_names_its_line(tmp_path: Path) -> None:
    text = """\
[site]
name = "x"

[[sites]]
base_url = "ftp://files.example"
default_language = "fr"
languages = ["en", "not a tag"]
countries = ["CA", "Atlantis"]
colour = "blue"

[[sites]]
base_url = "https://b.example"
countries = ["ca"]

[[sites]]
base_url = "https://B.example/other/"
default_language = "de"
"""
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, text)
    path = tmp_path / "policybook.toml"
    problems = sorted(str(p) for p in caught.value.problems)
    assert problems == sorted([
        f"{path}:5: each [[sites]] needs base_url = \"https://...\", the site's public "
        "address ('ftp://files.example' is not one)",
        f"{path}:7: languages: 'not a tag' is not a language tag; write it as 'fr', "
        "'de-CH' or 'pt-BR'",
        f"{path}:7: languages ['en'] leave out the default_language 'fr'; add it to the list",
        f"{path}:8: countries: 'Atlantis' is neither an ISO 3166 country code (CA, FR, "
        "GB...) nor a region (EEA, EU)",
        f"{path}:9: unknown setting 'colour' in [[sites]] (known: base_url, "
        "default_language, languages, countries, variants, name)",
        f"{path}:15: the host b.example is the site of line 11 already; give each site its "
        "own host name",
    ])


def test_a_country_named_by_two_sites_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, '[[sites]]\nbase_url = "https://a.example"\ncountries = ["CA"]\n'
                          '[[sites]]\nbase_url = "https://b.example"\ncountries = ["US", "CA"]\n')
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'policybook.toml'}:4: country CA is served by the site of line 1 "
        "already; name each country in one site"]


# ---------------------------------------------------------------- the site of an account

CA = Site("https://policies.example.ca", "fr", ("fr", "en"), ("CA",))
DE = Site("https://policies.example.de", "de", (), ("AT", "DE"))
COM = Site("https://policies.example.com", "en")


@pytest.mark.parametrize(("country", "language", "expected"), [
    ("CA", "en", CA), ("ca", None, CA), ("DE", "en", DE), ("US", "en", COM),
    (None, "fr-CA", COM),  # no country: the first site naming none that offers it
    ("XX", None, COM),  # an unknown country: the first site naming none
])
def test_site_for(country: str | None, language: str | None, expected: Site) -> None:
    assert site_for((CA, DE, COM), country, language) == expected
    assert site_for((), country, language) is None
    assert site_for((CA, DE), "US", "en") == CA  # every site names countries: the first


def test_links_point_at_the_accounts_site_in_its_language() -> None:
    path = "privacy-policy/changes/2027-01-15/"
    assert page_url(CA, "fr-CA", path) == f"https://policies.example.ca/{path}"
    assert page_url(CA, "en", path) == f"https://policies.example.ca/en/{path}"
    assert page_url(CA, "ja", path) == f"https://policies.example.ca/{path}"  # not offered
    # a site without a list of languages offers each one the policies are published in
    assert page_url(COM, "fr", path) == f"https://policies.example.com/fr/{path}"
    assert page_url(COM, "en", path) == f"https://policies.example.com/{path}"
    written = f"https://policies.example.com/{path}"
    assert relink(written, "https://policies.example.com", CA, "en") == \
        f"https://policies.example.ca/en/{path}"
    assert relink(written, "https://policies.example.com/", None, "en") == written
    assert relink("https://elsewhere.example/x", "https://policies.example.com", CA, "fr") \
        == "https://elsewhere.example/x"


# ---------------------------------------------------------------- serving and building


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.create(tmp_path_factory.mktemp("sites") / "policies")
    repo.commit("v1 in English and French", {
        "policybook.toml": TWO_SITES,
        "content/messages-policy.md": _source("2026-01-10", "30"),
        "content/fr/messages-policy.md": _french("2026-01-10", "30"),
        # in English only: the French-default site lists it apart, linked to /en/
        "content/cookies.md": "---\npolicy: cookie-policy\ntitle: Cookie Policy\n"
                              "effective: 2026-01-10\n---\n\n## Cookies {#cookies}\n\n"
                              "We use one cookie, to keep you signed in.\n",
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("v2: kept longer (material)", {
        "content/messages-policy.md": _source("2027-03-01", "90"),
        "content/fr/messages-policy.md": _french("2027-03-01", "90"),
    }, when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    return repo


@pytest.fixture(scope="module")
def live(repo: GitRepo) -> Iterator[str]:
    clock = MovableClock(dt.datetime(2027, 2, 5, 12, tzinfo=UTC))  # in the notice period
    config = load_config(repo.path, env={})
    port = free_port()
    with serve(create_app(config, StateBuilder(config), clock=clock), port) as base:
        yield base


def test_each_host_gets_its_site_with_its_default_language_unprefixed(live: str) -> None:
    status, ca = get(live, "/messages-policy/", "policies.example.ca")
    assert status == 200 and '<html lang="fr" dir="ltr">' in ca
    assert "Nous conservons vos messages 30 jours." in ca
    assert '<a class="brand" href="/">Politiques d’Exemple</a>' in ca
    # the other language under its prefix; hreflang and canonical on the site's own host
    assert ('<link rel="alternate" hreflang="en" '
            'href="https://policies.example.ca/en/messages-policy/">') in ca
    assert ('<link rel="alternate" hreflang="x-default" '
            'href="https://policies.example.ca/messages-policy/">') in ca
    assert '<link rel="canonical" href="https://policies.example.ca/messages-policy/">' in ca
    status, english = get(live, "/en/messages-policy/", "policies.example.ca")
    assert status == 200 and '<html lang="en" dir="ltr">' in english
    assert "We keep your messages for 30 days." in english
    assert get(live, "/fr/messages-policy/", "policies.example.ca")[0] == 404  # it is "/"
    status, com = get(live, "/messages-policy/", "policies.example.com")
    assert status == 200 and '<html lang="en" dir="ltr">' in com
    assert '<link rel="canonical" href="https://policies.example.com/messages-policy/">' in com
    assert '<a class="brand" href="/">Example policies</a>' in com
    # a host no site names gets the first site
    assert '<html lang="fr"' in get(live, "/messages-policy/", "127.0.0.1")[1]


def test_each_site_has_its_own_feed_banner_strings_and_sitemap(live: str) -> None:
    _, feed = get(live, "/feed.xml", "policies.example.ca")
    assert 'xml:lang="fr"' in feed and "<id>https://policies.example.ca/feed.xml</id>" in feed
    assert "Politique des messages\u00a0: modification substantielle, en vigueur le " \
        "1er mars 2027" in feed
    _, feed_com = get(live, "/feed.xml", "policies.example.com")
    assert "<id>https://policies.example.com/feed.xml</id>" in feed_com
    assert "Messages Policy: material change, effective 1 March 2027" in feed_com
    _, notices = get(live, "/notice.json", "policies.example.ca")
    assert '"message": "Nous mettons à jour le document «\u202fPolitique des messages\u202f» ' \
        'le 1er mars 2027."' in notices
    assert '"url": "https://policies.example.ca/messages-policy/upcoming/"' in notices
    assert '"changes_url": "https://policies.example.ca/en/messages-policy/changes/' \
        '2027-03-01/"' in notices  # the English banner's own link
    _, sitemap = get(live, "/sitemap.xml", "policies.example.ca")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "https://policies.example.ca/messages-policy/" in locs
    assert "https://policies.example.ca/en/messages-policy/versions/2026-01-10/" in locs
    assert all(loc.startswith("https://policies.example.ca/") for loc in locs)
    assert ('<xhtml:link rel="alternate" hreflang="en" '
            'href="https://policies.example.ca/en/messages-policy/"/>') in sitemap


def test_the_static_build_writes_each_site_in_its_host_folder(repo: GitRepo,
                                                              tmp_path: Path) -> None:
    config = load_config(repo.path, env={})
    out = tmp_path / "public"
    report = build_sites(config, StateBuilder(config), out,
                         dt.datetime(2027, 2, 5, 12, tzinfo=UTC))
    assert sorted(p.name for p in out.iterdir()) == ["policies.example.ca",
                                                     "policies.example.com"]
    ca = out / "policies.example.ca"
    page = (ca / "messages-policy" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr">' in page and "30 jours" in page
    english = (ca / "en" / "messages-policy" / "index.html").read_text(encoding="utf-8")
    assert "We keep your messages for 30 days." in english
    assert not (ca / "fr").exists()  # French is this site's root
    com = out / "policies.example.com"
    assert "We keep your messages" in (com / "messages-policy" / "index.html").read_text("utf-8")
    assert (com / "fr" / "messages-policy" / "index.html").is_file()
    assert "https://policies.example.com/feed.xml" in (com / "feed.xml").read_text("utf-8")
    assert "https://policies.example.ca/" in (ca / "sitemap.xml").read_text("utf-8")
    assert report.out == out and report.pages == sum(
        1 for p in out.rglob("*.html"))


def test_a_policy_without_the_sites_language_is_listed_apart(live: str) -> None:
    _, home = get(live, "/", "policies.example.ca")
    assert '<html lang="fr" dir="ltr">' in home
    assert '<h2><a href="/messages-policy/">Politique des messages</a></h2>' in home
    assert '<h2 id="elsewhere">Publiées en anglais uniquement</h2>' in home
    assert '<a href="/en/cookie-policy/" hreflang="en" lang="en">Cookie Policy</a>' in home
    assert get(live, "/cookie-policy/", "policies.example.ca")[0] == 404  # never a fallback
    status, english = get(live, "/en/cookie-policy/", "policies.example.ca")
    assert status == 200 and "We use one cookie" in english
    _, com = get(live, "/", "policies.example.com")
    assert 'id="elsewhere"' not in com and "Cookie Policy" in com


def test_comparing_any_two_versions_reads_the_source_on_every_site(live: str) -> None:
    """A translation is never judged on its own: on a French-default site the compare
    page compares the source texts, as an English page."""
    status, page = get(live, "/messages-policy/compare/?from=2026-01-10&to=2027-03-01",
                       "policies.example.ca")
    assert status == 200 and '<html lang="en" dir="ltr">' in page
    assert '<del class="rl-del">30 </del><ins class="rl-ins">90 </ins>days' in page
    assert '<div class="verdict verdict-material"' in page
    assert 'href="/en/messages-policy/versions/2027-03-01/"' in page
    _, french = get(live, "/messages-policy/changes/2027-03-01/", "policies.example.ca")
    assert '<html lang="fr" dir="ltr">' in french and "Modification substantielle" in french
    assert '<del class="rl-del">30 </del><ins class="rl-ins">90 </ins>jours' in french


# ---------------------------------------------------------------- the variants a site shows

VARIANT_SITES = """\
[notice]
days = 30

[[sites]]
base_url = "https://eu.example"
countries = ["EEA", "GB", "CH"]
variants = ["eea"]

[[sites]]
base_url = "https://www.example"
variants = ["general"]
"""
IN_THE_NOTICE_PERIOD = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def variant_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """A general privacy policy and its EEA variant; a material change to the EEA text
    only, effective 2026-04-15 (its banner shows from 2026-03-16)."""
    from tests.test_variants import variant_repo

    return variant_repo(tmp_path_factory.mktemp("variant-sites") / "policies", VARIANT_SITES)


def test_a_site_lists_only_the_variants_it_shows(variant_repo: GitRepo, tmp_path: Path) -> None:
    """The static build: each site's index, pages, feed, sitemap and `notice.json` hold
    its own variants; the general site says nothing of the EEA change."""
    config = load_config(variant_repo.path, env={})
    eu_site, www_site = config.sites
    assert (eu_site.variants, www_site.variants) == (("eea",), ("general",))
    out = tmp_path / "public"
    build_sites(config, StateBuilder(config), out, IN_THE_NOTICE_PERIOD)
    eu, www = out / "eu.example", out / "www.example"

    def index_links(folder: Path) -> list[str]:
        return re.findall(r'<h2><a href="([^"]+)">', (folder / "index.html").read_text("utf-8"))

    assert index_links(eu) == ["/eea/privacy-policy/"]
    assert index_links(www) == ["/privacy-policy/"]
    assert (eu / "eea" / "privacy-policy" / "upcoming" / "index.html").is_file()
    assert not (eu / "privacy-policy").exists()
    assert (www / "privacy-policy" / "index.html").is_file() and not (www / "eea").exists()

    eu_notices = json.loads((eu / "notice.json").read_text("utf-8"))["notices"]
    assert [(n["policy"], n["variant"], n["date"]) for n in eu_notices] == [
        ("privacy-policy", "eea", "2026-04-15")]
    assert json.loads((www / "notice.json").read_text("utf-8"))["notices"] == []

    eu_feed, www_feed = (f / "feed.xml" for f in (eu, www))
    assert "https://eu.example/eea/privacy-policy/versions/2026-04-15/" in \
        eu_feed.read_text("utf-8")
    assert "/eea/" not in www_feed.read_text("utf-8")
    assert "Privacy Policy: first version" not in eu_feed.read_text("utf-8")

    eu_locs = re.findall(r"<loc>([^<]+)</loc>", (eu / "sitemap.xml").read_text("utf-8"))
    www_locs = re.findall(r"<loc>([^<]+)</loc>", (www / "sitemap.xml").read_text("utf-8"))
    assert "https://eu.example/eea/privacy-policy/changes/2026-04-15/" in eu_locs
    assert all(loc == "https://eu.example/" or loc.startswith("https://eu.example/eea/")
               for loc in eu_locs)
    assert "https://www.example/privacy-policy/" in www_locs
    assert not any("/eea/" in loc for loc in www_locs)


def test_a_site_serves_and_answers_for_its_variants_only(variant_repo: GitRepo) -> None:
    """The live app: a variant a site does not show is no page of it, and its API names
    the site's own variant for a reader's country or says it does not show it."""
    config = load_config(variant_repo.path, env={})
    clock = MovableClock(IN_THE_NOTICE_PERIOD)
    with serve(create_app(config, StateBuilder(config), clock=clock), free_port()) as base:
        assert get(base, "/eea/privacy-policy/", "eu.example")[0] == 200
        assert get(base, "/eea/privacy-policy/", "www.example")[0] == 404
        assert get(base, "/privacy-policy/", "eu.example")[0] == 404
        assert get(base, "/privacy-policy/", "www.example")[0] == 200
        status, body = get(base, "/api/policies/privacy-policy?country=FR", "eu.example")
        assert status == 200 and json.loads(body)["variant"] == "eea"
        status, body = get(base, "/api/policies/privacy-policy?country=FR", "www.example")
        assert status == 404 and "eea text, which this site does not show" in body
        status, body = get(base, "/api/policies/privacy-policy?country=US", "www.example")
        assert status == 200 and json.loads(body)["variant"] is None


def test_check_names_a_site_variant_no_policy_declares(variant_repo: GitRepo,
                                                        tmp_path: Path) -> None:
    """A misspelt variant id would quietly hide every policy of its site: `check` says
    so, with the line of the `variants` key."""
    from policybook.workflows.content import check_content

    config = load_config(variant_repo.path, env={})
    assert not [p for p in check_content(config, gate=False).problems
                if p.path == "policybook.toml"]
    (tmp_path / "content").mkdir()
    for name in ("privacy-policy.md", "privacy-policy.eea.md"):
        (tmp_path / "content" / name).write_bytes(
            (variant_repo.path / "content" / name).read_bytes())
    (tmp_path / "policybook.toml").write_text(
        VARIANT_SITES.replace('variants = ["eea"]', 'variants = ["eae"]'), encoding="utf-8")
    problems = [str(p) for p in check_content(load_config(tmp_path, env={}),
                                              gate=False).problems]
    assert problems == ["policybook.toml:7: variants: no policy has a variant 'eae' (the "
                        "variants are eea, general); correct the id, or add the variant's "
                        "file with `variant:` in its front matter"]
