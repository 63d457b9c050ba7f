"""Regional variants: applies-to, named regions, the variant of an account (policybook.regions)."""

from __future__ import annotations

import pytest

from policybook.regions import (
    EEA,
    Variant,
    check_variant_id,
    check_variants,
    country_code,
    expand,
    variant_for,
)

GENERAL = Variant("privacy-policy", None, None, "content/privacy-policy.md")
EEA_UK = Variant("privacy-policy", "eea", EEA | {"GB", "CH"}, "content/privacy-policy.eea.md", 3)
CALIFORNIA = Variant("privacy-policy", "us", frozenset({"US"}), "content/privacy-policy.us.md", 3)


def test_the_eea_is_the_eu_with_iceland_liechtenstein_and_norway() -> None:
    assert len(EEA) == 30
    assert {"IS", "LI", "NO", "FR", "DE", "IE"} <= EEA
    assert not {"GB", "CH"} & EEA


def test_applies_to_expands_regions_and_codes() -> None:
    codes, problems = expand(["EEA", "gb", "CH"], {}, "f.md", 4)
    assert problems == ()
    assert codes == EEA | {"GB", "CH"}


def test_applies_to_takes_regions_from_the_config() -> None:
    codes, problems = expand(["DACH"], {"DACH": frozenset({"DE", "AT", "CH"})}, "f.md", 4)
    assert problems == () and codes == {"DE", "AT", "CH"}


def test_applies_to_reports_an_unknown_entry_with_file_and_line() -> None:
    codes, problems = expand(["EEA", "Europe", "ZZ"], {}, "content/p.eea.md", 5)
    assert codes == EEA
    assert [str(p).split(":")[:2] for p in problems] == [["content/p.eea.md", "5"]] * 2
    assert "'Europe' is neither an ISO 3166 country code" in problems[0].message
    assert "[regions]" in problems[0].message
    assert expand([], {}, "f.md", 2)[1][0].message.startswith("applies-to is empty")


@pytest.mark.parametrize(("value", "expected"), [
    ("fr", "FR"), (" DE ", "DE"), ("UK", "GB"), ("EL", "GR"), ("ZZ", None), ("", None),
    (None, None), ("FRA", None),
])
def test_country_code(value: str | None, expected: str | None) -> None:
    assert country_code(value) == expected


def test_the_variant_of_an_account_follows_its_country() -> None:
    variants = [GENERAL, EEA_UK]
    assert variant_for("DE", variants) is EEA_UK
    assert variant_for("uk", variants) is EEA_UK
    assert variant_for("US", variants) is GENERAL
    assert variant_for(None, variants) is GENERAL  # no country: the general variant
    assert variant_for("not a country", variants) is GENERAL


def test_a_regional_policy_without_a_general_variant_applies_to_its_countries_only() -> None:
    assert variant_for("US", [CALIFORNIA]) is CALIFORNIA
    assert variant_for("FR", [CALIFORNIA]) is None
    assert variant_for(None, [CALIFORNIA]) is None


def test_a_country_in_two_variants_is_a_problem_naming_both_files() -> None:
    overlapping = Variant("privacy-policy", "uk", frozenset({"GB"}),
                          "content/privacy-policy.uk.md", 4)
    problems = check_variants([GENERAL, EEA_UK, overlapping])
    assert [str(p) for p in problems] == [
        "content/privacy-policy.uk.md:4: privacy-policy: GB also in "
        "content/privacy-policy.eea.md (variant eea); a country may be in one variant only"]
    assert check_variants([GENERAL, EEA_UK, CALIFORNIA]) == ()


def test_two_files_for_one_variant_are_a_problem() -> None:
    again = Variant("privacy-policy", None, None, "content/privacy.md")
    problems = check_variants([GENERAL, again])
    assert len(problems) == 2
    assert "the general variant is also declared in content/privacy.md" in problems[0].message


@pytest.mark.parametrize("variant", ["EEA", "e e a", "-eea", "versions", "fr", "terms"])
def test_variant_ids_that_would_be_ambiguous_are_refused(variant: str) -> None:
    assert check_variant_id(variant, "f.md", 3, policies=["terms"])


def test_variant_ids_that_are_fine() -> None:
    assert check_variant_id("eea", "f.md", 3) == ()
    assert check_variant_id("eea-uk", "f.md", 3) == ()
    assert GENERAL.key == "privacy-policy" and EEA_UK.key == "privacy-policy.eea"


def test_a_notice_of_a_variant_reaches_only_its_accounts_each_in_its_language() -> None:
    from policybook.i18n import negotiate
    from policybook.regions import audience

    accounts = [("FR", "fr-FR"), ("BE", "fr-BE"), ("DE", "de"), ("IE", "en-IE"),
                ("PL", "pl"), ("GB", None), ("US", "en-US"), ("CA", "fr-CA"), (None, "fr")]
    eea = audience(accounts, EEA_UK, [GENERAL, EEA_UK], ["fr", "de"], "en", negotiate)
    assert eea.variant == "privacy-policy.eea"
    assert eea.total == 6
    assert eea.by_language == (("en", 3), ("fr", 2), ("de", 1))
    assert eea.by_country == (("BE", 1), ("DE", 1), ("FR", 1), ("GB", 1), ("IE", 1), ("PL", 1))
    assert eea.fallback == 1  # the Polish account: no Polish translation, told in English
    general = audience(accounts, GENERAL, [GENERAL, EEA_UK], ["fr"], "en", negotiate)
    assert general.total == 3
    assert general.by_language == (("fr", 2), ("en", 1))
    assert general.by_country == (("--", 1), ("CA", 1), ("US", 1))
