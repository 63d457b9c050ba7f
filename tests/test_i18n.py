"""The i18n core: catalogs, negotiation, direction, dates and numbers (policybook.i18n)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import extract

from policybook import i18n

SHIPPED = ("en", "fr", "de", "es")


def _fr_text() -> str:
    return i18n.catalog_text("fr")


# ---------------------------------------------------------------- the shipped catalogs


def test_every_shipped_catalog_has_every_message_translated_with_its_placeholders() -> None:
    template = i18n.template_catalog()
    assert len([m for m in template if m.id]) > 150
    assert set(SHIPPED) <= set(i18n.available_languages())
    for language in SHIPPED:
        path = f"{language}/messages.po"
        assert i18n.check_catalog(path, i18n.catalog_text(language), template, language) == ()


def test_the_check_command_passes_on_the_shipped_catalogs(capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    assert i18n.main(["check"]) == 0
    assert "0 problems" in capsys.readouterr().out


def test_the_translations_are_not_the_english_text() -> None:
    template = [m.id for m in i18n.template_catalog() if m.id]
    for language in ("fr", "de", "es"):
        catalog = i18n.read_catalog(i18n.catalog_text(language), language)
        same = [m.id for m in catalog if m.id and m.string == m.id]
        # Only codes, placeholders alone and words the languages share may stay as written.
        assert len(same) <= 4, (language, same)
        assert len([m for m in catalog if m.id]) == len(template)


def test_french_catalog_follows_french_typography() -> None:
    catalog = i18n.read_catalog(_fr_text(), "fr")
    strings = [s for m in catalog if m.id
               for s in (m.string if isinstance(m.string, tuple) else (m.string,))]
    text = "\n".join(re.sub(r"<[^>]+>", "", s) for s in strings)
    assert not re.search(r" [:;!?]", text)  # a no-break space before high punctuation
    assert "\u00a0:" in text and "«\u202f" in text and "'" not in text


# ---------------------------------------------------------------- the catalog check


def _problems(text: str) -> list[str]:
    found = i18n.check_catalog("fr.po", text, i18n.template_catalog(), "fr")
    return [str(p) for p in found]


def test_check_reports_a_dropped_or_misspelt_placeholder_with_its_line() -> None:
    text = _fr_text().replace('msgstr "Nous mettons à jour cette politique le %(date)s."',
                              'msgstr "Nous mettons à jour cette politique le %(data)s."')
    problems = _problems(text)
    assert len(problems) == 1
    line = text.splitlines().index('msgstr "Nous mettons à jour cette politique le %(data)s."')
    assert problems[0].startswith(f"fr.po:{line}: ")  # the msgid's line, 1-based
    assert "missing %(date)s" in problems[0] and "unknown %(data)s" in problems[0]


def test_check_reports_missing_untranslated_fuzzy_extra_and_lone_percent() -> None:
    text = _fr_text()
    # remove one message
    text = re.sub(r'#: templates/site/404.html\nmsgid "Page not found"\nmsgstr "[^"]*"\n', "",
                  text)
    # empty one, mark another fuzzy, add an unknown one, and a lone %
    text = text.replace('msgstr "Aller au contenu"', 'msgstr ""')
    text = text.replace('\nmsgid "Draft"\n', '\n#, fuzzy\nmsgid "Draft"\n')
    text += '\nmsgid "A message nobody uses"\nmsgstr "Un message"\n'
    text = text.replace('msgstr "Erreur %(code)s"', 'msgstr "Erreur %(code)s à 100 %"')
    problems = "\n".join(_problems(text))
    assert "'Page not found' is missing" in problems
    assert "'Skip to content' is not translated" in problems
    assert "'Draft' is marked fuzzy" in problems
    assert "'A message nobody uses' is not in messages.pot" in problems
    assert "a lone '%'" in problems
    assert len(problems.splitlines()) == 5


def test_check_reports_a_missing_plural_form() -> None:
    text = _fr_text().replace('msgstr[2] "Les %(count)s versions"\n', "")
    line = text.splitlines().index('msgid "%(count)s version"') + 1
    assert _problems(text) == [
        f"fr.po:{line}: '%(count)s version': "
        "plural form msgstr[2] is missing; this language needs 3 plural forms"]


def test_a_new_language_starts_untranslated_with_its_plural_rule() -> None:
    template = i18n.template_catalog()
    text = i18n.new_catalog_text("it", template)
    assert "Language: it" in text and "Plural-Forms: nplurals=" in text
    catalog = i18n.read_catalog(text, "it")
    assert {m.id for m in catalog if m.id} == {m.id for m in template if m.id}
    problems = i18n.check_catalog("it.po", text, template, "it")
    assert problems and all("is not translated" in p.message for p in problems)


def test_the_new_command_refuses_a_tag_that_is_no_language(capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    assert i18n.main(["new", "not a language"]) == 2
    assert "is not a language" in capsys.readouterr().err


# ---------------------------------------------------------------- translating


def test_messages_in_each_language_with_fallback_to_english() -> None:
    msg = "We are updating this policy on %(date)s."
    assert i18n.gettext("fr", msg, date="15 janvier 2027") == \
        "Nous mettons à jour cette politique le 15 janvier 2027."
    assert i18n.gettext("de-AT", msg, date="15. Jänner 2027") == \
        "Wir aktualisieren diese Richtlinie am 15. Jänner 2027."
    assert i18n.gettext("es-MX", msg, date="x").startswith("Actualizaremos esta política")
    assert i18n.gettext("fr-CA", "Dismiss") == "Fermer"
    assert i18n.gettext("tlh", "Dismiss") == "Dismiss"  # no catalog: the source language
    assert i18n.gettext("fr", "A message that is in no catalog") == \
        "A message that is in no catalog"


def test_plural_forms_follow_the_language() -> None:
    one, many = "%(count)s version", "All %(count)s versions"
    assert i18n.ngettext("en", one, many, 1, count="1") == "1 version"
    assert i18n.ngettext("en", one, many, 0, count="0") == "All 0 versions"
    assert i18n.ngettext("fr", one, many, 0, count="0") == "0 version"  # French: 0 is singular
    assert i18n.ngettext("fr", one, many, 3, count="3") == "Les 3 versions"
    assert i18n.ngettext("de", one, many, 2, count="2") == "Alle 2 Fassungen"
    # the count as the language writes it (the plural chosen by the number itself)
    assert i18n.ngettext("fr", one, many, 1200, count=i18n.format_number(1200, "fr")) \
        == "Les 1\u202f200 versions"


def test_jinja_trans_blocks_find_the_catalog_messages_and_escape_their_values() -> None:
    source = ('{% trans date=d %}We are updating this policy on {{ date }}.{% endtrans %} '
              '{% trans url=u %}Go back to <a href="{{ url }}">the policies page</a>.'
              '{% endtrans %} '
              '{% trans num=n, count=n %}{{ count }} version{% pluralize num %}All {{ count }} '
              'versions{% endtrans %}')
    extracted = {m[1] for m in extract("jinja2", io.BytesIO(source.encode()),
                                       options={"extensions": "jinja2.ext.i18n"})}
    ids = {m.id for m in i18n.template_catalog()}
    assert extracted <= ids  # the templates' blocks are the catalog's messages as written
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_translations(i18n.translations("es"), newstyle=True)
    out = env.from_string(source).render(d="15 de enero de 2027", u='/"><script>', n=3)
    assert out == ("Actualizaremos esta política el 15 de enero de 2027. Volver a "
                   '<a href="/&#34;&gt;&lt;script&gt;">la página de políticas</a>. '
                   "Las 3 versiones")


# ---------------------------------------------------------------- negotiation


@pytest.mark.parametrize(("requested", "available", "expected"), [
    ("fr-CA", ("en", "fr"), "fr"),
    ("fr_CA.UTF-8", ("en", "fr"), "fr"),
    ("FR", ("en", "fr-FR"), "fr-FR"),
    ("pt", ("en", "pt-BR"), "pt-BR"),
    ("zh-Hant-TW", ("zh", "zh-Hant"), "zh-Hant"),
    ("de-CH", ("de-CH", "de"), "de-CH"),
    ("ja", ("en", "fr"), "en"),
    (None, ("fr",), "en"),
    ("", ("fr",), "en"),
    ("not a tag", ("fr",), "en"),
    (("ja", "de", "fr"), ("en", "fr", "de"), "de"),
])
def test_negotiate(requested: str | tuple[str, ...] | None, available: tuple[str, ...],
                   expected: str) -> None:
    assert i18n.negotiate(requested, available) == expected


def test_negotiate_falls_back_to_the_given_default() -> None:
    assert i18n.negotiate("ja", ("fr", "de"), default="fr") == "fr"


def test_accept_language_is_ranked_by_quality_then_order() -> None:
    header = "de;q=0.7, fr-CH, en;q=0.8, fr;q=0.9, *;q=0.5, es;q=0"
    assert i18n.parse_accept_language(header) == ("fr-CH", "fr", "en", "de")
    assert i18n.negotiate(i18n.parse_accept_language(header), ("en", "de")) == "en"


def test_normalize() -> None:
    assert i18n.normalize("pt_br") == "pt-BR"
    assert i18n.normalize("ZH-hant-tw") == "zh-Hant-TW"
    assert i18n.normalize("es-419") == "es-419"
    assert i18n.normalize("de_CH.UTF-8") == "de-CH"
    assert i18n.normalize("<script>") is None


# ---------------------------------------------------------------- direction and names


@pytest.mark.parametrize(("language", "expected"), [
    ("ar", "rtl"), ("ar-EG", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("ur", "rtl"),
    ("yi", "rtl"), ("ps", "rtl"), ("az-Arab", "rtl"), ("pa-Arab", "rtl"),
    ("en", "ltr"), ("fr-CA", "ltr"), ("ja", "ltr"), ("zh-Hant", "ltr"), ("th", "ltr"),
    ("az", "ltr"), ("ar-Latn", "ltr"), ("tlh", "ltr"),
])
def test_direction(language: str, expected: str) -> None:
    assert i18n.direction(language) == expected


def test_language_names_each_in_its_own_language() -> None:
    names = i18n.language_names(["en", "fr", "de", "es", "ar", "ja", "pt_BR"])
    assert [n.name for n in names[:4]] == ["English", "Français", "Deutsch", "Español"]
    assert names[4].name == "العربية" and names[4].direction is i18n.Direction.RTL
    assert names[5].name == "日本語"
    assert names[6].code == "pt-BR" and names[6].name.startswith("Português")
    assert i18n.language_name("de", in_language="fr") == "Allemand"


# ---------------------------------------------------------------- dates and numbers


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "28 November 2013"),
    ("en-US", "28 November 2013"),
    ("fr", "28 novembre 2013"),
    ("fr-CA", "28 novembre 2013"),
    ("de", "28. November 2013"),
    ("es", "28 de noviembre de 2013"),
    ("ja", "2013年11月28日"),
    ("tlh", "28 November 2013"),
])
def test_dates_as_each_language_writes_them(language: str, expected: str) -> None:
    assert i18n.format_date(dt.date(2013, 11, 28), language) == expected


def test_french_writes_the_first_of_the_month_as_an_ordinal() -> None:
    assert i18n.format_date(dt.date(2027, 3, 1), "fr") == "1er mars 2027"
    assert i18n.format_date(dt.date(2027, 3, 11), "fr-CA") == "11 mars 2027"
    assert i18n.format_date(dt.date(2027, 3, 1), "es") == "1 de marzo de 2027"


def test_a_datetime_is_formatted_as_its_date() -> None:
    moment = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)
    assert i18n.format_date(moment, "fr") == "15 janvier 2027"


def test_numbers_with_each_language_separators() -> None:
    assert i18n.format_number(1234567, "en") == "1,234,567"
    assert i18n.format_number(1234567, "fr") == "1\u202f234\u202f567"
    assert i18n.format_number(1234567, "de") == "1.234.567"
    assert i18n.format_number(2.5, "es") == "2,5"


# ---------------------------------------------------------------- catalog coverage


def test_template_fragments_are_the_text_between_tags_and_expressions() -> None:
    source = ('{# a comment with Words #}<style>.x{color:red}</style>\n'
              '<h1>{{ title }}: every version</h1>\n'
              '<p>Published {{ when }} by {{ who }} · <a href="{{ url }}">feed.xml</a></p>\n'
              '{% if x %}<span>Draft</span>{% endif %}')
    # a lone lower-case word ("by") is too little to check on its own
    assert i18n.template_fragments(source) == ("every version", "Published", "Draft")
    script = 'el("button", "color:red", "Dismiss"); label("Dismiss this notice about the ");'
    assert i18n.template_fragments(script, javascript=True) == (
        "Dismiss", "Dismiss this notice about the")


def test_uncovered_lists_the_text_no_message_contains() -> None:
    template = i18n.template_catalog()
    fragments = ("every version", "Published", "A sentence no catalog has")
    assert i18n.uncovered(fragments, template) == ("A sentence no catalog has",)


def test_the_coverage_command_names_the_file_and_the_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "page.html").write_text("<p>See what changes</p><p>Brand new words</p>",
                                        encoding="utf-8")
    (tmp_path / "notice.js").write_text('el("b", "", "Dismiss");', encoding="utf-8")
    assert i18n.main(["coverage", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'page.html'}: not in messages.pot: 'Brand new words'" in out
    assert "2 files: 1 texts not in the catalog" in out


# ---------------------------------------------------------------- extraction


def _repository() -> Path:
    from policybook import catalogs

    root = catalogs.checkout()
    assert root is not None  # the tests run from a source checkout
    return root


def test_messages_pot_is_what_extraction_writes_from_the_templates_and_code() -> None:
    """The template holds exactly the messages of the templates and the code: a message
    added to a template without `extract`, or left behind after its text changed, fails."""
    from policybook import catalogs

    root = _repository()
    written = (root / "policybook" / "locales" / "messages.pot").read_text(encoding="utf-8")
    assert catalogs.template_text(root) == written, (
        "messages.pot is out of date: run python -m policybook.i18n extract, then update")
    # deterministic: no date of the run, no tool version, sorted entries without line numbers
    assert catalogs.template_text(root) == written
    assert "Generated-By" not in written and not re.search(r"^#: \S+:\d+", written, re.M)
    ids = [m.id if isinstance(m.id, str) else m.id[0] for m in i18n.read_catalog(written) if m.id]
    assert ids == sorted(ids)


def test_every_shipped_catalog_is_up_to_date_with_the_template() -> None:
    """`update` would change nothing: each .po holds the template's messages in its order."""
    from policybook import catalogs

    template = i18n.template_catalog()
    for language in SHIPPED:
        text = i18n.catalog_text(language)
        assert catalogs.updated_text(text, language, template) == text, language


