"""Regional variants (docs/languages.md): each variant is a timeline of its own.

A policy's EEA/UK variant (`variant: eea`, `applies-to: [EEA, GB, CH]`) has its own
versions, verdicts and notice: a material change to it is planned for its countries
only, while the general text stays as it is. Real git repositories in temp folders.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from policybook.config import load_config
from policybook.history import read_history
from policybook.workflows.state import StateBuilder
from tests.helpers import GitRepo, policy

UTC = dt.UTC
GENERAL = ("## Sharing {#sharing}\n\nWe do not share, sell, rent or trade your personal "
           "data.\n\n## Contact {#contact}\n\nWrite to privacy@example.com.\n")
EEA = ("## Legal bases {#legal-bases}\n\nWe process your data to perform our contract with "
       "you and, for marketing e-mails, with your consent.\n\n"
       "## Sharing {#sharing}\n\nWe do not share, sell, rent or trade your personal data.\n\n"
       "## Complaints {#complaints}\n\nYou may complain to the supervisory authority of "
       "the country where you live.\n")
EEA_SHARING = EEA.replace(
    "We do not share, sell, rent or trade your personal data.",
    "We share your personal data with advertising partners, who may combine it with "
    "other data they hold about you.")
HEAD = "applies-to: [EEA, GB, CH]"


def general(effective: str, body: str = GENERAL) -> str:
    return policy("privacy-policy", effective, body, title="Privacy Policy",
                  summary="How we handle your data.")


def eea(effective: str, body: str = EEA, head: str = f"variant: eea\n{HEAD}") -> str:
    return policy("privacy-policy", effective, body,
                  title="Privacy Policy (EEA, United Kingdom and Switzerland)",
                  summary="We will share your data with advertising partners.", extra=head)


def variant_repo(path: Path, settings: str = "[notice]\ndays = 30\n") -> GitRepo:
    """The general policy and its EEA variant since 2026-01-10; on 2026-03-01 a material
    change to the EEA variant only, effective 2026-04-15 (the general text unchanged)."""
    repo = GitRepo.create(path)
    repo.commit("privacy policy, general and EEA", {
        "policybook.toml": settings,
        "content/privacy-policy.md": general("2026-01-10"),
        "content/privacy-policy.eea.md": eea("2026-01-10"),
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("EEA: share with advertising partners", {
        "content/privacy-policy.eea.md": eea("2026-04-15", EEA_SHARING),
    }, when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return variant_repo(tmp_path / "policies")


def run(cli: Any, repo: GitRepo, *args: str) -> Any:
    return cli(list(args), cwd=repo.path,
               env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{repo.path}/../none.db"})


def test_each_variant_has_its_own_versions(repo: GitRepo) -> None:
    history = read_history(repo.path)
    assert [(v.policy, v.variant, v.effective.isoformat()) for v in history.versions] == [
        ("privacy-policy", None, "2026-01-10"),
        ("privacy-policy", "eea", "2026-01-10"),
        ("privacy-policy", "eea", "2026-04-15"),
    ]
    # The EEA file's new date withdrew nothing of the general text's.
    assert history.withdrawn == ()


def test_the_state_carries_each_timelines_variant(repo: GitRepo) -> None:
    config = load_config(repo.path, env={})
    state = StateBuilder(config).state(dt.datetime(2026, 3, 5, tzinfo=UTC))
    general_state, eea_state = state.timelines("privacy-policy")
    assert general_state.variant is not None and general_state.variant.id is None
    assert general_state.variant.countries is None  # every other country
    assert eea_state.variant is not None and eea_state.variant.id == "eea"
    assert eea_state.variant.countries is not None
    assert {"DE", "FR", "NO", "GB", "CH"} <= eea_state.variant.countries
    assert "US" not in eea_state.variant.countries
    assert {v.id for v in eea_state.variants} == {None, "eea"}
    # A variant's version is judged against the variant's previous version: material,
    # with a notice; the general policy has nothing upcoming.
    assert general_state.upcoming is None
    assert eea_state.upcoming is not None and eea_state.upcoming.material
    assert eea_state.upcoming.version.effective == dt.date(2026, 4, 15)
    assert eea_state.timeline == "privacy-policy.eea" and eea_state.label == \
        "privacy-policy (eea)"
    assert state.policy("privacy-policy") is general_state
    assert state.policy("privacy-policy", "eea") is eea_state


def test_plan_announces_the_variants_change_to_its_countries_only(cli: Any,
                                                                  repo: GitRepo) -> None:
    result = run(cli, repo, "plan", "--now", "2026-03-05")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    eea_line = next(line for line in lines if line.startswith("privacy-policy (eea):"))
    assert "the version of 2026-04-15 is MATERIAL" in eea_line
    assert "E-mail to the accounts in EEA, CH, GB (variant eea)" in eea_line
    general_line = next(line for line in lines if line.startswith("privacy-policy:"))
    assert "the version of 2026-01-10 is in force" in general_line
    assert "nothing upcoming" in general_line
    as_json = json.loads(run(cli, repo, "plan", "privacy-policy:eea", "--now", "2026-03-05",
                             "--json").out)
    (only,) = as_json["policies"]
    assert only["variant"] == "eea" and "GB" in only["countries"]
    assert only["upcoming"]["material"] is True
    assert only["upcoming"]["notice_due_at"].startswith("2026-03-16")
    general_json = json.loads(run(cli, repo, "plan", "privacy-policy", "--now", "2026-03-05",
                                  "--json").out)
    assert [(p["variant"], p["upcoming"] is None) for p in general_json["policies"]] == \
        [(None, True), ("eea", False)]


def test_versions_and_diff_name_the_variant(cli: Any, repo: GitRepo) -> None:
    listed = run(cli, repo, "versions", "--now", "2026-03-05")
    assert listed.code == 0, listed.err
    rows = [line.split() for line in listed.out.splitlines() if "2026-" in line]
    assert [(r[0], r[1] if r[1] != "(eea)" else r[2]) for r in rows][:1] == \
        [("privacy-policy", "2026-01-10")]
    assert sum(1 for line in listed.out.splitlines()
               if line.startswith("privacy-policy (eea)")) == 2
    as_json = json.loads(run(cli, repo, "versions", "privacy-policy:eea", "--json",
                             "--now", "2026-03-05").out)
    assert [(v["variant"], v["effective"], v["status"]) for v in as_json["versions"]] == \
        [("eea", "2026-01-10", "in force"), ("eea", "2026-04-15", "upcoming")]
    diff = run(cli, repo, "diff", "privacy-policy:eea@in-force",
               "privacy-policy:eea@upcoming", "--now", "2026-03-05")
    assert diff.code == 0, diff.err
    assert "advertising partners" in diff.out and "MATERIAL" in diff.out.upper()
    assert diff.out.startswith("privacy-policy (eea): content/privacy-policy.eea.md, "
                               "effective 2026-01-10 → content/privacy-policy.eea.md, "
                               "effective 2026-04-15")
    same = run(cli, repo, "diff", "privacy-policy@in-force", "privacy-policy@2026-03-05",
               "--now", "2026-03-05")
    assert same.code == 0 and "advertising" not in same.out
    unknown = run(cli, repo, "diff", "privacy-policy:uk@in-force", "privacy-policy@in-force")
    assert unknown.code != 0 and "privacy-policy:eea" in unknown.err


def test_check_knows_the_variants_notice_is_due(cli: Any, repo: GitRepo) -> None:
    """Without a database, the EEA notice is assumed to go out when due; committed too
    late for its 30 days, `check` names the variant's file and the date."""
    ok = run(cli, repo, "check", "--now", "2026-03-05")
    assert ok.code == 0, ok.out + ok.err
    repo.commit("EEA: an earlier date", {
        "content/privacy-policy.eea.md": eea("2026-03-20", EEA_SHARING),
    }, when=dt.datetime(2026, 3, 6, tzinfo=UTC))
    late = run(cli, repo, "check", "--now", "2026-03-06")
    assert late.code == 1
    text = late.out + late.err
    assert "content/privacy-policy.eea.md:4: (as committed) privacy-policy (eea) " \
        "@2026-03-20: this version is MATERIAL" in text
    assert "content/privacy-policy.md:" not in text


