"""The site's URL scheme, in one place (pure core): pages, e-mails and the feed link here.

Paths are relative to the site's root ("privacy-policy/versions/2027-01-15/"); the site
prefixes them with its base path, e-mails with the configured base URL.
"""

from __future__ import annotations

import datetime as dt


def policy_path(policy: str) -> str:
    return f"{policy}/"


def upcoming_path(policy: str) -> str:
    return f"{policy}/upcoming/"


def archive_path(policy: str) -> str:
    return f"{policy}/versions/"


def version_path(policy: str, effective: dt.date) -> str:
    return f"{policy}/versions/{effective.isoformat()}/"


def changes_path(policy: str, effective: dt.date) -> str:
    return f"{policy}/changes/{effective.isoformat()}/"


def compare_path(policy: str) -> str:
    return f"{policy}/compare/"


def draft_path(policy: str) -> str:
    return f"{policy}/draft/"


def api_path(policy: str) -> str:
    return f"api/policies/{policy}"
