"""The words the materiality rules read: the whole texts (`Texts`), word classes,
sentences, numbers and the signals of a changed run (pure core)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from difflib import SequenceMatcher
from typing import overload

from . import lexicon
from .lexicon import Concept
from .redline import Hunk, words_of
from .rulebook import Finding, Rule
from .signals import (
    Signals,
    another_entity,
    signals_of,
    visible,
)


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
        self.disabled: frozenset[Rule] = frozenset()  # rules switched off by the settings
        self._make = {"old": old, "new": new}
        self._text: dict[str, str] = {}
        self._headings = headings
        self._heading_set: frozenset[str] | None = None
        self._squashed: list[str] | None = None  # headings without spaces, longest first
        self._positions: dict[str, list[int]] = {}  # where each side's words are
        self._exact: dict[str, list[str]] = {}

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

    def _plain(self, side: str) -> str:
        """The side's words, lower case, without punctuation."""
        key = side + "~"
        if key not in self._text:
            # `_plain_words` of the whole text, in two passes over it rather than two
            # searches per word: punctuation out (the spaces stay), then the words left
            # that are not only underscores (those had no letter or digit).
            kept = [w for w in _PUNCTUATION_IN.sub("", self._get(side)).split()
                    if w.strip("_")]
            self._text[key] = f" {' '.join(kept)} "
        return self._text[key]

    def has_passage(self, side: str, words: Sequence[str]) -> bool:
        """Does the side hold this passage, read as words (case, quotes and punctuation
        aside: "“As-is”" is "AS-IS")? A passage removed here that the new text
        holds elsewhere moved, or was a duplicate; a passage added that the old text held
        moved here."""
        plain = _plain_words(w.lower() for w in words)
        return bool(plain) and f" {' '.join(plain)} " in self._plain(side)

    def similar_passage(self, side: str, words: Sequence[str]) -> list[str] | None:
        """The passage of the side that reads almost like `words` (nine words in ten the
        same, in order), as written: where a passage that looks removed or added was moved
        and edited, or a near-duplicate of it stays. Found by its first or last five
        words; None when there is none."""
        plain = _plain_words(w.lower() for w in words)
        if not 8 <= len(plain) <= _LONGEST_PASSAGE:
            return None
        text = self._plain(side)
        if side + "#" not in self._positions:
            exact = self._get(side + "=").split()
            self._positions[side + "#"] = [k for k, w in enumerate(exact) if _ALNUM.search(w)]
            self._exact[side] = exact
        positions, exact = self._positions[side + "#"], self._exact[side]
        n = len(plain)
        for anchor, offset in ((plain[:5], 0), (plain[-5:], n - 5)):
            at = text.find(f" {' '.join(anchor)} ")
            if at < 0:
                continue
            start = max(0, text.count(" ", 0, at) - offset)
            stop = min(len(positions), start + n + max(3, n // 10))
            window = _plain_words(w.lower() for w in exact[positions[start]:
                                                           positions[stop - 1] + 1])
            matcher = SequenceMatcher(None, plain, window, autojunk=False)
            if matcher.ratio() < 0.9 * 2 * n / (n + len(window)):
                continue
            blocks = [b for b in matcher.get_matching_blocks() if b.size]
            # As many words before the first match and after the last as the passage has
            # there unmatched: an edit at either end belongs to the passage.
            first = max(0, blocks[0].b - blocks[0].a)
            last = min(len(window), blocks[-1].b + blocks[-1].size
                       + n - blocks[-1].a - blocks[-1].size)
            return exact[positions[start + first]: positions[start + last - 1] + 1]
        return None


# A passage longer than this is a new section, not an edited paragraph: aligning it word
# by word would cost more than it tells.
_LONGEST_PASSAGE = 400
_ALNUM = re.compile(r"[^\W_]")
_PUNCTUATION = re.compile(r"\W")
_PUNCTUATION_IN = re.compile(r"[^\w\s]")  # punctuation inside a text of words


def _plain_words(words: Iterable[str]) -> list[str]:
    """The words without punctuation ("“as-is”" -> "asis"); one for each token that has a
    letter or a digit, so that positions in this list and in the tokens correspond."""
    return [_PUNCTUATION.sub("", w) for w in words if _ALNUM.search(w)]


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
# Currency signs, codes and names: a number next to one is a price.
_CURRENCY = {"$", "€", "£", "¥", "₹", "₩", "₽", "₺", "₫", "₪", "₱", "元", "円", "usd", "eur", "gbp",
             "jpy", "cny", "rmb", "inr", "cad", "aud", "chf", "sek", "nok", "dkk", "brl", "mxn",
             "krw", "dollar", "dollars", "euro", "euros", "cent", "cents", "pence", "yen",
             "yuan", "rupee", "rupees", "francs"}
# Units of measure written in capitals or as codes: a number next to one is an amount
# ("5 GB", "100 Mbps"), never the version number of a name.
_MEASURES = {"b", "kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib", "tib", "kbps", "mbps",
             "gbps", "ms", "hz", "khz", "mhz", "ghz", "kg", "g", "mg", "km", "m", "mi", "px",
             "kwh", "mwh", "h", "hrs", "min", "mins", "sec", "secs"}
# The units of a period and of a share ("30 days", "5 %").
_PERIODS = {"day", "days", "hour", "hours", "week", "weeks", "month", "months", "year",
            "years", "percent", "%"}
# Words that make the number before them an amount or a period ("30 days", "5 GB").
_AMOUNT_UNITS = _PERIODS | {"minute", "minutes", "business", "calendar", "working", "per",
                            "times"} | _MEASURES
_CONNECTORS = {"for", "of", "and", "&", "-", "the"}
_SPELLING = [(re.compile(a), b) for a, b in (
    (r"([a-z])\1", r"\1"), (r"our\b", "or"), (r"is(e|ing|ed|ation)", r"iz\1"),
    (r"ence\b", "ense"), (r"ences\b", "enses"), (r"tre\b", "ter"), (r"ogue\b", "og"))]


def alnum(words: Sequence[str]) -> list[str]:
    # `_ALNUM` finds exactly the characters of str.isalnum, with one search per word.
    return [w for w in words if _ALNUM.search(w)]


def _squash(words: Sequence[str]) -> str:
    return "".join(re.sub(r"\W", "", w) for w in words).lower()


def _digits(words: Sequence[str]) -> list[str]:
    return [w for w in words if any(c.isdigit() for c in w)]


_NAME_TAIL = re.compile(r"^([A-Z][\w&.]*?)((?:['’]s)|(?:-[a-z][\w-]*))$")


def name_core(word: str) -> tuple[str, str]:
    """A name and what is glued to it: "Acme's" -> ("Acme", "'s"), "Acme-owned" ->
    ("Acme", "-owned"); any other word -> (word, "")."""
    m = _NAME_TAIL.match(word)
    return (m.group(1), m.group(2)) if m else (word, "")


def _capitalised(word: str) -> bool:
    return any(c.isupper() for c in word[:1]) or (any(c.isupper() for c in word[1:])
                                                  and word[:1].isalpha())


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word) or word.lower() in lexicon.NUMBER_WORDS


# "once" or "twice" before these is a frequency ("once a year"); otherwise it may be the
# conjunction ("once the law applies").
_PER_TIME = ("a", "an", "per", "every", "each")


_SINCE = {"since", "until", "till", "from", "in", "before", "after", "on"}


def undated(words: Sequence[str]) -> list[str]:
    """The words without those that write a date ("9 June 2026", "June 9, 2026",
    "2026-06-09", "since 2019"): a date says when, not how much, so its numbers are no
    amount (a dated entry of a register, "Jo Brandt, since 4 May 2025")."""
    kept: list[str] = []
    for k, w in enumerate(words):
        near = words[max(0, k - 3): k + 2]
        if _ISO_DATE.match(w) or (_DAY.match(w) and (
                (k and words[k - 1] in lexicon.MONTHS)
                or (k + 1 < len(words) and words[k + 1] in lexicon.MONTHS))):
            continue
        if _YEAR.match(w) and (any(x in lexicon.MONTHS for x in near) or (
                k and words[k - 1].lower() in _SINCE and not (
                    k + 1 < len(words) and words[k + 1].lower() in _AMOUNT_UNITS))):
            continue
        kept.append(w)
    return kept


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


def _numbers(words: Sequence[str]) -> list[str]:
    # Ordinals name things ("third parties", "first-party cookies"), and a number after
    # "§" or "Article" is a label of a law: neither is an amount ...
    found = []
    for k, w in enumerate(words):
        if not (any(c.isalnum() for c in w) and _is_number(w)) or \
                w.lower() in ("first", "second", "third"):
            continue
        # "once" is a frequency in "once a year", a conjunction in "once the law applies".
        if w.lower() in ("once", "twice") and (k + 1 >= len(words) or words[k + 1].lower()
                                               not in _PER_TIME):
            continue
        # ... nor is a footnote's mark ("[^1]", GitHub's Markdown).
        if k and (words[k - 1] in ("§", "^", "[^") or words[k - 1].lower() in
                  lexicon.REFERENCE_WORDS or words[k - 1].lower() in ("art", "no", "nr")):
            continue
        found.append(w.lower())
    return sorted(found)

_CHANNELS = {"e-mail", "email", "mail", "post", "website", "site", "app", "banner", "phone",
             "text", "sms", "letter", "notification", "message", "blog", "page"}


def _priced(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """The changed numbers that stand next to a currency ("US$ 10" -> "US$ 12", "10
    euros", "¥1,000"): prices. () when no changed number is one."""
    found: list[str] = []
    for words, start, end in ((old, h.old_start, h.old_end), (new, h.new_start, h.new_end)):
        window = words[max(0, start - 2): end + 2]
        if any(w.lower() in _CURRENCY for w in window):
            found += _numbers(words[start:end])
    return tuple(found)


def _notice_channel(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A channel ("by e-mail" -> "on our website") changed in a sentence about telling
    users: how they are told is a term of the policy, not a contact detail."""
    changed = {w.lower() for w in alnum([*h.deleted, *h.inserted])}
    if not changed & _CHANNELS:
        return False
    around = [*sentence(old, h.old_start, h.old_end), *sentence(new, h.new_start, h.new_end)]
    return Concept.NOTICE in lexicon.concepts(around)

# The last run whose signals were computed: the editorial rules and then the material
# rules read the same run (the same word lists: they are never changed once made). A
# parameter added to `hunk_signals` belongs in this key too.
_last_signals: tuple[Hunk, Sequence[str], Sequence[str], Signals] | None = None


# Words that bound a number or place it in time: "within 30 days" -> "after 30 days",
# "at most 5" -> "at least 5", "over 18" -> "under 18" say another thing of the same
# number. (A bound written another way, "16 or older" / "at least 16", is the same
# meaning: `[bounds]` of the vocabulary, judged before.)
_BOUNDS = frozenset({
    "within", "after", "before", "by", "until", "till", "in", "at", "least", "most", "up",
    "to", "over", "under", "more", "less", "fewer", "than", "minimum", "maximum", "above",
    "below", "beyond", "exceed", "exceeds", "exceeding", "only", "exactly", "from", "since",
    "no", "not", "just", "once", "every", "per", "each", "for", "next", "last", "first",
    "later", "earlier", "sooner", "longer", "shorter", "older", "younger", "greater",
    "higher", "lower", "smaller", "larger"})


def bound_changed(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """The words right before a number that bound it, changed while the number stayed
    ("within 30 days" -> "after 30 days"): () when the run is anything else."""
    changed = alnum([*h.deleted, *h.inserted])
    if not changed or any(w.lower() not in _BOUNDS for w in changed):
        return ()
    def before_number(words: Sequence[str], end: int) -> bool:
        return any(_is_number(w) and w.lower() not in ("one", "first")
                   for w in words[end: end + 2])
    if before_number(old, h.old_end) and before_number(new, h.new_end):
        return tuple(changed)
    return ()


def entity_changed(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """Whether the run makes a company's name, within six words of it, another legal
    person (`signals.another_entity`)."""
    return another_entity(old[max(0, h.old_start - 6): h.old_end + 6],
                          new[max(0, h.new_start - 6): h.new_end + 6])


def hunk_signals(h: Hunk, old: Sequence[str], new: Sequence[str]) -> Signals:
    global _last_signals
    last = _last_signals
    if last is not None and last[1] is old and last[2] is new and last[0] == h:
        return last[3]
    # An address spans "sentences" ("Bldg. 2, Springfield"): contact details are read
    # against the dozen words around the run.
    found = signals_of(h.deleted, h.inserted, sentence(old, h.old_start, h.old_end),
                       sentence(new, h.new_start, h.new_end),
                       near=(old[max(0, h.old_start - 12): h.old_end + 12],
                             new[max(0, h.new_start - 12): h.new_end + 12]))
    _last_signals = (h, old, new, found)
    return found



@overload
def first_enabled(findings: Iterable[Finding], disabled: frozenset[Rule],
                  default: Finding) -> Finding: ...
@overload
def first_enabled(findings: Iterable[Finding], disabled: frozenset[Rule],
                  default: None) -> Finding | None: ...
def first_enabled(findings: Iterable[Finding], disabled: frozenset[Rule],
                  default: Finding | None) -> Finding | None:
    """The first finding whose rule is not switched off; the rules skipped on the way are
    named in its note, so that the reason says which rule would have decided."""
    skipped: list[str] = []
    for finding in findings:
        if finding.rule not in disabled:
            if not skipped:
                return finding
            note = "; ".join(x for x in (finding.note, f"{', '.join(skipped)} switched off") if x)
            return replace(finding, note=note)
        skipped.append(str(finding.rule))
    if default is not None and skipped:
        return replace(default, note=f"{', '.join(skipped)} switched off")
    return default


def amount(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """The run changes a number that is an amount or a period: a unit follows it or a
    currency comes before it ("within 30 days", "US$ 10"), on either side."""
    def near(words: Sequence[str], start: int, end: int) -> bool:
        after = visible(words[end: end + 2])
        before = words[start - 1].lower() if start > 0 else ""
        return bool(after and after[0].lower() in _AMOUNT_UNITS) or before in _CURRENCY
    changed = [*h.deleted, *h.inserted]
    return any(_is_number(w) for w in changed) and (
        near(old, h.old_start, h.old_end) or near(new, h.new_start, h.new_end))


# ---------------------------------------------------------------- pointers elsewhere

def _sentences(words: Sequence[str]) -> list[list[str]]:
    found: list[list[str]] = [[]]
    for w in words:
        found[-1].append(w)
        if w in _SENTENCE_END:
            found.append([])
    return [x for x in found if alnum(x)]


_POINTER_WORDS = ("please see", "please refer", "refer to", "learn more", "learn about",
                  "for more information", "for more details", "read more", "find out more",
                  "see our", "see the", "please visit", "visit our")


def links_line(words: Sequence[str], links: str) -> int:
    """How many links a line of links only has (a navigation bar, a footer: "Help ·
    Share this page", each a link), 0 when a reader sees a word outside a link's text.
    `links` are the words of the line's links (` w1 w2 | w3 `, lower case)."""
    if not links.strip() or len(words) > 4 * len(links):
        return 0  # no link, or more words than its links could hold (cheap, every run)
    texts = [t.split() for t in links.split("|")]
    texts = [t for t in texts if t]
    shown = [w.lower() for w in alnum(words)]
    return len(texts) if texts and shown == [w for t in texts for w in t] else 0


def only_pointers(words: Sequence[str]) -> bool:
    """Every sentence only sends the reader elsewhere ("Learn more about X", "If you have
    a question about Y, please refer to Z")."""
    sentences = _sentences(words)
    return bool(sentences) and all(
        any(p in " ".join(x).lower() for p in _POINTER_WORDS) and len(alnum(x)) <= 30
        for x in sentences)


def pointer_sentences(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """Whole sentences added to or removed from a paragraph that only send the reader
    elsewhere ("Please visit our Help Center for more on two-factor sign-in."): their
    terms name the subject of the page they point to, which did not change."""
    if bool(alnum(h.deleted)) == bool(alnum(h.inserted)):
        return False
    words, start, side = (h.deleted, h.old_start, old) if h.deleted else \
        (h.inserted, h.new_start, new)
    shown = [w for w in words if w.strip()]
    whole = (start == 0 or side[start - 1] in _SENTENCE_END) and bool(shown) and \
        shown[-1] in _SENTENCE_END
    return whole and not (lexicon.negations(words) or lexicon.strong_modals(words)) and \
        only_pointers(words)