PROBLEMS = {
    "content/privacy-policy.md": general("2026-01-10"),
    # an unknown region, and a code that is no country
    "content/privacy-policy.eea.md": eea("2026-01-10", head="variant: eea\n"
                                         "applies-to: [EEA, Europe, XY]"),
    # a bad id
    "content/privacy-policy.uk.md": eea("2026-01-10", head="variant: UK\napplies-to: [GB]"),
    # a country already in the EEA variant
    "content/privacy-policy.nordics.md": eea("2026-01-10", head="variant: nordics\n"
                                             "applies-to: [NO, SE, IS]"),
    # two files of one variant
    "content/privacy-policy.eea-copy.md": eea("2026-01-10"),
    # two translations of one (policy, variant, language)
    "content/fr/privacy-policy.eea.md": "---\npolicy: privacy-policy\nvariant: eea\n"
    "language: fr\ntranslates: 2026-01-10\ntitle: Politique\n---\n\n" + EEA,
    "content/fr/autre.md": "---\npolicy: privacy-policy\nvariant: eea\n"
    "language: fr\ntranslates: 2026-01-10\ntitle: Politique\n---\n\n" + EEA,
    # a translation of a variant nobody declares
    "content/de/privacy-policy.dach.md": "---\npolicy: privacy-policy\nvariant: dach\n"
    "language: de\ntranslates: 2026-01-10\ntitle: Datenschutz\n---\n\n" + EEA,
}


