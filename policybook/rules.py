"""The materiality rules: one changed run of words -> a rule that explains it (pure core).

Editorial rules are tried first and are narrow on purpose: each explains a change only
when it provably leaves the obligations as they were (punctuation only, markup around
the same words, a date stamp, a misspelt word the new text no longer uses, a
cross-reference label, a consistently renamed name, contact details, the same meaning
in other words...). Whatever they do not explain is read for what the changed words
carry: a negation, a modal verb, a number and its unit, a notice channel, a concept of
privacy or contract law (`lexicon.py`), a place, a list item added or removed, a name
swapped where data goes. The sentence may explain such a reason; it never makes a
change material on its own. The order of the rules is stated once, in
`rulebook.RULEBOOK`; the signals come from `signals.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from . import lexicon
from .lexicon import Concept
from .redline import Hunk, words_of
from .rulebook import EDITORIAL, EXPLANATIONS, MATERIAL, Finding, Rule
from .signals import (
    Signals,
    contact_only,
    contact_passage,
    date_only,
    places,
    signals_of,
    visible,
)

__all__ = ["EDITORIAL", "EXPLANATIONS", "MATERIAL", "Finding", "Rule", "Texts", "editorial_hunk",
           "material_hunk", "sentence", "whole_text"]


class Texts:
    """The whole old and new documents as words (` w1 w2 ... `), for the rules that must
    look beyond one paragraph: renames, typo fixes and moved text. Built on first use:
    most change sets never need them."""

    def __init__(self, old: Callable[[], str], new: Callable[[], str],
                 headings: Callable[[], frozenset[str]],
                 substitutions: dict[tuple[tuple[str, ...], tuple[str, ...]], int] | None = None,
                 ) -> None:
        # How often each capitalised name was replaced by another, across the document.
        self.substitutions = substitutions or {}
        self.extra: lexicon.Extra = ()  # terms added per concept by the settings
        self.profiles: frozenset[str] = frozenset()  # opt-in conventions (rulebook.PROFILES)
        self._make = {"old": old, "new": new}
        self._text: dict[str, str] = {}
        self._headings = headings
        self._heading_set: frozenset[str] | None = None
        self._squashed: list[str] | None = None  # headings without spaces, longest first

    def _get(self, side: str) -> str:
        """The side's words in lower case (or, for `side + "="`, as written)."""
        if side not in self._text:
            exact = self._make[side.rstrip("=")]()
            self._text[side.rstrip("=") + "="] = exact
            self._text[side.rstrip("=")] = exact.lower()
        return self._text[side]

    def new_has_name(self, words: Sequence[str]) -> bool:
        """Does the new text still use this name, capitals and all?"""
        return f" {' '.join(words)} " in self._get("new=")

    def is_heading(self, text: str) -> bool:
        if self._heading_set is None:
            self._heading_set = self._headings()
        return " ".join(words_of(text)).lower() in self._heading_set

    def lists_headings(self, words: Sequence[str]) -> bool:
        """Is this text the document's headings run together (a table of contents
        captured without its line breaks: "OverviewFeesCancelling")?"""
        if self._squashed is None:
            if self._heading_set is None:
                self._heading_set = self._headings()
            self._squashed = sorted({_NON_WORD.sub("", h) for h in self._heading_set},
                                    key=len, reverse=True)
        text = _NON_WORD.sub("", "".join(words)).lower()
        if len(text) < 20:
            return False
        rest, found = text, 0
        for squashed in self._squashed:
            if len(squashed) >= 4 and squashed in rest:
                rest = rest.replace(squashed, "")
                found += 1
        return found >= 3 and len(rest) <= 0.2 * len(text)

    def count(self, side: str, words: Sequence[str]) -> int:
        return self._get(side).count(f" {' '.join(words).lower()} ")

    def old_has(self, words: Sequence[str]) -> bool:
        return f" {' '.join(words).lower()} " in self._get("old")

    def new_has(self, words: Sequence[str]) -> bool:
        return f" {' '.join(words).lower()} " in self._get("new")


# ---------------------------------------------------------------- word classes

_NON_WORD = re.compile(r"\W")
_SENTENCE_END = {".", "!", "?", ";"}
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                  r"|(?:[\w-]+\.)+[a-z]{2,24}(?:/\S*)?)$", re.IGNORECASE)
_REF_LABEL = re.compile(r"^(?:[A-Z]{1,2}|\d{1,3}|[IVXLC]{1,6}|[a-z]|_+)(?:[.-]\d{1,3})*\.?$")
_REF_ALONE = re.compile(r"^[A-Z](?:\.\d{1,3})+\.?$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{2,4}$")
_DAY = re.compile(r"^(?:[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?$")
_CURRENCY = {"$", "€", "£", "¥", "usd", "eur", "gbp"}
_CONNECTORS = {"for", "of", "and", "&", "-", "the"}
_SPELLING = [(re.compile(a), b) for a, b in (
    (r"([a-z])\1", r"\1"), (r"our\b", "or"), (r"is(e|ing|ed|ation)", r"iz\1"),
    (r"ence\b", "ense"), (r"ences\b", "enses"), (r"tre\b", "ter"), (r"ogue\b", "og"))]


