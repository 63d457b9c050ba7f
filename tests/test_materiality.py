"""Materiality: each editorial and each material rule on small hand-written pairs."""

from __future__ import annotations

import pytest

from policybook.diff import diff_documents
from policybook.document import ChangeVerdict, Override, parse_document
from policybook.materiality import assess
from policybook.rulebook import Settings
from tests.helpers import policy
from tests.redlines import judge, rules

DOC = """## 1. Information we collect {#collect}

We collect your name and your e-mail address when you sign up for Acme Cloud.

## 2. Sharing {#sharing}

We do not share, sell, rent or trade your personal data with advertisers.

We will notify you by e-mail at least 30 days before any change takes effect.

## 3. Retention {#retention}

We keep account records for 12 months after you close your account.

## 4. Your rights {#rights}

You can ask us for a copy of your data. Please see Section 7 for how to contact us.

Questions about Acme Cloud? Visit acme.example/help or write to the Acme Cloud team.

## 5. Changes {#changes}

This policy was last updated on March 3, 2026.

This page describes our practices in plain terms for everyone.
"""


def edit(old: str, new: str, doc: str = DOC) -> str:
    assert old in doc, old
    return doc.replace(old, new)


def verdict_and_rules(new: str, old: str = DOC) -> tuple[str, list[str]]:
    a = judge(old, new)
    return str(a.verdict), rules(a)


# ------------------------------------------------------------------ editorial


@pytest.mark.parametrize(("old", "new", "rule"), [
    # whitespace: trailing spaces and a hard wrap
    ("in plain terms for everyone.", "in plain terms   \nfor everyone.", "whitespace"),
    # markup: emphasis
    ("We do not share", "We do **not** share", "markup"),
    # list markers (and the list numbering)
    ("You can ask us for a copy", "You can ask us for a copy", "no-change"),
    # punctuation and capitalisation
    ("when you sign up for Acme Cloud.", "when you sign up for Acme Cloud!", "punctuation"),
    ("This page describes", "this page describes", "punctuation"),
    # typo: the misspelling is gone from the new text
    ("describes our practices", "descibes our practices", "typo"),
    # an accidentally repeated word removed (the edit goes from the doubled text)
    ("in plain terms for everyone.", "in plain plain terms for everyone.", "duplicate-word"),
    # cross-reference label
    ("Please see Section 7 for", "Please see Section 9 for", "numbering"),
    # web address
    ("Visit acme.example/help or", "Visit help.acme.example/contact or", "link-target"),
    # date-only edit
    ("last updated on March 3, 2026.", "last updated on June 1, 2027.", "date-only"),
    # a number written another way
    ("at least 30 days before", "at least thirty (30) days before", "punctuation"),
    # the same words in another order within the sentence
    ("your name and your e-mail address", "your e-mail address and your name", "reordering"),
    # clarification: wording in a sentence stating no duty and touching no concept
    ("in plain terms for everyone.", "in plain and simple terms for everyone.",
     "clarification"),
])
def test_editorial_rules(old: str, new: str, rule: str) -> None:
    changed = edit(old, new)
    if rule == "duplicate-word":  # the fix goes from the doubled text to the clean one
        verdict, found = verdict_and_rules(DOC, changed)
    else:
        verdict, found = verdict_and_rules(changed)
    assert verdict == "editorial", found
    if rule == "no-change":
        assert found == []
    else:
        assert f"editorial {rule}" in found, found


def test_list_markers_heading_levels_renumbering_and_reordering_are_editorial() -> None:
    old = "## 1. Rights\n\n* access\n* delete\n\n## 2. Contact\n\nWrite to us.\n"
    new = "### 2. Rights\n\n- access\n- delete\n\n## 1. Contact\n\nWrite to us.\n"
    a = judge(old, new)
    assert a.verdict is ChangeVerdict.EDITORIAL
    assert set(rules(a)) == {"editorial numbering", "editorial heading-level",
                             "editorial list-markers"}