def test_check_reports_each_declaration_problem_with_its_line(cli: Any,
                                                               tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "policies")
    for path, text in PROBLEMS.items():
        repo.write(path, text)
    result = run(cli, repo, "check")
    assert result.code == 1
    out = result.out + result.err
    # the line of `applies-to:` (front matter line 7) and of `variant:` (line 6)
    assert "content/privacy-policy.eea.md:7: applies-to: 'Europe' is neither" in out
    assert "content/privacy-policy.eea.md:7: applies-to: 'XY' is neither" in out
    assert "content/privacy-policy.uk.md:6: variant 'UK' must be lower-case" in out
    assert "content/privacy-policy.nordics.md:6: privacy-policy: IS, NO, SE also in " \
        "content/privacy-policy.eea" in out
    assert "policy id 'privacy-policy' with variant 'eea' is already used by" in out
    assert ("content/fr/privacy-policy.eea.md is already the French (fr) translation of "
            "privacy-policy (eea)") in out or ("content/fr/autre.md is already the French "
                                               "(fr) translation") in out
    assert "content/de/privacy-policy.dach.md:3: translates variant 'dach' of " \
        "privacy-policy, which no source file declares" in out
    # a general file and one variant file of one policy are no duplicate
    assert "content/privacy-policy.md:" not in out


def test_a_region_from_the_config(cli: Any, tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "policies")
    repo.write("policybook.toml", '[regions]\nDACH = ["DE", "AT", "CH"]\n')
    repo.write("content/privacy-policy.md", general("2026-01-10"))
    repo.write("content/privacy-policy.dach.md",
               eea("2026-01-10", head="variant: dach\napplies-to:\n  - DACH\n  - LI"))
    assert run(cli, repo, "check").code == 0
    repo.write("policybook.toml", '[regions]\nDACH = ["DE", "AT", "XX"]\n')
    bad = run(cli, repo, "check")
    assert bad.code != 0 and "'XX'" in bad.err and "regions.DACH" in bad.err


