"""The rules of materiality by name, with what each means in plain words (pure core).

`Rule` values appear in every reason, the JSON output and the notices; the texts of
`EXPLANATIONS` are what a lawyer reads next to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .concept import Concept
from .document import ChangeVerdict

EDITORIAL = ChangeVerdict.EDITORIAL
MATERIAL = ChangeVerdict.MATERIAL


class Rule(StrEnum):
    # editorial
    NO_CHANGE = "no-change"
    WHITESPACE = "whitespace"
    MARKUP = "markup"
    LIST_MARKERS = "list-markers"
    HEADING_LEVEL = "heading-level"
    HEADING_WORDING = "heading-wording"
    LINK_TARGET = "link-target"
    LINK_WORDING = "link-wording"
    NUMBERING = "numbering"
    CONTENTS = "table-of-contents"
    CROSS_REFERENCE = "cross-reference"
    REORDERING = "reordering"
    PUNCTUATION = "punctuation"
    TYPO = "typo"
    DUPLICATE_WORD = "duplicate-word"
    RENAME = "product-rename"
    DATE_ONLY = "date-only"
    FRONT_MATTER = "front-matter"
    SUMMARY = "summary"
    SUPERSEDED = "superseded-version"
    CONTACT = "contact-details"
    FIGURES = "reported-figures"
    SAME_MEANING = "same-meaning"
    CLARIFICATION = "clarification"
    # material
    NEGATION = "negation-flip"
    OPPOSITE = "opposite"
    NARROWED_LIST = "narrowed-negated-list"
    WIDENED_LIST = "widened-negated-list"
    MODAL_WEAKENING = "modal-weakening"
    MODAL_STRENGTHENING = "modal-strengthening"
    NUMBERS = "changed-number"
    PLACES = "places"
    ENTITY = "legal-entity"
    LIST_SCOPE = "list-scope"
    REORDERED_MEANING = "reordered-meaning"
    DATA = Concept.DATA.value
    PURPOSES = Concept.PURPOSES.value
    RECIPIENTS = Concept.RECIPIENTS.value
    LOCATIONS = Concept.LOCATIONS.value
    RETENTION = Concept.RETENTION.value
    SECURITY = Concept.SECURITY.value
    RIGHTS = Concept.RIGHTS.value
    FEES = Concept.FEES.value
    LIABILITY = Concept.LIABILITY.value
    DISPUTES = Concept.DISPUTES.value
    GOVERNING_LAW = Concept.GOVERNING_LAW.value
    TERMINATION = Concept.TERMINATION.value
    NOTICE = Concept.NOTICE.value
    LEGAL_TERMS = Concept.LEGAL_TERMS.value
    TABLE_ENTRY = "table-entry"
    DUTIES = "duties"
    OVERRIDE = "override"


EXPLANATIONS: dict[Rule, str] = {
    Rule.NO_CHANGE: "the words and the structure are unchanged",
    Rule.WHITESPACE: "only spaces and line breaks changed",
    Rule.MARKUP: "only the Markdown changed (emphasis, quoting, paragraph breaks), not the words",
    Rule.LIST_MARKERS: "only the list markers or the list numbering changed",
    Rule.HEADING_LEVEL: "only the heading level changed",
    Rule.HEADING_WORDING: "a heading (a label, not a term) was reworded",
    Rule.LINK_TARGET: "only where a link points (or a web address in the text) changed",
    Rule.LINK_WORDING: "only the words of a link changed, not the terms around it",
    Rule.NUMBERING: "only section numbers or cross-reference labels changed",
    Rule.CROSS_REFERENCE: "a sentence that only points the reader to another document or "
                          "section (\"See …\", \"For more information …\") changed",
    Rule.CONTENTS: "an entry of a table of contents (a row naming a section of the document) "
                   "changed; the section itself is judged on its own",
    Rule.REORDERING: "text moved to another place, word for word",
    Rule.PUNCTUATION: "only punctuation, capitalisation or spacing between words changed",
    Rule.TYPO: "a misspelt word was corrected (the old spelling is gone from the new text)",
    Rule.DUPLICATE_WORD: "an accidentally repeated word was removed",
    Rule.RENAME: "a name was replaced consistently throughout the document",
    Rule.DATE_ONLY: "only a date changed",
    Rule.SUPERSEDED: "the previous version, kept on the page until the new one took effect, "
                     "was removed: it stopped applying that day",
    Rule.FRONT_MATTER: "only the front matter changed (metadata, not the text users agree to)",
    Rule.SUMMARY: "only a non-binding summary of the binding text changed",
    Rule.CONTACT: "only contact details changed (a postal address, a phone number, an e-mail "
                  "address, a contact page or whom to contact)",
    Rule.FIGURES: "only the figures of a report changed (requests received, average "
                  "response times): they describe what happened, not a term",
    Rule.SAME_MEANING: "the same meaning in other words (a contraction, a shorter phrase, "
                       "another inflection or spelling of the same word)",
    Rule.CLARIFICATION: "wording changed in a sentence that states no duty, right or data "
                        "practice, and touches none of the material concepts",
    Rule.NEGATION: "a negation was added or removed: what was forbidden may now be allowed, "
                   "or the reverse",
    Rule.OPPOSITE: "a word became its opposite (on and off, opt-in and opt-out, precise and "
                   "approximate, we and you): the same sentence now says the reverse",
    Rule.NARROWED_LIST: "a negated list lost items: what was ruled out is no longer",
    Rule.WIDENED_LIST: "a negated list gained items: more is ruled out",
    Rule.MODAL_WEAKENING: "a duty was weakened (will/must became may, or a promise was dropped)",
    Rule.MODAL_STRENGTHENING: "a permission became a duty, or a duty was added",
    Rule.NUMBERS: "a number, amount or duration changed",
    Rule.LIST_SCOPE: "an item was added to or removed from a list: it widens or narrows what "
                     "the sentence covers",
    Rule.REORDERED_MEANING: "the same words in another order change what is paired with what "
                            "(who receives which data, what a negation covers)",
    Rule.ENTITY: "another legal person: a company's name now has another legal form or "
                 "country (\"Acme Ireland Limited\" -> \"Acme Inc.\"): whom the terms are "
                 "with, or who handles the data, changed",
    Rule.PLACES: "a place was added or removed: it changes where something applies or where "
                 "data goes",
    Rule.DATA: "it changes which personal data is concerned",
    Rule.PURPOSES: "it changes what data is used for",
    Rule.RECIPIENTS: "it changes who receives or can access data",
    Rule.LOCATIONS: "it changes where data is processed or transferred",
    Rule.RETENTION: "it changes how long data is kept or when it is deleted",
    Rule.SECURITY: "it changes how data is protected (encryption, safeguards, breaches)",
    Rule.RIGHTS: "it changes users' rights or how to exercise them",
    Rule.FEES: "it changes fees, charges or payment",
    Rule.LIABILITY: "it changes liability, warranties or indemnities",
    Rule.DISPUTES: "it changes how disputes are resolved",
    Rule.GOVERNING_LAW: "it changes the governing law or jurisdiction",
    Rule.TERMINATION: "it changes termination, suspension or removal",
    Rule.NOTICE: "it changes how users are told of changes",
    Rule.LEGAL_TERMS: "it changes duties, licences or other legal terms",
    Rule.TABLE_ENTRY: "an entry of a table (a register of recipients, purposes, periods...) "
                      "was added, removed or changed",
    Rule.DUTIES: "it changes the words of a sentence that states a duty, a permission, a "
                 "prohibition or a right",
    Rule.OVERRIDE: "the editor's override in the front matter decides",
}


# What a material rule found, in the words a customer reads: the one wording that the
# e-mails, the notice records, the site's pages and the pull-request comment show (through
# `materiality.Reason.plain`), with the section and the words quoted. An editorial rule
# is never announced to customers; it reads as its explanation.
PLAIN: dict[Rule, str] = {
    Rule.NEGATION: "we changed what is and is not allowed",
    Rule.OPPOSITE: "we changed a word to its opposite",
    Rule.NARROWED_LIST: "we no longer rule out some things we ruled out before",
    Rule.WIDENED_LIST: "we now rule out more than before",
    Rule.MODAL_WEAKENING: "a commitment we made is weaker or was removed",
    Rule.MODAL_STRENGTHENING: "we added a duty or made one stronger",
    Rule.NUMBERS: "an amount, a period or another number changed",
    Rule.ENTITY: "we changed which company this concerns",
    Rule.PLACES: "we changed where something applies or where data goes",
    Rule.LIST_SCOPE: "we changed what a sentence covers",
    Rule.REORDERED_MEANING: "we changed what goes with what",
    Rule.DATA: "we changed which personal data is concerned",
    Rule.PURPOSES: "we changed what data is used for",
    Rule.RECIPIENTS: "we changed who receives or can access data",
    Rule.LOCATIONS: "we changed where data is processed or transferred",
    Rule.RETENTION: "we changed how long data is kept or when it is deleted",
    Rule.SECURITY: "we changed how your data is protected",
    Rule.RIGHTS: "we changed your rights or how to exercise them",
    Rule.FEES: "we changed fees, charges or payment",
    Rule.LIABILITY: "we changed liability, warranties or indemnities",
    Rule.DISPUTES: "we changed how disputes are resolved",
    Rule.GOVERNING_LAW: "we changed the governing law or jurisdiction",
    Rule.TERMINATION: "we changed termination, suspension or removal",
    Rule.NOTICE: "we changed how you are told of changes",
    Rule.LEGAL_TERMS: "we changed duties, licences or other legal terms",
    Rule.TABLE_ENTRY: "we added, removed or changed an entry of a table",
    Rule.DUTIES: "we changed the wording of a duty, a permission or a right",
    Rule.OVERRIDE: "our legal team marked this change as important",
}


def plain(rule: Rule) -> str:
    """The customer's wording of a rule (its explanation for an editorial rule)."""
    return PLAIN.get(rule) or EXPLANATIONS[rule]


