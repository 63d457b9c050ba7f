"""The notice-period gate of `policybook check`: each message, with what to do."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import GitRepo, policy

UTC = dt.UTC
SHARING = "## Sharing\n\nWe do not share, sell, rent or trade your personal data.\n"
NARROWED = "## Sharing\n\nWe do not sell your personal data.\n"
TYPO = "## Sharing\n\nWe do not share, sell, rent, or trade your personal data.\n"  # a comma


def pp(effective: str, body: str, summary: str = "We share less.", extra: str = "") -> str:
    return policy("privacy-policy", effective, body, title="Privacy Policy", summary=summary,
                  extra=extra)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path / "policies")
    repo.commit("v1", {"content/privacy.md": pp("2026-01-10", SHARING)},
                when=dt.datetime(2026, 1, 5, tzinfo=UTC))
    return repo


def check(cli: Any, repo: GitRepo, now: str, *extra: str) -> tuple[int, str]:
    result = cli(["check", "--now", now, *extra], cwd=repo.path,
                 env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{repo.path}/../none.db"})
    return result.code, (result.err + result.out).strip()


def test_material_version_with_too_short_a_notice_period(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", pp("2026-12-01", NARROWED))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert out.splitlines()[0] == (
        "content/privacy.md:4: this version is MATERIAL (narrowed-negated-list in Sharing) "
        "and takes effect on 2026-12-01, 11 days from now; 30 days' notice is required: "
        "set effective to 2026-12-21 or later")
    repo.write("content/privacy.md", pp("2026-12-21", NARROWED))
    assert check(cli, repo, "2026-11-20T10:00:00Z") == (
        0, "1 policy checked, no problems (privacy-policy)")


def test_editorial_version_may_take_effect_at_once(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", pp("2026-11-20", TYPO))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0


def test_new_version_dated_in_the_past(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", pp("2026-11-01", TYPO))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert "content/privacy.md:4: effective 2026-11-01 is in the past: a new version cannot " \
        "take effect before it is published; set effective to 2026-11-20 or later" in out


def test_material_edit_of_the_version_in_force(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", pp("2026-01-10", NARROWED))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert "content/privacy.md:4: the text of the version of 2026-01-10 changed materially " \
        "(narrowed-negated-list in Sharing) but its effective date did not move, and that " \
        "version took effect 314 days ago: an edit after a version took effect must be " \
        "editorial; put the change in a new version and set effective to 2026-12-21 or " \
        "later" in out
    repo.write("content/privacy.md", pp("2026-01-10", TYPO))  # a typo fix in force is fine
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0


def test_material_edit_after_the_notice_went_out(cli: Any, repo: GitRepo) -> None:
    repo.commit("v2", {"content/privacy.md": pp("2027-01-15", NARROWED)},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))
    repo.write("content/privacy.md", pp("2027-01-15", NARROWED.replace(
        "sell", "sell or rent")))
    # Before the notice is due, the announcement will carry the new text, so its summary
    # must cover it: the editor updates it, or confirms it still holds.
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1 and "content/privacy.md:5: your edit makes material changes" in out
    assert "add `summary-confirmed: 2026-11-20`" in out
    repo.write("content/privacy.md", pp("2027-01-15", NARROWED.replace(
        "sell", "sell or rent"), extra="summary-confirmed: 2026-11-20"))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0
    repo.write("content/privacy.md", pp("2027-01-15", "## Sharing\n\nWe may sell your "
                                                      "personal data.\n"))
    code, out = check(cli, repo, "2026-12-20T10:00:00Z")
    assert code == 1
    assert "content/privacy.md:4: the notice of the version of 2027-01-15 has already gone " \
        "out (it was due 2026-12-16), and this edit is MATERIAL" in out
    assert "it needs a new notice and a later effective date; set effective to 2027-01-20 " \
        "or later" in out


def test_material_edit_of_an_editorial_version_whose_notice_date_passed(
        cli: Any, repo: GitRepo) -> None:
    """An editorial version has no notice: the message must not say one went out."""
    repo.commit("v2: a comma", {"content/privacy.md": pp("2027-01-15", TYPO)},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))
    repo.write("content/privacy.md", pp("2027-01-15", NARROWED))
    code, out = check(cli, repo, "2026-12-20T10:00:00Z")
    assert code == 1
    assert "content/privacy.md:4: the version of 2027-01-15 on record is EDITORIAL, so no " \
        "notice went out for it, and this edit makes it MATERIAL (narrowed-negated-list in " \
        "Sharing); it takes effect 26 days from now, and 30 days' notice is required: set " \
        "effective to 2027-01-20 or later" in out
    assert "has already gone out" not in out


def test_a_notice_on_record_counts_even_before_its_due_date(cli: Any, repo: GitRepo,
                                                            tmp_path: Path) -> None:
    from policybook.store import NoticeSpec, Store, create_notice

    repo.commit("v2", {"content/privacy.md": pp("2027-01-15", NARROWED)},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'pb.db'}"
    sent = dt.datetime(2026, 11, 10, tzinfo=UTC)  # sent early, by hand (`notices send`)
    with Store.open(url, sent) as store, store.write() as conn:
        create_notice(conn, NoticeSpec(
            "privacy-policy", dt.date(2027, 1, 15), "0" * 40, "Privacy Policy", "Narrower.",
            (), "u", "c", dt.datetime(2026, 12, 16, tzinfo=UTC),
            dt.datetime(2027, 1, 15, tzinfo=UTC)), sent)
    repo.write("content/privacy.md", pp("2027-01-15", "## Sharing\n\nWe may sell your "
                                                      "personal data.\n"))
    result = cli(["check", "--now", "2026-11-20T10:00:00Z"], cwd=repo.path,
                 env={"POLICYBOOK_DATABASE_URL": url})
    assert result.code == 1
    assert "the notice of the version of 2027-01-15 has already gone out" in result.err


def test_a_pull_request_is_checked_against_its_base(cli: Any, repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "legal/narrow")
    repo.commit("Narrow the list", {"content/privacy.md": pp("2026-12-01", NARROWED)},
                when=dt.datetime(2026, 11, 20, tzinfo=UTC))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z", "--base", "main")
    assert code == 1 and "30 days' notice is required" in out
    # Against its own branch the version is on record, and it cannot get its notice: what
    # is committed is judged too (issue 9), with a date that works.
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert "content/privacy.md:4: (as committed) this version is MATERIAL and its notice " \
        "was due on 2026-11-01" in out and "set effective to 2026-12-21 or later" in out
    bad = check(cli, repo, "2026-11-20T10:00:00Z", "--base", "nope")
    assert bad[0] == 1 and "revision 'nope' is not in this repository" in bad[1]


def test_an_override_is_the_editors_way_through(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", policy(
        "privacy-policy", "2026-12-01", NARROWED, title="Privacy Policy",
        extra="change: editorial\nreason: Renting and trading were never practised."))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0
    assert check(cli, repo, "2026-11-20T10:00:00Z", "--no-gate")[0] == 0


# What is committed is judged too, without --base (issue 9).

def test_a_committed_material_version_without_its_notice_fails(cli: Any, repo: GitRepo) -> None:
    repo.commit("v2", {"content/privacy.md": pp("2026-11-30", NARROWED)},
                when=dt.datetime(2026, 11, 19, tzinfo=UTC))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert ("content/privacy.md:4: (as committed) this version is MATERIAL and its notice "
            "was due on 2026-10-31, and no notice is on record (no database): it cannot get "
            "its 30 days' notice anymore; set effective to 2026-12-21 or later") in out


def test_a_committed_material_edit_of_the_version_in_force_fails(cli: Any,
                                                                 repo: GitRepo) -> None:
    repo.commit("typo", {"content/privacy.md": pp("2026-01-10", TYPO)},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))
    assert check(cli, repo, "2026-11-20T10:00:00Z") == (
        0, "1 policy checked, no problems (privacy-policy)")  # an editorial fix is fine
    sha = repo.commit("narrow", {"content/privacy.md": pp("2026-01-10", NARROWED)},
                      when=dt.datetime(2026, 11, 2, tzinfo=UTC))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert (f"content/privacy.md:4: (as committed) the text of the version of 2026-01-10 was "
            f"changed materially ({sha[:10]}) after it took effect on 2026-01-10: the text "
            "that took effect stays live and the edit is held back") in out
    assert "set effective to 2026-12-21 or later" in out
    # Every surface keeps the text that took effect.
    versions = cli(["versions", "--now", "2026-11-20T10:00:00Z"], cwd=repo.path)
    assert "MATERIAL edit held back" in versions.out


def test_a_committed_stale_summary_fails_until_confirmed(cli: Any, repo: GitRepo) -> None:
    repo.commit("v2", {"content/privacy.md": pp("2027-01-15", NARROWED)},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0
    fee = NARROWED + "\nA late payment costs a fee of 20 dollars.\n"
    repo.commit("fee", {"content/privacy.md": pp("2027-01-15", fee)},
                when=dt.datetime(2026, 11, 2, tzinfo=UTC))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1 and "content/privacy.md:5: (as committed) 1 material change was made " \
        "after its summary was written" in out
    repo.commit("confirm", {"content/privacy.md": pp("2027-01-15", fee,
                                                     extra="summary-confirmed: 2026-11-03")},
                when=dt.datetime(2026, 11, 3, tzinfo=UTC))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0
    repo.commit("no summary", {"content/privacy.md": pp("2027-01-15", fee, summary="")},
                when=dt.datetime(2026, 11, 4, tzinfo=UTC))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1 and "has no summary" in out


def renamed(effective: str, body: str, declared: str | None = None) -> str:
    extra = f"renamed-from: {declared}\n" if declared else ""
    return policy("data-policy", effective, body, title="Data Policy",
                  summary="We share less.", extra=extra)


def test_a_new_id_in_the_same_edit_as_a_material_change_is_refused(cli: Any,
                                                                   repo: GitRepo) -> None:
    """Renaming the id must not turn a material change into a "first version"."""
    repo.write("content/privacy.md", renamed("2026-11-25", NARROWED))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("content/privacy.md:2: this file held the policy "
                            "'privacy-policy' and now says 'policy: data-policy'")
    assert "renamed-from: privacy-policy" in first and "Keep 'policy: privacy-policy'" in first


def test_a_declared_rename_is_judged_against_the_old_policy(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", renamed("2026-11-25", NARROWED, "privacy-policy"))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert "this version is MATERIAL" in out and "set effective to 2026-12-21" in out
    # With the full notice period it passes, and once committed the history carries the
    # old policy's versions under the new id: one policy, its change judged and noticed.
    repo.write("content/privacy.md", renamed("2026-12-21", NARROWED, "privacy-policy"))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0
    repo.commit("Rename the policy", {"content/privacy.md": renamed("2026-12-21", NARROWED,
                                                                    "privacy-policy")},
                when=dt.datetime(2026, 11, 20, 11, tzinfo=UTC))
    versions = cli(["versions", "--json", "--now", "2026-11-21T00:00:00Z"], cwd=repo.path,
                   env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{repo.path}/../none.db"})
    rows = json.loads(versions.out)["versions"]
    assert {r["policy"] for r in rows} == {"data-policy"}
    assert [r["effective"] for r in rows] == ["2026-01-10", "2026-12-21"]
    assert rows[-1]["change"]["material"] is True


def test_a_new_policy_that_retires_the_old_one_says_so(cli: Any, repo: GitRepo) -> None:
    repo.write("content/privacy.md", renamed("2026-11-25", NARROWED, "none"))
    assert check(cli, repo, "2026-11-20T10:00:00Z")[0] == 0


def test_renamed_from_must_name_a_policy_on_record(cli: Any, repo: GitRepo) -> None:
    repo.write("content/other.md", policy("other-policy", "2026-11-25", NARROWED,
                                          extra="renamed-from: no-such-policy\n"))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert "content/other.md:" in out and "'renamed-from: no-such-policy' names no policy" in out


def test_a_committed_rename_without_a_word_is_refused_too(cli: Any, repo: GitRepo) -> None:
    repo.commit("New id", {"content/privacy.md": renamed("2026-11-25", NARROWED)},
                when=dt.datetime(2026, 11, 20, 9, tzinfo=UTC))
    code, out = check(cli, repo, "2026-11-20T10:00:00Z")
    assert code == 1
    assert "this file held the policy 'privacy-policy'" in out
