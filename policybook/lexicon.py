"""Vocabularies of privacy and contract law that the materiality rules read (pure core).

Generic terms of the trade, never a company's names or one policy's phrases: the rules
must judge any company's policy. Each concept is a list of words and phrases in their
base form; matching is case-insensitive, on whole words, and accepts the usual English
endings (share -> shares, shared, sharing; party -> parties), so the lists stay short.

The concepts and their terms are data (`data/concepts.toml`); lawyers who want another
term recognised add it there (or, for one company, in policybook.toml) with a rule case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from .concept import Concept as Concept  # (re-exported: its home before concept.py)
from .packaged import data_toml
from .termsearch import TermSearch


def _load_concepts() -> dict[str, Any]:
    """The concepts' descriptions and terms: `data/concepts.toml`, shipped in the package."""
    return data_toml("concepts.toml")


_CONCEPT_DATA = _load_concepts()
DESCRIPTIONS: dict[Concept, str] = {
    c: str(_CONCEPT_DATA[c.value]["description"]) for c in Concept}
TERMS: dict[Concept, tuple[str, ...]] = {
    c: tuple(str(t) for t in _CONCEPT_DATA[c.value]["terms"]) for c in Concept}

# Modality: a duty (will, must) weakened into a permission (may) is a material change.
STRONG_MODALS = ("must", "shall", "will", "won't", "required", "require", "agree",
                 "undertake", "commit", "guarantee", "ensure", "always", "need to",
                 "have to", "obligated", "obliged", "promise")
WEAK_MODALS = ("may", "might", "can", "could", "should", "reserve the right",
               "discretion", "from time to time", "try to", "endeavor", "endeavour",
               "aim to", "reasonable efforts", "where possible", "where practicable",
               "generally", "typically", "usually", "as appropriate")
NEGATIONS = ("not", "no", "never", "neither", "nor", "none", "nothing", "nobody", "without",
             "cannot", "can't", "don't", "doesn't", "won't", "isn't", "aren't", "shouldn't",
             "mustn't", "wouldn't", "couldn't", "except", "unless", "excluding", "only")
# Words that make a sentence state a duty, a permission or a prohibition.
DEONTIC = (*STRONG_MODALS, *WEAK_MODALS, *NEGATIONS, "prohibited", "permitted", "allowed",
           "responsible", "entitled", "waive", "grant", "consent", "reserve", "right",
           "rights", "obligation", "liable", "you agree", "we agree")
# Verbs that hand data to someone: a name next to them may be a recipient.
SHARING = ("share", "sell", "sale", "disclose", "transfer", "send", "provide", "rent",
           "trade", "make available", "give")
# A sentence that describes what is done with data: "We collect information when ...".
PRACTICE = ("collect", "process", "processing", "gather", "obtain", "receive", "record",
            "monitor", "combine", "infer", "analyze", "analyse", "use your", "use the data",
            "use this information", "use information", "personal", "data", "information",
            # "collect your location": what is yours that is collected is data about you
            "collect your", "gather your", "record your", "monitor your", "combine your",
            "analyze your", "analyse your", "process your", "track your", "store your")
# Function words: a change among these alone ("the" -> "a") changes no obligation;
# conjunctions ("and"/"or") are *not* here, because they change what a clause covers.
ARTICLES = frozenset({"the", "a", "an", "this", "these", "that", "those", "such", "its"})
# One of these added or dropped alone is a grammar fix ("means, collectively, to all").
GRAMMAR_WORDS = frozenset({"to", "of", "the", "a", "an", "in", "on", "at", "by", "as"})
NUMBER_WORDS = frozenset({
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty",
    "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion", "half",
    "double", "twice", "once", "first", "second", "third",
    # how often: "billed monthly" -> "billed quarterly" changes a period
    "hourly", "daily", "weekly", "biweekly", "fortnightly", "monthly", "quarterly",
    "yearly", "annually", "biannually", "semiannually",
})
# The months by name and abbreviation (lower case), with their numbers: one table for the
# words that write a date and for reading one ("Effective until January 15, 2026").
MONTH_NUMBERS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), start=1) for name in names}
MONTHS = frozenset(name.capitalize() for name in MONTH_NUMBERS)  # as a date writes them
# Words that introduce a cross-reference: "Section 4", "clause B(2)".
REFERENCE_WORDS = frozenset({
    "section", "sections", "article", "articles", "clause", "clauses", "paragraph",
    "paragraphs", "subsection", "part", "schedule", "exhibit", "appendix", "annex", "§",
    "see", "note", "notes", "footnote", "footnotes", "endnote", "endnotes",
})
# Words that name a document ("the Terms", "our Privacy Policy"): on their own they
# refer to a text, they do not say what it obliges anyone to do.
DOCUMENT_NOUNS = frozenset({"terms", "term", "policy", "policies", "agreement", "agreements",
                            "contract", "contracts", "statement", "guidelines", "conditions"})
