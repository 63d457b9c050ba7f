"""Material and editorial readings of a run from the phrase it sits in (pure core): a
period's unit, the end of a retention period, a request instead of self-service, a term
completed by the next words or written in another form, a document's title, a counter of
the page, the hours of a contact channel, a word that takes part of what it names or one
quantifier for another, an audience ("visible to ..."), how many times ("once"), a
sentence about where disputes are heard."""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import lexicon
from .lexicon import Concept
from .redline import Hunk
from .rules_words import _PER_TIME, _is_number, _numbers, alnum
from .signals import contact_passage, vocabulary

# The words that open how long something is kept: "as long as", "until".
_UNTIL = (("as", "long", "as"), ("until",), ("till",))


def kept_until(h: Hunk, old: Sequence[str], new: Sequence[str], before: Sequence[str],
                after: Sequence[str]) -> tuple[str, ...]:
    """The words that end a retention period changed ("We keep your data as long as
    needed" -> "... as long as your account is open"): the period is what they say."""
    words = alnum([*h.deleted, *h.inserted])
    if words and _opened_by(h, old, new, _UNTIL, 4) and any(
            Concept.RETENTION in lexicon.concepts(x) for x in (before, after)):
        return tuple(words)
    return ()


def _opened_by(h: Hunk, old: Sequence[str], new: Sequence[str],
               openers: Sequence[tuple[str, ...]], window: int) -> bool:
    """The run comes right after one of `openers` (lower-case words), on either side:
    the words read in the `window` tokens before it, punctuation aside."""
    for side, start in ((old, h.old_start), (new, h.new_start)):
        lead = tuple(w.lower() for w in alnum(side[max(0, start - window): start]))
        if any(lead[-len(o):] == o for o in openers):
            return True
    return False


