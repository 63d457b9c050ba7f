"""Regional variants of a policy: `applies-to`, named regions, the variant of a country (pure).

A policy may be published in variants by region (a general privacy policy and an
EEA/UK one; see docs/languages.md). A variant's front matter names a stable `variant`
id and the countries it `applies-to`: ISO 3166-1 alpha-2 codes, or region names that
expand to codes (`EEA` ships here; `policybook.toml`'s `[regions]` adds or redefines
them). The file without `variant:` is the general variant: it applies to every country
no other variant names, and to accounts without a country.

This module decides which variant an account gets and checks the declarations; the
history reader keys versions by (policy, variant) with `read_declaration`, and the state
carries each timeline's `Variant` (`PolicyState.variant`, the general one with id None).

The two keys are read from the front matter's raw lines here, not through the YAML
reader: YAML 1.1 reads `NO` (Norway) as *false*, and a country list must not lose a
country to a boolean.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from .errors import Problem

# The European Economic Area: the 27 EU member states, Iceland, Liechtenstein, Norway.
EU = frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
                "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
                "SE"})
EEA = EU | {"IS", "LI", "NO"}
DEFAULT_REGIONS: Mapping[str, frozenset[str]] = {"EU": EU, "EEA": EEA}

_VARIANT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Path segments of the site that a variant id must not shadow (docs/languages.md).
RESERVED_IDS = frozenset({"versions", "changes", "upcoming", "compare", "draft", "api",
                          "assets", "feed", "general"})
# Spellings people write for a country whose ISO code is another.
_ALIASES = {"UK": "GB", "EL": "GR"}
# CLDR territories that are no country: groupings, "unknown" and pseudo-regions.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})


@cache
def countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code Babel knows (its CLDR territories)."""
    from babel import Locale  # on use: reading the history needs no Babel

    codes = (str(code) for code in Locale("en").territories)
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES)


def country_code(value: str | None) -> str | None:
    """An account's country as an ISO code ("fr" -> "FR", "UK" -> "GB"), None if unknown."""
    if not value:
        return None
    code = value.strip().upper()
    code = _ALIASES.get(code, code)
    return code if code in countries() else None


@dataclass(frozen=True)
class Declaration:
    """What a file's front matter says of its variant, as written (raw, unchecked)."""

    variant: str | None  # the `variant:` id; None: the general variant
    variant_line: int
    applies_to: tuple[str, ...] | None  # the `applies-to:` entries; None: no such key
    applies_line: int


_KEY = re.compile(r"^(variant|applies-to)[ \t]*:[ \t]*(.*?)[ \t]*(?:#.*)?$")
_ITEM = re.compile(r"^[ \t]+-[ \t]*(.*?)[ \t]*(?:#.*)?$")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip()
    return value


def read_declaration(text: str) -> Declaration:
    """`variant:` and `applies-to:` from a policy's front matter (flow list `[EEA, GB]`,
    comma-separated `EEA, GB`, or a block list of `- EEA` lines)."""
    lines = text.lstrip("\ufeff").split("\n")
    variant: str | None = None
    variant_line = applies_line = 1
    applies: list[str] | None = None
    if not lines or lines[0].rstrip() != "---":
        return Declaration(None, 1, None, 1)
    block = False
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() in ("---", "..."):
            break
        if block:
            item = _ITEM.match(line)
            if item is not None and applies is not None:
                applies.append(_unquote(item.group(1)))
                continue
            block = False
        found = _KEY.match(line)
        if found is None:
            continue
        key, value = found.group(1), found.group(2)
        if key == "variant":
            variant, variant_line = _unquote(value) or None, number
            continue
        applies_line = number
        if not value:
            applies, block = [], True
            continue
        inner = value[1:-1] if value.startswith("[") and value.endswith("]") else value
        applies = [_unquote(part) for part in inner.split(",") if part.strip()]
    return Declaration(variant, variant_line, None if applies is None else tuple(applies),
                       applies_line)


