"""The editorial rules: each explains a changed run only when it provably leaves the
obligations as they were (pure core). `editorial_hunk` tries them in the order of
`rulebook.RULEBOOK`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from . import lexicon
from .lexicon import Concept
from .redline import Hunk
from .rulebook import EDITORIAL, Finding, Rule
from .rules_links import filled_link, link_wording
from .rules_order import reordered_in_sentence
from .rules_phrases import about_disputes, acronym_spelt, glossed
from .rules_words import (
    _CONNECTORS,
    _CURRENCY,
    _DAY,
    _ISO_DATE,
    _MEASURES,
    _PERIODS,
    _REF_ALONE,
    _REF_LABEL,
    _SENTENCE_END,
    _URL,
    _YEAR,
    Texts,
    _capitalised,
    _digits,
    _edit_distance,
    _inflected,
    _is_number,
    _notice_channel,
    _numbers,
    _slip,
    _spelling_variant,
    _squash,
    alnum,
    amount,
    entity_changed,
    first_enabled,
    hunk_signals,
    links_line,
    name_core,
    sentence,
)
from .signals import (
    contact_only,
    legal_entity,
    places,
)

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


# The little words of a section's title ("Limitation of Liability", "Fees and Taxes").
_TITLE_GLUE = lexicon.GRAMMAR_WORDS | {"and", "or", "&", "for", "with"}


def _reference(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A cross-reference renumbered ("see Section 7" -> "see Section 5(b)"), also when the
    title quoted after it goes ("see Section B(7): Extra Terms" -> "see Section B.5")."""
    def ok(side: Sequence[str], words: Sequence[str], start: int) -> bool:
        k = start - 1
        while k >= 0 and (not any(c.isalnum() for c in words[k]) or (_REF_LABEL.match(words[k])
                          and words[k].lower() not in lexicon.REFERENCE_WORDS)):
            k -= 1
        introduced = k >= 0 and words[k].lower() in lexicon.REFERENCE_WORDS
        titled = False  # after "Section 7:", the title of the section it points to
        for w in side:
            if not any(c.isalnum() for c in w):
                titled = titled or (w == ":" and introduced)
                continue
            if _REF_ALONE.match(w) or w.lower() in lexicon.REFERENCE_WORDS:
                introduced = introduced or w.lower() in lexicon.REFERENCE_WORDS
                continue
            if titled and (w[:1].isupper() or w.lower() in _TITLE_GLUE):
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
    if amount(h, old, new):  # "Logs | 30 days" -> "Logs: 90 days": a period, no name
        return None
    # "Acme's" -> "Zentrix's", "Acme-owned" -> "Zentrix-owned": the names are judged.
    if len(h.deleted) == 1 and len(h.inserted) == 1:
        (a, tail), (b, tail_b) = name_core(h.deleted[0]), name_core(h.inserted[0])
        if tail and tail == tail_b and a != b:
            old, new = list(old), list(new)
            old[h.old_start], new[h.new_start] = a, b
            h = replace(h, deleted=(a,), inserted=(b,))
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
    # A version number counts as a name's word ("Acme Mail 2" -> "Acme Mail 3").
    fresh = [w for w in alnum(new_name) if w not in old_name and (
        _capitalised(w) or (_VERSION.fullmatch(w) and len(alnum(new_name)) > 1))]
    # A number next to a currency or a unit is an amount ("USD 10" -> "USD 12", "5 GB"
    # -> "2 GB"), not a name's version number.
    if any(w.lower() in _CURRENCY or w.lower() in _MEASURES
           for w in (*old[lo:hi], *new_name)):
        return None
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
    # Another legal form or another country in a company's name is another legal person
    # ("Acme Ireland Limited" -> "Acme Singapore Limited", "Acme Ltd" -> "Acme Inc."):
    # whom the terms are with changed, not what it is called.
    if legal_entity(old[lo:hi]) != legal_entity(new_name):
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
    # The same name with another version ("Acme Mail 2" -> "Acme Mail 3") names the same
    # product or party: no other receives anything.
    versions = [(a, b) for a, b in zip(alnum(old_name), alnum(new_name), strict=False)
                if a != b]
    if len(alnum(old_name)) == len(alnum(new_name)) and versions and \
            all(_VERSION.fullmatch(a) and _VERSION.fullmatch(b) for a, b in versions) and \
            not texts.new_has_name(old_name):
        return f"{' '.join(old_name)} → {' '.join(new_name)}"
    near = list(old[max(0, lo - 6): hi + 6]) + \
        list(new[max(0, h.new_start - 6): h.new_end + 6])
    found = set(lexicon.concepts(near)) - {Concept.LEGAL_TERMS}
    if (Concept.RECIPIENTS in found or lexicon.shares(near) or (found and not shared)) \
            and count < 3:
        return None
    if texts.new_has_name(old_name):
        return None  # not consistent: the old name is still in use
    return f"{' '.join(old_name)} → {' '.join(new_name)}"


