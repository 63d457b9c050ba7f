"""Translations: declarations, alignment with the source, and what check requires."""

from __future__ import annotations

import datetime as dt

from policybook.document import ChangeVerdict, parse_document
from policybook.translations import (
    SourceVersion,
    Translation,
    check_alignment,
    check_translations,
    read_translation,
    suggested_path,
)

UTC = dt.UTC
SOURCE = """---
policy: privacy-policy
title: Example Privacy Policy
effective: 2027-03-01
---

Intro.

## 1. What we collect {#collect}

We collect your name.

## 2. How long we keep it {#retention}

We keep it for 30 days.
"""

FRENCH = """---
policy: privacy-policy
language: fr
translates: 2027-03-01
title: Politique de confidentialité
---

Introduction.

## 1. Ce que nous recueillons {#collect}

Nous recueillons votre nom.

## 2. Durée de conservation {#retention}

Nous le conservons pendant 30 jours.
"""


def test_a_translation_declares_its_policy_language_and_source_version() -> None:
    doc = parse_document(FRENCH, "content/fr/privacy-policy.md")
    translation, problems = read_translation(doc, "en")
    assert problems == ()
    assert translation == Translation("content/fr/privacy-policy.md", "privacy-policy", "fr",
                                      dt.date(2027, 3, 1), 4)


def test_a_source_file_is_no_translation() -> None:
    assert read_translation(parse_document(SOURCE, "content/p.md"), "en") == (None, ())
    english = FRENCH.replace("language: fr", "language: en")
    assert read_translation(parse_document(english, "content/p.md"), "en") == (None, ())


def test_a_translation_without_translates_or_with_its_own_date_or_verdict_is_refused() -> None:
    no_source = FRENCH.replace("translates: 2027-03-01\n", "")
    _, problems = read_translation(parse_document(no_source, "fr.md"), "en")
    assert [str(p) for p in problems] == [
        "fr.md:3: a translation names the source version it translates: add "
        "'translates: YYYY-MM-DD' (that version's effective date)"]
    own = FRENCH.replace("translates: 2027-03-01\n", "translates: 2027-03-01\n"
                         "effective: 2027-03-01\nchange: editorial\nreason: typo\n")
    _, problems = read_translation(parse_document(own, "fr.md"), "en")
    assert [p.line for p in problems] == [5, 6]
    assert "remove 'effective'" in problems[0].message
    assert "remove 'change' and 'reason'" in problems[1].message
    bad = FRENCH.replace("language: fr", "language: French").replace("2027-03-01", "March")
    _, problems = read_translation(parse_document(bad, "fr.md"), "en")
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [(3, "language"),
                                                                     (4, "translates")]


def test_sections_align_by_their_stable_ids() -> None:
    source = parse_document(SOURCE, "content/privacy-policy.md")
    assert check_alignment(source, parse_document(FRENCH, "fr.md")) == ()
    renamed = FRENCH.replace("{#retention}", "{#conservation}")
    problems = check_alignment(source, parse_document(renamed, "fr.md"))
    assert [str(p) for p in problems] == [
        "fr.md:14: section 'conservation' is not in the source (content/privacy-policy.md); "
        "give it the {#id} of the section it translates",
        "fr.md: sections of the source not translated: retention (keep each section's {#id})"]


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)


MARCH = SourceVersion(dt.date(2027, 3, 1), _at("2027-03-01T08:00"), _at("2027-01-30T08:00"))
JANUARY = SourceVersion(dt.date(2027, 1, 1), _at("2027-01-01T08:00"), None)
OLD = SourceVersion(dt.date(2026, 6, 1), _at("2026-06-01T08:00"), None)
PERIOD = dt.timedelta(days=30)
SRC = "content/privacy-policy.md"


def _fr(day: dt.date, changed: ChangeVerdict | None = None) -> Translation:
    return Translation("content/fr/privacy-policy.md", "privacy-policy", "fr", day, 4,
                       source_changed=changed)


def test_a_missing_translation_fails_once_the_notice_is_within_the_period() -> None:
    versions = [OLD, JANUARY, MARCH]
    have = [_fr(JANUARY.effective)]
    # 40 days before the notice is due: nothing yet.
    early = check_translations(SRC, versions, have, ["fr"], _at("2026-12-21T00:00"), PERIOD)
    assert early.problems == ()
    # Within the notice period: the check fails, naming the file and the date.
    late = check_translations(SRC, versions, have, ["fr"], _at("2027-01-05T00:00"), PERIOD)
    assert [str(p) for p in late.problems] == [
        "content/privacy-policy.md: the version of 2027-03-01 (notice due 2027-01-30) has no "
        "French (fr) translation: add content/fr/privacy-policy.md with "
        "'translates: 2027-03-01'"]
    done = check_translations(SRC, versions, [*have, _fr(MARCH.effective)], ["fr"],
                              _at("2027-01-05T00:00"), PERIOD)
    assert done.problems == () and done.warnings == ()


def test_an_editorial_version_needs_its_translation_before_it_takes_effect() -> None:
    result = check_translations(SRC, [JANUARY], [], ["de"], _at("2026-12-10T00:00"), PERIOD)
    assert [p.message for p in result.problems] == [
        "the version of 2027-01-01 (takes effect 2027-01-01) has no German (de) translation: "
        "add content/de/privacy-policy.md with 'translates: 2027-01-01'"]


def test_only_the_version_in_force_warns_and_past_versions_are_history() -> None:
    result = check_translations(SRC, [OLD, JANUARY], [], ["fr"], _at("2027-02-01T00:00"),
                                PERIOD)
    assert result.problems == ()
    assert [p.message[:27] for p in result.warnings] == ["the version of 2027-01-01 ("]


def test_a_stale_translation_fails_and_an_editorial_source_edit_warns() -> None:
    stale = check_translations(SRC, [MARCH], [_fr(MARCH.effective, ChangeVerdict.MATERIAL)],
                               ["fr"], _at("2027-01-05T00:00"), PERIOD)
    assert [str(p) for p in stale.problems] == [
        "content/fr/privacy-policy.md:4: translates the version of 2027-03-01, whose source "
        "has changed materially since; update the translation"]
    edited = check_translations(SRC, [MARCH], [_fr(MARCH.effective, ChangeVerdict.EDITORIAL)],
                                ["fr"], _at("2027-01-05T00:00"), PERIOD)
    assert edited.problems == () and len(edited.warnings) == 1


def test_a_translation_of_no_version_is_an_orphan() -> None:
    result = check_translations(SRC, [JANUARY], [_fr(dt.date(2027, 2, 1))], [],
                                _at("2026-12-01T00:00"), PERIOD)
    assert [str(p) for p in result.problems] == [
        "content/fr/privacy-policy.md:4: translates the version of 2027-02-01, which "
        "content/privacy-policy.md does not have (its versions: 2027-01-01)"]


def test_suggested_path() -> None:
    assert suggested_path("content/privacy-policy.md", "fr") == "content/fr/privacy-policy.md"
    assert suggested_path("content/legal/terms.md", "pt-BR") == "content/legal/pt-BR/terms.md"


def test_the_french_sample_is_a_translation_of_the_current_source() -> None:
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    source = parse_document((repo / "content/privacy-policy.md").read_text(encoding="utf-8"),
                            "content/privacy-policy.md")
    path = "content/fr/privacy-policy.md"
    french = parse_document((repo / path).read_text(encoding="utf-8"), path)
    translation, problems = read_translation(french, "en")
    assert problems == () and translation is not None
    assert translation.translates == source.front.effective
    assert check_alignment(source, french) == ()