def test_link_targets_and_retitling_are_editorial() -> None:
    old = "## Contact us\n\nWrite to [our team](https://a.example/help).\n"
    new = "## How to contact us\n\nWrite to [our team](https://b.example/support).\n"
    a = judge(old, new)
    assert a.verdict is ChangeVerdict.EDITORIAL
    assert rules(a) == ["editorial heading-wording", "editorial link-target"]


def test_link_wording_is_editorial_unless_the_words_carry_terms() -> None:
    old = "## Help\n\nFor storage limits, read [What is my quota?](/quota) first.\n"
    new = "## Help\n\nFor storage limits, read [Quotas explained](/quota) first.\n"
    verdict, found = verdict_and_rules(new, old)
    assert (verdict, found) == ("editorial", ["editorial link-wording"])
    sell = new.replace("Quotas explained", "How we sell your data")
    assert judge(old, sell).material


def test_consistent_product_rename_is_editorial() -> None:
    new = DOC.replace("Acme Cloud", "Acme Workspace")
    verdict, found = verdict_and_rules(new)
    assert verdict == "editorial" and set(found) == {"editorial product-rename"}


def test_company_renamed_throughout_is_editorial_but_a_new_processor_is_not() -> None:
    doc = ("## About\n\nThis policy is published by Zephyr.\n\nZephyr answers questions "
           "within a week.\n\n## Payments\n\nWe use Paystream to process your payments.\n\n"
           "Paystream stores your card number.\n")
    renamed = doc.replace("Zephyr", "Nimbus")
    verdict, found = verdict_and_rules(renamed, doc)
    assert (verdict, set(found)) == ("editorial", {"editorial product-rename"})
    # The same edit, twice too, on a company that receives payment data is material.
    swapped = doc.replace("Paystream", "Coinpay")
    verdict, found = verdict_and_rules(swapped, doc)
    assert verdict == "material", found


def test_a_renamed_service_whose_name_says_what_it_does_is_material() -> None:
    doc = ("## Tools\n\nWe use Acme Analytics on our site.\n\nAcme Analytics sets "
           "cookies.\n\nYou can turn off Acme Analytics in settings.\n")
    verdict, found = verdict_and_rules(doc.replace("Acme Analytics", "Acme Ads"), doc)
    assert verdict == "material" and "editorial product-rename" not in found, found


def test_a_sentence_about_data_practices_is_material() -> None:
    old = "## Collection\n\nInformation is gathered when you visit the site.\n"
    new = "## Collection\n\nInformation is gathered when you visit the site or the app.\n"
    verdict, found = verdict_and_rules(new, old)
    assert (verdict, found) == ("material", ["material list-scope"])


def test_rename_that_leaves_the_old_name_in_use_is_not_editorial() -> None:
    # Only one of the two mentions changes: that is not a rename of the product.
    new = DOC.replace("sign up for Acme Cloud.", "sign up for Acme Storage.")
    verdict, found = verdict_and_rules(new)
    assert verdict == "material" and "editorial product-rename" not in found


def test_front_matter_only_edits_are_editorial() -> None:
    old = policy("privacy", "2027-01-01", DOC, summary="Old summary.")
    new = policy("privacy", "2027-05-01", DOC, summary="We now explain things better.")
    a = judge(old, new)
    assert a.verdict is ChangeVerdict.EDITORIAL
    assert rules(a) == ["editorial front-matter", "editorial front-matter"]
    assert a.summary() == "no change to the words or the structure (front matter only)"


def test_summary_labels_mark_non_binding_text_only_in_the_opt_in_profile() -> None:
    old = "## Sharing\n\n**In short:** we share little.\n\nWe share data with partners.\n"
    new = "## Sharing\n\n**In short:** we share hardly any.\n\nWe share data with partners.\n"
    summaries = Settings(profiles=frozenset({"summaries"}))
    a = assess(diff_documents(parse_document(old, "o.md"), parse_document(new, "n.md")),
               settings=summaries)
    assert (str(a.verdict), rules(a)) == ("editorial", ["editorial summary"])
    # By default a summary is text users read, judged like any other.
    assert judge(old, new.replace("hardly any", "your precise location")).material


