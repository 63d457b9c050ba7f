"""The material rules: what an unexplained changed run carries (pure core): a
negation, a modal verb, a number or its bound, a concept, a place, a list item, a
condition, a party. Added or removed passages are read in `rules_passages.py`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from . import lexicon
from .lexicon import Concept
from .redline import Hunk
from .rulebook import EDITORIAL, MATERIAL, Finding, Rule
from .rules_phrases import (
    about_disputes,
    audience,
    by_request,
    counted,
    counter,
    defined_elsewhere,
    document_renamed,
    kept_until,
    opening_hours,
    period_changed,
    quantified,
    requantified,
    same_terms,
    term_completed,
)
from .rules_words import (
    _PERIODS,
    _SENTENCE_END,
    _URL,
    _YEAR,
    _inflected,
    _is_number,
    _notice_channel,
    _numbers,
    _priced,
    alnum,
    bound_changed,
    entity_changed,
    first_enabled,
    hunk_signals,
    pointer_sentences,
    sentence,
)
from .signals import (
    form,
    legal_forms,
    opposite,
    visible,
)

PRICE_CHANGED = "a price changed"  # the note of `fees` when a price, not a term, decided

# ---------------------------------------------------------------- material rules

def material_hunk(h: Hunk, old: Sequence[str], new: Sequence[str],
                  context: Sequence[str] = (), table: bool = False,
                  lead: Sequence[str] = (), extra: lexicon.Extra = (),
                  disabled: frozenset[Rule] = frozenset()) -> Finding:
    """What an unexplained changed run touches; `context` is the section's headings,
    `lead` the sentence that introduces the list the run belongs to ("You must not:").
    A rule in `disabled` (switched off in the settings) is skipped: the run falls to the
    next rule, and in the end to `clarification`."""
    return first_enabled(_material_findings(h, old, new, context, table, lead, extra),
                         disabled, Finding(Rule.CLARIFICATION, EDITORIAL))


def _material_findings(h: Hunk, old: Sequence[str], new: Sequence[str],
                       context: Sequence[str], table: bool, lead: Sequence[str],
                       extra: lexicon.Extra) -> Iterator[Finding]:
    """Each rule that reads something in the run, in the order of the rulebook (lazily)."""
    # What users read: link targets and raw HTML written out in the text carry nothing.
    d, i = visible(h.deleted), visible(h.inserted)
    before, after = sentence(old, h.old_start, h.old_end), sentence(new, h.new_start, h.new_end)
    before, after = [*lead, *before], [*lead, *after]
    neg_d, neg_i = lexicon.negations(d), lexicon.negations(i)
    if pointer_sentences(h, old, new):
        yield Finding(Rule.CROSS_REFERENCE, EDITORIAL, note="sentences that point elsewhere")
    neg_old = lexicon.cancelled_negations(before, after)
    neg_new = lexicon.cancelled_negations(after, before)
    if (neg_d or neg_i) and len(neg_old) != len(neg_new):
        yield Finding(Rule.NEGATION, MATERIAL, tuple(neg_d + neg_i))
    flipped = opposite(d, i)
    if flipped:
        yield Finding(Rule.OPPOSITE, MATERIAL, flipped, note=" → ".join(flipped))
    listed = {",", "or", "and", "nor", ";"}
    # A negated list: the negation governs the list the run belongs to ("do not share,
    # sell, rent or trade"), so it stands a few words before the run.
    if lexicon.negations(old[max(0, h.old_start - 8): h.old_start]) and \
            lexicon.negations(new[max(0, h.new_start - 8): h.new_start]):
        if len(alnum(d)) > len(alnum(i)) and listed & {w.lower() for w in d}:
            yield Finding(Rule.NARROWED_LIST, MATERIAL, tuple(alnum(d)))
        if len(alnum(i)) > len(alnum(d)) and listed & {w.lower() for w in i}:
            yield Finding(Rule.WIDENED_LIST, MATERIAL, tuple(alnum(i)))
    strong_d, strong_i = lexicon.strong_modals(d), lexicon.strong_modals(i)
    weak_d, weak_i = lexicon.weak_modals(d), lexicon.weak_modals(i)
    # will/must -> may weakens a duty; may -> must creates one. A modal merely inserted
    # with other words ("you can opt out") is judged by those words below.
    modal_only = len(alnum(list(d) + list(i))) <= 2
    # "you will have the right" -> "you have the right": the future tense moved to the
    # present (a law in force, a feature launched); no promise is weaker.
    tense = _to_present(alnum(d), alnum(i)) or (_to_past(alnum(d), alnum(i))
                                                and _dated(after))
    weaker = not tense and ((strong_d and (weak_i or not strong_i))
                            or (weak_i and modal_only and not weak_d))
    # A duty written with other words ("click here" -> "you must send us a signed
    # letter") is a duty added, where the sentence had none (`lexicon.DUTY_MODALS`).
    added_duty = not strong_d and bool(lexicon.duty_modals(i)) and \
        not lexicon.duty_modals(before)
    stronger = (weak_d and (strong_i or not weak_i)) or (strong_i and modal_only
                                                          and not strong_d) or added_duty
    if weaker and _passed_schedule(d, i):
        yield Finding(Rule.DATE_ONLY, EDITORIAL, note="a schedule that has come to pass")
    if weaker:
        yield Finding(Rule.MODAL_WEAKENING, MATERIAL, tuple(strong_d + weak_i),
                       note=f"{'/'.join(strong_d) or '—'} → {'/'.join(weak_i) or '—'}")
    if stronger:
        yield Finding(Rule.MODAL_STRENGTHENING, MATERIAL, tuple(weak_d + strong_i),
                       note=f"{'/'.join(weak_d) or '—'} → {'/'.join(strong_i) or '—'}")
    if _numbers(d) != _numbers(i) and _statistics(h, old, new):
        yield Finding(Rule.FIGURES, EDITORIAL)
    if counter(h, old, new):
        yield Finding(Rule.FIGURES, EDITORIAL, note="a counter of the page")
    if opening_hours(d, i, before, after):
        yield Finding(Rule.CONTACT, EDITORIAL, note="the hours of a contact channel")
    # A price changed is about fees, wherever it stands (a sentence, a table cell): the
    # concept that fits the words, before the generic "a number changed".
    priced = _priced(h, old, new) if _numbers(d) != _numbers(i) else ()
    if priced:
        yield Finding(Rule.FEES, MATERIAL, priced, note=PRICE_CHANGED)
    if _numbers(d) != _numbers(i):
        yield Finding(Rule.NUMBERS, MATERIAL, tuple(_numbers(d) + _numbers(i)))
    if counted(h, old, new):
        yield Finding(Rule.NUMBERS, MATERIAL, tuple(alnum([*d, *i])), note="how many times")
    unit = _unit_changed(h, old, new)
    if unit:
        yield Finding(Rule.NUMBERS, MATERIAL, unit, note="the unit of a number changed")
    bound = bound_changed(h, old, new)
    if bound:
        yield Finding(Rule.NUMBERS, MATERIAL, bound, note="the bound of a number changed")
    period = period_changed(d, i)
    if period:
        yield Finding(Rule.NUMBERS, MATERIAL, period, note="the period changed")
    seen_by = audience(h, old, new)
    if seen_by:
        yield Finding(Rule.RECIPIENTS, MATERIAL, seen_by, note="who can see it")
    kept = kept_until(h, old, new, before, after)
    if kept:
        yield Finding(Rule.RETENTION, MATERIAL, kept, note="how long data is kept")
    if _notice_channel(h, old, new):
        yield Finding(Rule.NOTICE, MATERIAL, tuple(alnum([*d, *i])))
    if document_renamed(h, old):
        yield Finding(Rule.RENAME, EDITORIAL, note="a document renamed")
    if defined_elsewhere(h, old, new):
        yield Finding(Rule.RENAME, EDITORIAL, note="a term another document defines, named as "
                      "it names it")
    # A place before an acronym names a body ("the U.S. FAA"), also when the run ends
    # between the two.
    kept_d = lexicon.without_named_bodies(d, visible(old[h.old_end: h.old_end + 2]))
    kept_i = lexicon.without_named_bodies(i, visible(new[h.new_end: h.new_end + 2]))
    found = lexicon.concepts(kept_d + kept_i, extra)
    # A document named ("subject to the X terms", "our Data Policy") is a reference to
    # it; the legal terms concept needs a word that says what the terms do.
    if set(found) == {Concept.LEGAL_TERMS} and \
            set(found[Concept.LEGAL_TERMS]) <= lexicon.DOCUMENT_NOUNS:
        found = {}
    # "by using encryption" -> "by encrypting it": each side names the same terms, in
    # another form; no concept came or went.
    if found and kept_d and kept_i and same_terms(kept_d, kept_i, extra):
        found = {}
    if found:
        concept = next(iter(found))
        terms = tuple(t for ts in found.values() for t in ts)
        yield Finding(Rule(concept.value), MATERIAL, terms,
                       note=_also(found))
    if by_request(d, i, before, after):
        yield Finding(Rule.RIGHTS, MATERIAL, tuple(alnum([*d, *i])),
                      note="done by you, or at your request")
    completed = term_completed(h, old, new, extra)
    if completed:
        yield Finding(Rule.DATA, MATERIAL, completed, note="a kind of data named")
    entity = _entity_changed(h, old, new)
    if entity:
        yield Finding(Rule.ENTITY, MATERIAL, entity)
    moved_places = hunk_signals(h, old, new).places_changed
    if moved_places:
        yield Finding(Rule.PLACES, MATERIAL, moved_places)
    content = [w for w in alnum(list(d) + list(i)) if w.lower() not in lexicon.ARTICLES]
    # A cell is a register entry (a name, a purpose, a period); a cell of sentences is
    # prose set in a table for layout, read like a paragraph.
    if table and content and not (_prose(old) or _prose(new)):
        yield Finding(Rule.TABLE_ENTRY, MATERIAL, tuple(content))
    # The sentence explains why a changed list or name matters; the change carries it.
    states = any(lexicon.is_deontic(x) or lexicon.describes_practice(x) or lexicon.shares(x)
                 or set(lexicon.concepts(x)) - {Concept.LEGAL_TERMS} for x in (before, after))
    scope = _list_scope(h)
    if scope and states:
        yield Finding(Rule.LIST_SCOPE, MATERIAL, scope)
    # A name swapped matters where data goes to it: the sentence names recipients or
    # data, or hands something over together with the data it is.
    party = _party_swapped(h, old)
    if party and any(set(lexicon.concepts(x)) & {Concept.RECIPIENTS, Concept.DATA}
                     or (lexicon.shares(x) and (set(lexicon.describes_practice(x)) & _DATA_NOUNS
                                                or _ours_to_give(x)))
                     for x in (before, after)):
        yield Finding(Rule.RECIPIENTS, MATERIAL, party, note="a named party changed")
    # A name swapped where disputes are heard or decided ("courts in San Mateo County" ->
    # "in King County", one arbitration body for another): the venue changed.
    if party and about_disputes(before, after):
        yield Finding(Rule.DISPUTES, MATERIAL, party, note="the venue changed")
    if _swapped(h, old, new):
        yield Finding(Rule.REORDERED_MEANING, MATERIAL, tuple(alnum([*d, *i])))
    partial = quantified(h, old, new) or requantified(d, i)
    if partial and states:
        yield Finding(Rule.LIST_SCOPE, MATERIAL, partial, note="what it covers, in part")
    # A condition's parts joined by another word ("if it is damaged and you return it" ->
    # "… or you return it"): one part now suffices, or both are needed.
    if {w.lower() for w in alnum(d)} | {w.lower() for w in alnum(i)} == {"and", "or"} and \
            len(alnum(d)) == len(alnum(i)) == 1 and \
            _CONDITIONS & {w.lower() for w in [*before, *after]}:
        yield Finding(Rule.LIST_SCOPE, MATERIAL, tuple(alnum([*d, *i])),
                      note="the parts of a condition joined another way")
    condition = _condition(d, i)
    if condition and states:
        yield Finding(Rule.LIST_SCOPE, MATERIAL, condition,
                      note=f"a condition {'removed' if d else 'added'}")
    # The section and the sentence may explain a reason, never make one: words that
    # carry no negation, modality, number, place or concept are a clarification.
    yield Finding(Rule.CLARIFICATION, EDITORIAL)


# Words that open a condition or a time limit on what the sentence states.
_CONDITION_OPENERS = frozenset({"if", "unless", "when", "whenever", "after", "before",
                                "until", "once", "provided", "providing", "subject",
                                "only", "except", "where", "while", "so", "as"})


def _condition(d: Sequence[str], i: Sequence[str]) -> tuple[str, ...]:
    """A clause that sets a condition on a practice or a duty, added or removed whole
    ("We may close accounts after we warn you" -> "We may close accounts"; "We collect
    your name if you give it to us" -> "We collect your name"): () for anything else. A
    clause has three words or more ("if any", "where applicable" set none)."""
    if bool(alnum(d)) == bool(alnum(i)):
        return ()
    words = alnum(d or i)
    # "by writing to us": how a right is exercised or a duty met is a condition too.
    if len(words) < 3:
        return ()
    manner = words[0].lower() == "by" and words[1].lower().endswith("ing") and \
        words[1].lower() not in _CONTACTING  # "by writing to us" names a channel
    if not (words[0].lower() in _CONDITION_OPENERS or manner):
        return ()
    if words[0].lower() in ("so", "as") and [w.lower() for w in words[1:3]] != ["long", "as"]:
        return ()  # only "so long as" / "as long as"
    return tuple(words)


# Ways to get in touch: "by contacting us through the portal" says where to write.
_CONTACTING = {"contacting", "writing", "emailing", "e-mailing", "calling", "phoning",
               "messaging", "visiting", "reaching", "texting", "mailing"}


# The present of the verbs whose future is not "will" + the same form ("will be" -> "is").
_PRESENT = {"be": {"is", "are"}, "have": {"has", "have"}}


def _to_present(d: Sequence[str], i: Sequence[str]) -> bool:
    """The future tense moved to the present, nothing else: "will" dropped ("you will
    have" -> "you have"), or "will" and its verb became the verb's present ("will give"
    -> "gives", "will be" -> "is"), as when a law announced has taken effect."""
    low_d, low_i = [w.lower() for w in d], [w.lower() for w in i]
    if low_d == ["will"] and not low_i:
        return True
    if len(low_d) != 2 or low_d[0] != "will" or len(low_i) != 1:
        return False
    verb, now = low_d[1], low_i[0]
    # (A past is no present: "will delete" -> "deleted" dropped a promise, `_to_past`.)
    return now in _PRESENT.get(verb, ()) or (verb not in _PRESENT and form(verb) == form(now)
                                             and not now.endswith("ed"))


_CONDITIONS = frozenset({"if", "unless", "when", "whenever", "provided", "where", "only"})

# The past of the verbs that announce an event ("will take effect" -> "took effect").
_PAST = {"take": "took", "come": "came", "become": "became", "begin": "began",
         "give": "gave", "go": "went", "make": "made", "have": "had", "be": "was"}


def _to_past(d: Sequence[str], i: Sequence[str]) -> bool:
    """An event announced with its date, now told as past ("which will take effect in
    2026" -> "which took effect in 2026", "will launch in May" -> "launched in May"):
    what it does is unchanged; the sentence must carry the date (`_dated`)."""
    low_d, low_i = [w.lower() for w in d], [w.lower() for w in i]
    if len(low_d) != 2 or low_d[0] != "will" or len(low_i) != 1:
        return False
    verb, then = low_d[1], low_i[0]
    return then == _PAST.get(verb) or (then.endswith("ed") and verb not in _PAST
                                       and form(verb) == form(then))


def _dated(words: Sequence[str]) -> bool:
    return any(w in lexicon.MONTHS or _YEAR.match(w) for w in words)


def _entity_changed(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """The changed words, when they make a company's name another legal person (its
    legal form or the country in its name changed: "Acme Ireland Limited" -> "Acme
    Inc."): the party the terms are with, or the one data goes to, is another."""
    return tuple(alnum([*h.deleted, *h.inserted])) if entity_changed(h, old, new) else ()


_REPORTING = {"received", "complied", "denied", "fulfilled", "rejected", "processed",
              "average", "median", "total", "count", "percent", "percentage", "responded",
              "reported", "removed", "restored", "appealed"}


def _statistics(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """Figures of a report ("Requests received: 24" -> "46", "Average response time: 3
    days"): only numbers changed, each right after a reporting word and a colon."""
    if any(not (_is_number(w) or w.lower() in _PERIODS)
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
    return _dated(words) and not set(lexicon.concepts(d)) - {Concept.LEGAL_TERMS}


def _also(found: dict[Concept, tuple[str, ...]]) -> str:
    others = [c.value for c in list(found)[1:]]
    return f"also {', '.join(others)}" if others else ""


_DATA_NOUNS = {"personal", "data", "information"}


def _ours_to_give(words: Sequence[str]) -> bool:
    """ "We send your invoices to ...": we hand over something of yours (not "Send your
    parcel from the nearest depot", where you do)."""
    low = {w.lower() for w in words}
    return "your" in low and bool(low & {"we", "us"})


def _prose(cell: Sequence[str]) -> bool:
    """A table cell that holds a sentence (ten words or more, mostly lower case, up to a
    full stop), not values: names, addresses and links one after the other are a register."""
    run: list[str] = []
    for word in visible(cell):
        if word in _SENTENCE_END:
            lower = [w for w in run if w[:1].islower() and w.isalpha()]
            if len(run) >= 10 and len(lower) >= 0.7 * len(run):
                return True
            run = []
        elif any(c.isalnum() for c in word) and not _URL.match(word):
            run.append(word)
    return False



# Words that follow a verb, never a name, at the start of an instruction ("Log in to",
# "Tap the", "Visit our").
_AFTER_VERB = {"in", "on", "up", "out", "into", "onto", "to", "the", "your", "our", "a", "an",
               "this", "that", "these", "those", "here", "there", "us"}


def _party_swapped(h: Hunk, old: Sequence[str]) -> tuple[str, ...]:
    """A name replaced by another name ("Paystream" -> "Coinpay"), both capitalised. A
    word that starts a sentence is capitalised by it: followed by a particle or an
    article it is a verb ("Log in" -> "Sign in"), no name."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if not (0 < len(d) <= 4 and 0 < len(i) <= 4):
        return ()
    starts = h.old_start == 0 or old[h.old_start - 1] in _SENTENCE_END
    if starts and len(d) == 1 and h.old_end < len(old) and old[h.old_end].lower() in _AFTER_VERB:
        return ()
    # "We send" -> "Larkly sends": the verb stays (in another form); who acts changed.
    d, i = ([w for w in d if not any(_inflected(w.lower(), x.lower()) or w.lower() == x.lower()
                                     for x in i)],
            [w for w in i if not any(_inflected(w.lower(), x.lower()) or w.lower() == x.lower()
                                     for x in d)])
    if not (d and i):
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
    # "Stripe" -> "Stripe, Inc.": a legal form written out is the same name, no item.
    if all(legal_forms([w]) for w in content):
        return ()
    # ", if any", ", where applicable": a set qualifier that says nothing more.
    if tuple(w.lower() for w in alnum(run)) in _QUALIFIERS:
        return ()
    return tuple(content)


_QUALIFIERS = {(a, b) for a in ("if", "where", "when", "as") for b in (
    "any", "applicable", "relevant", "appropriate", "available")}


def _unit_changed(h: Hunk, old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """Words inserted or removed right after a number ("30 days" -> "30 business days"):
    the unit or the qualifier of an amount changed."""
    def after_number(words: Sequence[str], start: int) -> bool:
        window = list(words[max(0, start - 3): start])
        # (A number before a comma or a full stop is no amount of what follows: "a fee of
        # 5%. Pay on time" lost a sentence, "in 2026, will give" changed a verb.)
        ends = [k for k, w in enumerate(window) if w in (".", "!", "?", ";", ",", ":")]
        window = window[ends[-1] + 1:] if ends else window
        return any(_is_number(w) and w.lower() not in ("one", "first") for w in window)
    if after_number(old, h.old_start) and after_number(new, h.new_start):
        return tuple(w for w in alnum([*h.deleted, *h.inserted]) if not _is_number(w))
    return ()
