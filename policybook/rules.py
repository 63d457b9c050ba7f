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

This module is the rules' one public face; they live in six modules along their seams:
`rules_words.py` (the whole texts, word classes, numbers, the signals of a run),
`rules_editorial.py` (what leaves the obligations as they were), `rules_order.py` (words
moved, the passive made active), `rules_material.py` (what the changed words carry),
`rules_phrases.py` (what the phrase around a run makes of it) and `rules_passages.py`
(added or removed passages).
"""

from __future__ import annotations

from .rulebook import EDITORIAL, EXPLANATIONS, MATERIAL, Finding, Rule
from .rules_editorial import editorial_hunk
from .rules_material import PRICE_CHANGED, material_hunk
from .rules_passages import channel_gone, whole_text
from .rules_words import Texts, alnum, hunk_signals, name_core, sentence

__all__ = ["EDITORIAL", "EXPLANATIONS", "MATERIAL", "PRICE_CHANGED", "Finding", "Rule", "Texts",
           "alnum", "channel_gone", "editorial_hunk", "hunk_signals", "material_hunk", "name_core",
           "sentence", "whole_text"]
