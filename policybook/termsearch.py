"""Finding the terms of several vocabularies in a text in one pass (pure core).

What this finds is defined by a regular expression, one per vocabulary:

    (?<![\\w-])(?:TERMS, longest first)(?:s|es|ed|d|ing|ly|'s|’s)?(?![\\w-])

and its `finditer`: the leftmost match, then the next one after it, never overlapping;
at one place the longest term for which an ending (tried in the order above, none last)
is followed by neither a word character nor a hyphen. `TermSearch` finds exactly those
spans without compiling the expressions: Python's regular-expression compiler is pure
Python, and the concepts' hundreds of terms took it a tenth of the start-up of a
command that judges one change (issue 12). One pass serves every vocabulary, where the
expressions scanned the text once each. `tests/test_termsearch.py` holds it to the
expressions, on sentences of its own and on both corpora.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ENDINGS = ("s", "es", "ed", "d", "ing", "ly", "'s", "’s")
_HEAD = 3  # terms are indexed by their first three characters


class TermSearch:
    """The terms of each of `vocabularies`, matched as written (the lexicon's are lower
    case, and so is the text it searches)."""

    __slots__ = ("_count", "_endings", "_heads", "_short", "_starts")

    def __init__(self, vocabularies: Sequence[Sequence[str]],
                 endings: Sequence[str] = ENDINGS, not_after: str = "-") -> None:
        """`not_after`: the characters besides `\\w` that a term may not follow (the
        expression's `(?<![\\w-])`)."""
        self._count = len(vocabularies)
        self._endings = (*endings, "")  # an ending is optional, tried before none
        # (term, vocabulary) by head, longest first: the first term of a vocabulary that
        # fits at a place is the longest, as in the expression's alternation.
        entries = sorted({(term, k) for k, terms in enumerate(vocabularies) for term in terms
                          if term}, key=lambda e: (-len(e[0]), e))
        self._heads: dict[str, list[tuple[str, int]]] = {}
        self._short: dict[str, list[tuple[str, int]]] = {}  # terms shorter than a head
        for term, k in entries:
            into = self._heads if len(term) >= _HEAD else self._short
            into.setdefault(term[:_HEAD], []).append((term, k))
        firsts = sorted({term[0] for term, _ in entries})
        # Where a term may start: after neither a word character nor one of `not_after`, at
        # one of the terms' first characters (a small expression, quick to compile).
        self._starts = re.compile(r"(?<![\w" + _escape(not_after) + "])[" + _escape(
            "".join(firsts)) + "]") if firsts else None

    def spans(self, text: str) -> list[list[tuple[int, int]]]:
        """For each vocabulary, the (start, end) of each term found, in order."""
        found: list[list[tuple[int, int]]] = [[] for _ in range(self._count)]
        if self._starts is None:
            return found
        free = [0] * self._count  # where each vocabulary's next match may start
        heads, short, endings, size = self._heads, self._short, self._endings, len(text)
        for start in self._starts.finditer(text):
            p = start.start()
            done = 0  # bit k: vocabulary k matched here (or cannot)
            for group in (heads.get(text[p:p + _HEAD]), short.get(text[p:p + 2]),
                          short.get(text[p])):
                if not group:
                    continue
                for term, k in group:
                    if done >> k & 1 or free[k] > p or not text.startswith(term, p):
                        continue
                    end = _end(text, p + len(term), endings, size)
                    if end >= 0:
                        found[k].append((p, end))
                        free[k] = end
                        done |= 1 << k
        return found


def _escape(chars: str) -> str:
    """`chars` written inside a character class."""
    return "".join("\\" + c if c in "\\]^-[" else c for c in chars)


def _end(text: str, at: int, endings: Sequence[str], size: int) -> int:
    """Where the match ends with the first ending that fits at `at` and is not followed
    by a word character or a hyphen; -1 if none does."""
    for ending in endings:
        if ending and not text.startswith(ending, at):
            continue
        end = at + len(ending)
        if end == size:
            return end
        c = text[end]
        if not (c.isalnum() or c == "_" or c == "-"):  # `\w` is alphanumeric or "_"
            return end
    return -1
