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
    assert [s.effective - today for s in sources[2:]] == [dt.timedelta(days=7),
                                                          dt.timedelta(days=45)]
    repo = str(made.root)
    checked = run_cli(["-C", repo, "check", "--now", moment])
    assert checked.code == 0, checked.err
    assert "2 policies checked, no problems" in checked.out
    plan = run_cli(["-C", repo, "plan", "--json", "--now", moment])
    assert plan.code == 0, plan.err
    by_policy = {p["policy"]: p for p in json.loads(plan.out)["policies"]}
    terms = by_policy["terms-of-service"]["upcoming"]
    assert terms["material"] is True
    assert terms["effective"] == (today + dt.timedelta(days=45)).isoformat()
    privacy = by_policy["privacy-policy"]["upcoming"]
    assert privacy["material"] is False
    assert by_policy["privacy-policy"]["in_force"]["effective"] == "2013-11-28"


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
    versions = [v for v in read_history(made.root).versions if v.policy == "privacy-policy"]
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
