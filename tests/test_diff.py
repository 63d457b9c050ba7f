"""The semantic diff: every change kind, block and item changes, word redlines."""

from __future__ import annotations

import pytest

from policybook.redline import Op, Span, similarity, tokens, word_redline
from tests.helpers import policy
from tests.redlines import changes, dump, marks

BASE = """## 1. Information we collect

We collect your name and e-mail address.

## 2. How we share it {#sharing}

We do not share, sell, rent or trade your data.

## 3. Cookies

We use cookies to keep you signed in.
"""


def test_identical_documents_have_no_changes() -> None:
    cs = changes(BASE, BASE)
    assert cs.empty and dump(cs) == []


def test_word_redline_keeps_punctuation_apart_and_reassembles_the_text() -> None:
    r = word_redline("We do not share, sell, rent or trade your data.",
                     "We do not sell your data.")
    assert marks(r) == "We do not [-share,-] sell [-, rent or trade-] your data."
    assert "".join(s.text for s in r.spans if s.op is not Op.DELETE) == \
        "We do not sell your data."
    assert [(h.deleted, h.inserted) for h in r.hunks()] == [
        (("share", ","), ()), ((",", "rent", "or", "trade"), ())]
    assert tokens("See D.4 — D.7, e-mail a@b.com; $1,000.") == [
        "See ", "D.4 ", "— ", "D.7", ", ", "e-mail ", "a@b.com", "; ", "$", "1,000", "."]
    assert similarity("a b c d", "a b c d") == 1.0
    assert similarity("alpha beta", "gamma delta") < 0.2


def test_added_and_removed_sections() -> None:
    new = BASE.replace("## 3. Cookies", "## 3. Retention\n\nWe keep data for 30 days.\n\n"
                       "## 4. Cookies")
    assert dump(changes(BASE, new)) == [
        "added retention",
        "  added paragraph: {+We keep data for 30 days.+}",
        "renumbered cookies (3 → 4)",
    ]
    assert dump(changes(new, BASE)) == [
        "removed retention",
        "  removed paragraph: [-We keep data for 30 days.-]",
        "renumbered cookies (4 → 3)",
    ]


def test_moved_section_keeps_its_id_and_is_reported_once() -> None:
    new = """## 3. Cookies

We use cookies to keep you signed in.

## 1. Information we collect

We collect your name and e-mail address.

## 2. How we share it {#sharing}

We do not share, sell, rent or trade your data.
"""
    lines = dump(changes(BASE, new))
    assert "moved cookies (to another place among its sibling sections)" in lines
    assert not any(line.startswith("moved information") for line in lines)
    assert not any(line.startswith("moved sharing") for line in lines)


def test_section_moved_under_another_parent() -> None:
    old = "## A\n\nAlpha text here.\n\n## B\n\nBeta text here.\n\n### C\n\nGamma text here.\n"
    new = "## A\n\nAlpha text here.\n\n### C\n\nGamma text here.\n\n## B\n\nBeta text here.\n"
    lines = dump(changes(old, new))
    assert lines == ["moved c (from under “B” to under “A”)"]


def test_same_text_under_a_new_title_is_one_retitled_section() -> None:
    new = BASE.replace("## 3. Cookies", "## 3. Small files on your device")
    assert dump(changes(BASE, new)) == [
        "retitled small-files-on-your-device (anchor #cookies is now "
        "#small-files-on-your-device)",
        "  title: [-Cookies-] {+Small files on your device+}",
    ]


def test_explicit_id_survives_retitling_and_edits_pair_by_similarity() -> None:
    new = BASE.replace("## 2. How we share it {#sharing}", "## 2. Sharing {#sharing}")
    assert dump(changes(BASE, new)) == ["retitled sharing", "  title: [-How we share it-] "
                                        "{+Sharing+}"]
    edited = BASE.replace("## 3. Cookies\n\nWe use cookies to keep you signed in.",
                          "## 3. Cookies and pixels\n\nWe use cookies and pixels to keep you "
                          "signed in.")
    assert dump(changes(BASE, edited)) == [
        "retitled cookies-and-pixels (anchor #cookies is now #cookies-and-pixels)",
        "  title: Cookies {+and pixels+}",
        "modified cookies-and-pixels",
        "  changed paragraph: We use cookies {+and pixels+} to keep you signed in.",
    ]


