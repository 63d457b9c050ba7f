"""The document model: the seed, stable ids, blocks and lines, and every corpus file."""

from __future__ import annotations

from pathlib import Path

import pytest

from policybook.document import BlockKind, ChangeVerdict, parse_document, slugify, split_number
from policybook.templating import make_environment

SEED_SECTIONS = [
    ("information-we-collect", "1", "Information We Collect"),
    ("use-of-personal-information", "2", "Our Use of Personally Identifiable Information"),
    ("disclosure", "3", "Disclosure of Personally Identifiable Information"),
    ("cpni", "4", "Customer Proprietary Network Information"),
    ("security", "5", "Security and Data Integrity"),
    ("cookies", "6", "Our Use of “Cookies”"),
    ("web-beacons", "7", "Our Use of Web Beacons"),
    ("banner-ads", "8", "Our Use of Banner Ads"),
    ("accuracy", "9", "Checking Account and “Preferences” Information for Accuracy"),
    ("social-media", "10", "Social Media Features"),
    ("referral-programs", "11", "Referral Programs"),
    ("blogs-and-forums", "12", "Blogs and Forums"),
    ("testimonials", "13", "Testimonials"),
    ("safe-harbor", "14", "Safe Harbor Compliance"),
    ("enforcement", "15", "Enforcement"),
    ("policy-updates", "16", "Updating of Our Policy"),
    ("contact", "17", "Contacting Us"),
]


def test_seed_has_17_numbered_sections_with_stable_ids(seed_text: str) -> None:
    doc = parse_document(seed_text, "content/privacy-policy.md")
    assert doc.problems == ()
    top = [(s.id, s.number, s.title) for s in doc.root.children]
    assert top == SEED_SECTIONS
    assert all(s.level == 2 and s.explicit_id for s in doc.root.children)


def test_seed_front_matter(seed_text: str) -> None:
    doc = parse_document(seed_text, "content/privacy-policy.md")
    assert doc.policy_id == "privacy-policy"
    assert doc.title == "RingCentral Service Privacy Policy"
    assert str(doc.front.effective) == "2013-11-28"
    assert doc.front.summary and "RingCentral" in doc.front.summary


def test_seed_labelled_clauses_are_addressable_subsections(seed_text: str) -> None:
    doc = parse_document(seed_text, "content/privacy-policy.md")
    use = doc.section("use-of-personal-information")
    disclosure = doc.section("disclosure")
    assert use is not None and disclosure is not None
    assert [c.title for c in use.children] == [
        "Our Internal Use", "Our Customer Surveys", "Third-Party Use"]
    assert [c.id for c in disclosure.children] == [
        "your-consent", "affiliates", "unaffiliated-third-parties", "business-transfers",
        "emergency-calls"]
    consent = doc.section("your-consent")
    assert consent is not None and consent.level == 3
    kinds = [b.kind for b in consent.blocks]
    assert kinds == [BlockKind.PARAGRAPH, BlockKind.LIST, BlockKind.PARAGRAPH, BlockKind.LIST]
    assert consent.blocks[1].items == ("In writing;", "Verbally;",
                                       "Online, by clicking on a link or button; or",
                                       "Through the use of a dialing string or buttons on a "
                                       "telephone handset.")


def test_blocks_carry_their_source_lines(seed_text: str) -> None:
    doc = parse_document(seed_text, "content/privacy-policy.md")
    lines = seed_text.split("\n")
    section = doc.section("policy-updates")
    assert section is not None
    assert lines[section.line - 1].startswith("## 16. Updating of Our Policy")
    block = section.blocks[0]
    assert lines[block.line - 1].startswith("RingCentral will revise or update this Policy")
    assert block.source == lines[block.line - 1]


def test_ids_survive_renumbering_and_explicit_ids_survive_retitling() -> None:
    before = parse_document("## 3. Sharing\n\nText.\n\n## 4. Cookies {#cookies}\n\nMore.\n")
    after = parse_document("## 4. Sharing\n\nText.\n\n## 2. Our use of cookies {#cookies}\n\n"
                           "More.\n")
    assert [s.id for s in before.sections()] == ["sharing", "cookies"]
    assert [s.id for s in after.sections()] == ["sharing", "cookies"]
    assert [s.number for s in after.sections()] == ["4", "2"]


