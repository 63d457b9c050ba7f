"""A policy repository with a few versions, for the site's tests and screenshots.

privacy-policy: the sample (2013-11-28), then a MATERIAL version effective 2027-01-15
(a new analytics recipient, "does not sell" narrowed, a new section) committed on
2026-11-20. terms-of-service: the sample (2026-01-01), then an EDITORIAL version effective
2026-06-01 (a clarification, marked editorial by the editor's override).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tests.helpers import GitRepo

REPO = Path(__file__).resolve().parent.parent
PRIVACY = (REPO / "tests" / "data" / "privacy-policy-2013.md").read_text(encoding="utf-8")
TERMS = (REPO / "tests" / "data" / "terms-of-service-2026.md").read_text(encoding="utf-8")
V2_DATE = dt.date(2027, 1, 15)
UTC = dt.UTC


def _front(text: str, effective: str, summary: str) -> str:
    text = re.sub(r"^effective: .*$", f"effective: {effective}", text, count=1, flags=re.M)
    return re.sub(r"^summary: >\n(  .*\n)+", f"summary: >\n  {summary}\n", text, count=1,
                  flags=re.M)


def privacy_v2() -> str:
    text = _front(PRIVACY, "2027-01-15",
                  "We now share usage data with our analytics provider, Acme Analytics, "
                  "and no longer promise not to rent customer lists. See section 3.")
    text = text.replace(
        "RingCentral does not sell its customer lists or any personally identifiable "
        "information associated with its customers to third parties.",
        "RingCentral may share usage data about how you use our services with our "
        "analytics provider, Acme Analytics, Inc., which may use it to improve its own "
        "products.")
    text = text.replace(
        "## 4. Customer Proprietary Network Information {#cpni}",
        "### Analytics Providers {#analytics-providers}\n\nWe share device identifiers, "
        "usage events and approximate location with Acme Analytics, Inc. We keep this data "
        "for 24 months.\n\n## 4. Customer Proprietary Network Information {#cpni}")
    return text


def terms_v2() -> str:
    text = _front(TERMS, "2026-06-01", "A clarification in section 2. Nothing else changes.")
    text = text.replace("\n---\n", "\nchange: editorial\nreason: names the practice the rule "
                        "already forbade\n---\n", 1)
    return text.replace("send unsolicited calls or messages in bulk",
                        "send unsolicited calls or messages in bulk (spam)")


def make_site_repo(path: Path) -> GitRepo:
    repo = GitRepo.create(path)
    repo.commit("Privacy policy and terms", {"content/privacy-policy.md": PRIVACY,
                                             "content/terms-of-service.md": TERMS},
                when=dt.datetime(2025, 12, 1, 9, 0, tzinfo=UTC))
    repo.commit("Terms: fix a typo", {"content/terms-of-service.md": terms_v2()},
                when=dt.datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    repo.commit("Privacy: analytics provider", {"content/privacy-policy.md": privacy_v2()},
                when=dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    return repo
