"""The `[materiality]` settings of policybook.toml: extra terms, rules switched off, profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from policybook.config import load_config
from policybook.errors import ConfigError
from policybook.materiality import Rule, assess
from tests.redlines import changes, rules

OLD = "## Fees\n\nA service charge applies to each booking made 5 days ahead by phone.\n"


def test_extra_terms_disabled_rules_and_profiles_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[materiality]\nterms = { fees = ["tip jar"] }\ndisable = ["changed-number"]\n'
        'profiles = ["summaries"]\n', encoding="utf-8")
    settings = load_config(tmp_path, env={}).materiality
    assert settings is not None and "summaries" in settings.profiles
    old = "## Extras\n\nGuests like the view from the deck.\n"
    new = "## Extras\n\nGuests like the tip jar on the deck.\n"
    assert not assess(changes(old, new.replace("tip jar", "lamps"))).material
    a = assess(changes(old, new), settings=settings)
    assert a.material and "material fees" in rules(a)
    # A rule switched off explains nothing: the run falls to the next rules (here none
    # reads "7": a clarification), and the reason names the rule that was skipped.
    a = assess(changes(OLD, OLD.replace("5 days", "7 days")), settings=settings)
    assert not a.material and rules(a) == ["editorial clarification"]
    assert "changed-number switched off" in a.changes[0].reasons[0].note
    assert assess(changes(OLD, OLD.replace("5 days", "7 days"))).material


def test_an_editorial_rule_switched_off_lets_the_change_fall_to_the_next_rules() -> None:
    from policybook.rulebook import Settings

    old = "## Contact\n\nWrite to us at 12 Harbour Street, Lakeside.\n"
    new = "## Contact\n\nWrite to us at 48 Harbour Street, Lakeside.\n"
    assert rules(assess(changes(old, new))) == ["editorial contact-details"]
    off = Settings(disabled=frozenset({Rule.CONTACT}))
    a = assess(changes(old, new), settings=off)
    assert a.material and rules(a) == ["material changed-number"]
    # Also for an added passage.
    added = old + "\nYou can also write to us at 3 Mill Lane, Lakeside.\n"
    assert rules(assess(changes(old, added))) == ["editorial contact-details"]
    assert rules(assess(changes(old, added), settings=off)) != ["editorial contact-details"]


def test_a_material_rule_switched_off_lets_the_change_fall_to_the_next_material_rule() -> None:
    from policybook.rulebook import Settings

    old = "## Delivery\n\nParcels ship from our depot.\n"
    new = "## Delivery\n\nParcels ship from our depot in Portugal for a fee.\n"
    assert rules(assess(changes(old, new)))[0] == "material fees"
    off = Settings(disabled=frozenset({Rule.FEES}))
    a = assess(changes(old, new), settings=off)
    assert a.material and rules(a)[0] == "material places", rules(a)
    both = Settings(disabled=frozenset({Rule.FEES, Rule.PLACES}))
    assert rules(assess(changes(old, new), settings=both))[0] != "material places"


def test_mistakes_in_the_section_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[materiality]\nterms = { snacks = ["crisps"], fees = "tip" }\n'
        'disable = ["no-such-rule"]\nprofiles = ["github"]\ncolour = "red"\n',
        encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, env={})
    text = str(raised.value)
    for expected in ("materiality.terms.snacks: unknown concept",
                     "materiality.terms.fees must be a list of words",
                     "unknown rule 'no-such-rule'", "unknown profile 'github'",
                     "unknown setting 'materiality.colour'"):
        assert expected in text, text


def test_extra_terms_also_judge_added_paragraphs() -> None:
    from policybook.rulebook import Settings

    old = "## Extras\n\nGuests like the deck.\n"
    new = old + "\nA tip jar stands by the door.\n"
    assert not assess(changes(old, new)).material
    a = assess(changes(old, new), settings=Settings(terms=(("fees", ("tip jar",)),)))
    assert a.material and rules(a) == ["material fees"]


def test_a_structural_finding_switched_off_falls_to_the_next_rules() -> None:
    """An added table row, a restyled block, a moved paragraph and a contents row are
    decided by structure; with their rule switched off, the words decide (never a silent
    editorial verdict)."""
    from policybook.rulebook import Settings

    table = "## Partners\n\n| Partner | Role |\n| --- | --- |\n| Northwind | Hosting |\n"
    sharing = table + "| Southgate | receives your purchase history and device identifiers |\n"
    plain = table + "| Southgate | Hosting |\n"
    assert rules(assess(changes(table, sharing))) == ["material table-entry"]
    off = Settings(disabled=frozenset({Rule.TABLE_ENTRY}))
    a = assess(changes(table, sharing), settings=off)
    assert a.material and rules(a)[0] == "material data-categories", rules(a)
    assert "table-entry switched off" in a.reasons[0].note
    a = assess(changes(table, plain), settings=off)
    assert not a.material and "table-entry switched off" in a.changes[0].reasons[0].note

    # A paragraph set in bold: the same words; with markup off nothing else explains it,
    # and the reason says which rule was skipped.
    para = "## Use\n\nWe send a receipt after each order.\n"
    bold = "## Use\n\n**We send a receipt after each order.**\n"
    assert rules(assess(changes(para, bold))) == ["editorial markup"]
    a = assess(changes(para, bold), settings=Settings(disabled=frozenset({Rule.MARKUP})))
    assert not a.material and rules(a) == ["editorial clarification"]
    assert "markup switched off" in a.changes[0].reasons[0].note

    # A paragraph moved to another section: with reordering off it is judged as text.
    two = ("## One\n\nWe keep your order history for two years.\n\n## Two\n\n"
           "Our shop opens on weekdays.\n")
    moved = ("## One\n\nOur shop opens on weekdays too.\n\n## Two\n\nOur shop opens on "
             "weekdays.\n\nWe keep your order history for two years.\n")
    found = rules(assess(changes(two, moved)))
    assert "editorial reordering" in found and "material retention" not in found, found
    a = assess(changes(two, moved), settings=Settings(disabled=frozenset({Rule.REORDERING})))
    assert a.material and "editorial reordering" not in rules(a), rules(a)


def test_a_section_change_switched_off_falls_to_the_next_rules() -> None:
    """A heading reworded, a section moved: with heading-wording or reordering off, the
    heading's words and the moved text are read like any other words."""
    from policybook.rulebook import Settings

    old = "# T\n\n## Flying hours\n\nThe field opens at nine.\n"
    new = "# T\n\n## Flying hours and landing fees\n\nThe field opens at nine.\n"
    assert rules(assess(changes(old, new))) == ["editorial heading-wording"]
    a = assess(changes(old, new), settings=Settings(disabled=frozenset({Rule.HEADING_WORDING})))
    assert a.material and rules(a) == ["material fees"], rules(a)
    assert "heading-wording switched off" in a.reasons[0].note

    two = ("# T\n\n## Kites\n\nWe keep your flight logs for two years.\n\n## Reels\n\n"
           "Reels are lent for a small fee.\n")
    swapped = ("# T\n\n## Reels\n\nReels are lent for a small fee.\n\n## Kites\n\n"
               "We keep your flight logs for two years.\n")
    found = rules(assess(changes(two, swapped)))
    assert "editorial reordering" in found and not assess(changes(two, swapped)).material, found
    a = assess(changes(two, swapped), settings=Settings(disabled=frozenset({Rule.REORDERING})))
    assert a.material and "editorial reordering" not in rules(a), rules(a)
