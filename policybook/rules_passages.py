"""The material rules for an added or removed passage (pure core): what a paragraph,
a list item or a section that is new, or gone, says. A passage that is a heading, a
contact, a date stamp, a pointer elsewhere or a banner announcing a version says nothing
new; one that reads almost like a passage on the other side was moved and edited, and its
edits are judged (`rules_material.material_hunk`); otherwise its words are read for a
concept, a negation, a duty, a number or a place, and an item for what its list's
lead-in says the items are."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from . import lexicon
from .docmodel import Section
from .lexicon import Concept
from .redline import Hunk, word_redline, words_of
from .rulebook import EDITORIAL, MATERIAL, Finding, Rule
from .rules_editorial import _date, editorial_hunk
from .rules_material import _DATA_NOUNS, _also, material_hunk
from .rules_words import (
    _REF_LABEL,
    _SENTENCE_END,
    _URL,
    _YEAR,
    Texts,
    _numbers,
    alnum,
    first_enabled,
    only_pointers,
    undated,
)
from .signals import (
    addresses,
    contact_only,
    contact_passage,
    date_only,
    places,
    visible,
    vocabulary,
)


def _unlabelled(words: Sequence[str]) -> list[str]:
    """The words without a leading label ("4.", "B)", "-")."""
    k = 0
    while k < len(words) and (_REF_LABEL.match(words[k]) or not any(c.isalnum()
                                                                   for c in words[k])):
        k += 1
    return list(words[k:])


_ANNOUNCE = {"update", "updates", "updated", "updating", "changes", "change", "changed",
             "version", "preview", "effect", "effective", "apply", "applies", "continues"}


def _announcement(words: Sequence[str]) -> bool:
    """A banner that announces a new version and its date ("We are updating these terms;
    the new version takes effect on 1 May"): the change it announces is judged when it
    lands, the banner itself changes nothing."""
    content = alnum(words)
    low = {w.lower() for w in content}
    dated = any(w in lexicon.MONTHS for w in content) and any(_YEAR.match(w) for w in content)
    if not (dated and len(content) <= 60 and len(low & _ANNOUNCE) >= 2):
        return False  # (before the concepts: they cost the most)
    touched = set(lexicon.concepts(words)) - {Concept.LEGAL_TERMS, Concept.NOTICE}
    return not touched


def whole_text(words: Sequence[str], texts: Texts, added: bool,
               context: Sequence[str] = (), lead: Sequence[str] = (),
               paragraph: bool = False) -> Finding:
    """What an added or removed passage says: the first rule that reads it and is not
    switched off (`texts.disabled`); in the end, `clarification`."""
    return first_enabled(_whole_text_findings(words, texts, added, context, lead, paragraph),
                         texts.disabled, Finding(Rule.CLARIFICATION, EDITORIAL))


def _whole_text_findings(words: Sequence[str], texts: Texts, added: bool,
                         context: Sequence[str], lead: Sequence[str],
                         paragraph: bool) -> Iterator[Finding]:
    """An added (or removed) paragraph, item or section: what does it say? `lead` is the
    sentence that introduces the list an item belongs to ("We do not allow content that:")."""
    content = alnum(words)
    if not content:
        yield Finding(Rule.PUNCTUATION, EDITORIAL, note="no words")
    moved = texts.has_passage("old" if added else "new", words)
    if moved and len(content) >= 4:
        yield Finding(Rule.REORDERING, EDITORIAL)
    if all(_URL.match(w) for w in content):
        yield Finding(Rule.LINK_TARGET, EDITORIAL)
    # A passage that reads almost like one on the other side was moved and edited (or, if
    # removed, was a near-duplicate of one that stays): its edits are judged, not the
    # whole passage as new text. An added passage modelled on one that stays is new.
    near = texts.similar_passage("old" if added else "new", words) if len(content) >= 8 \
        else None
    if near is not None and not (added and texts.has_passage("new", near)):
        yield _edited_passage(near, words, added, texts, lead)
    hunk = Hunk(0, 0 if added else len(words), 0, len(words) if added else 0,
                () if added else tuple(words), tuple(words) if added else ())
    blank: list[str] = []
    old, new = (blank, list(words)) if added else (list(words), blank)
    if _date(hunk, old, new) or date_only(words, ()):
        yield Finding(Rule.DATE_ONLY, EDITORIAL)
    if not alnum(visible(words)):
        yield Finding(Rule.MARKUP, EDITORIAL, note="markup without words")
    negs = lexicon.negations(words)
    strong = lexicon.strong_modals(words)
    # A passage that tells how to get in touch says nothing else: one that hands data
    # over ("we send your e-mail address to our processor") is judged below.
    # An item under "We collect:" names data, though it be "your phone number".
    if (contact_only(words) or (not negs and not strong and contact_passage(words)
                                and not lexicon.shares(words))) and \
            not (lead and lexicon.describes_practice(lead)):
        yield Finding(Rule.CONTACT, EDITORIAL)
    if _banner(words):
        yield Finding(Rule.HEADING_WORDING, EDITORIAL,
                      note="a banner of the page, with its buttons")
    if texts.is_heading(" ".join(words)) or texts.is_heading(" ".join(_unlabelled(words))) \
            or texts.lists_headings(words):
        yield Finding(Rule.CONTENTS, EDITORIAL)
    if not negs and not strong and only_pointers(words):
        yield Finding(Rule.CROSS_REFERENCE, EDITORIAL)
    if not negs and _announcement(words):
        yield Finding(Rule.DATE_ONLY, EDITORIAL, note="announces when the text changes")
    # A paragraph of a few words and no sentence ("Emergency requests") is a label: a
    # heading, a button, a menu entry. Items of a list are not labels: they enumerate.
    if paragraph and len(content) <= 4 and not any(w in _SENTENCE_END for w in words) \
            and not (negs or strong or lexicon.weak_modals(words) or _numbers(words)
                     or places(words)):
        yield Finding(Rule.HEADING_WORDING, EDITORIAL, note="a label, not a sentence")
    found = lexicon.concepts(words, texts.extra)
    if set(found) == {Concept.LEGAL_TERMS} and \
            set(found[Concept.LEGAL_TERMS]) <= lexicon.DOCUMENT_NOUNS:
        found = {}  # a document named, not a term of it
    terms = tuple(t for ts in found.values() for t in ts)
    if _negated_lead(lead):
        # An item of a negated list ("You must not: …"): what it rules out changed.
        yield Finding(Rule.WIDENED_LIST if added else Rule.NARROWED_LIST, MATERIAL, terms)
    if found:
        concept = next(iter(found))
        yield Finding(Rule(concept.value), MATERIAL,
                       tuple(t for ts in found.values() for t in ts),
                       note=_also(found))
    elif content and _introduces(lead):
        # An item of a list whose lead-in says what the list names ("We share your data
        # with these companies:", "We collect:"): the new item is one more of those (a
        # recipient, a data category), whatever its own words.
        governed = dict(lexicon.concepts(lead, texts.extra))
        # "We send your order details to:" hands something of yours to whom the list names.
        lower = [w.lower() for w in lead]
        if lexicon.shares(lead) and ("your" in lower or set(lower) & _DATA_NOUNS):
            governed[Concept.RECIPIENTS] = governed.get(Concept.RECIPIENTS) or \
                tuple(w for w in lower if lexicon.shares([w]))
        # "We collect:" handles data: what it lists is a category of data.
        practice = lexicon.describes_practice(lead)
        if set(practice) - _DATA_NOUNS:
            governed.setdefault(Concept.DATA, tuple(practice))
        listed = next((c for c in _LIST_CONCEPTS if c in governed), None)
        if listed is not None:
            yield Finding(Rule(listed.value), MATERIAL, governed[listed],
                          note=f"an item of a list introduced by {quote_words(lead)}")
    if negs:
        yield Finding(Rule.NEGATION, MATERIAL, tuple(negs))
    if lexicon.strong_modals(words) or lexicon.weak_modals(words) or \
            lexicon.is_deontic([*(lead if _introduces(lead) else ()), *words]):
        yield Finding(Rule.DUTIES, MATERIAL,
                       tuple(lexicon.strong_modals(words) + lexicon.weak_modals(words)))
    amounts = _numbers(undated(words))
    if amounts:
        yield Finding(Rule.NUMBERS, MATERIAL, tuple(amounts))
    named = places(words)
    if named:
        yield Finding(Rule.PLACES, MATERIAL, tuple(dict.fromkeys(named)))
    practice = lexicon.describes_practice(words)
    # A practice needs both a handling verb and the data it handles ("we record the
    # information"); "inquiries received" alone describes none.
    yours = any(t.endswith(" your") for t in practice)
    if (set(practice) & _DATA_NOUNS or yours) and set(practice) - _DATA_NOUNS:
        yield Finding(Rule.DATA, MATERIAL, tuple(practice),
                       note="a sentence describing a data practice")
    yield Finding(Rule.CLARIFICATION, EDITORIAL)


def _edited_passage(near: Sequence[str], words: Sequence[str], added: bool, texts: Texts,
                    lead: Sequence[str]) -> Finding:
    """The passage judged by its edits against the one it reads like: the first material
    finding of its changed runs, else editorial (moved, or a duplicate dropped)."""
    old_text, new_text = " ".join(near if added else words), " ".join(words if added else near)
    old, new = words_of(old_text), words_of(new_text)
    # Aligned regardless of case (a disclaimer set in capitals is the same words), judged
    # on the words as written.
    folded = word_redline(old_text.lower(), new_text.lower())
    if len(words_of(folded.old)) != len(old) or len(words_of(folded.new)) != len(new):
        folded = word_redline(old_text, new_text)
    for run in folded.hunks():
        h = Hunk(run.old_start, run.old_end, run.new_start, run.new_end,
                 tuple(old[run.old_start:run.old_end]), tuple(new[run.new_start:run.new_end]))
        found = editorial_hunk(h, old, new, texts) or material_hunk(
            h, old, new, (), False, lead, texts.extra, texts.disabled)
        if found.verdict is MATERIAL:
            note = "; ".join(x for x in (found.note, "in a passage moved and edited") if x)
            return Finding(found.rule, MATERIAL, found.terms, note)
    return Finding(Rule.REORDERING, EDITORIAL,
                   note="moved and edited, or a near-duplicate dropped; the edits are editorial")
# Negations that make a condition or an exception, not a prohibition: "Unless otherwise
# specified, terms have the meanings ..." rules nothing out.
_CONDITIONS = {"only", "unless", "except", "excluding", "without"}


# The concepts whose lists enumerate what a practice covers: an item more or less is one
# more or one fewer (recipient, place, retention period, purpose, data category).
# The most specific first: "We share your data with:" lists recipients, not data.
_LIST_CONCEPTS = (Concept.RECIPIENTS, Concept.LOCATIONS, Concept.RETENTION, Concept.PURPOSES,
                  Concept.DATA)


def quote_words(words: Sequence[str]) -> str:
    text = re.sub(r" ([:;,.!?)])", r"\1", " ".join(w for w in words if w.strip()))
    return f"“{text if len(text) <= 80 else '…' + text[-79:]}”"


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


_SEPARATORS = frozenset({"|", "•", "·", "/", "-"})


def _banner(words: Sequence[str]) -> bool:
    """A short passage whose words after its last sentence are two or more of the page's
    own controls, set apart ("… your experience. Accept all | Reject all")."""
    if len(words) > 120 or not _SEPARATORS.intersection(words) or len(alnum(words)) > 40:
        return False
    ends = [k for k, w in enumerate(words) if w in _SENTENCE_END]
    if not ends or ends[-1] == len(words) - 1:
        return False
    controls: list[list[str]] = [[]]
    for word in words[ends[-1] + 1:]:
        if word in _SEPARATORS:
            controls.append([])
        elif word.strip():
            controls[-1].append(word.lower())
    labels = [" ".join(c) for c in controls if c]
    return len(labels) >= 2 and all(label in vocabulary().buttons for label in labels)


# A channel named again ("Writing to this address …"): the address was said before.
_THIS_CHANNEL = re.compile(r"\b(?:this|that|the above|the same)\s+(?:e-?mail\s+)?"
                           r"(?:alias|address|inbox|mailbox|number|line|e-?mail)\b")


def channel_gone(words: Sequence[str], old: Section, new: Section) -> bool:
    """A passage removed that speaks of an address the same change removed ("Writing to
    this address about anything else is misuse", its address gone from the section):
    what it said went with the channel. The sections are read only when the passage
    names an address."""
    if not _THIS_CHANNEL.search(" ".join(words).lower()):
        return False
    gone, kept = (addresses(words_of(" ".join(b.words for b in s.blocks))) for s in (old, new))
    gone -= kept
    return bool(gone) and not addresses(words) - gone