def test_a_summary_that_flips_a_practice_is_material_even_in_the_profile() -> None:
    old = "## Sharing\n\nAt a glance: we never sell your data.\n\nDetails follow.\n"
    new = "## Sharing\n\nAt a glance: we may sell your data.\n\nDetails follow.\n"
    summaries = Settings(profiles=frozenset({"summaries"}))
    for settings in (None, summaries):
        a = assess(diff_documents(parse_document(old, "o.md"), parse_document(new, "n.md")),
                   settings=settings)
        assert a.material, rules(a)


def test_moved_paragraph_is_editorial() -> None:
    moved = edit("This page describes our practices in plain terms for everyone.\n", "")
    moved = moved.replace("## 2. Sharing {#sharing}\n", "## 2. Sharing {#sharing}\n\n"
                          "This page describes our practices in plain terms for everyone.\n")
    verdict, found = verdict_and_rules(moved)
    assert verdict == "editorial" and set(found) == {"editorial reordering"}


# ------------------------------------------------------------------ material


@pytest.mark.parametrize(("old", "new", "rule"), [
    ("We do not share, sell, rent or trade", "We share, sell, rent or trade",
     "negation-flip"),
    ("We do not share, sell, rent or trade", "We do not sell", "narrowed-negated-list"),
    ("We will notify you by e-mail", "We may notify you by e-mail", "modal-weakening"),
    ("at least 30 days before", "at least 10 days before", "changed-number"),
    ("for 12 months after", "for 24 months after", "changed-number"),
    ("your name and your e-mail address", "your name, your phone number and your e-mail "
     "address", "data-categories"),
    ("You can ask us for a copy of your data.",
     "You can ask us for a copy of your data. We use your data to train AI models.",
     "purposes"),
    ("with advertisers.", "with advertisers. We disclose it to our affiliates.",
     "recipients"),
    ("This page describes our practices in plain terms for everyone.",
     "This page describes our practices in plain terms for everyone. Your data is stored in "
     "data centers outside the European Economic Area.", "processing-locations"),
    ("We keep account records", "We retain account records indefinitely and", "retention"),
    ("You can ask us for a copy of your data.", "You can ask us for a copy of your data, and "
     "you can opt out of e-mail.", "user-rights"),
])
def test_material_rules(old: str, new: str, rule: str) -> None:
    verdict, found = verdict_and_rules(edit(old, new))
    assert verdict == "material", found
    assert f"material {rule}" in found, found


@pytest.mark.parametrize(("sentence", "rule"), [
    ("You agree to pay a monthly fee of 5 euros.", "fees"),
    ("Our liability is limited to the amount you paid us.", "liability"),
    ("Any dispute will be resolved by binding arbitration.", "dispute-resolution"),
    ("This agreement is governed by the laws of Ireland.", "governing-law"),
    ("We may suspend or terminate your account at any time.", "termination"),
    ("We will post a notice on this page before a change takes effect.",
     "notice-of-changes"),
])
def test_added_legal_terms_are_material(sentence: str, rule: str) -> None:
    new = DOC + f"\n## 6. More\n\n{sentence}\n"
    verdict, found = verdict_and_rules(new)
    assert verdict == "material" and f"material {rule}" in found, found


def test_words_swapped_around_a_negation_or_between_recipients_are_material() -> None:
    old = "## S\n\nWe share names with partners but not with brokers.\n"
    new = "## S\n\nWe share names with brokers but not with partners.\n"
    assert judge(old, new).material
    old = "## S\n\nWe send names to advertisers and e-mails to processors.\n"
    new = "## S\n\nWe send e-mails to advertisers and names to processors.\n"
    assert judge(old, new).material


def test_a_number_rewritten_with_a_new_unit_is_material() -> None:
    verdict, found = verdict_and_rules(edit("at least 30 days before",
                                            "at least thirty (30) business days before"))
    assert verdict == "material" and "editorial punctuation" in found, found