def counter(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "1,234 people found this helpful" -> "1,301 people ...", "Showing 10 of 42
    results": only numbers changed, each counting what the page counts of itself
    (`[counters]` of the vocabulary), in a line that states nothing."""
    nouns = vocabulary().counters
    for words, start, end in ((old, h.old_start, h.old_end), (new, h.new_start, h.new_end)):
        changed = alnum(words[start:end])
        if not changed or not all(_is_number(w) for w in changed) or end >= len(words):
            return False
        # "Reading time: 4 minutes", "4 min read": how long the page takes to read.
        line = " ".join(w.lower() for w in alnum(words))
        if words[end].lower() not in nouns and not (
                "reading time" in line or f"{words[end].lower()} read" in line):
            return False
        if lexicon.negations(words) or lexicon.strong_modals(words) or \
                lexicon.weak_modals(words):
            return False
    return True


_TIME_OF_DAY = re.compile(r"^(?:[01]?\d|2[0-3])(?:[:.][0-5]\d)?(?:am|pm|a\.m\.|p\.m\.)$"
                          r"|^(?:[01]?\d|2[0-3]):[0-5]\d$", re.IGNORECASE)


def opening_hours(d: Sequence[str], i: Sequence[str], before: Sequence[str],
                   after: Sequence[str]) -> bool:
    """ "Call us on 0800 123 456 (9am-5pm)" -> "(8am-6pm)": the changed numbers are
    times of day, in a sentence that tells how to get in touch."""
    changed = _numbers(d) + _numbers(i)
    times = [p for w in changed for p in re.split(r"[–—-]", w) if p]
    return bool(times) and all(_TIME_OF_DAY.match(p) for p in times) and \
        contact_passage(before) and contact_passage(after)


_REQUEST = ("ask us to", "ask us for", "request that we", "contact us to", "write to us to")


def by_request(d: Sequence[str], i: Sequence[str], before: Sequence[str],
                after: Sequence[str]) -> bool:
    """ "You can delete your account" -> "You can ask us to delete your account": what
    you could do yourself now takes a request (or the other way): how a right is
    exercised changed."""
    def asks(words: Sequence[str]) -> bool:
        text = f" {' '.join(w.lower() for w in alnum(words))} "
        return any(f" {p} " in text for p in _REQUEST)
    permits = any({"you", "your"} & {w.lower() for w in x} and lexicon.weak_modals(x)
                  for x in (before, after))
    return permits and asks(d) != asks(i)


def term_completed(h: Hunk, old: Sequence[str], new: Sequence[str],
                    extra: lexicon.Extra) -> tuple[str, ...]:
    """A word added to (or dropped from) the data it qualifies makes another kind of data
    ("your location" -> "your precise location", "your data" -> "your health data"): the
    data-categories terms the run and the next words form, that the other side lacks.
    "personal" before data or information names no kind of its own."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if (d and i) or not 0 < len(d or i) <= 6:
        return ()
    def terms(words: Sequence[str]) -> set[str]:
        found = lexicon.concepts(words, extra).get(Concept.DATA, ())
        return {t.lower() for t in found if not set(t.lower().split()) <= _GENERIC_DATA}
    side, start, end, other, at = (new, h.new_start, h.new_end, old, h.old_start) if i else \
        (old, h.old_start, h.old_end, new, h.new_start)
    here = terms(side[start: end + 2]) - terms(side[end: end + 2])
    return tuple(sorted(here - terms(other[at: at + 2])))


_GENERIC_DATA = {"personal", "data", "information", "identifiable", "pii"}


_TITLE_NOUNS = lexicon.DOCUMENT_NOUNS | {"notice", "charter", "principles", "rules"}


def document_renamed(h: Hunk, old: Sequence[str]) -> bool:
    """ "our Privacy Policy" -> "our Privacy Notice": the noun of a document's title
    replaced by another, the words that say which document it is unchanged."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    return len(d) == 1 and len(i) == 1 and h.old_start > 0 and \
        d[0].lower() in _TITLE_NOUNS and i[0].lower() in _TITLE_NOUNS and \
        d[0][:1].isupper() and i[0][:1].isupper() and old[h.old_start - 1][:1].isupper()


def defined_elsewhere(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A term of personal data that both versions define by another document ("Users'
    Personal Information (as defined in our Privacy Notice)" -> "personal data (as
    defined in our Privacy Notice)"): what it covers is that document's definition; the
    term is named as that document now names it. Only the generic words of the term may
    change (whose data, "information" or "data"): "sensitive personal data" names
    another kind."""
    words = [w.lower().rstrip("'’").removesuffix("'s").removesuffix("’s")
             for w in alnum([*h.deleted, *h.inserted])]
    if not words or not set(words) <= _WHOSE_DATA:
        return False

    def deferred(side: Sequence[str], end: int) -> bool:
        after = " ".join(w.lower() for w in side[end: end + 5] if w not in ("(", ","))
        return after.startswith(("as defined in", "as defined by", "as defined there",
                                 "as described in"))
    return deferred(old, h.old_end) and deferred(new, h.new_end)


# The words of a term of personal data that say nothing of its kind, nor whose it is.
_WHOSE_DATA = frozenset({"personal", "information", "data", "user", "users", "member",
                         "members", "customer", "customers", "your", "their", "our"})


def same_terms(d: Sequence[str], i: Sequence[str], extra: lexicon.Extra) -> bool:
    """Both sides name the same terms of the same concepts in another form, and nothing
    else but little words ("by using encryption" -> "by encrypting it"): terms match on
    their first six letters. A qualifier that comes or goes ("User Personal Information"
    -> "personal information") is a change of scope, not of form."""
    a, b = lexicon.concepts(d, extra), lexicon.concepts(i, extra)
    def keys(found: dict[Concept, tuple[str, ...]]) -> set[tuple[Concept, str]]:
        return {(c, t.lower()[:6]) for c, ts in found.items() for t in ts}
    if not a or keys(a) != keys(b):
        return False
    named = {w for ts in (*a.values(), *b.values()) for t in ts for w in t.lower().split()}
    return all(w.lower() in named or w.lower() in _FORM_GLUE for w in alnum([*d, *i]))


# The little words that come and go when a term changes its form ("using encryption",
# "encrypting it").
_FORM_GLUE = lexicon.ARTICLES | lexicon.GRAMMAR_WORDS | {
    "using", "use", "uses", "used", "it", "them", "its", "their", "of", "for", "with",
    "will"}  # "will require" -> "requires": the tense moved to the present


# The units of a period, one name each: "monthly", "month" and "months" are one period.
_PERIOD_UNITS = {w: unit for unit, words in (
    ("hour", ("hour", "hours", "hourly")), ("day", ("day", "days", "daily")),
    ("week", ("week", "weeks", "weekly")), ("month", ("month", "months", "monthly")),
    ("quarter", ("quarter", "quarters", "quarterly")),
    ("year", ("year", "years", "yearly", "annually", "annual"))) for w in words}


def period_changed(d: Sequence[str], i: Sequence[str]) -> tuple[str, ...]:
    """A period named without a number replaced by another ("each month" -> "each
    week", "billed monthly" -> "billed weekly"): how often or how long changed."""
    old = {_PERIOD_UNITS[w.lower()] for w in d if w.lower() in _PERIOD_UNITS}
    new = {_PERIOD_UNITS[w.lower()] for w in i if w.lower() in _PERIOD_UNITS}
    if old and new and old != new:
        return tuple(w for w in alnum([*d, *i]) if w.lower() in _PERIOD_UNITS)
    return ()


# Words that take part of what follows: "some of your data", "certain features". ("Part
# of" and "limited" are left out: "as part of", "not limited to", "Acme Limited".)
_PARTIAL = {"some", "certain", "most", "selected", "several", "few"}


# Quantifiers by what they take: all of it, part of it, the first of it, none of it.
_QUANTITY = {**dict.fromkeys(("all", "any", "every", "each"), "all"),
             **dict.fromkeys(("some", "certain", "several", "few", "many", "most"), "part"),
             "first": "first", "no": "none", "none": "none"}


def requantified(d: Sequence[str], i: Sequence[str]) -> tuple[str, ...]:
    """One quantifier replaced by another of a different kind ("commission on first
    purchases" -> "on all purchases"): what it applies to changed. "each" -> "every" is
    the same kind."""
    kinds_d = {_QUANTITY[w.lower()] for w in alnum(d) if w.lower() in _QUANTITY}
    kinds_i = {_QUANTITY[w.lower()] for w in alnum(i) if w.lower() in _QUANTITY}
    if kinds_d and kinds_i and kinds_d != kinds_i:
        return tuple(w for w in alnum([*d, *i]) if w.lower() in _QUANTITY)
    return ()


def quantified(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """A word that takes part of what it names came or went ("We protect your data" ->
    "We protect some of your data"): what the sentence covers narrowed or widened. ("Some
    time", "to some extent" take part of nothing.)"""
    def partial(run: Sequence[str], after: Sequence[str]) -> set[str]:
        words = [w.lower() for w in alnum([*run, *after[:1]])]
        return {w for k, w in enumerate(words[:len(alnum(run))])
                if w in _PARTIAL and words[k + 1: k + 2] != ["time"]
                and words[k + 1: k + 2] not in (["extent"], ["degree"], ["point"])}
    return tuple(sorted(partial(h.deleted, old[h.old_end:]) ^
                        partial(h.inserted, new[h.new_end:])))


# The words that say who may see something: what follows them is an audience.
_AUDIENCE = (("visible", "to"), ("available", "to"), ("accessible", "to"), ("shown", "to"),
             ("seen", "by"), ("viewable", "by"), ("visible", "only", "to"))


def audience(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """ "Posts are visible to your friends" -> "visible to everyone": the words that say
    who may see it changed, so the recipients did."""
    words = alnum([*h.deleted, *h.inserted])
    return tuple(words) if words and _opened_by(h, old, new, _AUDIENCE, 3) else ()


def counted(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "once" or "twice" at the end of a clause or before "a"/"per" ("appeal once",
    "once a month" -> "twice a month"): how many times, not the conjunction that glues a
    sentence ("once we find accounts")."""
    for run, words, end in ((h.deleted, old, h.old_end), (h.inserted, new, h.new_end)):
        last = alnum(run)[-1:]
        follows = words[end] if end < len(words) else "."
        if last and last[0].lower() in ("once", "twice") and (
                follows in (".", ",", ";", "!") or follows.lower() in _PER_TIME):
            return True
    return False


def about_disputes(*texts: Sequence[str]) -> bool:
    """Does one of the texts speak of courts, disputes or the governing law? A place or
    a name there says where disputes are heard (a venue), not where to write."""
    return any({Concept.DISPUTES, Concept.GOVERNING_LAW} & set(lexicon.concepts(x))
               for x in texts)


_LITTLE = frozenset({"of", "and", "the", "for", "on", "in", "&"})
_MARKS = frozenset({"(", ")", "“", "”", '"', "‘", "’", "'"})


def _initials(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w.lower() not in _LITTLE).upper()


def _acronym_of(name: Sequence[str], acronym: str, defined: bool = False) -> bool:
    """`name` is the name `acronym` stands for ("European Economic Area", "EEA"); a name
    the acronym is `defined` after ("value added tax (VAT)") may be in lower case."""
    words = [w for w in name if w not in _MARKS]
    return len(acronym) >= 2 and acronym.isupper() and len(words) >= 2 and \
        (defined or all(w[:1].isupper() or w.lower() in _LITTLE for w in words)) and \
        _initials(words) == acronym.rstrip("s")


def acronym_spelt(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """An acronym written out, or the name that a written-out acronym stood for shortened
    ("the EEA" -> "the European Economic Area (EEA)", "the European Economic Area" ->
    "the EEA"): the same body or place, named in full or in short."""
    d, i = ([w for w in words if w.strip() and w not in _MARKS]
            for words in (h.deleted, h.inserted))
    for short, full, side, start in ((d, i, new, h.new_start), (i, d, old, h.old_start)):
        if len(short) == 1 and full and (
                _acronym_of(full, short[0]) or
                (full[-1:] == [short[0]] and _acronym_of(full[:-1], short[0], True))):
            return True
        if not short and len(full) == 1 and full[0].isupper():
            # The acronym given after the name it stands for: "… Regulation" + "(GDPR)".
            before = [w for w in side[max(0, start - 8): start] if w not in _MARKS]
            if any(_acronym_of(before[-k:], full[0], True) for k in range(2, len(before) + 1)):
                return True
        if not short and full:
            # The name inserted before the acronym that stays: "… Area (" + "EEA".
            other = old if side is new else new
            at = h.old_end if side is new else h.new_end
            following = [w for w in other[at: at + 2] if w not in ("(", ")")][:1]
            if following and _acronym_of(full, following[0]):
                return True
    return False


def glossed(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A term given another name with itself kept in brackets, or the reverse ("our
    processors" -> "our service providers (processors)"): the brackets say both name the
    same thing. The new name may name no concept the term does not ("our advertisers
    (processors)" is another matter)."""
    if bool(alnum(h.deleted)) == bool(alnum(h.inserted)):
        return False
    run, side, end, other, at = (h.inserted, new, h.new_end, old, h.old_start) if h.inserted \
        else (h.deleted, old, h.old_end, new, h.new_start)
    if run[-1:] != ("(",) or len(alnum(run)) > 4:
        return False
    close = next((k for k in range(end, min(end + 5, len(side))) if side[k] == ")"), None)
    if close is None or close == end:
        return False
    term = list(side[end:close])
    # (A number in brackets is a number written out, "thirty (30)": `_number_format`.)
    if list(other[at: at + len(term)]) != term or any(c.isdigit() for w in term for c in w):
        return False
    named, kept = lexicon.concepts(alnum(run)), lexicon.concepts(term)
    return set(named) - {Concept.LEGAL_TERMS} <= set(kept)
