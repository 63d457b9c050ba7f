"""Signals of one changed run of words, computed once, read by the rules (pure core).

A rule never looks at raw tokens for these questions; it reads a `Signals` value:
which words a reader sees (markup dropped), whether both sides say the same once
contractions, wordy phrases, inflections and spelling are normalised, whether the
changed words are only a date stamp or only contact details (an address, a phone
number, an e-mail address, also written "name [at] example [dot] com"), and which
places enter or leave the text. The word tables live in `data/vocabulary.toml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .lexicon import MONTH_NUMBERS
from .packaged import data_toml
from .termsearch import TermSearch

__all__ = ["Signals", "Vocabulary", "addresses", "contact_only", "contact_passage", "date_only",
           "forget_sentences", "normal", "places", "signals_of", "visible", "vocabulary"]

_MARKUP = frozenset({"*", "**", "_", "__", "#", "|", "[", "]", "<", ">", "`", "~", "\\", "·",
                     "•"})
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|www\.\S+|(?:[\w-]+\.)+[a-z]{2,24}(?:/\S*)?)$",
                  re.IGNORECASE)
_PHONE = re.compile(r"^\+?\(?\d[\d().-]{6,}\d$")
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?|\d[A-Z]{2}|[A-Z]\d[A-Z])$")
_DATE = re.compile(r"(?:19|20)\d\d|\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{2,4}")
_NUMBER = re.compile(r"^\d[\d,.]*(?:st|nd|rd|th)?$")
_MONTHS = frozenset(MONTH_NUMBERS)


@dataclass(frozen=True)
class Vocabulary:
    """The editorial tables: read from the package's data file, extended by the config."""

    contractions: tuple[tuple[str, str], ...]
    wordy: tuple[tuple[str, str], ...]
    date_words: frozenset[str]
    address_words: frozenset[str]
    address_endings: tuple[str, ...]
    channel_words: frozenset[str]
    places: tuple[str, ...]
    opposites: frozenset[tuple[str, str]]  # both directions
    bounds: tuple[tuple[str, str], ...] = ()  # "N or older" -> "at least N"
    counters: frozenset[str] = frozenset()  # "42 results": what a page counts
    navigation: tuple[str, ...] = ()  # "related articles": labels of lists of links
    buttons: frozenset[str] = frozenset()  # "accept all": the page's own controls


@cache
def vocabulary() -> Vocabulary:
    raw: dict[str, Any] = data_toml("vocabulary.toml")  # parsed once, with lexicon's
    dates = raw["dates"]
    contact = raw["contact"]
    return Vocabulary(
        contractions=tuple(raw["contractions"].items()),
        wordy=tuple(sorted(raw["wordy"].items(), key=lambda kv: -len(kv[0]))),
        date_words=frozenset(dates["fillers"]) | frozenset(dates["weekdays"]) | _MONTHS,
        address_words=frozenset(contact["address_words"]),
        address_endings=tuple(contact["address_endings"]),
        channel_words=frozenset(contact["channel_words"]),
        places=tuple(raw["places"]["countries"]) + tuple(raw["places"]["regions"]),
        opposites=frozenset((a, b) for x, y in raw["opposites"]["pairs"]
                            for a, b in ((x, y), (y, x))),
        bounds=tuple(raw["bounds"].items()),
        counters=frozenset(raw["counters"]["nouns"]),
        navigation=tuple(raw["navigation"]["labels"]),
        buttons=frozenset(raw["navigation"]["buttons"]),
    )


