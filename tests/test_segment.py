"""Segmentation for word redlines in any script (policybook.segment).

Every sentence here is written for these tests. The redline compares tokens without
their trailing space with difflib (as `policybook.redline.word_redline` does), so
`_changes` below is what a redline built on these tokens marks as deleted and inserted.
"""

from __future__ import annotations

from difflib import SequenceMatcher

import pytest

from policybook.segment import (
    Direction,
    is_unspaced,
    joins_with_space,
    script_direction,
    tokens,
    words_of,
)


def _changes(old: str, new: str) -> list[tuple[str, str]]:
    """Each changed run as (deleted tokens, inserted tokens), joined without spaces."""
    a, b = words_of(old), words_of(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return [("".join(a[i1:i2]), "".join(b[j1:j2]))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


# ---------------------------------------------------------------- spaced scripts


def test_words_keep_their_trailing_space_and_inner_punctuation() -> None:
    text = "We may share, sell or rent e-mail data (see D.4) with 1,000 partners at example.com."
    assert tokens(text) == ["We ", "may ", "share", ", ", "sell ", "or ", "rent ", "e-mail ",
                            "data ", "(", "see ", "D.4", ") ", "with ", "1,000 ", "partners ",
                            "at ", "example.com", "."]
    assert tokens("Visit https://example.com/a?b=c now") == ["Visit ", "https://example.com/a?b=c ",
                                                             "now"]


def test_an_english_word_changed_is_a_one_word_redline() -> None:
    assert _changes("We keep your data for 30 days.", "We keep your data for 60 days.") == \
        [("30", "60")]


def test_combining_marks_stay_in_their_word() -> None:
    # Devanagari vowel signs and a decomposed accent are marks (category M), not breaks.
    assert tokens("नमस्ते दुनिया") == ["नमस्ते ", "दुनिया"]
    assert tokens("cafe\u0301 ouvert") == ["cafe\u0301 ", "ouvert"]
    assert tokens("Note ⚠️ here") == ["Note ", "⚠️ ", "here"]


def test_the_fast_path_for_plain_texts_agrees_with_the_full_pattern() -> None:
    # Texts without marks, unspaced letters or bidi controls take a simpler pattern.
    from policybook.segment import _FAST, _full, _special

    text = ("Our “Privacy Policy” (the Policy) — e-mail us at legal@example.com; fees: "
            "US$ 1,000.50 per year, see §4.2 and https://example.com/a?b=c#d. Ça va? Ñ ü ß")
    assert not any(_special(c) for c in text)
    assert _FAST.findall(text) == _full().findall(text)
    assert _special("\u0301") and _special("漢") and _special("\u200f") and _special("😀")


def test_every_character_the_fast_path_takes_is_tokenised_as_the_full_pattern_does() -> None:
    # The fast path is taken when no character of a text is special: for each such
    # character of the Basic Multilingual Plane, within words, alone and beside marks of
    # punctuation, both patterns must cut the same tokens.
    from policybook.segment import _FAST, _full, _special

    full = _full()
    plain = [chr(code) for code in range(0x80, 0x10000)
             if not 0xD800 <= code <= 0xDFFF and not _special(chr(code))]
    for start in range(0, len(plain), 256):
        chars = plain[start:start + 256]
        text = " ".join(f"a{c}b {c} 1{c}.{c}, x.{c}" for c in chars)
        assert _FAST.findall(text) == full.findall(text), chars


@pytest.mark.parametrize("text", [
    "", "   ", "  leading space", "trailing  ", "a\u0301", "\u0301 stray mark",
    "当社は、iPhone 15を2027年に発売します。", "نحن لا نَبيع بياناتك.", "\u200fسعر 100\u200e دولار",
    "ข้อมูลส่วนบุคคล", "mixed English 和中文 text", "tabs\tand\nnewlines\n",
])
def test_tokens_rebuild_the_text(text: str) -> None:
    assert "".join(tokens(text)) == text.lstrip()


# ---------------------------------------------------------------- scripts without spaces


def test_japanese_is_segmented_by_character_with_latin_words_and_numbers_whole() -> None:
    assert words_of("当社は、iPhone 15を2027年に1,000円で発売します。") == [
        "当", "社", "は", "、", "iPhone", "15", "を", "2027", "年", "に", "1,000", "円", "で",
        "発", "売", "し", "ま", "す", "。"]


def test_a_changed_japanese_character_is_a_one_character_redline() -> None:
    old = "当社は、お客様の個人データを三十日間保存します。"
    new = "当社は、お客様の個人データを六十日間保存します。"
    assert _changes(old, new) == [("三", "六")]


def test_a_japanese_negation_added_is_a_small_redline() -> None:
    old = "当社は、お客様の個人データを第三者に提供します。"
    new = "当社は、お客様の個人データを第三者に提供しません。"
    assert _changes(old, new) == [("す", "せん")]


def test_chinese_changed_words_are_small_redlines() -> None:
    old = "我们不会出售您的个人信息。"
    new = "我们可能会出售您的个人信息。"
    assert _changes(old, new) == [("不", "可能")]
    assert _changes("我们将保存您的数据三十天。", "我们将保存您的数据九十天。") == [("三", "九")]


def test_thai_characters_keep_their_vowel_and_tone_marks() -> None:
    # Thai vowels above and below and tone marks are combining marks of the consonant.
    assert tokens("ข้อมูล") == ["ข้", "อ", "มู", "ล"]
    assert _changes("เก็บข้อมูล 30 วัน", "เก็บข้อมูล 90 วัน") == [("30", "90")]


def test_is_unspaced() -> None:
    assert all(is_unspaced(c) for c in "漢字かなカナข𠀋")
    assert not any(is_unspaced(c) for c in "aé한글عربيעב1")


# ---------------------------------------------------------------- right-to-left scripts


def test_arabic_is_segmented_by_word_and_a_removed_negation_is_one_word() -> None:
    old = "نحن لا نبيع بياناتك الشخصية لأي طرف ثالث."
    new = "نحن نبيع بياناتك الشخصية لأي طرف ثالث."
    assert words_of(old) == ["نحن", "لا", "نبيع", "بياناتك", "الشخصية", "لأي", "طرف", "ثالث",
                             "."]
    assert _changes(old, new) == [("لا", "")]


def test_arabic_diacritics_and_persian_joiners_stay_inside_the_word() -> None:
    assert words_of("نَحْنُ نَحْمِي بَيَانَاتِكَ") == ["نَحْنُ", "نَحْمِي", "بَيَانَاتِكَ"]
    assert words_of("ما می\u200cخواهیم") == ["ما", "می\u200cخواهیم"]


def test_hebrew_changed_number_is_a_one_word_redline() -> None:
    old = "אנו שומרים את הנתונים שלך למשך 30 יום."
    new = "אנו שומרים את הנתונים שלך למשך 90 יום."
    assert _changes(old, new) == [("30", "90")]


def test_bidi_controls_are_tokens_of_their_own() -> None:
    assert tokens("\u200fالسعر 100\u200e دولار") == ["\u200f", "السعر ", "100", "\u200e ",
                                                     "دولار"]
    # Adding a right-to-left mark to fix the display of a number changes the mark only.
    old = "يبلغ السعر 100 دولار شهريا."
    new = "يبلغ السعر \u200f100 دولار شهريا."
    assert _changes(old, new) == [("", "\u200f")]
    assert tokens("\u2067עברית\u2069 text") == ["\u2067", "עברית", "\u2069 ", "text"]


# ---------------------------------------------------------------- direction and display


@pytest.mark.parametrize(("text", "expected"), [
    ("نحن نحمي بياناتك الشخصية.", Direction.RTL),
    ("אנו מגינים על המידע שלך.", Direction.RTL),
    ("فهرست مطالب", Direction.RTL),
    # A brand name first, but the text is Arabic: the majority decides, not the first word.
    ("Example Corp تحترم خصوصيتك وتحمي بياناتك", Direction.RTL),
    ("Our policy, in Arabic: سياسة", Direction.LTR),
    ("当社は個人データを保護します。", Direction.LTR),
    ("Wir schützen Ihre Daten.", Direction.LTR),
    ("123 456 — 789", Direction.LTR),
    ("", Direction.LTR),
    ("ab عر", Direction.LTR),  # a tie: the first strong letter
])
def test_script_direction(text: str, expected: Direction) -> None:
    assert script_direction(text) is expected


def test_a_space_joins_deleted_and_inserted_words_only_in_spaced_scripts() -> None:
    assert joins_with_space("Cookies", "Files")
    assert not joins_with_space("三", "六")
    assert not joins_with_space("data", "、")
    assert not joins_with_space("data,", "more")
    assert joins_with_space("لا", "نعم")
    assert not joins_with_space("", "word")


PARTS = [
    "We share data with partners.",
    "我们不会出售您的数据。",
    "Nous conservez vos donn\u0065\u0301es 30\u00a0jours.",
    "\u05d0\u05e0\u05d7\u05e0\u05d5 \u200f(30) \u05d9\u05de\u05d9\u05dd",
    "e-mail: help@example.com, fees 1,000 US$ ;-)",
    "",
    "   ",
    "\u0301 a mark alone, and an emoji \U0001F600 too",
]


@pytest.mark.parametrize("start", range(len(PARTS)))
def test_no_token_runs_past_a_space(start: int) -> None:
    # materiality reads a whole document's words part by part (each part's tokens are
    # cached): the words of the parts joined are those of the parts, one after the other.
    parts = PARTS[start:] + PARTS[:start]
    assert words_of(" ".join(parts)) == [w for part in parts for w in words_of(part)]
    ascii_parts = [p for p in parts if p.isascii()]
    assert words_of(" ".join(ascii_parts)) == [w for p in ascii_parts for w in words_of(p)]