def test_renumbered_and_heading_level() -> None:
    new = BASE.replace("## 1. Information", "### 1.1 Information")
    lines = dump(changes(BASE, new))
    assert "renumbered information-we-collect (1 → 1.1)" in lines
    assert "heading-level information-we-collect (heading level 2 → 3)" in lines


def test_modified_paragraph_gets_a_word_redline() -> None:
    new = BASE.replace("share, sell, rent or trade", "sell")
    assert dump(changes(BASE, new)) == [
        "modified sharing",
        "  changed paragraph: We do not [-share,-] sell [-, rent or trade-] your data.",
    ]


def test_blocks_added_removed_and_moved_between_sections() -> None:
    old = ("## A\n\nFirst paragraph of A stays.\n\nThis sentence travels to B.\n\n"
           "## B\n\nB has its own text.\n")
    new = ("## A\n\nFirst paragraph of A stays.\n\nA new paragraph.\n\n"
           "## B\n\nB has its own text.\n\nThis sentence travels to B.\n")
    assert dump(changes(old, new)) == [
        "modified a",
        "  moved paragraph <b>: This sentence travels to B.",
        "  added paragraph: {+A new paragraph.+}",
        "modified b",
        "  moved paragraph <a>: This sentence travels to B.",
    ]


def test_lists_are_compared_item_by_item() -> None:
    old = "## Rights\n\nYou may:\n\n- access your data\n- correct it\n- delete it\n"
    new = "## Rights\n\nYou may:\n\n- access your data\n- correct it promptly\n" \
          "- export it\n"
    assert dump(changes(old, new)) == [
        "modified rights",
        "  changed list",
        "    changed: correct it {+promptly+}",
        "    removed: [-delete it-]",
        "    added: {+export it+}",
    ]


def test_list_items_reordered_are_moves() -> None:
    old = "## L\n\n- alpha one\n- beta two\n- gamma three\n"
    new = "## L\n\n- gamma three\n- alpha one\n- beta two\n"
    assert dump(changes(old, new)) == ["modified l", "  changed list",
                                       "    moved: gamma three"]


def test_tables_are_compared_row_by_row_and_cell_by_cell() -> None:
    old = ("## Subprocessors\n\n| Name | Purpose | Location |\n| --- | --- | --- |\n"
           "| Acme | Hosting | US |\n| Beta | E-mail | EU |\n")
    new = ("## Subprocessors\n\n| Name | Purpose | Location |\n| --- | --- | --- |\n"
           "| Acme | Hosting | US, India |\n| Beta | E-mail | EU |\n| Gamma | Analytics | US |\n")
    assert dump(changes(old, new)) == [
        "modified subprocessors",
        "  changed table",
        "    changed: Acme | Hosting | US{+, India+}",
        "    added: {+Gamma+} | {+Analytics+} | {+US+}",
    ]


def test_formatting_only_changes_are_restyled_blocks() -> None:
    old = "## A\n\nWe *never* sell data.\n\n* one item\n* two item\n\nSee [terms](/t).\n"
    new = "## A\n\nWe _never_ sell   data.\n\n- one item\n- two item\n\nSee [terms](/terms).\n"
    assert dump(changes(old, new)) == [
        "modified a",
        "  restyled paragraph [markup]: We never sell data.",
        "  restyled list [list-markers]: one item two item",
        "  restyled paragraph [links]: See terms.",
    ]
    spaced = "## A\n\nWe *never* sell data.   \n\n* one item\n* two item\n\nSee [terms](/t).\n"
    assert dump(changes(old, spaced)) == ["modified a",
                                          "  restyled paragraph [whitespace]: We never sell "
                                          "data."]