def test_the_scheduler_records_the_variants_notice_under_its_variant(
        cli: Any, repo: GitRepo, tmp_path: Path) -> None:
    """A tick past the EEA notice's due moment creates one notice, for the variant
    (its links go to the variant's pages); the general text gets none, and `plan` then
    reads the variant's notice on record for the variant only."""
    import sqlalchemy as sa

    from policybook.store import Store
    from policybook.store.schema import notices

    db = f"sqlite:///{tmp_path / 'pb.db'}"
    env = {"POLICYBOOK_DATABASE_URL": db, "POLICYBOOK_OUTBOX": str(tmp_path / "outbox")}
    (tmp_path / "accounts.csv").write_text("id,email,name,locale,country\n"
                                           "a1,ann@example.net,Ann,en,\n"
                                           "a2,bea@example.net,Bea,fr,FR\n", encoding="utf-8")
    assert cli(["accounts", "import", str(tmp_path / "accounts.csv"), "--now",
                "2026-03-05T00:00:00Z"], cwd=repo.path, env=env).code == 0
    ticked = cli(["run", "--once", "--now", "2026-03-16T12:00:00Z"], cwd=repo.path, env=env)
    assert ticked.code == 0, ticked.err
    assert "privacy-policy:eea@2026-04-15" in ticked.out
    # The sending report names the variant too (it read "privacy-policy@2026-04-15").
    assert "notice 1 (privacy-policy:eea@2026-04-15): 1 sent, 0 failed" in ticked.out
    with Store.open(db, dt.datetime(2026, 3, 16, 12, tzinfo=UTC)) as store, \
            store.read() as conn:
        rows = conn.execute(sa.select(notices.c.policy, notices.c.variant, notices.c.effective,
                                      notices.c.upcoming_url)).all()
    assert [(r.policy, r.variant, r.effective.isoformat()) for r in rows] == \
        [("privacy-policy", "eea", "2026-04-15")]
    assert rows[0].upcoming_url.endswith("/eea/privacy-policy/upcoming/")
    planned = json.loads(cli(["plan", "--json", "--now", "2026-03-17"], cwd=repo.path,
                             env=env).out)
    by_variant = {p["variant"]: p for p in planned["policies"]}
    assert by_variant["eea"]["upcoming"]["notice"]["id"] == 1
    assert by_variant[None]["upcoming"] is None and by_variant[None]["in_force"]["notice"] \
        is None