def _versioned(h: Hunk, old: Sequence[str], new: Sequence[str]) -> str | None:
    """A version number added to a name or dropped from it ("Larkly Insights" ->
    "Larkly Insights 4"): the same product, nothing else changed. Not a number before a
    unit or a currency ("Larkly Pro 12 months"), nor one after a lower-case word."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if bool(d) == bool(i) or len(d + i) != 1 or not _VERSION.fullmatch((d + i)[0]):
        return None
    words, start, end = (new, h.new_start, h.new_end) if i else (old, h.old_start, h.old_end)
    before, after = words[start - 1] if start else "", words[end] if end < len(words) else ""
    if not _capitalised(before) or after.lower() in _MEASURES | _PERIODS | _CURRENCY or \
            before.lower() in _CURRENCY:
        return None
    name = before if i else f"{before} {d[0]}"
    return f"{name} → {before} {i[0]}" if i else f"{name} → {before}"


_VERSION = re.compile(r"v?\d{1,4}(?:\.\d{1,3}){0,2}|[IVX]{1,4}")


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
    # (A weak modal there names what the page is about, "the notices that could affect
    # your posts": nothing is permitted.)
    return not (lexicon.negations(words) or lexicon.strong_modals(words) or _numbers(words)
                or touched.keys() - {Concept.LEGAL_TERMS, Concept.NOTICE})


# Words that introduce a label of an interface in instructions ("click Save", "hover over
# Status", "go to Settings and then Privacy").
_UI_VERBS = frozenset({"click", "tap", "select", "choose", "press", "hover", "open", "go",
                       "navigate", "toggle"})


def _ui_label(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """A label of a button, a tab or a menu renamed in instructions ("hover over Status"
    -> "hover over State"): the words name a control, not a term of the policy."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if not (d and i and len(d) <= 3 and len(i) <= 3) or \
            not all(w[:1].isupper() for w in d + i):
        return False
    lead = [w.lower() for w in old[max(0, h.old_start - 6): h.old_start]]
    if not _UI_VERBS & set(lead) or any(w in _SENTENCE_END for w in lead):
        return False
    # The label ends the instruction (or the clause): nothing the sentence says hangs on it.
    end = old[h.old_end] if h.old_end < len(old) else "."
    words = [*d, *i]
    return (end in _SENTENCE_END or end in (",", ";", ")", "and", "to")) and not (
        lexicon.negations(words) or _numbers(words))


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
        elif low in lexicon.NUMBER_WORDS:  # a frequency ("monthly") is its own value
            found.add(low)
        else:  # "30", "30.00", and each end of a range ("1-15")
            found.update(str(float(n)).removesuffix(".0")
                         for n in re.findall(r"\d+(?:\.\d+)?", low))
    return found


