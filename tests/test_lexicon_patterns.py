"""How the lexicon's patterns are built does not change what they find (issue 12: they are
built for a fast start, and the verdict must not move)."""

from __future__ import annotations

import re

import pytest

from policybook import lexicon

SENTENCES = [
    "We will not sell your personal information.",
    "You may cancel your subscription at any time.",
    "The company is entitled to suspend accounts that are prohibited.",
    "Nobody else gets a copy, except our payment processor.",
    "You agree that these terms are governed by the laws of Ireland.",
    "We endeavour to reply within 30 days.",
    "Our guarantees, consents and obligations are listed below.",
    "A grant of rights; waived; reserved.",
    "Tickets are sold at the box office.",
    "The weather is nice.",
    "",
]


def _one_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """All the terms in one alternation, longest first, as the lexicon once compiled them."""
    alternatives = sorted({re.escape(t.lower()) for t in terms}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + ")" + lexicon._ENDINGS
                      + r"(?![\w-])")


@pytest.mark.parametrize("sentence", SENTENCES)
def test_deontic_is_the_search_of_all_its_terms(sentence: str) -> None:
    words = sentence.split()
    expected = _one_pattern(lexicon.DEONTIC).search(" ".join(words).lower()) is not None
    assert lexicon.is_deontic(words) is expected


def test_every_deontic_term_is_found_on_its_own() -> None:
    # Each term, alone and with an ending, in a sentence: each of the four patterns that
    # replaced the one must still find its share.
    for term in lexicon.DEONTIC:
        assert lexicon.is_deontic(f"In short , {term} .".split()), term
        assert lexicon.is_deontic(f"{term}s here".split()), term
    assert not lexicon.is_deontic(["Tickets", "are", "sold", "at", "the", "box", "office", "."])