def test_extraction_finds_trans_blocks_underscore_calls_and_code_messages(tmp_path: Path) -> None:
    from policybook import catalogs

    site = tmp_path / "templates" / "site"
    site.mkdir(parents=True)
    (tmp_path / "templates" / "email").mkdir()
    (site / "page.html").write_text(
        '{% if x %}\n<p>{{ _("A label") }}</p>\n{% endif %}\n'
        '<p>{% trans date=d %}Valid from {{ date }}.{% endtrans %}</p>\n'
        '{% trans num=n %}{{ num }} page{% pluralize %}{{ num }} pages{% endtrans %}\n',
        encoding="utf-8")
    (tmp_path / "policybook").mkdir()
    (tmp_path / "policybook" / "code.py").write_text(
        'gettext(lang, "A message in code about %(title)s.", title=t)\n'
        'gettext(lang, variable)  # not a literal: not a message\n', encoding="utf-8")
    catalog = catalogs.extract_catalog(tmp_path)
    found = {m.id: ([loc for loc, _ in m.locations], "python-format" in m.flags)
             for m in catalog if m.id}
    assert found == {
        "A label": (["templates/site/page.html"], False),
        "Valid from %(date)s.": (["templates/site/page.html"], True),
        ("%(num)s page", "%(num)s pages"): (["templates/site/page.html"], True),
        "A message in code about %(title)s.": (["policybook/code.py"], True),
    }


def test_update_keeps_translations_and_revives_a_message_that_comes_back() -> None:
    from policybook import catalogs

    fr = i18n.catalog_text("fr")
    template = i18n.template_catalog()
    without = i18n.read_catalog(i18n.catalog_text("en"), "en")  # any catalog as a template
    del without["Page not found"]
    gone = catalogs.updated_text(fr, "fr", without)
    assert '#~ msgid "Page not found"' in gone and '#~ msgstr "Page introuvable"' in gone
    back = catalogs.updated_text(gone, "fr", template)
    assert back == fr  # the translation returns with its message


def test_french_labels_and_quotes_take_a_no_break_space() -> None:
    assert i18n.gettext("fr", "%(label)s:", label="Dernière mise à jour") \
        == "Dernière mise à jour\u00a0:"
    assert i18n.gettext("fr", "There is no policy called “%(policy)s” on this site.",
                        policy="x") == "Il n’y a pas de politique «\u202fx\u202f» sur ce site."
    assert i18n.gettext("de", "%(label)s:", label="Gültig ab") == "Gültig ab:"