def alnum(words: Sequence[str]) -> list[str]:
    return [w for w in words if any(c.isalnum() for c in w)]


def _squash(words: Sequence[str]) -> str:
    return "".join(re.sub(r"\W", "", w) for w in words).lower()


def _digits(words: Sequence[str]) -> list[str]:
    return [w for w in words if any(c.isdigit() for c in w)]


def _capitalised(word: str) -> bool:
    return any(c.isupper() for c in word[:1]) or (any(c.isupper() for c in word[1:])
                                                  and word[:1].isalpha())


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word) or word.lower() in lexicon.NUMBER_WORDS


def sentence(words: Sequence[str], start: int, end: int) -> list[str]:
    """The sentence(s) around words[start:end] (a pure insertion has start == end)."""
    lo = start
    while lo > 0 and words[lo - 1] not in _SENTENCE_END:
        lo -= 1
    hi = max(end, start)
    while hi < len(words) and words[hi] not in _SENTENCE_END:
        hi += 1
    return list(words[lo: hi + 1])


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a transposition counts as one edit)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _slip(a: str, b: str) -> bool:
    """A slip of the keyboard: two neighbouring letters swapped, or one letter left out or
    typed twice, in a word of five letters or more."""
    if min(len(a), len(b)) < 5:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
            and a[diff[1]] == b[diff[0]]
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(long[:k] + long[k + 1:] == short
                                               for k in range(len(long)))


def _spelling_variant(a: str, b: str) -> bool:
    """cancelled/canceled, licence/license, organise/organize: one word, two spellings."""
    for pattern, repl in _SPELLING:
        a, b = pattern.sub(repl, a), pattern.sub(repl, b)
    return a == b


