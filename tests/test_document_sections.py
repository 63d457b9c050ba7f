"""Parsing a part at a time (from a heading, or from some blank lines), and each part's
text once per process, gives the very document that parsing the whole text gives."""

from __future__ import annotations

import pytest

from policybook import document
from policybook.document import Document, parse_document

HEAD = "---\npolicy: privacy-policy\ntitle: Privacy\neffective: 2027-01-01\n---\n"

# Texts where a line that looks like a heading is not one, or where the block before a
# heading could be read on past it.
TRICKY = {
    "fences": """Intro text.

```
# a comment in code, not a heading
## nor this
```

## 1. Real heading

~~~~text
# still code
~~~
# still code: a fence closes only with as long a run
~~~~

# Top level again
""",
    "unclosed fence": "## A\n\nText.\n\n```\n# code to the end\n\n## code too\n",
    "indented fence": "## A\n\n   ```\n# code\n   ```\n\n## B\n\nText.\n",
    "blocks ended by a heading": """## Lists
- one
- two
## Table
| a | b |
| --- | --- |
| 1 | 2 |
## Quote
> quoted
> words
## Code
    indented code
## Paragraph
lines of a
paragraph
## Next
""",
    "not headings": "#hashtag at the start\n\n####### seven marks\n\n#\n\n## Heading ##\n",
    "setext": "Title one\n=========\n\nText.\n\nTitle two\n---------\n\n## After\n\nMore.\n",
    "loose list": "## A\n\n- one\n\n- two\n\n\n## B\n\n1. first\n\n   continued\n",
    "list item then heading": "## A\n\n- item\n\n  ```\n# in the item's fence?\n  ```\n",
    "reference links": "## A\n\nSee [the terms][t].\n\n## B\n\n[t]: https://example.com/terms\n",
    "ids, comments and liquid": """{#collect}
## 1. What we collect

<!-- a comment
# spanning lines -->
{% if site.x %}
Text with **emphasis** and [a link](https://example.com/a).
{% endif %}

## 2. Sharing {#sharing}

We share nothing.
""",
    "tabs and spaces": "#\tTab heading\n\nText.\n\n #  Indented heading\n\n## Last\n",
    # Parts start after blank lines too: only where the line after cannot continue the
    # block before it.
    "lists across blank lines": """Intro.

- one

- two
continued lazily

+ another marker

1. first

2) second

10. tenth

Paragraph after the lists.

* last
""",
    "item paragraphs": "- item\n\n  second paragraph of the item\n\nNot in the item.\n",
    "quotes and tables": "> quoted\n\n> another quote\n\n| a |\n| - |\n| 1 |\n\nAfter.\n",
    "code and breaks": "    code\n\n    more code\n\nText\n\n___\n\nText\n===\n\n"
                       "\u00a0\nNBSP line.\n",
    "empty item": "-\n\nfoo\n\n1.\n\nbar\n",
}


def whole(text: str, monkeypatch: pytest.MonkeyPatch, path: str = "p.md") -> Document:
    with monkeypatch.context() as m:
        m.setattr(document, "_chunks", lambda body: [(0, body)])
        document.forget_parsed()
        parsed = parse_document(text, path)
    document.forget_parsed()
    return parsed


@pytest.mark.parametrize("name", sorted(TRICKY))
@pytest.mark.parametrize("front", [False, True])
def test_by_parts_equals_whole(name: str, front: bool, monkeypatch: pytest.MonkeyPatch
                               ) -> None:
    text = (HEAD if front else "") + TRICKY[name]
    expected = whole(text, monkeypatch)
    monkeypatch.setattr(document, "SPLIT_ONE_IN", 1)  # every place a part may start
    document.forget_parsed()
    for got in (parse_document(text, "p.md"), parse_document(text, "p.md")):  # then cached
        assert got == expected
        assert html(got) == html(expected)