def _number_format(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "thirty (30) days" -> "30 days": numbers rewritten, their values unchanged."""
    words = alnum(list(h.deleted) + list(h.inserted))
    # ("five percent (5%)": the unit written out with the number is the same value)
    if not words or not all(_is_number(w) or w.lower() in ("percent", "per", "cent")
                            for w in words):
        return False
    return _values(sentence(old, h.old_start, h.old_end)) == \
        _values(sentence(new, h.new_start, h.new_end))


def _venue(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "the courts located in San Mateo County" -> "in King County": a place named in a
    sentence about courts, disputes or the governing law is where they are heard, not an
    address to write to."""
    return about_disputes(sentence(old, h.old_start, h.old_end),
                          sentence(new, h.new_start, h.new_end))


def _channel_of_right_removed(h: Hunk, old: Sequence[str]) -> bool:
    """A way to exercise a right taken away ("To exercise your rights, email us at … or
    use our form" -> "use our form"): how to exercise it is restricted. A contact
    channel added, or one removed where no right is exercised, is a contact detail."""
    if not alnum(h.deleted) or alnum(h.inserted):
        return False
    # A right of the reader's: "requests can be sent through our portal" (by the
    # police, by anyone) speaks to no one who holds one.
    said = sentence(old, h.old_start, h.old_end)
    return Concept.RIGHTS in lexicon.concepts(said) and \
        bool({w.lower() for w in said} & {"you", "your"})


def editorial_hunk(h: Hunk, old: Sequence[str], new: Sequence[str], texts: Texts,
                   links: tuple[str, str] = ("", ""), table: bool = False) -> Finding | None:
    """The editorial rule that explains this changed run, if one does. `links` are the
    words of the links of the old and new text (` w1 w2 … `, lower case); `table` says
    that the text is a table cell. A rule switched off in the settings (`texts.disabled`)
    explains nothing: the run falls to the next rule."""
    return first_enabled(_editorial_findings(h, old, new, texts, links, table),
                         texts.disabled, None)


def _editorial_findings(h: Hunk, old: Sequence[str], new: Sequence[str], texts: Texts,
                        links: tuple[str, str], table: bool) -> Iterator[Finding]:
    """Each editorial rule that explains the run, in the order of the rulebook; lazily,
    so that the first one costs nothing more."""
    d, i = h.deleted, h.inserted
    if _punctuation(d, i):
        yield Finding(Rule.PUNCTUATION, EDITORIAL)
    sig = hunk_signals(h, old, new)
    if sig.markup_only:
        yield Finding(Rule.MARKUP, EDITORIAL, note="raw HTML or Markdown around the same words")
    if sig.dated:
        yield Finding(Rule.DATE_ONLY, EDITORIAL)

    # A short text of labels ("3.2" -> "3.4") is numbering, except in a table cell, where a
    # number is a value: a price, a period, a count ("US$ 10" -> "US$ 12").
    if not table and len(old) <= 4 and len(new) <= 4 and alnum(old) and alnum(new) and \
            all(_REF_LABEL.match(w) for w in alnum(old) + alnum(new)):
        yield Finding(Rule.NUMBERING, EDITORIAL, note="a label on its own")
    if _duplicate(h, old):
        yield Finding(Rule.DUPLICATE_WORD, EDITORIAL)
    if _typo(d, i, texts):
        yield Finding(Rule.TYPO, EDITORIAL)
    if _reference(h, old, new):
        yield Finding(Rule.NUMBERING, EDITORIAL)
    if _urls(d, i):
        yield Finding(Rule.LINK_TARGET, EDITORIAL)
    # A navigation bar or a footer: links only, on both sides, two or more on one.
    navigation = links_line(old, links[0]), links_line(new, links[1])
    if min(navigation) >= 1 and max(navigation) >= 2:
        yield Finding(Rule.LINK_WORDING, EDITORIAL, note="a line of links")
    if link_wording(h, links, old, new):
        yield Finding(Rule.LINK_WORDING, EDITORIAL)
    elif filled_link(h, old, links):
        yield Finding(Rule.LINK_WORDING, EDITORIAL, note="a missing link text written out")
    if _date(h, old, new):
        yield Finding(Rule.DATE_ONLY, EDITORIAL)
    renamed = _rename(h, old, new, texts) or _versioned(h, old, new)
    if renamed:
        yield Finding(Rule.RENAME, EDITORIAL, note=renamed)
    if _moved_text(h, texts):
        yield Finding(Rule.REORDERING, EDITORIAL)
    if _pointer(h, old, new):
        yield Finding(Rule.CROSS_REFERENCE, EDITORIAL)
    if _ui_label(h, old, new):
        yield Finding(Rule.HEADING_WORDING, EDITORIAL, note="a label of the interface")
    # (A number with a unit is an amount or a period, never a house number: "within 30
    # days" next to a web address is no address.)
    # (Nor is a company's name that now names another legal person, "Acme Ireland Ltd.,
    # 4 Quay Street" -> "Acme Singapore Ltd., 4 Quay Street", though its address follows.)
    if sig.contact and not _notice_channel(h, old, new) and not amount(h, old, new) and \
            not entity_changed(h, old, new) and not _venue(h, old, new) and \
            not _channel_of_right_removed(h, old):
        yield Finding(Rule.CONTACT, EDITORIAL)
    if sig.same_meaning:
        yield Finding(Rule.SAME_MEANING, EDITORIAL)
    if acronym_spelt(h, old, new):
        yield Finding(Rule.SAME_MEANING, EDITORIAL, note="an acronym written out")
    if glossed(h, old, new):
        yield Finding(Rule.SAME_MEANING, EDITORIAL, note="another name, the term kept in brackets")
    if _number_format(h, old, new):
        yield Finding(Rule.PUNCTUATION, EDITORIAL, note="the same number, written another way")
    if reordered_in_sentence(h, old, new):
        yield Finding(Rule.REORDERING, EDITORIAL, note="the same words, in another order")
    changed = alnum(list(d) + list(i))
    if changed and all(w.lower() in lexicon.ARTICLES for w in changed):
        yield Finding(Rule.CLARIFICATION, EDITORIAL, note="only an article or determiner")
    if len(changed) == 1 and not (alnum(d) and alnum(i)) and \
            changed[0].lower() in lexicon.GRAMMAR_WORDS:
        yield Finding(Rule.CLARIFICATION, EDITORIAL, note=f"grammar: “{changed[0]}”")
    return