def _inflected(a: str, b: str) -> bool:
    """program/programs, use/used: the same word in another number or tense."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short):] in ("s", "es", "d", "ed", "ing", "'s")


# ---------------------------------------------------------------- editorial rules


def _punctuation(d: Sequence[str], i: Sequence[str]) -> bool:
    return _squash(d) == _squash(i) and _digits(d) == _digits(i)


def _duplicate(h: Hunk, old: Sequence[str]) -> bool:
    d = [w.lower() for w in h.deleted]
    if h.inserted or not alnum(d):
        return False
    n = len(d)
    before = [w.lower() for w in old[max(0, h.old_start - n): h.old_start]]
    after = [w.lower() for w in old[h.old_end: h.old_end + n]]
    return d in (before, after)


def _typo(d: Sequence[str], i: Sequence[str], texts: Texts) -> bool:
    da, ia = alnum(d), alnum(i)
    if not da or len(da) != len(ia) or len(da) > 3:
        return False
    fixed = False
    for a, b in zip(da, ia, strict=True):
        if a == b or a.lower() == b.lower():
            continue
        la, lb = a.lower(), b.lower()
        if not (re.fullmatch(r"[a-z'’-]+", la) and re.fullmatch(r"[a-z'’-]+", lb)):
            return False
        if _spelling_variant(la, lb):
            fixed = True
            continue
        if _inflected(la, lb) or min(len(la), len(lb)) < 4:
            return False
        words = [la, lb]
        if lexicon.negations(words) or lexicon.strong_modals(words) or \
                lexicon.weak_modals(words):
            return False
        # A term of the vocabulary is fine on the new side only when the old word was its
        # misspelling ("thrid" -> "third", "comlpaint" -> "complaint"): two letters
        # swapped, or one letter missing or doubled, in a word of some length.
        if lexicon.concepts([la]) or (lexicon.concepts([lb]) and not _slip(la, lb)):
            return False
        limit = 2 if min(len(la), len(lb)) >= 8 else 1
        # A real misspelling is gone from the new text; a swap for another real word
        # ("licensor" -> "licensee") leaves the old word in use elsewhere.
        if _edit_distance(la, lb) > limit or texts.new_has([la]):
            return False
        fixed = True
    return fixed or _punctuation(d, i)


def _reference(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    def ok(side: Sequence[str], words: Sequence[str], start: int) -> bool:
        k = start - 1
        while k >= 0 and (not any(c.isalnum() for c in words[k]) or (_REF_LABEL.match(words[k])
                          and words[k].lower() not in lexicon.REFERENCE_WORDS)):
            k -= 1
        introduced = k >= 0 and words[k].lower() in lexicon.REFERENCE_WORDS
        for w in alnum(side):
            if _REF_ALONE.match(w) or w.lower() in lexicon.REFERENCE_WORDS:
                introduced = introduced or w.lower() in lexicon.REFERENCE_WORDS
                continue
            if not (_REF_LABEL.match(w) and introduced):
                return False
        return True

    d, i = alnum(h.deleted), alnum(h.inserted)
    return bool(d or i) and ok(h.deleted, old, h.old_start) and ok(h.inserted, new, h.new_start)


_URL_FILLER = {"at", "currently", "located", "available", "found", "here", "via", "on", "our",
               "website", "site", "page", "the", "see"}


def _urls(d: Sequence[str], i: Sequence[str]) -> bool:
    """Only web addresses changed ("(currently located at https://…)" included)."""
    words = alnum(d) + alnum(i)
    return any(_URL.match(w) for w in words) and \
        all(_URL.match(w) or w.lower() in _URL_FILLER for w in words)


def _date(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    words = alnum(h.deleted) + alnum(h.inserted)
    if not words:
        return False
    near = list(old[max(0, h.old_start - 2): h.old_end + 2]) + \
        list(new[max(0, h.new_start - 2): h.new_end + 2])
    if any(w.lower() in _CURRENCY for w in near):
        return False
    month = any(w in lexicon.MONTHS for w in near)
    anchored = False
    for w in words:
        if w in lexicon.MONTHS or _YEAR.match(w) or _ISO_DATE.match(w):
            anchored = True
        elif not (_DAY.match(w) and month):
            return False
    return anchored or month


def _rename(h: Hunk, old: Sequence[str], new: Sequence[str], texts: Texts) -> str | None:
    """"Business plan" -> "Business Cloud" everywhere: the old and new names, or None."""
    if not alnum(h.deleted) or not alnum(h.inserted):
        return None
    lo, hi = h.old_start, h.old_end
    while lo > 0 and (_capitalised(old[lo - 1]) or (old[lo - 1].lower() in _CONNECTORS
                      and lo - 1 > 0 and _capitalised(old[lo - 2]))):
        lo -= 1
    while hi < len(old) and _capitalised(old[hi]):
        hi += 1
    old_name = [w for w in old[lo:hi] if w.lower() not in ("the", "a", "an")]
    new_name = [w for w in new[h.new_start - (h.old_start - lo): h.new_end + (hi - h.old_end)]
                if w.lower() not in ("the", "a", "an")]
    if not alnum(old_name) or not alnum(new_name):
        return None
    # A name is short and made of names ("Business plan" -> "Business Cloud
    # subscription" at most): a run of lower-case words is a new sentence.
    lower = [w for w in alnum([*h.deleted, *h.inserted]) if not _capitalised(w)
             and w.lower() not in _CONNECTORS and not any(c.isdigit() for c in w)]
    if max(len(alnum(old_name)), len(alnum(new_name))) > 6 or len(lower) > 2:
        return None
    # A rename keeps part of the name and brings in a new capitalised word: "Business
    # plan" -> "Business Cloud subscription", "User Account" -> "Personal Account"; not
    # "GitHub employees" -> "GitHub personnel", nor "User Data" -> "personal data".
    shared = {w.lower() for w in alnum(old_name)} & {w.lower() for w in alnum(new_name)}
    fresh = [w for w in alnum(new_name) if w not in old_name and _capitalised(w)]
    if not fresh or not any(_capitalised(w) for w in old_name):
        return None
    # A name replaced by a wholly different one ("Twitter" -> "X") must be replaced the
    # same way at least twice in the document to count as a rename.
    swap = (tuple(alnum(h.deleted)), tuple(alnum(h.inserted)))
    count = texts.substitutions.get(swap, 0)
    if not shared and count < 2:
        return None
    # A place is never a name of the company's own: "State of California" -> "State of
    # Texas" moves the governing law.
    if places(old_name) != places(new_name):
        return None
    # An address is no name: "12 Oak Street" -> "40 Elm Street" is a contact detail.
    if contact_only(old_name) or contact_only(new_name):
        return None
    # "Google Analytics" -> "Google Ads": the name itself says what is done with data;
    # a name that drops such a word for a plain one, everywhere, is a rename.
    named = set(lexicon.concepts([w for w in swap[1] if _capitalised(w)])) - \
        {Concept.LEGAL_TERMS}
    if named or (count < 3 and set(lexicon.concepts(
            [w for w in swap[0] if _capitalised(w)])) - {Concept.LEGAL_TERMS}):
        return None
    # "We share data with Acme Analytics" -> "... Acme Insights" may name another
    # company that receives data: no rename where sharing words stand close to the name
    # (and, for a wholly new name, no concept at all), unless the same substitution runs
    # through the whole document (a defined term or a product renamed, three times or
    # more).
    near = list(old[max(0, lo - 6): hi + 6]) + \
        list(new[max(0, h.new_start - 6): h.new_end + 6])
    found = set(lexicon.concepts(near)) - {Concept.LEGAL_TERMS}
    if (Concept.RECIPIENTS in found or lexicon.shares(near) or (found and not shared)) \
            and count < 3:
        return None
    if texts.new_has_name(old_name):
        return None  # not consistent: the old name is still in use
    return f"{' '.join(old_name)} → {' '.join(new_name)}"


def _moved_text(h: Hunk, texts: Texts) -> bool:
    """Eight or more words inserted that the old text already had (or deleted that the
    new text still has): a passage moved, not new wording."""
    if h.deleted and h.inserted:
        return False
    # Moved, not copied: the passage occurs as often in the new text as in the old one.
    if h.inserted:
        return len(alnum(h.inserted)) >= 8 and texts.old_has(h.inserted) and \
            texts.count("new", h.inserted) <= texts.count("old", h.inserted)
    return len(alnum(h.deleted)) >= 8 and texts.new_has(h.deleted) and \
        texts.count("old", h.deleted) <= texts.count("new", h.deleted)


def _pointer(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A sentence that only sends the reader elsewhere ("Please see Section H of our
    Terms for our API terms") changed in which documents it names."""
    before = " ".join(sentence(old, h.old_start, h.old_end)).lower()
    after = " ".join(sentence(new, h.new_start, h.new_end)).lower()
    if not (before.startswith(lexicon.POINTERS) and after.startswith(lexicon.POINTERS)):
        return False
    words = list(h.deleted) + list(h.inserted)
    touched = lexicon.concepts(words)
    return not (lexicon.negations(words) or lexicon.strong_modals(words)
                or lexicon.weak_modals(words) or _numbers(words)
                or touched.keys() - {Concept.LEGAL_TERMS, Concept.NOTICE})