# Labels that mark non-binding summaries ("Short version:", "In short:").
SUMMARY_LABELS = ("short version", "summary", "in short", "in summary", "tl;dr", "tldr",
                  "at a glance", "key points", "in brief", "the gist")

# Sentences that only send the reader elsewhere start with these.
POINTERS = ("please see", "see ", "for more information", "for more details", "for details",
            "learn more", "please refer to", "refer to", "read more", "more information",
            "for further information", "you can find", "please visit", "visit ")

_ENDINGS = r"(?:s|es|ed|d|ing|ly|'s|’s)?"


def _lower(terms: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.lower() for t in terms))


# The concepts' terms, searched in one pass (`termsearch`: as a pattern of each concept's
# terms would find them, without compiling hundreds of terms at every start), in priority
# order; each list of words below is searched the same way (their patterns took a few
# milliseconds of every start to compile).
_CONCEPT_ORDER = tuple(Concept)
_CONCEPTS = TermSearch([_lower(TERMS[c]) for c in _CONCEPT_ORDER])
_STRONG = TermSearch([_lower(STRONG_MODALS)])
_WEAK = TermSearch([_lower(WEAK_MODALS)])
_NEGATION = TermSearch([_lower(NEGATIONS)])
_DEONTIC = TermSearch([_lower(DEONTIC)])
_PRACTICE = TermSearch([_lower(PRACTICE)])
_SHARING = TermSearch([_lower(SHARING)])


def _found(search: TermSearch, text: str) -> list[str]:
    """The terms of a one-list `search` found in `text`, as written there, in order."""
    return [text[a:b] for a, b in search.spans(text)[0]]


def _text(words: Iterable[str]) -> str:
    return " ".join(words).lower()


Extra = tuple[tuple[str, tuple[str, ...]], ...]  # (concept, terms) from policybook.toml


@cache
def _search(extra: Extra) -> TermSearch:
    """The concepts' terms with `extra`'s added."""
    more = dict(extra)
    return TermSearch([_lower((*TERMS[c], *more.get(c.value, ()))) for c in _CONCEPT_ORDER])


def _load_idioms() -> TermSearch:
    """Set phrases whose terms are no concept (`[idioms]` of `data/vocabulary.toml`), as
    whole words without endings."""
    raw = data_toml("vocabulary.toml")
    return TermSearch([_lower(raw["idioms"]["phrases"])], endings=())


_IDIOMS = _load_idioms()


def _without_idioms(text: str) -> str:
    """`text` with each set phrase replaced by a space."""
    spans = _IDIOMS.spans(text)[0]
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for a, b in spans:
        parts += (text[at:a], " ")
        at = b
    parts.append(text[at:])
    return "".join(parts)


# Places written as an acronym ("U.S.", "UK"): before another acronym they name a body or
# a law of that place ("the U.S. FAA", "the UK CAA"), not where data goes.
_PLACE_ACRONYMS = frozenset({"u.s", "us", "usa", "u.s.a", "uk", "eu", "eea"})
_ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")


def without_named_bodies(words: Iterable[str], after: Iterable[str] = ()) -> list[str]:
    """`words` without a place that names a body ("U.S" before "FAA"), nor the noun a
    quoted label names ('a “Sponsored” notice'); `after` are the words that follow them
    in the text (a changed run may end just before the acronym)."""
    given = list(words)
    ws = [*given, *after]
    kept: list[str] = []
    for k, word in enumerate(given):
        if word.lower().rstrip(".") in _PLACE_ACRONYMS and word.replace(".", "").isupper():
            # "U.S" "." "FAA": the period of the abbreviation is a token of its own.
            after = ws[k + 2] if k + 2 < len(ws) and ws[k + 1] == "." and "." in word \
                else ws[k + 1] if k + 1 < len(ws) else ""
            if _ACRONYM.match(after) and after.lower() not in _PLACE_ACRONYMS:
                continue
        if word.lower() in _LABELLED and k and given[k - 1] in ("”", '"'):
            # 'a “Sale ended” notice': the kind of element a quoted label names on the
            # screen, not a notice of changes.
            continue
        kept.append(word)
    return kept


_LABELLED = frozenset({"notice", "notices", "notification", "notifications"})


