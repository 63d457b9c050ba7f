"""`policybook plan`: the timeline in sentences a lawyer can read, and as JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.helpers import GitRepo, policy
from tests.test_main_job import COMMITTED, EFFECTIVE, SEED, v2_text

UTC = dt.UTC


def make(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    repo = GitRepo.create(tmp_path / "p")
    repo.write("policybook.toml", '[notice]\ntimezone = "America/Los_Angeles"\n')
    terms = policy("terms", "2026-01-01", "## Fees\n\nTen dollars a month.\n")
    repo.commit("v1", {"content/privacy-policy.md": SEED, "content/terms.md": terms},
                when=COMMITTED - dt.timedelta(days=30))
    repo.commit("v2", {"content/privacy-policy.md": v2_text(),
                       "content/terms.md": terms.replace("2026-01-01", "2026-12-05").replace(
                           "Ten dollars a month", "Ten dollars *a month*")},
                when=COMMITTED)
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'pb.db'}"}
    csv = tmp_path / "a.csv"
    csv.write_text("id,email\n" + "".join(f"a{i},u{i}@example.com\n" for i in range(1234)),
                   encoding="utf-8")
    return repo, env | {"_csv": str(csv)}


def test_plan_in_sentences(tmp_path: Path, cli: Any) -> None:
    repo, env = make(tmp_path)
    csv = env.pop("_csv")
    assert cli(["accounts", "import", csv], cwd=repo.path, env=env).code == 0
    result = cli(["plan", "--now", "2026-11-30T12:00:00Z"], cwd=repo.path, env=env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "As of 2026-11-30 04:00 America/Los_Angeles (notice period: 30 days):"
    assert lines[1] == (
        f"privacy-policy: the version of {EFFECTIVE} is MATERIAL (1 reason). E-mail to 1,234 "
        "accounts due 2026-12-13 08:00 UTC; banner from 2026-12-13; in force "
        f"{EFFECTIVE} 00:00 America/Los_Angeles once its notice goes out on time.")
    assert lines[2] == "  privacy-policy: e-mail to 1,234 accounts (en 1,234)"
    assert lines[3].startswith("  - ")
    assert "in force now: the version of 2013-11-28" in result.out
    assert ("terms: the version of 2026-12-05 is EDITORIAL: no e-mail, no banner; in force "
            "2026-12-05 00:00 America/Los_Angeles.") in lines


def test_plan_json(tmp_path: Path, cli: Any) -> None:
    repo, env = make(tmp_path)
    env.pop("_csv")
    result = cli(["plan", "privacy-policy", "--json", "--now", "2026-11-30T12:00:00Z"],
                 cwd=repo.path, env=env)
    data = json.loads(result.out)
    assert data["notice_days"] == 30 and data["timezone"] == "America/Los_Angeles"
    assert data["accounts"] is None  # no store yet: plan never creates one
    [p] = data["policies"]
    assert p["in_force"]["effective"] == "2013-11-28"
    up = p["upcoming"]
    assert (up["effective"], up["verdict"], up["material"]) == (str(EFFECTIVE), "material", True)
    assert up["notice_due_at"] == "2026-12-13T00:00:00-08:00"
    # No database: the notice is assumed to go out when due, so the version is taken as
    # dated (every surface says the same; `check` reports an overdue notice).
    assert up["switch_at"] == up["effective_at"] and up["notice"] is None
    assert p["banner"] is None and p["problems"] == []
    assert up["reasons"] and up["commit"]
    missing = cli(["plan", "nope"], cwd=repo.path, env=env)
    assert missing.code == 1 and "no policy 'nope'" in missing.err
    assert not (tmp_path / "pb.db").exists()


def test_plan_without_a_database_says_what_it_assumes(tmp_path: Path, cli: Any) -> None:
    repo, env = make(tmp_path)
    env.pop("_csv")
    before = cli(["plan", "privacy-policy", "--now", "2026-11-30"], cwd=repo.path, env=env)
    assert "once its notice goes out on time" in before.out
    # Past the due date with nothing on record: the plan says so, and what to do.
    after = cli(["plan", "privacy-policy", "--now", "2026-12-20"], cwd=repo.path, env=env)
    assert "as dated (no notice is on record: there is no database)" in after.out
    assert "  problem: this version is MATERIAL and its notice was due on 2026-12-13" \
        in after.out and "or later" in after.out
    assert not (tmp_path / "pb.db").exists()


def test_plan_counts_the_accounts_told_per_language(tmp_path: Path, cli: Any) -> None:
    """The plan says how many accounts the notice reaches, in which language: those
    whose language the version is translated into get it, the others the source (and
    are counted as such); closed accounts are not counted."""
    repo, env = make(tmp_path)
    env.pop("_csv")
    repo.commit("French", {"content/fr/privacy-policy.md": (
        "---\npolicy: privacy-policy\nlanguage: fr\ntranslates: " + str(EFFECTIVE) +
        "\ntitle: Politique de confidentialité\n---\n\nTexte.\n")}, when=COMMITTED)
    rows = ["1,a@example.com,fr,FR", "2,b@example.com,fr_CA,CA", "3,c@example.com,fr,BE",
            "4,d@example.com,de,DE", "5,e@example.com,en,US", "6,f@example.com,es,",
            "7,g@example.com,fr,FR,closed", "8,h@example.com,fr_BE,BE"]
    csv = tmp_path / "people.csv"
    csv.write_text("id,email,locale,country,status\n" + "".join(
        r + ("" if r.endswith("closed") else ",active") + "\n" for r in rows),
        encoding="utf-8")
    assert cli(["accounts", "import", str(csv)], cwd=repo.path, env=env).code == 0
    result = cli(["plan", "privacy-policy", "--now", "2026-11-30T12:00:00Z"], cwd=repo.path,
                 env=env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "E-mail to 7 accounts due" in lines[1]
    assert lines[2] == ("  privacy-policy: e-mail to 7 accounts (fr 4, en 3; 2 without a "
                        "translation get en)")
    data = json.loads(cli(["plan", "privacy-policy", "--json", "--now",
                           "2026-11-30T12:00:00Z"], cwd=repo.path, env=env).out)
    assert data["policies"][0]["upcoming"]["audience"] == {
        "variant": "general", "accounts": 7, "by_language": {"fr": 4, "en": 3},
        "by_country": {"--": 1, "BE": 2, "CA": 1, "DE": 1, "FR": 1, "US": 1},
        "source_language_fallback": 2}