@cache
def _bounds_pattern(table: tuple[tuple[str, str], ...]
                    ) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each bound of the table as a pattern whose N is a number, and its replacement."""
    number = r"(\d+(?:[.,]\d+)?)"
    return tuple((re.compile(r"(?<![\w-])" + re.escape(k).replace("N", number) + r"(?![\w-])"),
                  v.replace("N", r"\1")) for k, v in table)


_ALNUM = re.compile(r"[^\W_]")  # exactly the characters of str.isalnum


def _alnum(words: Iterable[str]) -> list[str]:
    return [w for w in words if _ALNUM.search(w)]


def visible(words: Sequence[str]) -> list[str]:
    """The words a reader sees: raw HTML tags (`< br >`, `< / p >`), Markdown marks and the
    targets of links written out in the text (`] ( javascript : ; )`) dropped."""
    out: list[str] = []
    k = 0
    n = len(words)
    while k < n:
        w = words[k]
        if w == "<":
            end = next((m for m in range(k + 1, min(n, k + 14)) if words[m] == ">"), None)
            if end is not None and (end == k + 1 or re.fullmatch(r"/?[A-Za-z][\w-]*|/",
                                                                 words[k + 1])):
                k = end + 1
                continue
        if w == "(" and k > 0 and words[k - 1] == "]":
            end = next((m for m in range(k + 1, min(n, k + 40)) if words[m] == ")"), None)
            if end is not None:
                k = end + 1
                continue
        if w not in _MARKUP:
            out.append(w)
        k += 1
    return out


@cache
def _wordy_search(table: tuple[tuple[str, str], ...]) -> TermSearch:
    # What `(?<![\w-])(PHRASES)(?![\w-])` finds, longest first, without compiling it.
    return TermSearch([[k for k, _ in table]], endings=())


_SPELLINGS = tuple((re.compile(a), b) for a, b in (
    (r"is(e|ed|es|ing|ation)$", r"iz\1"), (r"our$", "or"), (r"ence$", "ense"),
    (r"enc$", "ens"),  # "licences" stems to "licenc"
    (r"([a-z])\1(ed|ing)$", r"\1\2")))


@cache
def _form(word: str) -> str:
    """One form per word: stemmed ("shares" -> "shar") and spelt one way (organise/
    organize, licence/license, colour/color, cancelled/canceled). Cached: a document has
    a few thousand distinct words."""
    return _spelling(_stem(word))


def opposite(deleted: Sequence[str], inserted: Sequence[str],
             vocab: Vocabulary | None = None) -> tuple[str, str] | None:
    """The pair when the run only replaced a word by its opposite (articles aside):
    "off" -> "on", "approximate" -> "precise", "You" -> "We"."""
    vocab = vocab or vocabulary()
    skip = {"the", "a", "an"}
    d = [w.lower() for w in _alnum(deleted) if w.lower() not in skip]
    i = [w.lower() for w in _alnum(inserted) if w.lower() not in skip]
    if len(d) == 1 and len(i) == 1 and (d[0], i[0]) in vocab.opposites:
        return d[0], i[0]
    # A pair may be a phrase: "Either party may end it" -> "We may end it".
    pair = " ".join(d), " ".join(i)
    if 1 < len(d) + len(i) <= 4 and pair in vocab.opposites:
        return pair
    return None


def form(word: str) -> str:
    """`word`'s one form (`_form`) in lower case: "gives" and "give" are one."""
    return _form(word.lower())


