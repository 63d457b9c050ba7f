"""Versions from real git repositories: renames, delete-and-add, merges, late edits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from policybook.config import Config, load_config
from policybook.errors import HistoryError, NotFoundError
from policybook.history import HistoryCache, read_history
from policybook.workflows.diffing import in_force_side, load_side
from tests.helpers import GitRepo, policy


@dataclass
class Workspace:
    root: Path
    config: Config


UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def pp(effective: str, body: str = "## Data\n\nWe collect your name.\n", **kw: str) -> str:
    return policy("privacy-policy", effective, body, title="Privacy Policy", **kw)


def table(repo: GitRepo) -> list[tuple[str, str, str, str, int]]:
    """(policy, effective, path, final commit message, number of commits) per version."""
    history = read_history(repo.path)
    return [(v.policy, v.effective.isoformat(), v.path, v.final.message, len(v.commits))
            for v in history.versions]


def test_versions_with_final_text_and_introducing_commit(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("v2 draft", {"content/privacy.md": pp("2026-03-01", "## Data\n\nDraft.\n")},
                       when=at(10))
    policy_repo.commit("v2 final", {"content/privacy.md": pp("2026-03-01", "## Data\n\nFinal.\n")},
                       when=at(11))
    policy_repo.commit("unrelated", {"README.md": "hello\n"}, when=at(12))
    history = read_history(policy_repo.path)
    assert table(policy_repo) == [
        ("privacy-policy", "2026-01-10", "content/privacy.md", "v1", 1),
        ("privacy-policy", "2026-03-01", "content/privacy.md", "v2 final", 2),
    ]
    v2 = history.versions[1]
    assert v2.introduced.message == "v2 draft"
    assert "Final." in v2.text
    assert v2.final.author == "Legal Editor"
    assert v2.final.date == at(11)


def test_renames_and_delete_and_add_keep_one_history(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    (policy_repo.path / "content" / "legal").mkdir()
    policy_repo.git("mv", "content/privacy.md", "content/legal/privacy-policy.md")
    policy_repo.commit("move", when=at(6))
    # Delete and add under another name with rewritten text: only the policy id links them.
    policy_repo.commit("rewrite", {
        "content/legal/privacy-policy.md": None,
        "content/privacy-notice.md": pp("2026-02-01", "## Everything\n\nNew words entirely.\n"),
    }, when=at(7))
    assert table(policy_repo) == [
        ("privacy-policy", "2026-01-10", "content/privacy.md", "v1", 1),
        ("privacy-policy", "2026-02-01", "content/privacy-notice.md", "rewrite", 1),
    ]


def test_several_policies_and_files_outside_content(policy_repo: GitRepo) -> None:
    tos = policy("terms", "2026-01-10", "## Fees\n\nTen dollars.\n")
    policy_repo.commit("both", {"content/privacy.md": pp("2026-01-10"), "content/tos.md": tos,
                                "docs/notes.md": pp("2030-01-01")}, when=at(0))
    assert [(p, e) for p, e, *_ in table(policy_repo)] == [
        ("privacy-policy", "2026-01-10"), ("terms", "2026-01-10")]


def test_a_version_edited_after_it_took_effect_is_reported(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("typo after effect",
                       {"content/privacy.md": pp("2026-01-10", "## Data\n\nWe colect names.\n")},
                       when=at(30))
    config = load_config(policy_repo.path, env={})
    from policybook.versions import edits_after_effect

    version = read_history(policy_repo.path).versions[0]
    assert [c.message for c in edits_after_effect(version, config.zone)] == ["typo after effect"]


def test_merge_commits_count_once_with_the_merged_text(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.git("checkout", "-q", "-b", "legal/v2")
    policy_repo.commit("wip", {"content/privacy.md": pp("2026-04-01", "## Data\n\nWip.\n")},
                       when=at(6))
    policy_repo.commit("done", {"content/privacy.md": pp("2026-04-01", "## Data\n\nDone.\n")},
                       when=at(7))
    policy_repo.git("checkout", "-q", "main")
    policy_repo.commit("other", {"content/tos.md": policy("terms", "2026-01-10", "## A\n\nx\n")},
                       when=at(8))
    policy_repo.git("merge", "-q", "--no-ff", "legal/v2", "-m", "Merge legal/v2")
    history = read_history(policy_repo.path)
    v2 = next(v for v in history.versions if v.effective == dt.date(2026, 4, 1))
    assert v2.introduced.message == "Merge legal/v2"
    assert len(v2.commits) == 1
    assert "Done." in v2.text
    # The branch alone, by --ref, sees its own commits.
    branch = read_history(policy_repo.path, "legal/v2")
    assert [v.final.message for v in branch.versions] == ["v1", "done"]


def test_files_without_an_effective_date_are_skipped_and_reported(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10"),
                              "content/draft.md": "# No front matter\n"}, when=at(0))
    history = read_history(policy_repo.path)
    assert [v.policy for v in history.versions] == ["privacy-policy"]
    assert [p.path for p in history.problems] == ["content/draft.md"]


def test_errors_for_people(tmp_path: Path, policy_repo: GitRepo) -> None:
    with pytest.raises(HistoryError, match="is not a git repository"):
        read_history(tmp_path)
    assert read_history(policy_repo.path).versions == ()  # no commit yet
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    with pytest.raises(HistoryError, match="revision 'nope' is not in this repository"):
        read_history(policy_repo.path, "nope")


def test_cache_rereads_only_when_the_head_moves(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    cache = HistoryCache(policy_repo.path)
    first = cache.get()
    assert cache.get() is first
    policy_repo.commit("v2", {"content/privacy.md": pp("2026-02-10")}, when=at(6))
    assert len(cache.get().versions) == 2


def test_diff_sides_by_revision_date_and_name(policy_repo: GitRepo,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first = policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("v2", {"content/privacy.md": pp("2026-03-01", "## Data\n\nV2.\n")},
                       when=at(10))
    monkeypatch.chdir(policy_repo.path)
    env = Workspace(policy_repo.path, load_config(policy_repo.path, env={}))
    now = dt.datetime(2026, 2, 1, tzinfo=UTC)

    assert "We collect" in load_side(f"privacy-policy@{first[:8]}", env, now).text
    assert "V2." in load_side("privacy-policy@HEAD", env, now).text
    assert "We collect" in load_side("privacy-policy@2026-02-28", env, now).text
    assert "V2." in load_side("privacy-policy@2026-03-01", env, now).text
    assert "We collect" in load_side("privacy-policy@in-force", env, now).text
    assert "V2." in load_side("privacy-policy@upcoming", env, now).text
    assert load_side("content/privacy.md", env, now).path == "content/privacy.md"
    with pytest.raises(NotFoundError, match="was not in force on 2025-12-31"):
        load_side("privacy-policy@2025-12-31", env, now)
    with pytest.raises(HistoryError, match="no policy 'terms' in revision 'HEAD'"):
        load_side("terms@HEAD", env, now)
    with pytest.raises(NotFoundError, match=r"nope\.md: no such file"):
        load_side("nope.md", env, now)
    assert in_force_side("privacy-policy", env, now).text == load_side(
        "privacy-policy@in-force", env, now).text
    assert in_force_side("terms", env, now).text == ""  # a new policy: all of it is new


def test_versions_command(policy_repo: GitRepo, cli) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("v2", {"content/privacy.md": pp("2026-03-01")}, when=at(10))
    policy_repo.commit("v3", {"content/privacy.md": pp("2026-06-01")}, when=at(60))
    result = cli(["versions", "--json", "--now", "2026-04-01"], cwd=policy_repo.path)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [(v["effective"], v["status"]) for v in data["versions"]] == [
        ("2026-01-10", "past"), ("2026-03-01", "in force"), ("2026-06-01", "upcoming")]
    text = cli(["versions", "privacy-policy", "--now", "2026-07-01"], cwd=policy_repo.path)
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0].split() == ["policy", "effective", "status", "change", "commit", "author",
                                "committed", "note"]
    assert "2026-06-01  in force" in text.out and "past" in text.out
    missing = cli(["versions", "nope"], cwd=policy_repo.path)
    assert missing.code == 1 and "no policy 'nope'" in missing.err
    bad = cli(["versions", "--now", "yesterday"], cwd=policy_repo.path)
    assert bad.code == 2 and "--now 'yesterday' is not an ISO 8601" in bad.err


def test_versions_show_the_verdict_of_each_change(policy_repo: GitRepo, cli) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("typo", {"content/privacy.md": pp(
        "2026-02-01", "## Data\n\nWe colect your name.\n")}, when=at(6))
    policy_repo.commit("more data", {"content/privacy.md": pp(
        "2026-04-01", "## Data\n\nWe colect your name and your precise location.\n")},
        when=at(30))
    policy_repo.commit("override", {"content/privacy.md": pp(
        "2026-05-01", "## Data\n\nWe colect your name and location.\n",
        extra="change: editorial\nreason: Location was always collected; wording only.")},
        when=at(90))
    result = cli(["versions", "--json", "--now", "2026-06-01"], cwd=policy_repo.path)
    changes = [v["change"] for v in json.loads(result.out)["versions"]]
    assert changes[0] is None
    assert [c["verdict"] for c in changes[1:]] == ["editorial", "material", "editorial"]
    assert changes[3]["override"] == "Location was always collected; wording only."
    assert changes[2]["reasons"], "a material change says why"
    text = cli(["versions", "--now", "2026-06-01"], cwd=policy_repo.path).out
    assert "first version" in text and "material (1 reason)" in text
    assert "editorial (override)" in text


def test_a_pending_version_moved_to_another_date_is_withdrawn(policy_repo: GitRepo,
                                                              cli) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("v2 too early", {"content/privacy.md": pp(
        "2026-02-01", "## Data\n\nWe collect your name and location.\n")}, when=at(10))
    # Still before 2026-02-01: legal moves the date; the 2026-02-01 version never happens.
    policy_repo.commit("v2 later", {"content/privacy.md": pp(
        "2026-03-15", "## Data\n\nWe collect your name and location.\n")}, when=at(12))
    history = read_history(policy_repo.path)
    assert [v.effective.isoformat() for v in history.versions] == ["2026-01-10", "2026-03-15"]
    assert [(v.effective.isoformat(), c.message) for v, c in history.withdrawn] == [
        ("2026-02-01", "v2 later")]
    listing = json.loads(cli(["versions", "--json", "--now", "2026-02-10"],
                             cwd=policy_repo.path).out)["versions"]
    assert [(v["effective"], v["status"]) for v in listing] == [
        ("2026-01-10", "in force"), ("2026-02-01", "withdrawn"), ("2026-03-15", "upcoming")]


def test_a_new_version_after_one_took_effect_withdraws_nothing(policy_repo: GitRepo) -> None:
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-01-10")}, when=at(0))
    policy_repo.commit("v2", {"content/privacy.md": pp("2026-01-20")}, when=at(6))
    policy_repo.commit("v3", {"content/privacy.md": pp("2026-03-01")}, when=at(30))
    history = read_history(policy_repo.path)
    assert len(history.versions) == 3 and history.withdrawn == ()