PROFILES = {
    "summaries": "a paragraph labelled as a summary (\"Short version:\", \"In short:\") "
                 "restates the binding text: its changes are editorial",
}


@dataclass(frozen=True)
class Settings:
    """The `[materiality]` settings of policybook.toml: extra terms per concept, rules
    switched off (a change they would decide falls to the next rules), opt-in profiles of
    conventions."""

    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    disabled: frozenset[Rule] = frozenset()
    profiles: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, raw: object, where: str, problems: list[str]) -> Settings:
        """Settings from the `[materiality]` table; each mistake is added to `problems`."""
        if not isinstance(raw, dict):
            problems.append(f"{where}: [materiality] must be a table")
            return cls()
        known = {c.value for c in Concept}
        terms: list[tuple[str, tuple[str, ...]]] = []
        for concept, words in (raw.get("terms") or {}).items():
            if concept not in known:
                problems.append(f"{where}: materiality.terms.{concept}: unknown concept "
                                f"(known: {', '.join(sorted(known))})")
            elif not (isinstance(words, list) and all(isinstance(w, str) and w.strip()
                                                      for w in words)):
                problems.append(f"{where}: materiality.terms.{concept} must be a list of words")
            else:
                terms.append((concept, tuple(w.strip().lower() for w in words)))
        disabled: set[Rule] = set()
        for rule in raw.get("disable") or []:
            try:
                disabled.add(Rule(rule))
            except ValueError:
                problems.append(f"{where}: materiality.disable: unknown rule {rule!r}; "
                                "`policybook rules` lists them")
        profiles = set()
        for profile in raw.get("profiles") or []:
            if profile in PROFILES:
                profiles.add(profile)
            else:
                problems.append(f"{where}: materiality.profiles: unknown profile {profile!r} "
                                f"(known: {', '.join(sorted(PROFILES))})")
        for key in raw:
            if key not in ("terms", "disable", "profiles"):
                problems.append(f"{where}: unknown setting 'materiality.{key}' (known: "
                                "terms, disable, profiles)")
        return cls(tuple(terms), frozenset(disabled), frozenset(profiles))


