"""Words in another order (pure core): the same sentence with its words moved, or the
passive made active, says what it said unless what is paired with what changed."""

from __future__ import annotations

from collections.abc import Sequence

from . import lexicon
from .lexicon import Concept
from .redline import Hunk
from .rules_phrases import counted
from .rules_words import _is_number, _numbers, alnum, sentence
from .signals import form, opposite

_GLUE = lexicon.ARTICLES | lexicon.GRAMMAR_WORDS | {
    "when", "whenever", "once", "then", "which", "who", "whom", "it", "they", "them", "their",
    "we", "us", "our", "you", "your", "is", "are", "be", "been", "being"}


def reordered_in_sentence(h: Hunk, old: Sequence[str], new: Sequence[str]) -> bool:
    """ "names, e-mail addresses and phone numbers" -> "e-mail addresses, names and phone
    numbers": the sentence has the same words, and none of the moved ones is a negation,
    a modal verb or a number (moving those can change the meaning)."""
    moved = alnum(list(h.deleted) + list(h.inserted))
    if not moved or opposite(h.deleted, h.inserted):  # "You own" -> "We own" is no move
        return False
    if counted(h, old, new):  # "appeal our decision" -> "appeal our decision once"
        return False
    whole = sentence(old, h.old_start, h.old_end)
    # The same content words; the little words that glue a sentence may differ ("We
    # disable accounts we find" -> "When we find accounts, we disable those accounts").
    before = sorted(form(w) for w in alnum(whole) if w.lower() not in _GLUE)
    after = sorted(form(w) for w in alnum(sentence(new, h.new_start, h.new_end))
                   if w.lower() not in _GLUE)
    if sorted(set(before)) != sorted(set(after)) or not before:
        return False
    # Nothing said fewer times: a word dropped where it also stands elsewhere in the
    # sentence ("a breach of its duties or its duties" -> "its duties or its duties") is
    # a deletion, not a move. (Said more often is a pronoun written out, "those accounts".)
    if any(before.count(w) > after.count(w) for w in set(before)):
        return False
    # Swapping words around a negation ("share with A but not B") or between recipients
    # ("names with advertisers, e-mails with processors") changes what is allowed; a
    # negation, a modal verb or a number moved with its neighbours ("We may review posts
    # to keep it safe" -> "To keep it safe, we may review posts") says what it said.
    if Concept.RECIPIENTS in lexicon.concepts(whole) or lexicon.shares(moved):
        return _voice(h, whole, sentence(new, h.new_start, h.new_end))
    if lexicon.negations(whole) or lexicon.strong_modals(moved) or \
            lexicon.weak_modals(moved) or _numbers(moved):
        return _held(whole) == _held(sentence(new, h.new_start, h.new_end))
    return True


def _voice(h: Hunk, before: Sequence[str], after: Sequence[str]) -> bool:
    """ "Your data is shared with our host" -> "We share your data with our host": the
    verb of the practice moved (the passive made active, or back), every other word
    keeps its place, so what is paired with what is unchanged."""
    moved = {form(w) for w in alnum([*h.deleted, *h.inserted]) if w.lower() not in _GLUE}
    verbs = [w for w in alnum([*h.deleted, *h.inserted]) if form(w) in moved]
    if len(moved) != 1 or not (lexicon.shares(verbs) or lexicon.describes_practice(verbs)):
        return False
    def rest(words: Sequence[str]) -> list[str]:
        # The agent may be said or left out ("we", "by us"); any other agent stays put.
        low = [w.lower() for w in alnum(words)]
        kept = [w for k, w in enumerate(low) if w not in _BE and w != "we" and not (
            w == "by" and low[k + 1: k + 2] == ["us"]) and not (
            w == "us" and low[k - 1: k] == ["by"])]
        return [f for f in map(form, kept) if f not in moved]
    return rest(before) == rest(after)


_BE = {"is", "are", "was", "were", "be", "been", "being"}


def _held(words: Sequence[str]) -> list[tuple[str, ...]]:
    """Each negation, modal verb and number of a sentence with the words either side."""
    low = [w.lower() for w in alnum(words)]
    keys = {*lexicon.negations(low), *lexicon.strong_modals(low), *lexicon.weak_modals(low)}
    return sorted(tuple(low[max(0, k - 1): k + 2]) for k, w in enumerate(low)
                  if w in keys or _is_number(w))
