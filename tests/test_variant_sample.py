"""The sample's EEA/UK variant of the privacy policy, and its French translation.

The variant is a text of its own for readers in the EEA, the United Kingdom and
Switzerland (legal bases, the controller, the rights and the complaint to a supervisory
authority); its French translation lines up with it section by section and follows
French typography, like the French translation of the general text.
"""

from __future__ import annotations

import re
from pathlib import Path

from policybook.document import Document, parse_document
from policybook.regions import EEA, check_declaration, read_declaration

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "content" / "privacy-policy.eea.md"
FRENCH = REPO / "content" / "fr" / "privacy-policy.eea.md"
GENERAL = REPO / "content" / "privacy-policy.md"


def _parse(path: Path) -> Document:
    return parse_document(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))


def _shape(doc: Document) -> list[tuple[str, int, list[tuple[str, int]]]]:
    return [(s.id, s.level, [(b.kind, len(b.items)) for b in s.blocks])
            for s in doc.root.walk()]


def test_the_variant_declares_its_countries() -> None:
    source = _parse(SOURCE)
    assert source.problems == ()
    declared = read_declaration(source.source)
    variant, problems = check_declaration(declared, source.path, "privacy-policy", {})
    assert problems == ()
    assert variant.id == "eea" and variant.countries == EEA | {"GB", "CH"}
    # The general text declares none: it applies to every other country.
    assert read_declaration(GENERAL.read_text(encoding="utf-8")).variant is None


def test_the_variant_says_what_the_gdpr_asks_of_a_privacy_notice() -> None:
    source = _parse(SOURCE)
    ids = [s.id for s in source.sections()]
    for wanted in ("controller", "legal-bases", "transfers", "retention", "your-rights",
                   "complaints", "contact"):
        assert wanted in ids
    bases = source.section("legal-bases")
    assert bases is not None
    text = " ".join(b.text for b in bases.blocks)
    for basis in ("performance of our contract", "legal obligations",
                  "legitimate interests", "consent"):
        assert basis in text
    complaints = source.section("complaints")
    assert complaints is not None and "supervisory authority" in complaints.blocks[0].text
    controller = source.section("controller")
    assert controller is not None and "is the controller" in controller.blocks[0].text


def test_the_french_translation_lines_up_with_the_variant() -> None:
    source, french = _parse(SOURCE), _parse(FRENCH)
    assert french.problems == ()
    extra = dict(french.front.extra)
    assert (extra["language"], extra["variant"]) == ("fr", "eea")
    assert source.front.effective is not None
    assert extra["translates"] == source.front.effective.isoformat()
    assert _shape(french) == _shape(source)
    assert [link.href for link in french.links()] == [link.href for link in source.links()]
    pairs = list(zip(source.sections(), french.sections(), strict=True))
    assert all(s.number == f.number for s, f in pairs)
    assert all(s.title != f.title for s, f in pairs if s.id != "cookies")


def test_french_typography_of_the_variant() -> None:
    body = FRENCH.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    text = re.sub(r"\]\([^)]*\)", "", body)
    assert not re.search(r" [:;!?]", text)
    assert "\u00a0:" in text and "\u202f;" in text
    assert "« " not in text and " »" not in text
    assert text.count("«\u202f") == text.count("\u202f»") >= 2
    assert "'" not in text and "vous" in text
