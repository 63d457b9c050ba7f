"""The site's URL scheme, in one place (pure core): pages, e-mails and the feed link here.

Paths are relative to the site's root ("privacy-policy/versions/2027-01-15/"); the site
prefixes them with its base path, e-mails with the configured base URL.

A regional variant's pages live under its id, before the policy ("eea/privacy-policy/",
docs/languages.md): a regional site lists the policies of its region under one folder,
and a translation puts its language first ("fr/eea/privacy-policy/"). Variant ids never
take a page's name, a policy id or a two-letter language's place (`regions.RESERVED_IDS`).
"""

from __future__ import annotations

import datetime as dt


def _in(variant: str | None, path: str) -> str:
    return path if variant is None else f"{variant}/{path}"


def policy_path(policy: str, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/")


def upcoming_path(policy: str, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/upcoming/")


def archive_path(policy: str, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/versions/")


def version_path(policy: str, effective: dt.date, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/versions/{effective.isoformat()}/")


def changes_path(policy: str, effective: dt.date, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/changes/{effective.isoformat()}/")


def compare_path(policy: str, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/compare/")


def draft_path(policy: str, variant: str | None = None) -> str:
    return _in(variant, f"{policy}/draft/")


def api_path(policy: str) -> str:
    """The API answers for every variant (`?country=` picks one): one path per policy."""
    return f"api/policies/{policy}"