def _stem(word: str) -> str:
    for ending in ("'s", "ing", "ies", "ied", "es", "ed", "s", "d"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            base = word[: -len(ending)]
            return base + "y" if ending in ("ies", "ied") else base.rstrip("e")
    return word.rstrip("e") if len(word) > 3 else word


def _spelling(word: str) -> str:
    for pattern, replacement in _SPELLINGS:
        word = pattern.sub(replacement, word)
    return word


def normal(words: Sequence[str], vocab: Vocabulary | None = None) -> tuple[str, ...]:
    """The words as meaning: markup dropped, contractions expanded, wordy phrases
    shortened, bounds written one way ("16 or older": "at least 16"), each word stemmed
    and spelt one way, punctuation dropped."""
    vocab = vocab or vocabulary()
    # Commas dropped first: a wordy phrase set off by them ("including, without
    # limitation,") is the same phrase; the other punctuation goes at the end.
    text = " ".join(w.lower().replace("’", "'") for w in visible(words) if w != ",")
    for short, long in vocab.contractions:
        text = text.replace(short, long)
    table = dict(vocab.wordy)
    spans = _wordy_search(vocab.wordy).spans(text)[0]
    if spans:  # each phrase replaced by its short form
        parts: list[str] = []
        at = 0
        for a, b in spans:
            parts += (text[at:a], table[text[a:b]])
            at = b
        text = "".join(parts) + text[at:]
    if any(c.isdigit() for c in text):
        for pattern, bound in _bounds_pattern(vocab.bounds):
            text = pattern.sub(bound, text)
    return tuple(_form(w) for w in text.split() if any(c.isalnum() for c in w))


# `normal` of the sentences read (a sentence with several changed runs is read for each),
# with the package's vocabulary; per change set (`forget_sentences`), and bounded.
_NORMALS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _normal_of(words: Sequence[str], vocab: Vocabulary) -> tuple[str, ...]:
    if vocab is not vocabulary():
        return normal(words, vocab)
    key = tuple(words)
    found = _NORMALS.get(key)
    if found is None:
        if len(_NORMALS) >= 4096:
            _NORMALS.clear()
        found = _NORMALS[key] = normal(words, vocab)
    return found


# `places` of the sentences read, the same way.
_PLACES: dict[tuple[str, ...], tuple[str, ...]] = {}


def forget_sentences() -> None:
    """Empty the memos of sentences read (`materiality.assess` starts each change set
    with them empty)."""
    _NORMALS.clear()
    _PLACES.clear()


def _places_of(words: Sequence[str], vocab: Vocabulary) -> tuple[str, ...]:
    if vocab is not vocabulary():
        return tuple(places(words, vocab))
    key = tuple(words)
    found = _PLACES.get(key)
    if found is None:
        if len(_PLACES) >= 4096:
            _PLACES.clear()
        found = _PLACES[key] = tuple(places(words, vocab))
    return found


@cache
def _place_search(names: tuple[str, ...]) -> TermSearch:
    # What `(?<![\w.-])(NAMES)(?![\w-])` finds, longest first, without compiling it.
    return TermSearch([names], endings=(), not_after=".-")


# The legal forms that end a company's name ("Acme Ireland Holdings Limited"), one list
# for both readings below.
_LEGAL_FORMS = (r"Limited|Ltd|Inc|Incorporated|LLC|L\.L\.C|GmbH|AG|Pte|Pty|PLC|plc|Corp|"
                r"Corporation|S\.A|SA|SAS|SARL|B\.V|BV|N\.V|NV|S\.r\.l|Srl|S\.L|SL|KK|K\.K|"
                r"Oy|AB|A/S|ApS")
# What ends a company's name after a place: a place inside such a name names the
# company, not where data goes.
_COMPANY = re.compile(r"^(?:[A-Z][\w&.-]*\s+){0,4}(?:" + _LEGAL_FORMS + r"|Company|Co)\b")
# A legal form on its own, and the one spelling each stands for ("Ltd." is "Limited").
_FORM = re.compile(r"(?:" + _LEGAL_FORMS + r"|Unlimited)\.?")
# (Inc. and Corp. both name a corporation: "Acme Inc." -> "Acme Corp." is a rename.)
_FORM_SAME = {"limited": "ltd", "incorporated": "inc", "l.l.c": "llc", "corporation": "inc",
              "corp": "inc",
              "s.a": "sa", "b.v": "bv", "n.v": "nv", "s.r.l": "srl", "s.l": "sl", "k.k": "kk"}


def _places_in(words: Sequence[str], vocab: Vocabulary) -> Iterator[tuple[str, bool]]:
    """Each place named in `words`, as written, and whether it is inside a company's
    name."""
    text = " ".join(visible(words))
    for a, b in _place_search(vocab.places).spans(text)[0]:
        yield text[a:b], bool(_COMPANY.match(text[b:].lstrip()))


def legal_forms(words: Sequence[str]) -> frozenset[str]:
    """The legal forms `words` name ("Ltd", "Inc", "GmbH"), one spelling each."""
    return frozenset(_FORM_SAME.get(f, f) for f in
                     (w.rstrip(".").lower() for w in visible(words) if _FORM.fullmatch(w)))


def legal_entity(words: Sequence[str], vocab: Vocabulary | None = None
                 ) -> tuple[frozenset[str], frozenset[str]]:
    """The legal forms and the places inside companies' names ("Acme Ireland Limited":
    Ireland) that `words` name: two names that differ in either are two legal persons,
    not one renamed."""
    inside = frozenset(p for p, named in _places_in(words, vocab or vocabulary()) if named)
    return legal_forms(words), inside


def another_entity(near_old: Sequence[str], near_new: Sequence[str]) -> bool:
    """Whether the words around a changed run name another legal person on each side:
    a company's legal form or the country in its name changed ("Acme Ireland Limited" ->
    "Acme Inc."). The party the terms are with, or the one data goes to, is another,
    even where its postal address follows the name."""
    # (The legal forms first: most runs stand near none, and then no place is sought.)
    return bool(legal_forms(near_old) and legal_forms(near_new)) and \
        legal_entity(near_old) != legal_entity(near_new)


def places(words: Sequence[str], vocab: Vocabulary | None = None) -> list[str]:
    """The places named in `words` (countries, regions, states), as written; not those
    inside a company's name ("Acme Ireland Limited")."""
    return [p for p, named in _places_in(words, vocab or vocabulary()) if not named]


def _contact_word(word: str, vocab: Vocabulary) -> str:
    """'strong' for a word that only a contact detail has (an e-mail address, a phone
    number, a postcode, a street word), 'weak' for a word a contact sentence uses, ''."""
    low = word.lower()
    if _EMAIL.match(word) or _URL.match(word) or _PHONE.match(word) or _POSTCODE.match(word):
        return "strong"
    if low in vocab.address_words:
        return "strong" if low not in ("no", "state", "city", "code", "unit", "way",
                                       "place", "row", "house", "court", "park") else "weak"
    if low in vocab.channel_words or _NUMBER.match(word):
        return "weak"
    stem = low.rstrip(".")
    if word[:1].isupper() and any(stem.endswith(e) and len(stem) >= len(e) + 3
                                  for e in vocab.address_endings):
        return "strong"  # a street named in one word ("Hauptstr.", "Kerkstraat")
    if word[:1].isupper() or any(c.isdigit() for c in word):
        return "name"  # a person, a company, a town or a building
    return ""


def contact_only(changed: Sequence[str], vocab: Vocabulary | None = None,
                 around: Sequence[str] = ()) -> bool:
    """The changed words are contact details and nothing else: an address, a phone
    number, an e-mail address ("name [at] example [dot] com" included), a contact URL,
    the name of whom to contact. A postcode or a house number alone counts when the
    words `around` it hold an address."""
    vocab = vocab or vocabulary()
    words = _named_channels(_obfuscated(_alnum(visible(changed))), vocab)
    if not words:
        return False
    if any(not _contact_word(w, vocab) for w in words):  # the first other word decides
        return False
    if _has_contact(words, vocab, visible(changed)):
        return True
    seen = visible(around)
    return bool(seen) and _has_contact(_alnum(seen), vocab, seen)


_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")


def _obfuscated(words: list[str]) -> list[str]:
    """An e-mail address written out against harvesting ("help [at] example [dot] com",
    "help[at]example.com"), its words joined into one address."""
    low = [w.lower() for w in words]
    if "at" not in low:
        return words
    out: list[str] = []
    k = 0
    while k < len(words):
        # (The domain ends in a name of letters, or "dot" follows it: "reach us at our
        # office" is no address, nor "interest at 1.5".)
        if k + 2 < len(words) and low[k + 1] == "at" and re.fullmatch(r"[\w.+-]+", words[k]) \
                and (_DOMAIN.fullmatch(words[k + 2]) or (
                    low[k + 3: k + 4] == ["dot"] and re.fullmatch(r"[\w-]+", words[k + 2]))):
            address, k = f"{words[k]}@{words[k + 2]}", k + 3
            while k + 1 < len(words) and low[k] == "dot" and re.fullmatch(r"[\w-]+", words[k + 1]):
                address, k = f"{address}.{words[k + 1]}", k + 2
            out.append(address)
            continue
        out.append(words[k])
        k += 1
    return out


def addresses(words: Sequence[str]) -> set[str]:
    """The e-mail addresses and phone numbers written in `words` (obfuscated ones too)."""
    return {w.lower() for w in _obfuscated(_alnum(visible(words)))
            if _EMAIL.match(w) or _PHONE.match(w)}


def _named_channels(words: list[str], vocab: Vocabulary) -> list[str]:
    """Without the words that name one of our channels ("our press office email",
    "our billing hotline"): up to three lower-case words between "our" and the channel."""
    low = {w.lower() for w in words}
    if "our" not in low or not low & _CHANNEL_NOUNS:
        return words
    out: list[str] = []
    for k, word in enumerate(words):
        if word.islower() and word not in vocab.channel_words:
            lo = max(0, k - 3)
            ahead = words[k + 1: k + 4]
            if "our" in (w.lower() for w in words[lo:k]) and any(
                    w.lower() in _CHANNEL_NOUNS for w in ahead):
                continue
        out.append(word)
    return out


_CHANNEL_NOUNS = frozenset({"email", "e-mail", "address", "phone", "line", "hotline",
                            "portal", "form", "inbox", "mailbox", "number", "chat"})


def _has_contact(words: Sequence[str], vocab: Vocabulary, seen: Sequence[str]) -> bool:
    """`words` are the letters-and-digits words of `seen`; a phone number is read in
    `seen`, whose "+" and brackets say where it starts."""
    if any(_contact_word(w, vocab) == "strong" for w in words):
        return True
    text = " ".join(w.lower() for w in words)
    return re.search(r"\bat\b.*\bdot\b", text) is not None or _grouped_phone(seen)


_PHONE_WORDS = frozenset({"call", "phone", "telephone", "tel", "fax", "mobile", "hotline",
                          "toll-free", "number", "dial", "text", "sms", "whatsapp"})


def _grouped_phone(words: Sequence[str]) -> bool:
    """A phone number written in groups ("+1 555 010 2000", "(020) 7946 0000"): three or
    more groups of digits, seven digits or more, after a "+" or a word of the telephone
    ("call", "phone", "tel"). Years or amounts in a row have neither."""
    run: list[str] = []
    for k, w in enumerate([*words, ""]):
        if re.fullmatch(r"\(?\d{1,5}\)?", w) or w == "(" or (run and w in ("-", ".", ")")):
            run.append(w)
            continue
        groups = [g for g in run if any(c.isdigit() for c in g)]
        if len(groups) >= 3 and sum(c.isdigit() for g in groups for c in g) >= 7:
            start = k - len(run)
            before = [x.lower() for x in words[max(0, start - 4): start]]
            if before[-1:] == ["+"] or set(before) & _PHONE_WORDS:
                return True
        run = []
    return False


_CONTACT_VERBS = re.compile(r"\b(?:contact|contacting|reach|reached|call|write|e-?mail|"
                            r"submit|send|visit|log in|sign in|find)\b", re.IGNORECASE)


def contact_passage(words: Sequence[str], vocab: Vocabulary | None = None) -> bool:
    """A passage that only tells how to get in touch: each sentence has a contact verb,
    and the passage names a channel (a phone number, an address, an e-mail, a portal)."""
    vocab = vocab or vocabulary()
    shown = visible(words)
    sentences: list[list[str]] = [[]]
    for w in shown:
        sentences[-1].append(w)
        if w in (".", "!", "?", ":"):
            sentences.append([])
    # A label ending in a colon ("Residents of Ohio:") introduces the contact, it says
    # nothing of its own.
    sentences = [x for x in sentences if _alnum(x)
                 and not (x[-1] == ":" and len(_alnum(x)) <= 4)]
    if not sentences or len(sentences) > 4:
        return False
    channel = _has_contact(_alnum(shown), vocab, shown) or any(
        w.lower() in ("portal", "form", "site", "website", "number", "address")
        for w in _alnum(shown))
    return channel and all(_CONTACT_VERBS.search(" ".join(x)) or
                           all(_contact_word(w, vocab) for w in _alnum(x))
                           for x in sentences)


def date_only(changed: Sequence[str], context: Sequence[str],
              vocab: Vocabulary | None = None) -> bool:
    """The changed words only write a date or a date stamp ("Last updated: 2 days ago",
    "Effective from 4 May 2026"), and a date stands in the changed words or next to them."""
    vocab = vocab or vocabulary()
    words = _alnum(visible(changed))
    if not words:
        return False
    dated = False
    for w in words:
        low = w.lower().rstrip(".,")
        if (low in _MONTHS and w[:1].isupper()) or _DATE.fullmatch(low):
            dated = True
        elif re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", low) or (low in vocab.date_words
                                                               and low not in _MONTHS):
            continue
        else:
            return False
    relative = "ago" in (w.lower() for w in _alnum(context))
    return dated or (relative and any(c.isdigit() for w in words for c in w))


