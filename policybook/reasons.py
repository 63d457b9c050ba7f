"""A reason for a verdict (pure core): one rule that fired on one place.

Apart from `materiality` so that a verdict kept on disk (`workflows.assessing`) is read
back without loading the rules, their vocabularies and the differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from .document import ChangeVerdict
from .rulebook import CONCEPTS, Rule


@dataclass(frozen=True)
class Reason:
    """One rule that fired on one place: what a lawyer checks against the redline."""

    rule: Rule
    verdict: ChangeVerdict
    section: str  # section id
    where: str  # "3. Disclosure › Your consent"
    line: int  # in the new file (the old file's for removed text); 0 for front matter
    words: str  # the words concerned, quoted
    terms: tuple[str, ...] = ()  # the words that made the rule fire
    note: str = ""  # specifics, e.g. "will → may"
    old_words: str = ""  # the old words as written ("" when added)
    new_words: str = ""  # the new words as written ("" when removed)

    @property
    def material(self) -> bool:
        return self.verdict is ChangeVerdict.MATERIAL

    @property
    def explanation(self) -> str:
        from .rules import EXPLANATIONS  # the rule texts load with the rules

        return EXPLANATIONS[self.rule]

    @property
    def concept(self) -> str:
        """The topic the reason is about ("fees", "retention"...), or ""."""
        return CONCEPTS.get(self.rule, "")

    @property
    def plain(self) -> str:
        """The reason in plain language, the one wording of e-mails, notices, the site and
        the pull-request comment: what changed (`rulebook.PLAIN`), where, and the words as
        written; no rule id, no line number."""
        from .rulebook import plain as plain_wording

        what = plain_wording(self.rule)
        where = "" if self.where == "front matter" else self.where.strip() or "the introduction"
        text = (f"{where}: " if where else "") + what[:1].upper() + what[1:]
        if self.old_words and self.new_words:
            return f"{text}: “{self.old_words}” became “{self.new_words}”."
        if self.new_words:
            return f"{text}: added “{self.new_words}”."
        if self.old_words:
            return f"{text}: removed “{self.old_words}”."
        return f"{text}."

    def __str__(self) -> str:
        place = f"{self.where}, line {self.line}" if self.line else self.where
        details = [self.note] if self.note else []
        if self.terms and self.material:
            details.insert(0, ", ".join(f"“{t}”" for t in self.terms[:6]))
        extra = f" ({'; '.join(details)})" if details else ""
        words = f": {self.words}" if self.words else ""
        return f"{self.rule}{extra} in {place}{words}"