def test_a_new_table_row_is_a_material_item() -> None:
    old = "## Subprocessors\n\n| Name | Purpose |\n| --- | --- |\n| Acme | Hosting |\n"
    new = old + "| Beta | Hosting |\n"
    a = judge(old, new)
    assert rules(a) == ["material table-entry"]
    assert "added row “Beta | Hosting”" in str(a.reasons[0])
    assert a.reasons[0].line == 6  # the row's own line


def test_a_changed_price_in_a_table_cell_is_about_fees_not_numbering() -> None:
    old = "## Plans\n\n| Plan | Price |\n| --- | --- |\n| Starter | US$ 10 |\n| A | 2 |\n"
    a = judge(old, old.replace("US$ 10", "US$ 12"))
    assert rules(a) == ["material fees"] and a.reasons[0].concept == "fees"
    # The quote is the cell as written, not its tokens ("US $ 10").
    assert (a.reasons[0].old_words, a.reasons[0].new_words) == ("US$ 10", "US$ 12")
    # Other concepts read in a cell too; a number without a currency is a changed number.
    kept = "## Kept\n\n| Record | Period |\n| --- | --- |\n| Logs | 30 days |\n"
    assert rules(judge(kept, kept.replace("30 days", "90 days"))) == ["material changed-number"]
    shared = "## Shared\n\n| Record | With |\n| --- | --- |\n| Logs | our auditors |\n"
    assert rules(judge(shared, shared.replace("our auditors", "advertisers"))) == \
        ["material recipients"]


@pytest.mark.parametrize(("old", "new", "old_words", "new_words"), [
    ("The plan costs US$ 10 a month.", "The plan costs US$ 12 a month.",
     "The plan costs US$ 10 a month.", "The plan costs US$ 12 a month."),
    ("Late payments carry 5% interest, with 30 days' notice.",
     "Late payments carry 7% interest, with 30 days' notice.",
     "Late payments carry 5% interest, with 30 days' notice.",
     "Late payments carry 7% interest, with 30 days' notice."),
    ("会员每月收取10元费用。", "会员每月收取12元费用。",
     "会员每月收取10元费用。", "会员每月收取12元费用。"),
])
def test_a_material_reason_quotes_the_words_as_written(old: str, new: str, old_words: str,
                                                       new_words: str) -> None:
    a = judge(f"## Fees\n\n{old}\n", f"## Fees\n\n{new}\n")
    assert a.material
    reason = a.reasons[0]
    assert (reason.old_words, reason.new_words) == (old_words, new_words)
    assert f"“{old_words}” became “{new_words}”" in reason.plain


def test_list_item_reasons_point_at_the_item_line() -> None:
    old = "## Rights\n\nYou may:\n\n- access your data\n- correct it\n"
    new = "## Rights\n\nYou may:\n\n- access your data\n- correct it\n- sell it on\n"
    a = judge(old, new)
    assert [(r.rule, r.line) for r in a.reasons] == [("purposes", 7)]


def test_duties_changed_in_scope_are_material() -> None:
    old = "## Access\n\nWe may only access your files for support reasons.\n"
    new = "## Access\n\nOur staff may only access your files for support reasons.\n"
    a = judge(old, new)
    assert a.material and rules(a) in (["material recipients"], ["material duties"])


def test_modal_strengthening_and_items_of_a_negated_list() -> None:
    old = "## Use\n\nYou may keep a copy.\n\nYou must not:\n\n- spam\n- scrape\n"
    new = "## Use\n\nYou must keep a copy.\n\nYou must not:\n\n- spam\n"
    assert rules(judge(old, new)) == ["material modal-strengthening",
                                      "material narrowed-negated-list"]
    assert rules(judge(new, old)) == ["material modal-weakening",
                                      "material widened-negated-list"]


def test_a_changed_notice_clause_is_material() -> None:
    new = edit("We will notify you by e-mail", "We will notify you on our website")
    verdict, _ = verdict_and_rules(new)
    assert verdict == "material"