def test_id_line_above_heading_is_accepted_and_lines_are_kept() -> None:
    doc = parse_document("Intro.\n\n{#data}\n## 1. What we collect\n\nWords.\n")
    section = doc.section("data")
    assert section is not None
    assert section.title == "What we collect"
    assert section.line == 4
    assert section.blocks[0].line == 6
    assert doc.root.blocks[0].text == "Intro."


@pytest.mark.parametrize(("heading", "number", "title"), [
    ("1. Information", "1", "Information"),
    ("1\\. INFORMATION", "1", "INFORMATION"),
    ("A. Definitions", "A", "Definitions"),
    ("IV. Remedies", "IV", "Remedies"),
    ("2.3 Retention", "2.3", "Retention"),
    ("Section 7 - Changes", "7", "Changes"),
    ("A word on cookies", None, "A word on cookies"),
    ("2023 Update", None, "2023 Update"),
])
def test_numbering_is_split_from_titles(heading: str, number: str | None, title: str) -> None:
    doc = parse_document(f"## {heading}\n\nText.\n")
    section = next(doc.sections())
    assert (section.number, section.title) == (number, title)
    assert split_number(section.heading) == (number, title)


def test_duplicate_titles_are_qualified_by_their_parent() -> None:
    doc = parse_document("## Security\n### Summary\nA.\n## Payment\n### Summary\nB.\n")
    assert [s.id for s in doc.sections()] == [
        "security", "security--summary", "payment", "payment--summary"]


def test_slugify_matches_github_anchors() -> None:
    assert slugify("F. Copyright Infringement and DMCA Policy") == \
        "f-copyright-infringement-and-dmca-policy"
    assert slugify("Our Use of “Cookies”") == "our-use-of-cookies"


def test_tables_are_rows_of_cells() -> None:
    doc = parse_document("## Subprocessors\n\n| Name | Purpose |\n| --- | --- |\n"
                         "| Acme | Hosting |\n| Beta | **Email** |\n")
    table = next(doc.sections()).blocks[0]
    assert table.kind is BlockKind.TABLE
    assert table.rows == (("Name", "Purpose"), ("Acme", "Hosting"), ("Beta", "Email"))


def test_raw_html_is_escaped_and_script_links_dropped() -> None:
    doc = parse_document("## A\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) "
                         "[ok](https://example.com) <img src=x onerror=alert(1)>\n")
    html = "".join(b.html for b in next(doc.sections()).blocks)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.com">ok</a>' in html
    assert [link.href for link in doc.links()] == ["https://example.com"]


def test_override_in_front_matter() -> None:
    doc = parse_document("---\npolicy: p\ntitle: P\neffective: 2027-01-01\nchange: editorial\n"
                         "reason: Only typos.\n---\n\n## A\n\nText.\n")
    assert doc.front.override is not None
    assert doc.front.override.verdict is ChangeVerdict.EDITORIAL
    assert doc.front.override.reason == "Only typos."


def test_comments_and_liquid_tags_are_not_content() -> None:
    doc = parse_document("## A\n\n<!-- internal note -->\n{% note %}\nVisible.\n{% endnote %}\n")
    section = next(doc.sections())
    assert [b.text for b in section.blocks] == ["Visible."]


def test_every_corpus_file_parses_and_renders(corpus_dir: Path) -> None:
    files = sorted((corpus_dir / "pairs").glob("*/*.md"))
    assert len(files) == 288
    template = make_environment(None).get_template("site/document.html")
    for file in files:
        doc = parse_document(file.read_text(encoding="utf-8"), str(file))
        assert doc.problems == (), file
        assert any(True for _ in doc.sections()), file
        html = template.render(doc=doc)
        assert f"<title>{doc.title}" in html.replace("&#39;", "'").replace("&amp;", "&")
        for section in doc.sections():
            assert f'id="{section.id}"' in html, (file, section.id)


def test_words_struck_through_are_not_the_blocks_words() -> None:
    # A reader sees "~~not~~" deleted: the words in force are the others, in a paragraph
    # as in a heading, and the source keeps what was written.
    doc = parse_document("## Kites ~~for sale~~\n\nWe do ~~not~~ sell your flight logs.\n")
    section = doc.root.children[0]
    assert section.title == "Kites"
    block = section.blocks[0]
    assert block.text == "We do sell your flight logs."
    assert "~~not~~" in block.source