def html(doc: Document) -> list[str]:
    """The HTML of every block (rendered when read; not part of a block's equality)."""
    return [b.html for s in doc.root.walk() for b in s.blocks]


def test_a_section_parsed_before_is_placed_at_its_new_lines(
        monkeypatch: pytest.MonkeyPatch) -> None:
    old = HEAD + "## 1. Data\n\nWe collect your [name](https://example.com/n).\n\n" \
        "## 2. Sharing\n\n- with processors\n- with auditors\n\n| who | why |\n" \
        "| --- | --- |\n| a | b |\n"
    new = old.replace("## 1. Data\n", "## 0. Scope\n\nThis policy covers the service.\n\n"
                      "Added\nlines.\n\n## 1. Data\n")
    expected = whole(new, monkeypatch, "new.md")
    document.forget_parsed()
    parse_document(old, "old.md")
    cached = len(document._PARTS)
    got = parse_document(new, "new.md")
    assert len(document._PARTS) == cached + 1  # the new section
    assert got == expected
    assert html(got) == html(expected)
    sharing = got.section("sharing")
    assert sharing is not None and sharing.line == new.split("\n").index("## 2. Sharing") + 1
    assert [b.line for b in sharing.blocks] == [b.line for b in expected.section(
        "sharing").blocks]  # type: ignore[union-attr]
    data = got.section("data")
    assert data is not None and data.blocks[0].links[0].line == data.line + 2


def test_where_parts_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "SPLIT_ONE_IN", 1)
    text = "Top.\n\n- item\n\n1. item\n\n  indented\n\nNext.\n## H\n```\n\nin code\n```\n"
    assert [line for line, _ in document._chunks(text)] == [0, 8, 9]
    assert "".join(part for _, part in document._chunks(text)) == text
    assert document._chunks("[a]: /b\n\nText.\n## H\n") == [(0, "[a]: /b\n\nText.\n## H\n")]


def test_a_long_policy_is_parsed_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "SPLIT_ONE_IN", 1)
    text = HEAD + "".join(f"## {n}. Part {n}\n\nWords of part {n}.\n\n" for n in range(1, 41))
    document.forget_parsed()
    doc = parse_document(text, "p.md")
    assert len(list(doc.sections())) == 40
    # The top, then each heading and each paragraph after a blank line.
    assert len(document._PARTS) == 81
    assert all(s.blocks[0].line == s.line + 2 for s in doc.sections())


@pytest.mark.parametrize(("text", "expected"), [
    ("a \u00a0 b\t\n c", "a\u00a0b c"),  # a run with a no-break space keeps it, others: " "
    ("a \u2007\u00a0\u202f b", "a\u202fb"),  # the narrow one first, wherever it is in the run
    ("x\u3000\u2028y \u00a0\nz", "x y\u00a0z"),  # other Unicode spaces are plain spaces
    ("\u00a0 edge \u00a0", "edge"),
])
def test_spaces_collapse_and_no_break_spaces_stay(text: str, expected: str) -> None:
    from policybook.markdown import normalize_space

    assert normalize_space(text) == expected


def test_spaces_collapse_as_their_definition_says() -> None:
    # The definition, in two substitutions: each run of whitespace that holds a no-break
    # space becomes the first of them it holds, every other run a space; ends stripped.
    import random
    import re

    from policybook.markdown import normalize_space

    def defined(text: str) -> str:
        kept = re.sub(r"\s*[\u202f\u00a0\u2007]\s*", lambda m: next(
            c for c in "\u202f\u00a0\u2007" if c in m.group()), text)
        return re.sub(r"[^\S\u202f\u00a0\u2007]+", " ", kept).strip()

    pieces = ["we", "keep", "30", " ", "  ", "\t", "\n", "\u00a0", "\u202f", "\u2007", "\u3000",
              "\u2003", "«", ":"]
    draw = random.Random(12)
    for _ in range(20000):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 14)))
        assert normalize_space(text) == defined(text), repr(text)
