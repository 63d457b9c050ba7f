"""The site in each language: French, Japanese and Arabic pages of translated versions.

A real git repository, the real app served by uvicorn, real HTTP. The source language
keeps its unprefixed URLs; translations live under `/<lang>/`; every page says its
`lang` and `dir`, lists its other languages (`hreflang`, switcher), and the banner,
dates and UI strings are the page's language. Translations are never judged: their
redline draws their own words under the source's verdict.
"""

from __future__ import annotations

import datetime as dt
import re
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

UTC = dt.UTC
RETENTION = "## Retention {#retention}\n\nWe keep your messages for {n} days, then delete them.\n"
SHARING = "## Sharing {#sharing}\n\nWe do not share your messages with anyone.\n"
PARTAGE = "## Partage {#sharing}\n\nNous ne partageons vos messages avec personne.\n"
CONSERVATION = ("## Conservation {#retention}\n\nNous conservons vos messages pendant {n} "
                "jours, puis nous les supprimons.\n")
JA = "## 保存期間 {{#retention}}\n\nお客様のメッセージを{n}日間保存し、その後削除します。\n"
AR = "## مدة الاحتفاظ {{#retention}}\n\nنحتفظ برسائلك لمدة {n} يوما ثم نحذفها.\n"


def source(effective: str, days: str, summary: str) -> str:
    return ("---\npolicy: messages-policy\ntitle: Messages Policy\n"
            f"effective: {effective}\nsummary: {summary}\n---\n\n"
            + SHARING + "\n" + RETENTION.replace("{n}", days))