def test_a_variants_required_translation_is_its_own(cli: Any, tmp_path: Path) -> None:
    """The languages a policy must be published in apply to each variant: the EEA
    version whose notice is near lacks its French text, and `check` names the file to
    add; the general text's French translation does not stand in for it."""
    repo = GitRepo.create(tmp_path / "policies")
    french_general = ("---\npolicy: privacy-policy\nlanguage: fr\ntranslates: 2026-01-10\n"
                      "title: Politique de confidentialité\n---\n\n"
                      "## Partage {#sharing}\n\nNous ne partageons pas vos données.\n\n"
                      "## Contact {#contact}\n\nÉcrivez à privacy@example.com.\n")
    repo.commit("general and EEA, French for the general text only", {
        "policybook.toml": '[notice]\ndays = 30\n\n[languages]\nsource = "en"\n'
                           'required = ["fr"]\n',
        "content/privacy-policy.md": general("2026-01-10"),
        "content/fr/privacy-policy.md": french_general,
        "content/privacy-policy.eea.md": eea("2026-01-10"),
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("EEA: share with advertising partners", {
        "content/privacy-policy.eea.md": eea("2026-04-15", EEA_SHARING),
    }, when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    result = run(cli, repo, "check", "--now", "2026-03-05")
    assert result.code == 1
    out = result.out + result.err
    assert ("content/privacy-policy.eea.md: the version of 2026-04-15 (notice due "
            "2026-03-16) has no French (fr) translation: add "
            "content/fr/privacy-policy.eea.md with 'translates: 2026-04-15'") in out
    assert "content/privacy-policy.md:" not in out


def test_a_regional_policy_applies_to_its_countries_only(cli: Any, tmp_path: Path) -> None:
    """A policy whose only file has an `applies-to` (no `variant:`) is for those
    countries: `plan` says so, and the API has no text for a reader elsewhere."""
    from starlette.testclient import TestClient

    from policybook.site.app import create_app

    repo = GitRepo.create(tmp_path / "policies")
    body = ("## Language {#language}\n\nWe serve you in French or in English, as you "
            "prefer.\n")
    repo.commit("Quebec notice", {
        "content/quebec-notice.md": policy("quebec-notice", "2026-01-10", body,
                                           title="Quebec Notice", extra="applies-to: [CA]"),
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("Quebec notice: recordings", {
        "content/quebec-notice.md": policy(
            "quebec-notice", "2026-04-15", body + "\n## Recordings {#recordings}\n\nWe "
            "record your calls and share the recordings with our advertising partners.\n",
            title="Quebec Notice", summary="We will record calls.",
            extra="applies-to: [CA]"),
    }, when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    planned = run(cli, repo, "plan", "--now", "2026-03-05")
    assert planned.code == 0, planned.err
    assert "E-mail to the accounts in CA (a regional policy)" in planned.out
    config = load_config(repo.path, env={})
    app = create_app(config, StateBuilder(config),
                     clock=lambda: dt.datetime(2026, 3, 5, tzinfo=UTC))
    client = TestClient(app)
    canada = client.get("/api/policies/quebec-notice?country=CA")
    assert canada.status_code == 200 and canada.json()["countries"] == ["CA"]
    assert client.get("/api/policies/quebec-notice?country=FR").status_code == 404
    assert "does not apply in FR" in client.get(
        "/api/policies/quebec-notice?country=FR").json()["error"]


def test_a_file_that_becomes_a_variant_ends_the_timeline_it_stated(tmp_path: Path) -> None:
    """A general file given `variant: eea` (and a new date) before its pending version
    took effect: that version is withdrawn from the general timeline, and the variant's
    timeline starts; the version in force of the general text stays."""
    repo = GitRepo.create(tmp_path / "policies")
    repo.commit("v1", {"content/privacy-policy.md": general("2026-01-10")},
                when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    repo.commit("v2, pending", {"content/privacy-policy.md": general("2026-06-01", EEA)},
                when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    repo.commit("v2 is the EEA text after all", {
        "content/privacy-policy.md": eea("2026-06-15"),
    }, when=dt.datetime(2026, 3, 2, tzinfo=UTC))
    history = read_history(repo.path)
    assert [(v.variant, v.effective.isoformat()) for v in history.versions] == \
        [(None, "2026-01-10"), ("eea", "2026-06-15")]
    assert [(v.variant, v.effective.isoformat()) for v, _ in history.withdrawn] == \
        [(None, "2026-06-01")]


def test_plan_counts_who_each_variant_tells(cli: Any, repo: GitRepo, tmp_path: Path) -> None:
    """With accounts on record, the plan says how many each notice reaches, and where:
    a variant's accounts in its countries; the general text's, every account but the
    variant's (those without a country included)."""
    repo.commit("a material change to the general text too", {
        "content/privacy-policy.md": general("2026-04-20", GENERAL.replace(
            "We do not share, sell, rent or trade your personal data.",
            "We sell your personal data to data brokers."))},
        when=dt.datetime(2026, 3, 2, tzinfo=UTC))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("id,email,name,locale,country\n"
                        "a1,ann@example.net,Ann,fr,FR\n"
                        "a2,bob@example.net,Bob,en,GB\n"
                        "a3,cy@example.net,Cy,en,US\n"
                        "a4,di@example.net,Di,en,\n"
                        "a5,ed@example.net,Ed,de,DE\n", encoding="utf-8")
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path}/counted.db"}
    # (the database starts tracking before the versions take effect: none is grandfathered)
    imported = cli(["accounts", "import", str(accounts), "--now", "2026-03-03"],
                   cwd=repo.path, env=env)
    assert imported.code == 0, imported.err
    planned = cli(["plan", "--now", "2026-03-05"], cwd=repo.path, env=env)
    assert planned.code == 0, planned.err
    lines = planned.out.splitlines()
    eea_line = next(line for line in lines if line.startswith("privacy-policy (eea):"))
    assert "E-mail to 3 accounts in EEA, CH, GB (variant eea) due" in eea_line
    general_line = next(line for line in lines if line.startswith("privacy-policy: the"))
    assert "E-mail to 2 accounts (every account but those of the variant eea) due" \
        in general_line