@dataclass(frozen=True)
class Finding:
    rule: Rule
    verdict: ChangeVerdict
    terms: tuple[str, ...] = ()
    note: str = ""


# The concept each rule's reasons are about (for the JSON and the notices).
CONCEPTS: dict[Rule, str] = {
    **{Rule(c.value): c.value for c in Concept},
    Rule.NEGATION: "duties", Rule.OPPOSITE: "duties", Rule.NARROWED_LIST: "duties",
    Rule.WIDENED_LIST: "duties",
    Rule.MODAL_WEAKENING: "duties", Rule.MODAL_STRENGTHENING: "duties", Rule.DUTIES: "duties",
    Rule.PLACES: Concept.LOCATIONS.value, Rule.LIST_SCOPE: "applicability",
    Rule.ENTITY: "applicability",
    Rule.REORDERED_MEANING: "duties", Rule.TABLE_ENTRY: "registers",
    Rule.NUMBERS: "amounts-and-periods",
}


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the rulebook: its id, its verdict and what it means in plain words."""

    rule: Rule
    verdict: ChangeVerdict

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.rule]

    @property
    def plain(self) -> str:
        return plain(self.rule)


# THE PRECEDENCE, stated once: for each changed run of words the rules are tried in this
# order and the first that explains it decides (structure first, then the narrow
# editorial rules, then what the changed words carry). `materiality.py` and `rules.py`
# try them in this order; tests/test_materiality_rulebook.py checks each rule's examples.
# One reading comes before its place: a changed number next to a currency is a price,
# judged by `fees` before `changed-number` (switch `fees` off and it is a changed number).
RULEBOOK: tuple[RuleSpec, ...] = tuple(RuleSpec(rule, verdict) for rule, verdict in (
    # structure and form
    (Rule.FRONT_MATTER, EDITORIAL), (Rule.NUMBERING, EDITORIAL), (Rule.HEADING_LEVEL, EDITORIAL),
    (Rule.HEADING_WORDING, EDITORIAL), (Rule.REORDERING, EDITORIAL),
    (Rule.WHITESPACE, EDITORIAL), (Rule.LIST_MARKERS, EDITORIAL), (Rule.LINK_TARGET, EDITORIAL),
    (Rule.MARKUP, EDITORIAL), (Rule.SUMMARY, EDITORIAL), (Rule.CONTENTS, EDITORIAL),
    (Rule.SUPERSEDED, EDITORIAL),
    # editorial: what the changed words provably leave as it was
    (Rule.PUNCTUATION, EDITORIAL), (Rule.DATE_ONLY, EDITORIAL), (Rule.DUPLICATE_WORD, EDITORIAL),
    (Rule.TYPO, EDITORIAL), (Rule.CROSS_REFERENCE, EDITORIAL), (Rule.LINK_WORDING, EDITORIAL),
    (Rule.RENAME, EDITORIAL), (Rule.CONTACT, EDITORIAL), (Rule.SAME_MEANING, EDITORIAL),
    (Rule.FIGURES, EDITORIAL),
    # material: what the changed words carry
    (Rule.NEGATION, MATERIAL), (Rule.OPPOSITE, MATERIAL), (Rule.NARROWED_LIST, MATERIAL),
    (Rule.WIDENED_LIST, MATERIAL), (Rule.MODAL_WEAKENING, MATERIAL),
    (Rule.MODAL_STRENGTHENING, MATERIAL),
    (Rule.NUMBERS, MATERIAL), (Rule.NOTICE, MATERIAL),
    *((Rule(c.value), MATERIAL) for c in Concept if c is not Concept.NOTICE),
    (Rule.ENTITY, MATERIAL), (Rule.PLACES, MATERIAL), (Rule.TABLE_ENTRY, MATERIAL),
    (Rule.LIST_SCOPE, MATERIAL),
    (Rule.REORDERED_MEANING, MATERIAL), (Rule.DUTIES, MATERIAL),
    # nothing above: wording that carries no practice
    (Rule.CLARIFICATION, EDITORIAL),
))