def test_reasons_quote_the_words_the_section_and_the_line() -> None:
    a = judge(DOC, edit("We do not share, sell, rent or trade", "We do not sell"))
    reason = a.reasons[0]
    assert reason.section == "sharing" and reason.where == "2. Sharing"
    assert reason.line == 7
    assert "“We do not share, sell, rent or trade your personal data" in reason.words
    assert "→ “We do not sell your personal data" in reason.words
    assert str(reason).startswith("narrowed-negated-list")
    assert a.main_reasons == (reason,)


# ------------------------------------------------------------------ override


def test_override_in_the_new_front_matter_wins_and_says_so() -> None:
    old = policy("privacy", "2027-01-01", DOC)
    new = policy("privacy", "2027-02-01", edit("for 12 months", "for 24 months"),
                 extra="change: editorial\nreason: Corrects a typo in the period.")
    a = judge(old, new)
    assert a.detected is ChangeVerdict.MATERIAL and a.verdict is ChangeVerdict.EDITORIAL
    assert not a.material and a.overridden
    assert "Corrects a typo in the period." in a.summary()
    assert "overrules the rules" in a.override_note


def test_override_carried_over_from_the_old_version_is_not_applied() -> None:
    extra = "change: editorial\nreason: Typos only."
    old = policy("privacy", "2027-01-01", DOC, extra=extra)
    new = policy("privacy", "2027-02-01", edit("for 12 months", "for 24 months"), extra=extra)
    a = judge(old, new)
    assert a.material and a.override is None
    assert "carried over unchanged" in a.override_note


def test_explicit_override_and_no_override() -> None:
    new_text = policy("privacy", "2027-02-01", DOC,
                      extra="change: material\nreason: Legal says so.")
    cs = diff_documents(parse_document(DOC, "a.md"), parse_document(new_text, "b.md"))
    assert assess(cs).material
    assert not assess(cs, override=None).material
    forced = assess(cs, override=Override(ChangeVerdict.MATERIAL, "Counsel's call."))
    assert forced.material and forced.override_note.endswith("(Counsel's call.)")


def test_rules_generalise_beyond_one_company() -> None:
    # The same edit judged the same way whatever the company is called.
    for company in ("Zephyr Labs", "Omnicorp", "Kleine GmbH"):
        doc = DOC.replace("Acme Cloud", company).replace("Acme", company)
        a = judge(doc, doc.replace("We will notify you", "We may notify you"))
        assert rules(a) == ["material modal-weakening"], company


def test_a_passage_moved_and_edited_is_judged_by_its_edits() -> None:
    para = ("To the fullest extent the law allows, the club is not responsible for lost "
            "property, damaged bicycles or missed trains of any kind.")
    old = f"## Rules\n\nMembers keep the lockers tidy.\n\n## Liability\n\n{para}\n"
    # Set in capitals and moved under another heading: the same words.
    shouted = para.upper().replace("OF ANY KIND", "OF ANY SORT")
    new = f"## Rules\n\nMembers keep the lockers tidy.\n\n{shouted}\n\n## Liability\n\nSee above.\n"
    a = judge(old, new)
    assert not a.material, rules(a)
    # Moved and edited in what it says: judged by that edit.
    flipped = para.replace("is not responsible", "is responsible")
    new = f"## Rules\n\nMembers keep the lockers tidy.\n\n{flipped}\n\n## Liability\n\nSee above.\n"
    assert "material negation-flip" in rules(judge(old, new))


def test_a_near_duplicate_item_dropped_from_a_list_is_editorial() -> None:
    item = "Leaving bags in the hallway overnight, or blocking the fire doors with any object"
    old = f"## Not allowed\n\nWe do not allow:\n\n- {item}\n- Loud music\n- {item}.\n"
    new = f"## Not allowed\n\nWe do not allow:\n\n- {item}\n- Loud music\n"
    assert not judge(old, new).material, rules(judge(old, new))
    # A different item dropped is not a duplicate.
    other = "Leaving food in the kitchen overnight, or cooking after the quiet hours begin"
    old = f"## Not allowed\n\nWe do not allow:\n\n- {item}\n- Loud music\n- {other}\n"
    assert judge(old, new).material