@dataclass(frozen=True)
class Signals:
    """What one changed run carries, computed once."""

    deleted: tuple[str, ...]  # visible words, old side
    inserted: tuple[str, ...]  # visible words, new side
    markup_only: bool  # only markup changed: the visible words are the same
    same_meaning: bool  # the sentences read the same once normalised
    contact: bool  # only contact details changed
    dated: bool  # only a date or a date stamp changed
    places_old: tuple[str, ...]
    places_new: tuple[str, ...]

    @property
    def places_changed(self) -> tuple[str, ...]:
        gone = [p for p in self.places_old if p not in self.places_new]
        came = [p for p in self.places_new if p not in self.places_old]
        return tuple(dict.fromkeys(gone + came))


def signals_of(deleted: Sequence[str], inserted: Sequence[str], before: Sequence[str],
               after: Sequence[str], vocab: Vocabulary | None = None,
               near: tuple[Sequence[str], Sequence[str]] | None = None) -> Signals:
    """`deleted`/`inserted` are the changed words; `before`/`after` their sentences;
    `near` the words around them on each side (for contact details)."""
    vocab = vocab or vocabulary()
    around_old, around_new = near or (before, after)
    d, i = visible(deleted), visible(inserted)
    changed = [*d, *i]
    same = _normal_of(before, vocab) == _normal_of(after, vocab) and bool(_alnum(changed))
    return Signals(
        deleted=tuple(d), inserted=tuple(i),
        markup_only=[w.lower() for w in _alnum(d)] == [w.lower() for w in _alnum(i)],
        same_meaning=same,
        contact=contact_only(d, vocab, around_old) and contact_only(i, vocab, around_new)
        if d and i else contact_only(changed, vocab, [*around_old, *around_new]),
        dated=date_only(changed, [*before, *after], vocab),
        places_old=_changed_places(deleted, before, vocab),
        places_new=_changed_places(inserted, after, vocab),
    )


def _changed_places(changed: Sequence[str], sentence: Sequence[str],
                    vocab: Vocabulary) -> tuple[str, ...]:
    """The places in the changed words that are places in their sentence too: the
    company name a place belongs to may run past the changed words."""
    whole = _places_of(sentence, vocab) if sentence else None
    return tuple(p for p in places(changed, vocab) if whole is None or p in whole)