_NUMBER_VALUES = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                  "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                  "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
                  "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}


def _values(words: Sequence[str]) -> set[str]:
    """Numbers as values: "thirty", "30" and "30.00" are one number."""
    found: set[str] = set()
    for w in alnum(words):
        low = w.lower().replace(",", "")
        if low in _NUMBER_VALUES:
            found.add(str(_NUMBER_VALUES[low]))
        else:  # "30", "30.00", and each end of a range ("1-15")
            found.update(str(float(n)).removesuffix(".0")
                         for n in re.findall(r"\d+(?:\.\d+)?", low))
    return found


def _number_format(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "thirty (30) days" -> "30 days": numbers rewritten, their values unchanged."""
    words = alnum(list(h.deleted) + list(h.inserted))
    if not words or not all(_is_number(w) for w in words):
        return False
    return _values(sentence(old, h.old_start, h.old_end)) == \
        _values(sentence(new, h.new_start, h.new_end))


_GLUE = lexicon.ARTICLES | lexicon.GRAMMAR_WORDS | {
    "when", "whenever", "once", "then", "which", "who", "whom", "it", "they", "them", "their",
    "we", "us", "our", "you", "your", "is", "are", "be", "been", "being"}


def _reordered_in_sentence(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "names, e-mail addresses and phone numbers" -> "e-mail addresses, names and phone
    numbers": the sentence has the same words, and none of the moved ones is a negation,
    a modal verb or a number (moving those can change the meaning)."""
    moved = alnum(list(h.deleted) + list(h.inserted))
    if not moved:
        return False
    whole = sentence(old, h.old_start, h.old_end)
    # The same content words; the little words that glue a sentence may differ ("We
    # disable accounts we find" -> "When we find accounts, we disable those accounts").
    before = sorted(w.lower() for w in alnum(whole) if w.lower() not in _GLUE)
    after = sorted(w.lower() for w in alnum(sentence(new, h.new_start, h.new_end))
                   if w.lower() not in _GLUE)
    if sorted(set(before)) != sorted(set(after)) or not before:
        return False
    # Swapping words around a negation ("share with A but not B") or between recipients
    # ("names with advertisers, e-mails with processors") changes what is allowed.
    return not (lexicon.negations(whole) or lexicon.strong_modals(moved)
                or lexicon.weak_modals(moved) or _numbers(moved)
                or Concept.RECIPIENTS in lexicon.concepts(whole))


def _party_swapped(h: Hunk) -> tuple[str, ...]:
    """A name replaced by another name ("Paystream" -> "Coinpay"), both capitalised."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if not (0 < len(d) <= 4 and 0 < len(i) <= 4):
        return ()
    if all(w[:1].isupper() for w in d + i) and \
            {w.lower() for w in d} != {w.lower() for w in i}:
        return tuple(d + i)
    return ()


def _swapped(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """The same words in another order where order matters (around a negation, between
    recipients): what is paired with what changed."""
    before = sorted(w.lower() for w in alnum(sentence(old, h.old_start, h.old_end)))
    after = sorted(w.lower() for w in alnum(sentence(new, h.new_start, h.new_end)))
    return bool(alnum([*h.deleted, *h.inserted])) and before == after


def _link_wording(h: Hunk, links: tuple[str, str]) -> bool:
    """Only the words of a link changed ("What is my disk quota?" -> "Storage limits")."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if not (d or i):
        return False
    if (d and f" {' '.join(d).lower()} " not in links[0]) or \
            (i and f" {' '.join(i).lower()} " not in links[1]):
        return False
    words = d + i
    touched = set(lexicon.concepts(words)) - {Concept.LEGAL_TERMS, Concept.NOTICE}
    return not (touched or lexicon.negations(words) or lexicon.strong_modals(words)
                or lexicon.weak_modals(words) or _numbers(words))


_CHANNELS = {"e-mail", "email", "mail", "post", "website", "site", "app", "banner", "phone",
             "text", "sms", "letter", "notification", "message", "blog", "page"}


def _notice_channel(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A channel ("by e-mail" -> "on our website") changed in a sentence about telling
    users: how they are told is a term of the policy, not a contact detail."""
    changed = {w.lower() for w in alnum([*h.deleted, *h.inserted])}
    if not changed & _CHANNELS:
        return False
    around = [*sentence(old, h.old_start, h.old_end), *sentence(new, h.new_start, h.new_end)]
    return Concept.NOTICE in lexicon.concepts(around)


_COORDINATORS = {",", "or", "and", ";", "including", "/"}


def _list_scope(h: Hunk) -> tuple[str, ...]:
    """An item added to or removed from an enumeration ("the site" -> "the site or the
    app"): the words of the item, when the run is one, else ()."""
    if h.deleted and h.inserted:
        return ()
    run = list(h.inserted or h.deleted)
    words = [w.lower() for w in run]
    edge = words[:1] + words[-1:]
    content = [w for w in alnum(run) if w.lower() not in lexicon.ARTICLES
               and w.lower() not in _COORDINATORS and w.lower() not in lexicon.GRAMMAR_WORDS]
    if not content or len(content) > 8 or not (set(edge) & _COORDINATORS):
        return ()
    return tuple(content)


def _unit_changed(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """Words inserted or removed right after a number ("30 days" -> "30 business days"):
    the unit or the qualifier of an amount changed."""
    def after_number(words: Sequence[str], start: int) -> bool:
        return any(_is_number(w) and w.lower() not in ("one", "first")
                   for w in words[max(0, start - 3): start])
    if after_number(old, h.old_start) and after_number(new, h.new_start):
        return tuple(w for w in alnum([*h.deleted, *h.inserted]) if not _is_number(w))
    return ()


def hunk_signals(h: Hunk, old: Sequence[str], new: Sequence[str]) -> Signals:
    # An address spans "sentences" ("Bldg. 2, Springfield"): contact details are read
    # against the dozen words around the run.
    return signals_of(h.deleted, h.inserted, sentence(old, h.old_start, h.old_end),
                      sentence(new, h.new_start, h.new_end),
                      near=(old[max(0, h.old_start - 12): h.old_end + 12],
                            new[max(0, h.new_start - 12): h.new_end + 12]))


def editorial_hunk(h: Hunk, old: Sequence[str], new: Sequence[str], texts: Texts,
                   links: tuple[str, str] = ("", ""), table: bool = False) -> Finding | None:
    """The editorial rule that explains this changed run, if one does. `links` are the
    words of the links of the old and new text (` w1 w2 … `, lower case); `table` says
    that the text is a table cell."""
    d, i = h.deleted, h.inserted
    if _punctuation(d, i):
        return Finding(Rule.PUNCTUATION, EDITORIAL)
    sig = hunk_signals(h, old, new)
    if sig.markup_only:
        return Finding(Rule.MARKUP, EDITORIAL, note="raw HTML or Markdown around the same words")
    if sig.dated:
        return Finding(Rule.DATE_ONLY, EDITORIAL)

    # A short text of labels ("3.2" -> "3.4") is numbering, except in a table cell, where a
    # number is a value: a price, a period, a count ("US$ 10" -> "US$ 12").
    if not table and len(old) <= 4 and len(new) <= 4 and alnum(old) and alnum(new) and \
            all(_REF_LABEL.match(w) for w in alnum(old) + alnum(new)):
        return Finding(Rule.NUMBERING, EDITORIAL, note="a label on its own")
    if _duplicate(h, old):
        return Finding(Rule.DUPLICATE_WORD, EDITORIAL)
    if _typo(d, i, texts):
        return Finding(Rule.TYPO, EDITORIAL)
    if _reference(h, old, new):
        return Finding(Rule.NUMBERING, EDITORIAL)
    if _urls(d, i):
        return Finding(Rule.LINK_TARGET, EDITORIAL)
    if _link_wording(h, links):
        return Finding(Rule.LINK_WORDING, EDITORIAL)
    if _date(h, old, new):
        return Finding(Rule.DATE_ONLY, EDITORIAL)
    renamed = _rename(h, old, new, texts)
    if renamed:
        return Finding(Rule.RENAME, EDITORIAL, note=renamed)
    if _moved_text(h, texts):
        return Finding(Rule.REORDERING, EDITORIAL)
    if _pointer(h, old, new):
        return Finding(Rule.CROSS_REFERENCE, EDITORIAL)
    if sig.contact and not _notice_channel(h, old, new):
        return Finding(Rule.CONTACT, EDITORIAL)
    if sig.same_meaning:
        return Finding(Rule.SAME_MEANING, EDITORIAL)
    if _number_format(h, old, new):
        return Finding(Rule.PUNCTUATION, EDITORIAL, note="the same number, written another way")
    if _reordered_in_sentence(h, old, new):
        return Finding(Rule.REORDERING, EDITORIAL, note="the same words, in another order")
    changed = alnum(list(d) + list(i))
    if changed and all(w.lower() in lexicon.ARTICLES for w in changed):
        return Finding(Rule.CLARIFICATION, EDITORIAL, note="only an article or determiner")
    if len(changed) == 1 and not (alnum(d) and alnum(i)) and \
            changed[0].lower() in lexicon.GRAMMAR_WORDS:
        return Finding(Rule.CLARIFICATION, EDITORIAL, note=f"grammar: “{changed[0]}”")
    return None


# ---------------------------------------------------------------- material rules


def _numbers(words: Sequence[str]) -> list[str]:
    # Ordinals name things ("third parties", "first-party cookies"), and a number after
    # "§" or "Article" is a label of a law: neither is an amount.
    found = []
    for k, w in enumerate(words):
        if not (any(c.isalnum() for c in w) and _is_number(w)) or \
                w.lower() in ("first", "second", "third"):
            continue
        if k and (words[k - 1] == "§" or words[k - 1].lower() in lexicon.REFERENCE_WORDS
                  or words[k - 1].lower() in ("art", "no", "nr")):
            continue
        found.append(w.lower())
    return sorted(found)


def material_hunk(h: Hunk, old: Sequence[str], new: Sequence[str],
                  context: Sequence[str] = (), table: bool = False,
                  lead: Sequence[str] = (), extra: lexicon.Extra = ()) -> Finding:
    """What an unexplained changed run touches; `context` is the section's headings,
    `lead` the sentence that introduces the list the run belongs to ("You must not:")."""
    # What users read: link targets and raw HTML written out in the text carry nothing.
    d, i = visible(h.deleted), visible(h.inserted)
    before, after = sentence(old, h.old_start, h.old_end), sentence(new, h.new_start, h.new_end)
    before, after = [*lead, *before], [*lead, *after]
    neg_d, neg_i = lexicon.negations(d), lexicon.negations(i)
    neg_old, neg_new = lexicon.negations(before), lexicon.negations(after)
    if (neg_d or neg_i) and len(neg_old) != len(neg_new):
        return Finding(Rule.NEGATION, MATERIAL, tuple(neg_d + neg_i))
    listed = {",", "or", "and", "nor", ";"}
    # A negated list: the negation governs the list the run belongs to ("do not share,
    # sell, rent or trade"), so it stands a few words before the run.
    if lexicon.negations(old[max(0, h.old_start - 8): h.old_start]) and \
            lexicon.negations(new[max(0, h.new_start - 8): h.new_start]):
        if len(alnum(d)) > len(alnum(i)) and listed & {w.lower() for w in d}:
            return Finding(Rule.NARROWED_LIST, MATERIAL, tuple(alnum(d)))
        if len(alnum(i)) > len(alnum(d)) and listed & {w.lower() for w in i}:
            return Finding(Rule.WIDENED_LIST, MATERIAL, tuple(alnum(i)))
    strong_d, strong_i = lexicon.strong_modals(d), lexicon.strong_modals(i)
    weak_d, weak_i = lexicon.weak_modals(d), lexicon.weak_modals(i)
    # will/must -> may weakens a duty; may -> must creates one. A modal merely inserted
    # with other words ("you can opt out") is judged by those words below.
    modal_only = len(alnum(list(d) + list(i))) <= 2
    weaker = (strong_d and (weak_i or not strong_i)) or (weak_i and modal_only and not weak_d)
    stronger = (weak_d and (strong_i or not weak_i)) or (strong_i and modal_only
                                                          and not strong_d)
    if weaker and _passed_schedule(d, i):
        return Finding(Rule.DATE_ONLY, EDITORIAL, note="a schedule that has come to pass")
    if weaker:
        return Finding(Rule.MODAL_WEAKENING, MATERIAL, tuple(strong_d + weak_i),
                       note=f"{'/'.join(strong_d) or '—'} → {'/'.join(weak_i) or '—'}")
    if stronger:
        return Finding(Rule.MODAL_STRENGTHENING, MATERIAL, tuple(weak_d + strong_i),
                       note=f"{'/'.join(weak_d) or '—'} → {'/'.join(strong_i) or '—'}")
    if _numbers(d) != _numbers(i) and _statistics(h, old, new):
        return Finding(Rule.FIGURES, EDITORIAL)
    if _numbers(d) != _numbers(i):
        return Finding(Rule.NUMBERS, MATERIAL, tuple(_numbers(d) + _numbers(i)))
    unit = _unit_changed(h, old, new)
    if unit:
        return Finding(Rule.NUMBERS, MATERIAL, unit, note="the unit of a number changed")
    if _notice_channel(h, old, new):
        return Finding(Rule.NOTICE, MATERIAL, tuple(alnum([*d, *i])))
    found = lexicon.concepts(list(d) + list(i), extra)
    # A document named ("subject to the X terms", "our Data Policy") is a reference to
    # it; the legal terms concept needs a word that says what the terms do.
    if set(found) == {Concept.LEGAL_TERMS} and \
            set(found[Concept.LEGAL_TERMS]) <= lexicon.DOCUMENT_NOUNS:
        found = {}
    if found:
        concept = next(iter(found))
        terms = tuple(t for ts in found.values() for t in ts)
        return Finding(Rule(concept.value), MATERIAL, terms,
                       note=_also(found))
    moved_places = hunk_signals(h, old, new).places_changed
    if moved_places:
        return Finding(Rule.PLACES, MATERIAL, moved_places)
    content = [w for w in alnum(list(d) + list(i)) if w.lower() not in lexicon.ARTICLES]
    if table and content:
        return Finding(Rule.TABLE_ENTRY, MATERIAL, tuple(content))
    # The sentence explains why a changed list or name matters; the change carries it.
    states = any(lexicon.is_deontic(x) or lexicon.describes_practice(x) or lexicon.shares(x)
                 or set(lexicon.concepts(x)) - {Concept.LEGAL_TERMS} for x in (before, after))
    scope = _list_scope(h)
    if scope and states:
        return Finding(Rule.LIST_SCOPE, MATERIAL, scope)
    # A name swapped matters where data goes to it: the sentence names recipients or
    # data, or hands something over together with the data it is.
    party = _party_swapped(h)
    if party and any(set(lexicon.concepts(x)) & {Concept.RECIPIENTS, Concept.DATA}
                     or (lexicon.shares(x) and set(lexicon.describes_practice(x)) & _DATA_NOUNS)
                     for x in (before, after)):
        return Finding(Rule.RECIPIENTS, MATERIAL, party, note="a named party changed")
    if _swapped(h, old, new):
        return Finding(Rule.REORDERED_MEANING, MATERIAL, tuple(alnum([*d, *i])))
    # The section and the sentence may explain a reason, never make one: words that
    # carry no negation, modality, number, place or concept are a clarification.
    return Finding(Rule.CLARIFICATION, EDITORIAL)


_REPORTING = {"received", "complied", "denied", "fulfilled", "rejected", "processed",
              "average", "median", "total", "count", "percent", "percentage", "responded",
              "reported", "removed", "restored", "appealed"}


_UNITS = {"day", "days", "hour", "hours", "week", "weeks", "month", "months", "year", "years",
          "percent", "%"}


def _statistics(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """Figures of a report ("Requests received: 24" -> "46", "Average response time: 3
    days"): only numbers changed, each right after a reporting word and a colon."""
    if any(not (_is_number(w) or w.lower() in _UNITS)
           for w in alnum([*h.deleted, *h.inserted])):
        return False
    for words, start in ((old, h.old_start), (new, h.new_start)):
        label = [w.lower() for w in words[max(0, start - 5): start]]
        if ":" not in label or not set(label) & _REPORTING:
            return False
    return True


def _passed_schedule(d: Sequence[str], i: Sequence[str]) -> bool:
    """ "which will launch in July" dropped once it has launched: the future tense of a
    rollout with its date, nothing else (no negation, no concept, nothing inserted)."""
    words = alnum(d)
    if alnum(i) or lexicon.strong_modals(d) != ["will"] or lexicon.negations(d):
        return False
    timed = any(w in lexicon.MONTHS or _YEAR.match(w) for w in words)
    return timed and not set(lexicon.concepts(d)) - {Concept.LEGAL_TERMS}


def _also(found: dict[Concept, tuple[str, ...]]) -> str:
    others = [c.value for c in list(found)[1:]]
    return f"also {', '.join(others)}" if others else ""


def _unlabelled(words: Sequence[str]) -> list[str]:
    """The words without a leading label ("4.", "B)", "-")."""
    k = 0
    while k < len(words) and (_REF_LABEL.match(words[k]) or not any(c.isalnum()
                                                                   for c in words[k])):
        k += 1
    return list(words[k:])


def _sentences(words: Sequence[str]) -> list[list[str]]:
    found: list[list[str]] = [[]]
    for w in words:
        found[-1].append(w)
        if w in _SENTENCE_END or w in ("!", "?"):
            found.append([])
    return [x for x in found if alnum(x)]


_POINTER_WORDS = ("please see", "please refer", "refer to", "learn more", "learn about",
                  "for more information", "for more details", "read more", "find out more",
                  "see our", "see the", "please visit", "visit our")


def _only_pointers(words: Sequence[str]) -> bool:
    """Every sentence only sends the reader elsewhere ("Learn more about X", "If you have
    a question about Y, please refer to Z")."""
    sentences = _sentences(words)
    return bool(sentences) and all(
        any(p in " ".join(x).lower() for p in _POINTER_WORDS) and len(alnum(x)) <= 30
        for x in sentences)


_ANNOUNCE = {"update", "updates", "updated", "updating", "changes", "change", "changed",
             "version", "preview", "effect", "effective", "apply", "applies", "continues"}


def _announcement(words: Sequence[str]) -> bool:
    """A banner that announces a new version and its date ("We are updating these terms;
    the new version takes effect on 1 May"): the change it announces is judged when it
    lands, the banner itself changes nothing."""
    content = alnum(words)
    low = {w.lower() for w in content}
    dated = any(w in lexicon.MONTHS for w in content) and any(_YEAR.match(w) for w in content)
    touched = set(lexicon.concepts(words)) - {Concept.LEGAL_TERMS, Concept.NOTICE}
    return dated and len(content) <= 60 and len(low & _ANNOUNCE) >= 2 and not touched


def whole_text(words: Sequence[str], texts: Texts, added: bool,
               context: Sequence[str] = (), lead: Sequence[str] = (),
               paragraph: bool = False) -> Finding:
    """An added (or removed) paragraph, item or section: what does it say? `lead` is the
    sentence that introduces the list an item belongs to ("We do not allow content that:")."""
    content = alnum(words)
    if not content:
        return Finding(Rule.PUNCTUATION, EDITORIAL, note="no words")
    moved = texts.old_has(words) if added else texts.new_has(words)
    if moved and len(content) >= 4:
        return Finding(Rule.REORDERING, EDITORIAL)
    if all(_URL.match(w) for w in content):
        return Finding(Rule.LINK_TARGET, EDITORIAL)
    hunk = Hunk(0, 0 if added else len(words), 0, len(words) if added else 0,
                () if added else tuple(words), tuple(words) if added else ())
    blank: list[str] = []
    old, new = (blank, list(words)) if added else (list(words), blank)
    if _date(hunk, old, new) or date_only(words, ()):
        return Finding(Rule.DATE_ONLY, EDITORIAL)
    if not alnum(visible(words)):
        return Finding(Rule.MARKUP, EDITORIAL, note="markup without words")
    negs = lexicon.negations(words)
    strong = lexicon.strong_modals(words)
    if contact_only(words) or (contact_passage(words) and not negs and not strong):
        return Finding(Rule.CONTACT, EDITORIAL)
    if texts.is_heading(" ".join(words)) or texts.is_heading(" ".join(_unlabelled(words))) \
            or texts.lists_headings(words):
        return Finding(Rule.CONTENTS, EDITORIAL)
    if not negs and not strong and _only_pointers(words):
        return Finding(Rule.CROSS_REFERENCE, EDITORIAL)
    if not negs and _announcement(words):
        return Finding(Rule.DATE_ONLY, EDITORIAL, note="announces when the text changes")
    # A paragraph of a few words and no sentence ("Emergency requests") is a label: a
    # heading, a button, a menu entry. Items of a list are not labels: they enumerate.
    if paragraph and len(content) <= 4 and not any(w in _SENTENCE_END for w in words) \
            and not (negs or strong or lexicon.weak_modals(words) or _numbers(words)
                     or places(words)):
        return Finding(Rule.HEADING_WORDING, EDITORIAL, note="a label, not a sentence")
    found = lexicon.concepts(words, texts.extra)
    if set(found) == {Concept.LEGAL_TERMS} and \
            set(found[Concept.LEGAL_TERMS]) <= lexicon.DOCUMENT_NOUNS:
        found = {}  # a document named, not a term of it
    terms = tuple(t for ts in found.values() for t in ts)
    if _negated_lead(lead):
        # An item of a negated list ("You must not: …"): what it rules out changed.
        return Finding(Rule.WIDENED_LIST if added else Rule.NARROWED_LIST, MATERIAL, terms)
    if found:
        concept = next(iter(found))
        return Finding(Rule(concept.value), MATERIAL,
                       tuple(t for ts in found.values() for t in ts),
                       note=_also(found))
    if negs:
        return Finding(Rule.NEGATION, MATERIAL, tuple(negs))
    if lexicon.strong_modals(words) or lexicon.weak_modals(words) or \
            lexicon.is_deontic([*(lead if _introduces(lead) else ()), *words]):
        return Finding(Rule.DUTIES, MATERIAL,
                       tuple(lexicon.strong_modals(words) + lexicon.weak_modals(words)))
    if _numbers(words):
        return Finding(Rule.NUMBERS, MATERIAL, tuple(_numbers(words)))
    named = places(words)
    if named:
        return Finding(Rule.PLACES, MATERIAL, tuple(dict.fromkeys(named)))
    practice = lexicon.describes_practice(words)
    # A practice needs both a handling verb and the data it handles ("we record the
    # information"); "inquiries received" alone describes none.
    if set(practice) & _DATA_NOUNS and set(practice) - _DATA_NOUNS:
        return Finding(Rule.DATA, MATERIAL, tuple(practice),
                       note="a sentence describing a data practice")
    return Finding(Rule.CLARIFICATION, EDITORIAL)


_DATA_NOUNS = {"personal", "data", "information"}
# Negations that make a condition or an exception, not a prohibition: "Unless otherwise
# specified, terms have the meanings ..." rules nothing out.
_CONDITIONS = {"only", "unless", "except", "excluding", "without"}


def _negated_lead(lead: Sequence[str]) -> bool:
    """Does the sentence before a list rule out what the list names ("You must not:", "We
    do not share the following")? It must introduce the list (end with a colon or name
    "the following") and negate, not merely set a condition."""
    return _introduces(lead) and any(w not in _CONDITIONS for w in lexicon.negations(lead))


def _introduces(lead: Sequence[str]) -> bool:
    """Does this sentence introduce the list after it (it ends with a colon or names "the
    following")? Only then does it govern the items; a sentence that merely stands
    before a list ("Unless otherwise specified, terms have the meanings ...") does not."""
    words = [w for w in lead if w.strip()]
    return bool(words) and (words[-1] == ":" or "following" in (w.lower() for w in words))
