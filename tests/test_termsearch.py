"""`TermSearch` finds what the regular expression it replaces finds (issue 12): the same
spans, for every vocabulary, on sentences written for it and on the corpus; so the verdict
does not move."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from policybook import lexicon
from policybook.concept import Concept
from policybook.termsearch import ENDINGS, TermSearch


def expression(terms: Sequence[str], endings: Sequence[str] = ENDINGS,
               not_after: str = "-") -> re.Pattern[str]:
    """The definition: one alternation of the terms, longest first, an optional ending,
    whole words (what the lexicon compiled before TermSearch)."""
    alternatives = sorted({re.escape(t) for t in terms}, key=len, reverse=True)
    ending = "(?:" + "|".join(re.escape(e) for e in endings) + ")?" if endings else ""
    return re.compile(r"(?<![\w" + re.escape(not_after) + "])(?:" + "|".join(alternatives)
                      + ")" + ending + r"(?![\w-])")


def check(vocabularies: Sequence[Sequence[str]], texts: Sequence[str],
          endings: Sequence[str] = ENDINGS, not_after: str = "-") -> None:
    search = TermSearch(vocabularies, endings, not_after)
    patterns = [expression(v, endings, not_after) for v in vocabularies]
    for text in texts:
        found = search.spans(text)
        for k, pattern in enumerate(patterns):
            assert found[k] == [m.span() for m in pattern.finditer(text)], (k, text)


def test_longest_term_ending_and_whole_words() -> None:
    vocabulary = ["data", "personal data", "data broker", "share", "us", "u.s.", "a", "fee",
                  "opt-out", "third part", "third party"]
    check([vocabulary], [
        "we share personal data with a data broker",
        "shares shared sharing shareholders data's data’s datas dataly",
        "data-driven re-share pre_data datum data_ -data data- 'data'",
        "the u.s. and us; u.s.a. us-based usual a an a. b a",
        "fees feed feeing fee's opt-out opt-outs opt-outing opt out",
        "third parties third party third partly third parts third part's",
        "données data² data½ ß data", "", " ", "data", "a",
    ])


def test_overlapping_vocabularies_each_find_their_own() -> None:
    # One pass for all: each vocabulary continues after its own last match only.
    check([["personal data", "data"], ["personal"], ["data broker", "broker"], ["s", "es"]],
          ["personal data broker personal databroker data brokers",
           "es s ss es's s-s s_s"])


def test_without_endings() -> None:
    check([["all rights reserved", "all rights"], ["rights"]],
          ["all rights reserved. all rights reserveds all rightsreserved rights"],
          endings=())


def test_an_empty_vocabulary_and_no_vocabulary_find_nothing() -> None:
    assert TermSearch([[], ["fee"]]).spans("a fee") == [[], [(2, 5)]]
    assert TermSearch([]).spans("a fee") == []


def test_the_concepts_in_sentences() -> None:
    vocabularies = [lexicon._lower(lexicon.TERMS[c]) for c in Concept]
    check(vocabularies, [
        "we may share your personal information with our affiliates and service providers",
        "you can request deletion of your account data at any time, free of charge",
        "these terms are governed by the laws of the state of california; disputes go to "
        "binding arbitration",
        "we keep logs for 30 days, then delete them; cookies expire after a year",
        "the subscription fee is charged monthly; refunds are not available",
    ])


def test_the_concepts_on_the_corpus(corpus_dir: Path) -> None:
    # Every 7th line of every version in the corpus, as lower-case text (how `concepts`
    # reads words); the whole of both corpora was compared by hand once, with no
    # difference.
    texts: list[str] = []
    for side in sorted((corpus_dir / "pairs").glob("*/*.md")):
        lines = side.read_text(encoding="utf-8").lower().splitlines()
        texts += [" ".join(line.split()) for line in lines[::7] if line.strip()]
    assert len(texts) > 1000
    check([lexicon._lower(lexicon.TERMS[c]) for c in Concept], texts)


@pytest.mark.parametrize("extra", [(), (("fees", ("tip jar", "surcharge")),)])
def test_concepts_with_extra_terms(extra: lexicon.Extra) -> None:
    words = ["Add", "a", "tip", "jar", "and", "a", "surcharge", "to", "the", "fee", "."]
    found = lexicon.concepts(words, extra)
    assert ("tip jar" in found.get(Concept.FEES, ())) is bool(extra)
    assert "fee" in found[Concept.FEES]


def _word_list_texts(corpus_dir: Path) -> list[str]:
    texts = [
        "we will not sell, rent or share your data unless you agree; we may disclose it",
        "you must not, and shall never, try to use the service where possible",
        "all rights reserved. from time to time we reserve the right to change these terms",
        "nobody can't won't; without limitation, excluding only the permitted uses",
        "we collect, process and analyse personal information to make available the service",
    ]
    for side in sorted((corpus_dir / "pairs").glob("*/*.md"))[::3]:
        lines = side.read_text(encoding="utf-8").lower().splitlines()
        texts += [" ".join(line.split()) for line in lines[::11] if line.strip()]
    return texts


def test_the_lexicons_word_lists_and_set_phrases(corpus_dir: Path) -> None:
    # The lexicon searches these lists with TermSearch (one each): what their patterns
    # found, in sentences of our own and on the corpus.
    from policybook.packaged import data_toml

    texts = _word_list_texts(corpus_dir)
    assert len(texts) > 300
    lists = (lexicon.STRONG_MODALS, lexicon.WEAK_MODALS, lexicon.NEGATIONS, lexicon.DEONTIC,
             lexicon.PRACTICE, lexicon.SHARING)
    check([lexicon._lower(terms) for terms in lists], texts)
    idioms = lexicon._lower(data_toml("vocabulary.toml")["idioms"]["phrases"])
    check([idioms], texts, endings=())
    pattern = expression(idioms, ())
    for text in texts:
        assert lexicon._without_idioms(text) == pattern.sub(" ", text), text


def test_what_a_term_may_not_follow_and_terms_as_written() -> None:
    # Places are searched in the text as written, and not after a period ("e.U.S").
    check([["U.S.", "US", "United States", "EU", "European Union"]],
          ["the U.S. and the US; e.U.S. a.US -US _US U.S.A. UK.US", "USA US's EU-wide EU",
           "The European Union, the European Unions, the european union"], endings=(),
          not_after=".-")


def test_the_places_and_the_wordy_phrases(corpus_dir: Path) -> None:
    # signals searches these with TermSearch: what their patterns found (places in the
    # text as written, wordy phrases in lower case).
    from policybook.signals import vocabulary

    vocab = vocabulary()
    texts = [
        "Data is moved to the United States, the European Economic Area and e.g. the U.K.",
        "in order to comply, prior to the date, as well as with respect to your account",
    ]
    for side in sorted((corpus_dir / "pairs").glob("*/*.md"))[::3]:
        lines = side.read_text(encoding="utf-8").splitlines()
        texts += [" ".join(line.split()) for line in lines[::11] if line.strip()]
    check([vocab.places], texts, endings=(), not_after=".-")
    wordy = [k for k, _ in vocab.wordy]
    check([wordy], [t.lower() for t in texts], endings=())