def concepts(words: Iterable[str], extra: Extra = ()) -> dict[Concept, tuple[str, ...]]:
    """Concepts whose terms occur in `words`, with the terms found, in Concept order;
    `extra` adds terms per concept (the `[materiality.terms]` of policybook.toml). Set
    phrases ("all rights reserved") and a place naming a body ("the UK CAA") are read as
    no concept."""
    text = _without_idioms(_text(without_named_bodies(words)))
    found: dict[Concept, tuple[str, ...]] = {}
    spans = (_search(extra) if extra else _CONCEPTS).spans(text)
    for concept, at in zip(_CONCEPT_ORDER, spans, strict=True):
        if at:
            found[concept] = tuple(dict.fromkeys(text[a:b] for a, b in at))
    return found


def strong_modals(words: Iterable[str]) -> list[str]:
    return _found(_STRONG, _text(words))


# The strong modals that only ever state a duty: not "will" (a future), nor "agree" or
# "ensure" (which may name what others do).
DUTY_MODALS = frozenset({"must", "shall", "required", "need to", "have to", "obligated",
                         "obliged"})


def duty_modals(words: Iterable[str]) -> list[str]:
    """The duty modals of `words`, set phrases aside ("the required information")."""
    return [t for t in _found(_STRONG, _without_idioms(_text(words))) if t in DUTY_MODALS]


def weak_modals(words: Iterable[str]) -> list[str]:
    return _found(_WEAK, _text(words))


# Fixed phrases that contain a negation word but widen rather than negate.
_NOT_NEGATIONS = re.compile(r"\b(?:but )?not limited to\b|\bwithout limitation\b|"
                            r"\bwithout limiting\b|\bnot only\b")


# A quoted label is a name, not a negation ("the “Do Not Sell” link").
_QUOTED = re.compile(r"“[^“”]{0,80}”|\"[^\".;!?]{0,80}\"")
_NEGATION_WORD = re.compile(r"\b(?:not|no|never|none|nothing|\w+n't)\b")
# A label that starts with a negation, under a negated verb of the same clause, cancels
# the verb's negation: "will not show the “Not eligible” badge" says it is eligible.
_CANCELLED = re.compile(r"\b(?:not|never|\w+n't)\b(?=[^,.;:!?“”\"]{0,40}[“\"]\s*(?:no|not)\b)")


def _unquoted(text: str) -> str:
    if "“" not in text and '"' not in text:
        return text
    return _QUOTED.sub(lambda m: _NEGATION_WORD.sub(" ", m.group()), text)


def cancelled_negations(words: Iterable[str], other: Iterable[str]) -> list[str]:
    """The negations of a sentence, less those cancelled by a negated label that the
    `other` version of the sentence does not have: "shows a green badge" -> "does not
    show a “Not eligible” badge" says the same ("shows the “Not eligible” badge" -> "does
    not show the “Not eligible” badge" does not)."""
    words = list(words)
    if not any(w in ("“", '"') for w in words):
        return negations(words)
    text = _text(words).replace("n’t", "n't")
    before = _text(other).replace("n’t", "n't")

    def keep(m: re.Match[str]) -> str:
        label = _QUOTED.search(text, m.end())
        return m.group() if label is None or label.group() in before else " "
    return negations(_CANCELLED.sub(keep, text).split())


def negations(words: Iterable[str]) -> list[str]:
    text = _NOT_NEGATIONS.sub(" ", _unquoted(_text(words).replace("n’t", "n't")))
    found = _found(_NEGATION, text)
    # "isn't" and friends not listed above still negate.
    found += [w for w in text.split() if w.endswith("n't") and w not in found]
    return found


def is_deontic(words: Iterable[str]) -> bool:
    """Does this sentence state a duty, a permission, a prohibition or a right?"""
    return bool(_DEONTIC.spans(_text(words))[0])


def shares(words: Iterable[str]) -> bool:
    """Is data handed to someone here ("share", "sell", "disclose to")?"""
    return bool(_SHARING.spans(_text(words))[0])


def describes_practice(words: Iterable[str]) -> list[str]:
    """The words that make a sentence describe a data practice ("collect", "data")."""
    return list(dict.fromkeys(_found(_PRACTICE, _text(words))))


def summary_label(text: str) -> str | None:
    """The summary label a text starts with ("Short version"), if any."""
    head = text.lstrip("*_ ").lower()[:24]
    for label in SUMMARY_LABELS:
        if head.startswith(label) and head[len(label): len(label) + 1] in (":", " ", "", "."):
            return label
    return None
