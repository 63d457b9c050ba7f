"""The inline rule of policybook's parser (`mdinline`: a cache per content and a plain
text fast path) gives the very tokens markdown-it's own rule gives."""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from policybook import markdown, mdinline

SAMPLES = {
    "plain": "We keep your account data for 30 days; then we delete it.",
    "soft break": "We keep your data\nfor 30 days.",
    "hard break": "We keep your data  \nfor 30 days.",
    "emphasis": "We **never** sell *your* data, __ever__, _at all_.",
    "link": "Read our [Cookie Notice](https://example.com/cookies \"Cookies\") first.",
    "unsafe link": "A [trap](javascript:alert(1)) and a [file](file:///etc/passwd).",
    "image": "See ![a *chart* of fees](https://example.com/fees.png) below.",
    "autolink": "Write to <privacy@example.com> or <https://example.com/help>.",
    "escapes": "Fees are \\*not\\* refundable \\[see below\\].",
    "entities": "Fees &amp; charges &copy; 2027 &#169; &unknown;",
    "code": "Set `notify = true` in ``your `settings` ``.",
    "strikethrough": "We ~~may~~ will tell you.",
    "raw html": "A <span>wrapped</span> word<br> here.",
    "html block": "<div class=\"note\">\n<p>A <b>raw</b> block</p>\n</div>\n\n<!-- a comment -->\n"
                  "\n<br/>\nText after <https://example.com>.",
    "unbalanced": "A * lone star, a [ bracket and a ` tick.",
    "empty cell": "| Name | Value |\n| --- | --- |\n| fees |  |\n| | none |",
    "list": "- **Data.** We keep it.\n- Plain item\n  continued\n\n1. [First](#first)",
    "heading": "## 3. *Sharing* your data\n\nText.",
    "line ends": "Windows line ends\r\nand an old Mac's\rin one text.\r\n\r\n- an item\r\n",
    "NUL": "A NUL\0 character *here*\0.",
    "non-Latin": "我们**不会**出售您的数据。 Мы *не* продаём данные.",
}


def _stock() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _tokens(md: MarkdownIt, text: str) -> list[dict[str, Any]]:
    return [t.as_dict() for t in md.parse(text)]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_tokens_are_markdown_its_own(name: str) -> None:
    text = SAMPLES[name]
    mdinline.forget()
    first = _tokens(markdown.make_parser(), text)
    again = _tokens(markdown.make_parser(), text)  # now from the cache
    assert first == _tokens(_stock(), text)
    assert again == first


def test_a_document_with_reference_links_is_parsed_as_markdown_it_does() -> None:
    # A reference definition changes what the same content means: "[Notice]" is a link
    # here, plain text in a document without the definition.
    text = "See [Notice] and [the terms][terms].\n\n[Notice]: https://example.com/n\n" \
           "[terms]: https://example.com/t\n"
    mdinline.forget()
    plain = _tokens(markdown.make_parser(), "See [Notice] and [the terms][terms].")
    assert _tokens(markdown.make_parser(), text) == _tokens(_stock(), text)
    assert plain == _tokens(_stock(), "See [Notice] and [the terms][terms].")


def test_shared_contents_are_parsed_once() -> None:
    mdinline.forget()
    md = markdown.make_parser()
    md.parse("We **never** sell your data.\n\n| a | b |\n| --- | --- |\n| x | y |\n")
    cached = len(mdinline._PARSED)
    md.parse("## New\n\nWe **never** sell your data.\n")
    assert len(mdinline._PARSED) == cached + 1  # only the heading is new
    rendered = markdown.render(md.parse("We **never** sell your data."))
    assert rendered == "<p>We <strong>never</strong> sell your data.</p>\n"
