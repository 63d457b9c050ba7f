"""The material topics a change can touch (pure core).

Apart from the vocabularies (`lexicon`, which compiles its patterns when it loads) so that
the rule ids (`rulebook`) and a verdict read back from disk need none of them.
"""

from __future__ import annotations

from enum import StrEnum


class Concept(StrEnum):
    """What a change touches, in the words of the notice: each is a material topic."""

    DATA = "data-categories"
    PURPOSES = "purposes"
    RECIPIENTS = "recipients"
    LOCATIONS = "processing-locations"
    RETENTION = "retention"
    SECURITY = "security"
    RIGHTS = "user-rights"
    LIABILITY = "liability"
    DISPUTES = "dispute-resolution"
    GOVERNING_LAW = "governing-law"
    TERMINATION = "termination"
    NOTICE = "notice-of-changes"
    FEES = "fees"  # after the others: "pay" and "paid" also occur in passing
    LEGAL_TERMS = "legal-terms"
