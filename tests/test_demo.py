"""`policybook demo`: the sample replayed with dates counted from today, on any day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from policybook.demo import make_demo, manifest_path
from policybook.errors import UsageError

from .helpers import run_cli

# Moments that the demo must survive: a winter day, a summer day (the demo's zone is on
# daylight time), and a day more than a year after the sample's own history was written.
MOMENTS = ["2026-12-01T21:00:00+00:00", "2027-07-04T06:30:00+00:00",
           "2028-02-29T23:59:00+00:00"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_demo_shows_an_editorial_fix_and_a_material_change_due_soon(
        tmp_path: Path, moment: str) -> None:
    now = dt.datetime.fromisoformat(moment)
    made = make_demo(tmp_path / "demo", now)
    today = now.astimezone(made.zone).date()
    assert made.today == today
    sources = [s for s in made.steps if not s.path.startswith("content/fr/")]
    general = [s for s in sources if not s.path.endswith(".eea.md")]
    assert [s.effective - today for s in general[2:]] == [dt.timedelta(days=7),
                                                          dt.timedelta(days=45)]
    repo = str(made.root)
    checked = run_cli(["-C", repo, "check", "--now", moment])
    assert checked.code == 0, checked.err
    assert "2 policies and 1 regional variant checked, no problems" in checked.out
    plan = run_cli(["-C", repo, "plan", "--json", "--now", moment])
    assert plan.code == 0, plan.err
    by_policy = {(p["policy"], p["variant"]): p for p in json.loads(plan.out)["policies"]}
    by_policy.update({p: v for (p, variant), v in by_policy.items() if variant is None})
    terms = by_policy["terms-of-service"]["upcoming"]
    assert terms["material"] is True
    assert terms["effective"] == (today + dt.timedelta(days=45)).isoformat()
    privacy = by_policy["privacy-policy"]["upcoming"]
    assert privacy["material"] is False
    assert by_policy["privacy-policy"]["in_force"]["effective"] == "2013-11-28"
    # The EEA/UK variant: a material change of its own, due soon, for its countries.
    eea = by_policy[("privacy-policy", "eea")]
    assert eea["upcoming"]["material"] is True
    assert eea["upcoming"]["effective"] == (today + dt.timedelta(days=38)).isoformat()
    assert {"DE", "FR", "GB", "CH", "NO"} <= set(eea["countries"])
    assert "US" not in eea["countries"] and "CA" not in eea["countries"]


def test_the_demo_changes_the_eea_variant_only_on_its_day(tmp_path: Path) -> None:
    """The variant's material change lands on a day the general text is not touched, and
    `plan` announces it to the EEA/UK audience, not to every account holder."""
    now = dt.datetime(2026, 12, 1, 21, tzinfo=dt.UTC)
    made = make_demo(tmp_path / "demo", now)
    last = [s for s in made.steps if s.path == "content/privacy-policy.eea.md"][-1]
    same_day = [s.path for s in made.steps if s.committed == last.committed]
    assert same_day == ["content/privacy-policy.eea.md", "content/fr/privacy-policy.eea.md"]
    plan = run_cli(["-C", str(made.root), "plan", "--now", now.isoformat()])
    assert plan.code == 0, plan.err
    lines = plan.out.splitlines()
    eea = next(line for line in lines if line.startswith("privacy-policy (eea):"))
    assert "MATERIAL" in eea and "E-mail to the accounts in EEA, CH, GB (variant eea)" in eea
    general = next(line for line in lines if line.startswith("privacy-policy:"))
    assert "EDITORIAL" in general and "MATERIAL" not in general
    # The variant's change is judged against the variant's own previous version.
    shown = run_cli(["-C", str(made.root), "diff", "privacy-policy:eea@in-force",
                     "privacy-policy:eea@upcoming", "--format", "json", "--now",
                     now.isoformat()])
    assert shown.code == 0, shown.err
    diff = json.loads(shown.out)
    assert diff["material"] is True and "speech recognition" in shown.out
    # Each version of the variant has its French translation.
    from policybook.history import read_history

    versions = [v for v in read_history(made.root).versions if v.variant == "eea"]
    assert len(versions) == 2
    for v in versions:
        fr = v.translation("fr")
        assert fr is not None and fr.path == "content/fr/privacy-policy.eea.md"
    newest = versions[-1].translation("fr")
    assert newest is not None and "reconnaissance vocale" in newest.text
    oldest = versions[0].translation("fr")
    assert oldest is not None and "reconnaissance vocale" not in oldest.text


def test_the_earlier_versions_differ_from_the_sample_only_by_the_undone_change(
        tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    shown = run_cli(["-C", str(made.root), "diff", "terms-of-service@2026-02-04",
                     "terms-of-service@2027-01-15", "--format", "json"])
    assert shown.code == 0, shown.err
    diff = json.loads(shown.out)
    assert diff["material"] is True
    # The undone change is the only change of the text: one modified section, the fees.
    assert len(diff["changes"]) == 1
    assert "US$ 10" in shown.out and "US$ 12" in shown.out


def test_an_existing_folder_is_kept_unless_replace_is_asked(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="not empty"):
        make_demo(target, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"
    made = make_demo(target, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), replace=True)
    assert not (target / "notes.txt").exists()
    assert (made.root / "content" / "privacy-policy.md").is_file()


def test_a_step_that_no_longer_matches_the_sample_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "demo.toml"
    text = manifest_path().read_text(encoding="utf-8")
    manifest.write_text(text.replace("Safe Harbor Privacy Principles",
                                     "Words the sample does not have"), encoding="utf-8")
    with pytest.raises(UsageError, match="not found exactly once"):
        make_demo(tmp_path / "demo", dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
                  manifest=manifest)


def test_the_demo_carries_the_french_translation_of_each_privacy_policy_version(
        tmp_path: Path) -> None:
    from policybook.history import read_history

    made = make_demo(tmp_path / "demo", dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    versions = [v for v in read_history(made.root).versions
                if v.policy == "privacy-policy" and v.variant is None]
    assert len(versions) == 2
    for v in versions:
        fr = v.translation("fr")
        assert fr is not None and fr.path == "content/fr/privacy-policy.md"
        assert f"translates: {v.effective.isoformat()}" in fr.text
        assert "Politique de confidentialité" in fr.text
    # The French summary of the old version is its own, not the typo fix's.
    old = versions[0].translation("fr")
    assert old is not None and "28 novembre 2013" in old.text
    assert "faute de frappe" not in old.text.split("---")[1]