def check_declaration(declaration: Declaration, path: str, policy: str,
                      regions: Mapping[str, frozenset[str]], policies: Iterable[str] = ()
                      ) -> tuple[Variant, tuple[Problem, ...]]:
    """The `Variant` a source file declares, and its `file:line` problems."""
    problems: list[Problem] = []
    d = declaration
    if d.variant is not None:
        problems += check_variant_id(d.variant, path, d.variant_line, policies)
    countries: frozenset[str] | None = None
    if d.applies_to is not None:
        countries, found = expand(d.applies_to, regions, path, d.applies_line)
        problems += found
    elif d.variant is not None:
        problems.append(Problem(path, d.variant_line, f"variant {d.variant!r} names no "
                                "countries: add 'applies-to: [EEA, GB]' (ISO country codes or "
                                "regions from policybook.toml)"))
        countries = frozenset()
    line = d.variant_line if d.variant is not None else d.applies_line
    return Variant(policy, d.variant, countries, path, line), tuple(problems)


def label(policy: str, variant: str | None) -> str:
    """How commands and logs name a timeline: `privacy-policy (eea)`."""
    return policy if variant is None else f"{policy} ({variant})"


def describe_countries(countries: frozenset[str],
                       regions: Mapping[str, frozenset[str]] | None = None) -> str:
    """`EEA, CH, GB`: the largest named regions a set covers whole, then the other codes."""
    known = {**DEFAULT_REGIONS, **(regions or {})}
    left, names = set(countries), []
    for name, codes in sorted(known.items(), key=lambda kv: -len(kv[1])):
        if codes and codes <= left:
            names.append(name)
            left -= codes
    return ", ".join([*names, *sorted(left)]) or "no country"


def split_name(name: str) -> tuple[str, str | None]:
    """`privacy-policy:eea` -> ("privacy-policy", "eea"); a plain id has no variant. The
    CLI's spelling of a variant (`diff privacy-policy:eea@in-force`, `versions`, `notices`):
    a colon, which no policy id or variant id contains."""
    policy, sep, variant = name.strip().partition(":")
    return policy, (variant or None) if sep else None


def timeline_key(policy: str, variant: str | None) -> str:
    """`privacy-policy` or `privacy-policy.eea`: one string per timeline (a dict key, the
    stem of the variant's file name)."""
    return policy if variant is None else f"{policy}.{variant}"


@dataclass(frozen=True)
class Variant:
    """One variant of a policy: `id` None for the general one (applies to the rest)."""

    policy: str
    id: str | None
    countries: frozenset[str] | None  # None: every country no other variant names
    path: str
    line: int = 1

    @property
    def key(self) -> str:
        """`privacy-policy` or `privacy-policy.eea`: how files, plans and logs name it."""
        return timeline_key(self.policy, self.id)

    @property
    def label(self) -> str:
        return label(self.policy, self.id)


def general(policy: str, path: str = "") -> Variant:
    """The general variant of a policy (every country no other variant names)."""
    return Variant(policy, None, None, path)


def expand(applies_to: Sequence[str], regions: Mapping[str, frozenset[str]], path: str,
           line: int) -> tuple[frozenset[str], tuple[Problem, ...]]:
    """The countries of an `applies-to` list: ISO codes and region names, expanded."""
    known = {name.upper(): codes for name, codes in {**DEFAULT_REGIONS, **regions}.items()}
    found: set[str] = set()
    problems: list[Problem] = []
    for entry in applies_to:
        name = str(entry).strip()
        if name.upper() in known:
            found |= known[name.upper()]
            continue
        code = country_code(name)
        if code is None:
            names = ", ".join(sorted(known))
            problems.append(Problem(path, line, f"applies-to: {name!r} is neither an ISO 3166 "
                                    f"country code (FR, DE, GB...) nor a region ({names}); "
                                    "name regions in policybook.toml under [regions]"))
            continue
        found.add(code)
    if not applies_to:
        problems.append(Problem(path, line, "applies-to is empty; list the countries or "
                                "regions this variant applies to"))
    return frozenset(found), tuple(problems)


