"""Who a notice is sent to, and in which language (pure core; docs/languages.md).

A material change to one variant of a policy is told only to the accounts that variant
applies to: `Reach` is that selection, made from the variant and the policy's other
variants exactly as `regions.variant_for` decides for one account, but in a form the
store can turn into one SQL condition (a million accounts are never looked at one by
one in Python). Each account is then told in the language `letter_language` picks among
the languages the announced version is written in, and the plan counts both
(`count_audience`, `plan_line`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # regions loads Babel's territories: only when counting needs them
    from .regions import Audience, Variant

GENERAL = "general"  # what a delivery records for the general variant (a reserved id)


@dataclass(frozen=True)
class Reach:
    """The accounts a notice of one variant goes to, by their country.

    A regional variant reaches the accounts of its countries (`only`); the general
    variant reaches every other account, those without a country included (`excluded`:
    the countries the policy's regional variants claim). The two never overlap as long
    as no country is in two variants (`regions.check_variants`)."""

    key: str  # the variant's key: `privacy-policy` or `privacy-policy.eea`
    variant: str  # GENERAL or the variant's id: what each delivery row records
    only: frozenset[str] | None = None  # a regional variant's countries
    excluded: frozenset[str] = frozenset()  # (general variant) others' countries

    def covers(self, country: str | None) -> bool:
        """Whether an account of `country` (an ISO code, or empty) is told."""
        code = (country or "").upper()
        if self.only is not None:
            return code in self.only
        return code not in self.excluded

    @property
    def everyone(self) -> bool:
        return self.only is None and not self.excluded


def reach_of(variant: Variant, variants: Sequence[Variant]) -> Reach:
    """The reach of a notice of `variant`, given every variant of its policy.

    Agrees with `regions.variant_for` for every country: a regional variant is the one
    its countries get, and the general variant is what every other country gets."""
    if variant.countries is not None:
        return Reach(variant.key, variant.id or GENERAL, frozenset(variant.countries))
    claimed: set[str] = set()
    for other in variants:
        if other != variant and other.countries is not None:
            claimed |= other.countries
    return Reach(variant.key, variant.id or GENERAL, None, frozenset(claimed))


def everyone(policy: str) -> Reach:
    """The reach of a policy with one text for everybody (no regional variants)."""
    return Reach(policy, GENERAL)


def offered_languages(translated: Iterable[str], source: str,
                      has_strings: Iterable[str] | None = None) -> tuple[str, ...]:
    """The languages an e-mail of a version can be written in: the source, then each
    language the version is translated into whose e-mail strings exist (`has_strings`,
    None: all), so that no message mixes a French policy title with English prose."""
    allowed = None if has_strings is None else {lang.split("-")[0] for lang in has_strings}
    out = [source]
    for language in sorted(set(translated)):
        if language != source and (allowed is None or language.split("-")[0] in allowed):
            out.append(language)
    return tuple(out)


def letter_language(locale: str | None, offered: Sequence[str], source: str) -> str:
    """The language an account of `locale` is told in: the same tag, then its base
    language ("fr-CA" gets "fr"), else the source (`i18n.negotiate`)."""
    from .i18n import negotiate  # (Babel-free; i18n loads Babel only to format)

    return negotiate(locale, offered, source)


def is_fallback(locale: str | None, language: str, source: str) -> bool:
    """Told in the source language for want of a translation into the account's own."""
    if not locale or language != source:
        return False
    return locale.replace("_", "-").split("-")[0].lower() != source.split("-")[0].lower()


def count_audience(groups: Iterable[tuple[str | None, str | None, int]], reach: Reach,
                   offered: Sequence[str], source: str) -> Audience:
    """The accounts a notice reaches, per language and per country, from the active
    accounts counted by (country, locale): `groups` is what one GROUP BY gives."""
    from .regions import Audience

    by_language: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    fallback = 0
    for country, locale, n in groups:
        if not n or not reach.covers(country):
            continue
        language = letter_language(locale, offered, source)
        by_language[language] += n
        by_country[(country or "").upper() or "--"] += n
        if is_fallback(locale, language, source):
            fallback += n

    def ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return Audience(reach.key, sum(by_language.values()), ranked(by_language),
                    ranked(by_country), fallback)


def plan_line(audience: Audience, source: str, variant: str = GENERAL,
              policy: str | None = None) -> str:
    """`privacy-policy (eea): e-mail to 1,204 accounts (fr 530, de 402, en 272; 38
    without a translation get en)`: what `plan` and the rehearsal say."""
    name = policy or audience.variant.split(".", 1)[0]
    label = name if variant == GENERAL else f"{name} ({variant})"
    total = audience.total
    text = f"{label}: e-mail to {total:,} account{'s' if total != 1 else ''}"
    parts = ", ".join(f"{lang} {n:,}" for lang, n in audience.by_language)
    if audience.fallback:
        parts += f"; {audience.fallback:,} without a translation get {source}"
    return f"{text} ({parts})" if parts else text
