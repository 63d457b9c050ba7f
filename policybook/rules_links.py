"""Link wording (pure core): the words of a link changed, and only they, or a link that
said nothing of where it goes ("here") given a title. Read by `rules_editorial`."""

from __future__ import annotations

from collections.abc import Sequence

from . import lexicon
from .concept import Concept
from .redline import Hunk
from .rules_words import _numbers, alnum, bound_changed
from .signals import opposite


def link_wording(h: Hunk, links: tuple[str, str],
                  old: Sequence[str] = (), new: Sequence[str] = ()) -> bool:
    """Only the words of a link changed ("What is my disk quota?" -> "Storage limits").

    A link inside a sentence may carry the sentence's terms ("we share data with [our
    partners](…)"), so its words must touch no concept. A link that stands alone (a
    sentence of its own: "[Read about refunds](…)" after a full stop or a line break)
    is a label of the page it opens, like a heading: its concepts name that page's
    subject, and the page it opens did not change. So is a title given to a link that
    was a placeholder ("here"): the placeholder carried no term."""
    d, i = alnum(h.deleted), alnum(h.inserted)
    if not (d or i):
        return False
    # A placeholder ("here", "this page") given a title may bring its preposition:
    # "[here](…)" -> "on [the cookie settings page](…)".
    placeholder = bool(d) and all(w.lower() in _PLACEHOLDER | _PREPOSITIONS | _LEADS
                                  for w in d) and any(w.lower() in _PLACEHOLDER for w in d)
    # So may the words that lead to it: "click [here](…)" -> "use our [opt-out form](…)".
    if placeholder:
        d, i = _link_only(d, links[0]), _link_only(i, links[1])
    if (d and f" {' '.join(d).lower()} " not in links[0]) or \
            (i and f" {' '.join(i).lower()} " not in links[1]):
        return False
    words = d + i
    if lexicon.negations(words) or lexicon.strong_modals(words) or \
            lexicon.weak_modals(words) or _numbers(words):
        return False
    if d and i and _alone(old, h.old_start, h.old_end) and _alone(new, h.new_start, h.new_end):
        return True
    if placeholder and i:
        return True  # the placeholder carried no term: the title names the page it opens
    # Inside a sentence the link's words are the sentence's: "users must be [at least
    # 13](…)" -> "[at most 13](…)" bounds the age, "[off](…)" -> "[on](…)" turns it on.
    if bound_changed(h, old, new) or opposite(d, i):
        return False
    touched = set(lexicon.concepts(words)) - {Concept.LEGAL_TERMS, Concept.NOTICE}
    return not touched


def _link_only(words: list[str], links: str) -> list[str]:
    """`words` without the words that lead to the link they end with."""
    while len(words) > 1 and words[0].lower() in _PREPOSITIONS | _LEADS and \
            f" {' '.join(words).lower()} " not in links:
        words = words[1:]
    return words


# The words that lead a reader to a link ("use our [form]", "visit the [Help Center]").
_LEADS = frozenset({"use", "visit", "see", "open", "follow", "go", "click", "tap", "our",
                    "the", "this", "your"})
# The words of a link that says nothing of where it goes ("click here", "this page").
_PLACEHOLDER = frozenset({"here", "there", "this", "that", "page", "link", "click", "below",
                          "above", "website", "site", "webpage"})
_PREPOSITIONS = frozenset({"on", "at", "in", "via", "from", "through", "to"})

# What may end the text before a link that stands alone, and what may follow it.
_BEFORE_ALONE = frozenset({".", "!", "?", ":", ">", "|"})
_AFTER_ALONE = frozenset({".", "<", "|"})


def _alone(words: Sequence[str], start: int, end: int) -> bool:
    """The run [start, end) is a sentence of its own in `words`: after the start, a full
    stop or a line break (`<br>`), and before the end or a line break."""
    before = words[start - 1] if start > 0 else "."
    after = words[end] if end < len(words) else "."
    return before in _BEFORE_ALONE and after in _AFTER_ALONE

def filled_link(h: Hunk, old: Sequence[str], links: tuple[str, str]) -> bool:
    """A link whose words had gone missing is written out: the old text has a hole where
    a name belongs ("the terms of the ." -> "the terms of the [Kite Code](…)."), and the
    new words are the whole text of a link. It names the document the sentence already
    referred to, whatever words that name holds."""
    i = alnum(h.inserted)
    if alnum(h.deleted) or not i or f" | {' '.join(i).lower()} | " not in f" |{links[1]}| ":
        return False
    before = old[h.old_start - 1].lower() if h.old_start > 0 else ""
    after = old[h.old_start] if h.old_start < len(old) else ""
    return before in lexicon.ARTICLES | {"our", "your", "see"} and \
        (not after or not any(c.isalnum() for c in after))