def translation(language: str, translates: str, title: str, body: str,
                summary: str = "") -> str:
    extra = f"summary: {summary}\n" if summary else ""
    return (f"---\npolicy: messages-policy\nlanguage: {language}\ntranslates: {translates}\n"
            f"title: {title}\n{extra}---\n\n{body}")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.create(tmp_path_factory.mktemp("languages") / "policies")
    repo.commit("v1, in English, French, Japanese and Arabic", {
        "policybook.toml": '[languages]\nsource = "en"\nrequired = ["fr"]\n',
        "content/messages-policy.md": source("2026-01-10", "30", "Our first policy."),
        "content/fr/messages-policy.md": translation(
            "fr", "2026-01-10", "Politique des messages",
            PARTAGE + "\n" + CONSERVATION.replace("{n}", "30")),
        "content/ja/messages-policy.md": translation(
            "ja", "2026-01-10", "メッセージに関するポリシー", JA.format(n="三十")),
        "content/ar/messages-policy.md": translation(
            "ar", "2026-01-10", "سياسة الرسائل", AR.format(n="ثلاثين")),
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("v2: messages kept longer (material)", {
        "content/messages-policy.md": source("2027-03-01", "90",
                                             "We keep your messages for 90 days."),
        "content/fr/messages-policy.md": translation(
            "fr", "2027-03-01", "Politique des messages",
            PARTAGE + "\n" + CONSERVATION.replace("{n}", "90"),
            "Nous conservons vos messages pendant 90 jours."),
        "content/ja/messages-policy.md": translation(
            "ja", "2027-03-01", "メッセージに関するポリシー", JA.format(n="九十")),
        "content/ar/messages-policy.md": translation(
            "ar", "2027-03-01", "سياسة الرسائل", AR.format(n="تسعين")),
    }, when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    return repo


@pytest.fixture(scope="module")
def live(repo: GitRepo) -> Iterator[tuple[str, MovableClock]]:
    # After the notice went out (due 30 days before 1 March): the banner shows.
    clock = MovableClock(dt.datetime(2027, 2, 5, 12, tzinfo=UTC))
    port = free_port()
    config = Config(root=repo.path, base_url=f"http://127.0.0.1:{port}",
                    source_language="en", required_languages=("fr",))
    with serve(create_app(config, StateBuilder(config), clock=clock), port) as base:
        yield base, clock


def html_tag(text: str) -> str:
    found = re.search(r"<html[^>]*>", text)
    assert found is not None
    return found.group(0)


def test_the_french_policy_page(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    r = get(base, "/fr/messages-policy/")
    assert r.status == 200
    page = r.text
    assert html_tag(page) == '<html lang="fr" dir="ltr">'
    assert "Nous conservons vos messages pendant 30 jours" in page
    # hreflang for each language of the version, and x-default: the source.
    for lang, path in (("en", "messages-policy/"), ("fr", "fr/messages-policy/"),
                       ("ja", "ja/messages-policy/"), ("ar", "ar/messages-policy/"),
                       ("x-default", "messages-policy/")):
        assert f'<link rel="alternate" hreflang="{lang}" href="{base}/{path}">' in page
    # The switcher names each language in itself, and marks this one.
    assert '<span aria-current="true" lang="fr">Français</span>' in page
    assert 'href="/messages-policy/" hreflang="en" lang="en">English</a>' in page
    assert 'lang="ja">日本語</a>' in page
    # The banner and the UI strings through the French catalog; dates in French.
    assert "Nous mettons à jour cette politique le 1er mars 2027." in page
    assert "Voir ce qui change" in page and "Aller au contenu" in page
    assert "10 janvier 2026" in page
    assert 'href="/fr/messages-policy/changes/2027-03-01/"' in page
    assert "We are updating" not in page and "Skip to content" not in page


def test_the_french_version_and_archive_pages(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    page = get(base, "/fr/messages-policy/versions/2026-01-10/").text
    assert "Cette version est celle en vigueur. Elle s’applique depuis le 10 janvier 2026." \
        in page
    assert "Sommaire" in page and "Contents" not in page
    archive = get(base, "/fr/messages-policy/versions/").text
    # (French typography: a narrow no-break space before the colon)
    assert re.search(r"<h1>Politique des messages\s:\stoutes les versions</h1>", archive)
    assert archive.count('class="version-row') == 2


def test_the_source_language_keeps_its_urls_and_says_en(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    page = get(base, "/messages-policy/").text
    assert html_tag(page) == '<html lang="en" dir="ltr">'
    assert "We keep your messages for 30 days" in page
    assert "We are updating this policy on 1 March 2027." in page
    assert 'href="/fr/messages-policy/" hreflang="fr" lang="fr">Français</a>' in page
    home = get(base, "/fr/")
    assert home.status == 200 and html_tag(home.text) == '<html lang="fr" dir="ltr">'
    assert "Politique des messages" in home.text
    assert "En vigueur depuis le 10 janvier 2026" in home.text


def test_the_upcoming_french_version_and_its_changes(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    page = get(base, "/fr/messages-policy/upcoming/").text
    assert "pendant 90 jours" in page and html_tag(page).startswith('<html lang="fr"')
    changes = get(base, "/fr/messages-policy/changes/2027-03-01/").text
    # The French words are redlined; the verdict is the source's (material).
    assert '<del class="rl-del">30 </del><ins class="rl-ins">90 </ins>' in changes
    assert '<div class="verdict verdict-material"' in changes
    assert re.search(r"<h1>Ce qui a changé\s:\sPolitique des messages</h1>", changes)
    assert "Modification substantielle" in changes and "Material change" not in changes
    # Comparing any two versions is the source language's page: not linked from here.
    assert "/fr/messages-policy/compare/" not in changes
    assert 'href="/fr/messages-policy/versions/"' in changes
    # ...and the translation's own words get no verdict of their own.
    assert "rl-verdict-badge" not in changes and "change-material" not in changes
    # Every string of the redline is French: headings, the key, kinds, the verdict's line.
    for french in ("Les modifications, mot à mot", "Sections modifiées", "Légende\u00a0:",
                   "<ins>mots ajoutés</ins>", '<span class="change-kind">modifiée</span>',
                   "Modifications substantielles\u00a0: 1 sur 1.",
                   "Lire le texte intégral de la <a href=\"/fr/messages-policy/versions/"):
        assert french in changes, french
    # the reasons quote the source, the text judged, and say so (in the page's language)
    assert "L’appréciation et ses motifs sont ceux du texte original" in changes
    assert '<ul lang="en"><li class="rl-reason' in changes
    for english in ("The changes, word by word", "Sections changed", "Key:", ">modified<",
                    "of 1 change", "Read the full text"):
        assert english not in changes, english


def test_japanese_is_redlined_by_character(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    r = get(base, "/ja/messages-policy/changes/2027-03-01/")
    assert r.status == 200
    # (no Japanese catalog: the UI strings are English, and the page says so)
    assert html_tag(r.text) == '<html lang="ja" dir="ltr" class="ui-fallback">'
    # 三十 -> 九十: one character changes, not the whole sentence.
    assert '<del class="rl-del">三</del><ins class="rl-ins">九</ins>十日間' in r.text


def test_arabic_is_right_to_left_and_redlined_by_word(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    r = get(base, "/ar/messages-policy/changes/2027-03-01/")
    assert r.status == 200
    assert html_tag(r.text) == '<html lang="ar" dir="rtl" class="ui-fallback">'
    assert '<del class="rl-del">ثلاثين </del><ins class="rl-ins">تسعين </ins>يوما' in r.text
    page = get(base, "/ar/messages-policy/").text
    assert html_tag(page) == '<html lang="ar" dir="rtl" class="ui-fallback">'
    assert "نحتفظ برسائلك" in page


def test_a_language_or_version_without_a_translation_has_no_page(
        live: tuple[str, MovableClock]) -> None:
    base, _ = live
    assert get(base, "/de/messages-policy/").status == 404
    assert get(base, "/xx/").status == 404
    missing = get(base, "/fr/no-such-policy/")
    assert missing.status == 404 and html_tag(missing.text) == '<html lang="fr" dir="ltr">'
    # the error page and its message in the language of the address asked for
    assert "<h1>Page introuvable</h1>" in missing.text
    assert "Il n’y a pas de politique «\u202fno-such-policy\u202f» sur ce site." in missing.text
    german = get(base, "/de/messages-policy/").text  # no German: the source's error page
    assert html_tag(german) == '<html lang="en" dir="ltr">' and "Page not found" in german


def test_the_style_sheet_carries_the_hidden_redline_words_of_each_language(
        live: tuple[str, MovableClock]) -> None:
    base, _ = live
    css = get(base, "/assets/site.css").text
    assert 'ins::before { content: " [added: "; }' in css
    assert ':lang(fr) ins::before { content: " [ajouté\u00a0: "; }' in css
    assert ':lang(de) del::before { content: " [entfernt: "; }' in css


def test_the_api_answers_in_the_language_asked_for(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    fr = get(base, "/api/policies/messages-policy?lang=fr-CA").json()
    assert fr["language"] == "fr" and fr["fallback"] is False
    assert fr["title"] == "Politique des messages" and "pendant 30 jours" in fr["text"]
    assert fr["url"] == f"{base}/fr/messages-policy/versions/2026-01-10/"
    assert fr["effective"] == "2026-01-10"
    later = get(base, "/api/policies/messages-policy?lang=fr&at=2027-03-02").json()
    assert later["effective"] == "2027-03-01" and "pendant 90 jours" in later["text"]
    de = get(base, "/api/policies/messages-policy?lang=de").json()
    assert de["language"] == "en" and de["fallback"] is True
    assert "We keep your messages for 30 days" in de["text"]
    plain = get(base, "/api/policies/messages-policy").json()
    assert plain["language"] == "en" and plain["fallback"] is False
    assert sorted(plain["languages"]) == ["ar", "en", "fr", "ja"]
    bad = get(base, "/api/policies/messages-policy?lang=not%20a%20tag")
    assert bad.status == 400 and "not a language tag" in bad.json()["error"]


def test_the_static_build_writes_each_language(repo: GitRepo, tmp_path: Path) -> None:
    config = Config(root=repo.path, base_url="https://policies.example.com")
    out = tmp_path / "site"
    build_site(config, StateBuilder(config), out, dt.datetime(2027, 2, 5, 12, tzinfo=UTC))
    page = (out / "fr" / "messages-policy" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr">' in page and "pendant 30 jours" in page
    assert (out / "fr" / "messages-policy" / "changes" / "2027-03-01" / "index.html").is_file()
    arabic = (out / "ar" / "messages-policy" / "upcoming" / "index.html").read_text("utf-8")
    assert '<html lang="ar" dir="rtl" class="ui-fallback">' in arabic and "تسعين" in arabic
    assert (out / "messages-policy" / "index.html").is_file()  # the source, as before
    assert not (out / "de").exists()


def test_notice_json_carries_each_translated_banner(live: tuple[str, MovableClock]) -> None:
    base, _ = live
    (notice,) = get(base, "/notice.json").json()["notices"]
    assert notice["message"] == "We are updating our Messages Policy on 1 March 2027."
    fr = notice["translations"]["fr"]
    # (French guillemets hold narrow no-break spaces)
    assert fr["message"] == ("Nous mettons à jour le document «\u202fPolitique des "
                             "messages\u202f» le 1er mars 2027.")
    assert fr["link_text"] == "Voir ce qui change" and fr["dismiss"] == "Fermer"
    assert fr["changes_url"] == f"{base}/fr/messages-policy/changes/2027-03-01/"
    assert (fr["lang"], fr["dir"], notice["lang"], notice["dir"]) == ("fr", "ltr", "en", "ltr")
    # Japanese and Arabic have no catalog: English sentences around a Japanese title and
    # date would read as neither; their pages' banner reads the source's strings whole.
    assert set(notice["translations"]) == {"fr"}


@pytest.mark.browser
def test_pages_in_chromium(live: tuple[str, MovableClock], browser: Any,
                           tmp_path: Path) -> None:
    """French and Arabic pages as a reader sees them (screenshots kept as artifacts)."""
    from tests.conftest import ARTIFACTS
    from tests.test_site_browser import static_server

    base, _ = live
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    try:
        page = context.new_page()
        page.goto(base + "/fr/messages-policy/")
        assert page.evaluate("document.documentElement.lang") == "fr"
        banner = page.locator(".notice").first.inner_text()
        assert "Nous mettons à jour cette politique le 1er mars 2027." in banner
        page.screenshot(path=str(ARTIFACTS / "languages-fr.png"), full_page=True)
        page.get_by_role("link", name="English").click()
        page.wait_for_url(base + "/messages-policy/")
        assert page.evaluate("document.documentElement.lang") == "en"
        page.goto(base + "/ar/messages-policy/changes/2027-03-01/")
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert page.locator("del.rl-del").first.inner_text().strip() == "ثلاثين"
        page.screenshot(path=str(ARTIFACTS / "languages-ar.png"), full_page=True)
        # notice.js on a French page of the company's own site: the French banner.
        company = tmp_path / "company"
        company.mkdir()
        (company / "index.html").write_text(
            '<!doctype html><html lang="fr-CA"><head><title>Accueil</title></head><body>'
            f'<p>Bonjour</p><script src="{base}/notice.js" defer></script></body></html>',
            encoding="utf-8")
        with static_server(company) as other_origin:
            page.goto(other_origin + "/")
            banner = page.locator(".policybook-notice")
            banner.wait_for()
            assert "Nous mettons à jour le document «\u202fPolitique des messages\u202f» le " \
                "1er mars 2027." in banner.inner_text()
            link = banner.get_by_role("link", name="Voir ce qui change")
            assert link.get_attribute("href") == \
                f"{base}/fr/messages-policy/changes/2027-03-01/"
            assert banner.get_by_role("button").inner_text() == "Fermer"
    finally:
        context.close()


RECTS_JS = """([selector, needle]) => {
  // The on-screen boxes of `needle` inside the first element matching `selector`.
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(needle);
    if (at === -1) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + needle.length);
    return Array.from(range.getClientRects()).map(r => [r.left, r.right, r.top]);
  }
  return null;
}"""


@pytest.mark.browser
def test_right_to_left_japanese_and_the_banner_in_chromium(live: tuple[str, MovableClock],
                                                          browser: Any, tmp_path: Path) -> None:
    """What the screenshots showed wrong, fixed: sides that follow the reading direction,
    English UI sentences and Arabic dates kept in order in an Arabic page, Japanese
    broken between phrases, the banner in its own language and direction."""
    from tests.conftest import ARTIFACTS
    from tests.test_site_browser import static_server

    base, _ = live
    context = browser.new_context(viewport={"width": 400, "height": 900})
    try:
        page = context.new_page()
        page.goto(base + "/ar/messages-policy/changes/2027-03-01/")
        page.screenshot(path=str(ARTIFACTS / "languages-ar-narrow.png"), full_page=True)
        # the verdict's bar on the right, where an Arabic reader starts
        widths = page.evaluate("""() => { const s = getComputedStyle(
            document.querySelector('.verdict'));
            return [s.borderRightWidth, s.borderLeftWidth]; }""")
        assert widths == ["6px", "1px"]
        # an English UI sentence (no Arabic catalog) keeps its full stop at its end...
        # (in the page's direction the stop would be a run of its own, moved to the left)
        stop = page.evaluate(RECTS_JS, [".site-footer p", "effect."])
        assert len(stop) == 1, stop
        # ...and an Arabic date inside it reads day, month, year from the right
        day = page.evaluate(RECTS_JS, [".compare-line a", "1"])
        year = page.evaluate(RECTS_JS, [".compare-line a", "2027"])
        assert day[0][0] > year[0][0], (day, year)

        page.goto(base + "/ja/messages-policy/changes/2027-03-01/")
        page.screenshot(path=str(ARTIFACTS / "languages-ja-narrow.png"), full_page=True)
        # a Japanese word is never cut in two at the end of a line
        title = page.evaluate(RECTS_JS, ["h1", "メッセージ"])
        assert title is not None and len(title) == 1, title
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).wordBreak") \
            == "auto-phrase"

        page.goto(base + "/fr/messages-policy/")
        label = page.locator(".facts-list dt").nth(1).inner_text()
        assert label == "Dernière mise à jour\u00a0:"  # the colon never starts a line

        company = tmp_path / "company"
        company.mkdir()
        for lang, direction, words in (("ar", "rtl", "مرحبا بكم"), ("fr", "ltr", "Bonjour")):
            (company / f"{lang}.html").write_text(
                f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta '
                f'charset="utf-8"><title>x</title></head><body><p>{words}</p>'
                f'<script src="{base}/notice.js" defer></script></body></html>',
                encoding="utf-8")
        with static_server(company) as other_origin:
            page.goto(other_origin + "/ar.html")
            banner = page.locator(".policybook-notice")
            banner.wait_for()
            page.screenshot(path=str(ARTIFACTS / "languages-ar-banner.png"))
            # no Arabic catalog: the English banner, whole, left to right
            assert banner.evaluate("b => [b.lang, b.dir, getComputedStyle(b).direction]") \
                == ["en", "ltr", "ltr"]
            assert banner.inner_text().startswith("We are updating our Messages Policy on "
                                                  "1 March 2027.")
            # the button at the end of the line, whatever the page's direction
            box = banner.bounding_box()
            button = banner.get_by_role("button").bounding_box()
            assert box is not None and button is not None
            assert button["x"] + button["width"] > box["x"] + box["width"] - 40
            page.goto(other_origin + "/fr.html")
            french = page.locator(".policybook-notice")
            french.wait_for()
            assert french.evaluate("b => [b.lang, b.dir]") == ["fr", "ltr"]
            assert french.get_attribute("aria-label") == "Mise à jour de la politique"
            page.screenshot(path=str(ARTIFACTS / "languages-fr-banner.png"))
    finally:
        context.close()
