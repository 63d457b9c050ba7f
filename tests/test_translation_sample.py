"""The French sample translation of the privacy policy: aligned with its source.

A translation is only useful if it lines up with the source version it names: the same
stable section ids in the same order, the same blocks and list items in each section
(so the site can show them side by side), the same link targets, and front matter that
names the version it translates. The typography checks are what a French reader sees
first: no plain space before a high punctuation mark, guillemets with their spaces.
"""

from __future__ import annotations

import re
from pathlib import Path

from policybook.document import Document, parse_document

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "content" / "privacy-policy.md"
FRENCH = REPO / "content" / "fr" / "privacy-policy.md"


def _parse(path: Path) -> Document:
    return parse_document(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))


def _shape(doc: Document) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """Each section: its id, level, and each block's kind and number of list items."""
    return [(s.id, s.level, [(b.kind, len(b.items)) for b in s.blocks])
            for s in doc.root.walk()]


def test_front_matter_names_the_source_version_it_translates() -> None:
    source, french = _parse(SOURCE), _parse(FRENCH)
    assert french.problems == ()
    extra = dict(french.front.extra)
    assert french.front.policy == source.front.policy == "privacy-policy"
    assert extra["language"] == "fr"
    assert source.front.effective is not None
    assert extra["translates"] == source.front.effective.isoformat()
    assert french.front.title and french.front.title != source.front.title
    assert french.front.summary and "Safe Harbor" in french.front.summary


def test_sections_blocks_and_items_line_up_with_the_source() -> None:
    source, french = _parse(SOURCE), _parse(FRENCH)
    assert _shape(french) == _shape(source)
    assert all(s.explicit_id for s in french.sections())


def test_headings_are_translated_but_keep_their_numbers() -> None:
    source, french = _parse(SOURCE), _parse(FRENCH)
    pairs = list(zip(source.sections(), french.sections(), strict=True))
    assert all(s.number == f.number for s, f in pairs)
    assert all(s.title != f.title for s, f in pairs)
    assert dict((f.id, f.title) for _, f in pairs)["contact"] == "Nous contacter"


def test_links_keep_their_targets_in_order() -> None:
    source, french = _parse(SOURCE), _parse(FRENCH)
    assert [link.href for link in french.links()] == [link.href for link in source.links()]


def _prose(doc: Document) -> str:
    """The body text without link targets and autolinks (URLs hold ':' and '?')."""
    body = doc.source.split("\n---\n", 1)[1]
    return re.sub(r"\]\([^)]*\)|<[a-z]+:[^>]*>", "", body)


def test_french_typography() -> None:
    text = _prose(_parse(FRENCH))
    # A high punctuation mark takes a no-break space before it, never a plain one.
    assert not re.search(r" [:;!?]", text)
    assert re.search("\u00a0:", text) and re.search("\u202f;", text)
    assert "« " not in text and " »" not in text
    assert text.count("«\u202f") == text.count("\u202f»") > 20
    # Typographic apostrophes and no straight double quotes in the prose.
    assert "'" not in text and '"' not in re.sub(r'"[^"]*"\)', "", text)
    assert "vous" in text and " tu " not in text  # vouvoiement


def test_no_break_spaces_survive_in_titles_and_block_text() -> None:
    # French typography binds « » and high punctuation to their words with no-break
    # spaces; a title that lost them wraps "« Préférences" away from its "»".
    french = _parse(FRENCH)
    accuracy = french.section("accuracy")
    assert accuracy is not None
    assert accuracy.title.endswith("«\u202fPréférences\u202f»")
    cookies = french.section("cookies")
    assert cookies is not None and "«\u202fcookies\u202f»" in cookies.blocks[0].text
    # Other whitespace still collapses to one space.
    doc = parse_document("## Un  titre\u00a0:\tdeux\n\nTexte  sur\ndeux lignes.\n", "t.md")
    section = next(doc.sections())
    assert section.title == "Un titre\u00a0: deux"
    assert section.blocks[0].text == "Texte sur deux lignes."


def test_a_run_of_whitespace_holding_a_no_break_space_collapses_to_it() -> None:
    from policybook.markdown import normalize_space

    assert normalize_space(" 30 \u00a0 jours ") == "30\u00a0jours"
    assert normalize_space("«\u202f cookies \u202f»\n") == "«\u202fcookies\u202f»"
    assert normalize_space(" plain \t text\n") == "plain text"
