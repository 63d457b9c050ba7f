"""Policies in Japanese and Arabic: parsed, aligned and redlined word by word (or by
character), with the direction their pages need. The policies in tests/data/scripts/
were written for these tests; version 2 of each changes two sentences."""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

import pytest

from policybook.document import Document, parse_document
from policybook.i18n import direction, format_date
from policybook.segment import Direction, script_direction, words_of

DATA = Path(__file__).resolve().parent / "data" / "scripts"


def _doc(name: str) -> Document:
    return parse_document((DATA / name).read_text(encoding="utf-8"), f"content/{name}")


def _changes(old: str, new: str) -> list[tuple[str, str]]:
    a, b = words_of(old), words_of(new)
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [("".join(a[i1:i2]), "".join(b[j1:j2])) for tag, i1, i2, j1, j2 in ops
            if tag != "equal"]


def _changed_sections(lang: str) -> dict[str, list[tuple[str, str]]]:
    old, new = _doc(f"{lang}-privacy-policy-1.md"), _doc(f"{lang}-privacy-policy-2.md")
    assert old.problems == () and new.problems == ()
    assert [s.id for s in old.sections()] == [s.id for s in new.sections()]
    found = {}
    for before, after in zip(old.sections(), new.sections(), strict=True):
        if before.text != after.text:
            found[before.id] = _changes(before.text, after.text)
    return found


def test_a_japanese_policy_is_redlined_by_character() -> None:
    changes = _changed_sections("ja")
    # Characters that both versions share stay unmarked: "者" of 第三者/広告事業者, and
    # "し…す" around the negation. The rest of each sentence is not in the redline.
    assert changes == {
        "sharing": [("第三", "広告事業"), ("し", "することがあり"), ("せん", "す")],
        "retention": [("三", "九")],
    }


def test_an_arabic_policy_is_redlined_by_word() -> None:
    changes = _changed_sections("ar")
    assert changes == {"sharing": [("لا", "قد")], "retention": [("ثلاثين", "تسعين")]}


@pytest.mark.parametrize(("lang", "expected"), [("ja", Direction.LTR), ("ar", Direction.RTL)])
def test_the_page_direction_of_each_policy(lang: str, expected: Direction) -> None:
    doc = _doc(f"{lang}-privacy-policy-1.md")
    text = "\n".join(s.text for s in doc.root.walk())
    assert script_direction(text) is expected
    assert direction(lang) is expected


def test_headings_keep_their_titles_and_explicit_ids() -> None:
    ja, ar = _doc("ja-privacy-policy-1.md"), _doc("ar-privacy-policy-1.md")
    assert next((s.id, s.title) for s in ar.sections()) == ("collect", "البيانات التي نجمعها")
    assert [s.number for s in ar.sections()] == ["1", "2", "3"]
    assert ja.section("retention") is not None
    assert ja.front.effective is not None and ar.front.effective is not None
    assert format_date(ja.front.effective, "ja") == "2027年1月1日"
    assert format_date(ar.front.effective, "ar") == "1 يناير 2027"