def valid_variant_id(variant: str) -> bool:
    return bool(_VARIANT_ID.match(variant))


def check_variant_id(variant: str, path: str, line: int,
                     policies: Iterable[str] = ()) -> tuple[Problem, ...]:
    if not _VARIANT_ID.match(variant):
        return (Problem(path, line, f"variant {variant!r} must be lower-case letters, digits "
                        "and hyphens (for example 'eea' or 'uk')"),)
    if variant in RESERVED_IDS or variant in set(policies) or len(variant) == 2:
        return (Problem(path, line, f"variant {variant!r} would be confused with a page, a "
                        "policy or a language in the site's addresses; choose another id"),)
    return ()


def check_variants(variants: Sequence[Variant]) -> tuple[Problem, ...]:
    """The variants of one policy: one general variant at most, no id twice, and no
    country named by two variants (an account must get exactly one text)."""
    problems: list[Problem] = []
    ids = Counter(v.id for v in variants)
    for variant in variants:
        if ids[variant.id] > 1:
            others = ", ".join(v.path for v in variants if v.id == variant.id and v != variant)
            what = "the general variant" if variant.id is None else f"variant {variant.id!r}"
            problems.append(Problem(variant.path, variant.line, f"{variant.policy}: {what} is "
                                    f"also declared in {others}; keep one file per variant"))
    regional = [v for v in variants if v.countries is not None]
    for i, first in enumerate(regional):
        for second in regional[i + 1:]:
            shared = sorted((first.countries or frozenset()) & (second.countries or frozenset()))
            if shared:
                problems.append(Problem(second.path, second.line, f"{second.policy}: "
                                        f"{', '.join(shared)} also in {first.path} "
                                        f"(variant {first.id or 'general'}); a country may be "
                                        "in one variant only"))
    return tuple(problems)


def variant_for(country: str | None, variants: Sequence[Variant]) -> Variant | None:
    """The variant that applies to an account from `country` (None: the account has none).

    The variant naming the country, else the general one; None when the policy has no
    general variant and no variant names the country (a regional policy that does not
    apply to that account: it is not told).
    """
    code = country_code(country)
    if code is not None:
        for variant in variants:
            if variant.countries is not None and code in variant.countries:
                return variant
    for variant in variants:
        if variant.countries is None:
            return variant
    return None


@dataclass(frozen=True)
class Audience:
    """Who a notice of one variant reaches: totals per language and per country."""

    variant: str  # the variant's key
    total: int
    by_language: tuple[tuple[str, int], ...]  # most first
    by_country: tuple[tuple[str, int], ...]  # most first; "--" for accounts without one
    fallback: int  # told in the source language for want of a translation into theirs


def audience(accounts: Iterable[tuple[str | None, str | None]], variant: Variant,
             variants: Sequence[Variant], languages: Sequence[str], source_language: str,
             negotiate: Callable[[str | None, Sequence[str], str], str]) -> Audience:
    """Count the active accounts (country, locale) a notice of `variant` goes to.

    An account is told when `variant` is the one its country gets (`variant_for`), in
    the language `negotiate(locale, languages, source_language)` picks among the
    version's translations (`policybook.i18n.negotiate`). Accounts of other variants are
    not told: a change to the EEA text is no news to an account in Canada.
    """
    by_language: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    fallback = 0
    offered = [source_language, *[lang for lang in languages if lang != source_language]]
    for country, locale in accounts:
        if variant_for(country, variants) != variant:
            continue
        language = negotiate(locale, offered, source_language)
        by_language[language] += 1
        by_country[country_code(country) or "--"] += 1
        if language == source_language and locale and \
                locale.replace("_", "-").split("-")[0].lower() != source_language.split("-")[0]:
            fallback += 1

    def ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return Audience(variant.key, sum(by_language.values()), ranked(by_language),
                    ranked(by_country), fallback)