def test_paragraph_split_in_two_is_a_restyle() -> None:
    old = "## A\n\nFirst sentence here. Second sentence here.\n"
    new = "## A\n\nFirst sentence here.\n\nSecond sentence here.\n"
    assert dump(changes(old, new)) == [
        "modified a",
        "  restyled paragraph [block-kind]: First sentence here. Second sentence here."]


def test_template_tags_and_alerts_are_not_words() -> None:
    old = "## A\n\n**Note:** Deprecated terms.{% endnote %}\n"
    new = "## A\n\n> [!NOTE]\n> Deprecated terms.\n"
    assert dump(changes(old, new)) == [
        "modified a", "  restyled quote [block-kind]: Note: Deprecated terms."]


def test_front_matter_changes_are_reported_apart() -> None:
    old = policy("privacy", "2027-01-01", BASE, summary="First.")
    new = policy("privacy", "2027-03-01", BASE, summary="Second.")
    assert dump(changes(old, new)) == [
        "front effective: '2027-01-01' -> '2027-03-01'",
        "front summary: 'First.' -> 'Second.'",
    ]


def test_files_without_front_matter_and_text_before_the_first_heading() -> None:
    cs = changes("Intro words.\n\n## A\n\nText.\n", "Intro words, changed.\n\n## A\n\nText.\n")
    assert dump(cs) == ["modified _top", "  changed paragraph: Intro words{+, changed+}."]
    assert cs.new.policy_id == "new"
    assert cs.changes[0].where == "(text before the first heading)"


def test_nested_sections_carry_their_path() -> None:
    old = "## 3. Disclosure\n\n### Your consent\n\nWe ask first.\n"
    new = "## 3. Disclosure\n\n### Your consent\n\nWe ask first, always.\n"
    cs = changes(old, new)
    assert [c.where for c in cs.changes] == ["3. Disclosure › Your consent"]


def test_list_items_and_table_rows_carry_their_lines() -> None:
    from policybook.document import parse_document

    doc = parse_document("---\np: 1\n---\n## A\n\n- one\n- two\n  more\n- three\n\n"
                         "| x | y |\n|---|---|\n| 1 | 2 |\n")
    lst, table = next(doc.sections()).blocks
    assert (lst.items, lst.item_lines) == (("one", "two more", "three"), (6, 7, 9))
    assert (table.rows, table.item_lines) == ((("x", "y"), ("1", "2")), (11, 13))


def test_a_section_replaced_in_place_and_one_moved_into_its_slot() -> None:
    old = "## A\n\nAlpha words.\n\n## B\n\nBeta words.\n\n## C\n\nGamma words.\n"
    new = "## A\n\nAlpha words.\n\n## C\n\nGamma words.\n\n## D\n\nSomething else entirely.\n"
    assert dump(changes(old, new)) == [
        "removed b", "  removed paragraph: [-Beta words.-]",
        "added d", "  added paragraph: {+Something else entirely.+}"]
    swapped = "## B\n\nBeta words.\n\n## A\n\nAlpha words.\n\n## C\n\nGamma words.\n"
    assert [line for line in dump(changes(old, swapped)) if line.startswith("moved")] in (
        ["moved a (to another place among its sibling sections)"],
        ["moved b (to another place among its sibling sections)"])


@pytest.mark.parametrize("text", ["", "   ", "We keep your data for 30 days.",
                                  " 我们不会出售您的数据。 ", "fees | US$ 10 | monthly " * 300])
def test_an_unchanged_text_is_one_equal_span(text: str) -> None:
    # The shortcut for equal texts gives what difflib gives (the long text takes the
    # patience path), and an unchanged text is fully alike.
    redline = word_redline(text, text)
    assert redline.spans == ((Span(Op.EQUAL, text.lstrip()),) if text.strip() else ())
    assert redline.hunks() == () and not redline.changed
    assert similarity(text, text) == 1.0
    edited = word_redline(text, text + " Fees may change.")
    assert edited.hunks() is edited.hunks()  # found once
    assert [h.inserted for h in edited.hunks()] == [("Fees", "may", "change", ".")]
