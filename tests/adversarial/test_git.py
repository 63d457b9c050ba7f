"""Weird git states and hostile commits: shallow clones, bases that are not there,
detached and unborn heads, merges, force-pushes, renames to another id, links,
submodules, binary and hostile files. Each is refused with what to do, or read as far as
it can be with the rest reported; never a traceback, never a silent loss of history."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from policybook.history import read_history
from tests.helpers import GitRepo, policy

UTC = dt.UTC
NOW = "2026-06-01T12:00:00Z"


def pp(effective: str, body: str = "## Data\n\nWe collect your name.\n",
       policy_id: str = "privacy-policy") -> str:
    return policy(policy_id, effective, body, title="Privacy")


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def repo(policy_repo: GitRepo) -> GitRepo:
    """v1 in force since February; a material v2 pending for July (as of NOW)."""
    policy_repo.commit("v1", {"content/privacy.md": pp("2026-02-01")}, when=at("2026-01-20"))
    policy_repo.commit("readme", {"README.md": "policies\n"}, when=at("2026-03-01"))
    policy_repo.commit("v2", {"content/privacy.md": pp(
        "2026-07-15", "## Data\n\nWe collect your name and sell it to advertisers.\n")},
        when=at("2026-05-01"))
    return policy_repo


def run(cli, repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli(list(args), cwd=repo)


def versions_json(cli, root: Path, *extra: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    result = run(cli, root, "versions", "--json", "--now", NOW, *extra)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def shallow_clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{source}", str(target)],
                   check=True, capture_output=True)
    return target


@pytest.mark.parametrize("args", [
    ["versions"], ["plan", "--now", NOW], ["check", "--now", NOW],
    ["check", "--now", NOW, "--base", "origin/main"], ["run", "--once", "--now", NOW],
    ["build", "--out", "public", "--now", NOW],
])
def test_a_shallow_clone_is_refused_with_how_to_fetch(  # type: ignore[no-untyped-def]
        repo: GitRepo, tmp_path: Path, cli, args: list[str],
        caplog: pytest.LogCaptureFixture) -> None:
    clone = shallow_clone(repo.path, tmp_path / "clone")
    result = run(cli, clone, *args)
    assert result.code not in (0, 3), result.out
    said = result.err + caplog.text  # the scheduler's tick says it in its log
    assert "shallow clone" in said and "git fetch --unshallow" in said
    assert "fetch-depth: 0" in said
    assert "Traceback" not in result.err


def test_after_unshallowing_the_pending_version_is_back(repo: GitRepo, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        cli) -> None:
    clone = shallow_clone(repo.path, tmp_path / "clone")
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=clone, check=True)
    rows = versions_json(cli, clone)["versions"]
    assert [(r["effective"], r["status"]) for r in rows] == [
        ("2026-02-01", "in force"), ("2026-07-15", "upcoming")]
    assert rows[1]["change"]["material"] is True


@pytest.mark.parametrize(("base", "words"), [
    ("origin/nope", "is not in this repository"),
    ("unrelated", "shares no history with HEAD"),
])
def test_a_base_that_is_not_there_is_refused(repo: GitRepo, cli, base: str,  # type: ignore[no-untyped-def]
                                             words: str) -> None:
    repo.git("checkout", "-q", "--orphan", "unrelated")
    repo.git("rm", "-rq", "--cached", ".")
    repo.commit("another project", {"content/other.md": pp("2026-01-01", policy_id="other")})
    repo.git("checkout", "-qf", "main")
    result = run(cli, repo.path, "check", "--now", NOW, "--base", base)
    assert result.code not in (0, 3)
    assert words in result.err and "Traceback" not in result.err


def test_a_detached_head_reads_like_its_branch(repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    on_branch = versions_json(cli, repo.path)["versions"]
    repo.git("checkout", "-q", "--detach", "HEAD")
    assert versions_json(cli, repo.path)["versions"] == on_branch
    repo.git("checkout", "-q", "HEAD~1")  # before v2: only v1
    assert [r["effective"] for r in versions_json(cli, repo.path)["versions"]] == ["2026-02-01"]


def test_an_empty_repository_and_an_unborn_branch(policy_repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    assert versions_json(cli, policy_repo.path)["versions"] == []
    policy_repo.write("content/privacy.md", pp("2026-02-01"))
    assert run(cli, policy_repo.path, "check", "--now", NOW).code == 0
    policy_repo.commit("v1")
    policy_repo.git("checkout", "-q", "--orphan", "fresh")
    assert read_history(policy_repo.path).versions == ()
    assert run(cli, policy_repo.path, "plan", "--now", NOW).code == 0


def test_a_merged_branch_counts_once_at_its_merge(repo: GitRepo, cli,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo.git("checkout", "-q", "-b", "edit", "HEAD~1")
    repo.commit("draft a", {"content/privacy.md": pp("2026-08-01", "## Data\n\nDraft A.\n")},
                when=at("2026-05-02"))
    repo.commit("draft b", {"content/privacy.md": pp("2026-08-01", "## Data\n\nDraft B.\n")},
                when=at("2026-05-03"))
    repo.git("checkout", "-q", "main")
    for var in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(var, at("2026-05-04").isoformat())
    repo.git("merge", "-q", "--no-ff", "-X", "theirs", "-m", "merge edit", "edit")
    rows = versions_json(cli, repo.path)
    by_date = {r["effective"]: r for r in rows["versions"]}
    assert by_date["2026-08-01"]["status"] == "upcoming"
    assert by_date["2026-07-15"]["status"] == "withdrawn"
    assert len(read_history(repo.path).versions[-1].commits) == 1  # the merge, not the drafts


def test_a_force_pushed_branch_is_read_again(repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    assert len(versions_json(cli, repo.path)["versions"]) == 2  # indexed
    repo.git("reset", "-q", "--hard", "HEAD~2")
    repo.commit("v2 again", {"content/privacy.md": pp("2026-09-01", "## Data\n\nOther.\n")},
                when=at("2026-05-05"))
    rows = versions_json(cli, repo.path)["versions"]
    assert [r["effective"] for r in rows] == ["2026-02-01", "2026-09-01"]


def test_a_file_given_another_policy_id_keeps_both_readable(repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.commit("rename id", {"content/privacy.md": pp("2026-08-01", policy_id="data-policy")},
                when=at("2026-05-06"))
    policies = {r["policy"] for r in versions_json(cli, repo.path)["versions"]}
    assert policies == {"privacy-policy", "data-policy"}
    assert run(cli, repo.path, "plan", "--now", NOW).code == 0


@pytest.mark.parametrize(("files", "words"), [
    ({"content/\u00fc.md": "---\neffective: 2026-03-01\n---\n\n## A\n\nText.\n"},
     "file name is not a valid id"),
    ({"content/_.md": "---\ntitle: x\neffective: 2026-03-01\n---\n\n## A\n\nText.\n"},
     "file name is not a valid id"),
    ({"content/bin.md": "\x00\x01binary"}, "binary file"),
    ({"content/bomb.md": "---\na: &a [x, x]\nb: [*a, *a]\n---\n\n## A\n\nText.\n"},
     "anchors and aliases"),
    ({"content/deep.md": "---\npolicy: " + "[" * 4000 + "\n---\n"}, "nest"),
    ({"content/draft.md": "## No front matter\n\nText.\n"}, "no 'effective"),
])
def test_one_bad_committed_file_is_reported_and_the_rest_works(  # type: ignore[no-untyped-def]
        repo: GitRepo, tmp_path: Path, cli, files: dict[str, str], words: str) -> None:
    repo.commit("bad file", files, when=at("2026-05-07"))
    path = next(iter(files))
    data = versions_json(cli, repo.path)
    assert [r["effective"] for r in data["versions"]] == ["2026-02-01", "2026-07-15"]
    assert any(s.startswith(path) and words in s for s in data["skipped"]), data["skipped"]
    for args in (["plan", "--now", NOW], ["run", "--once", "--now", NOW],
                 ["build", "--out", str(tmp_path / "public"), "--now", NOW]):
        result = run(cli, repo.path, *args)
        assert result.code == 0, (args, result.err)
    assert (tmp_path / "public" / "privacy-policy" / "index.html").is_file()
    check = run(cli, repo.path, "check", "--now", NOW)
    assert check.code == 1 and path in check.err and "Traceback" not in check.err


def test_committed_links_and_submodules_are_not_read_as_policies(repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    (repo.path / "content" / "link.md").symlink_to("/etc/hostname")
    repo.git("add", "content/link.md")
    head = repo.git("rev-parse", "HEAD")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{head},content/module.md")
    repo.git("commit", "-qm", "link and submodule")
    data = versions_json(cli, repo.path)
    assert len(data["versions"]) == 2
    skipped = "\n".join(data["skipped"])
    assert "content/link.md: skipped" in skipped and "content/module.md: skipped" in skipped
    assert "symbolic link or submodule" in skipped


@pytest.mark.parametrize("name", ['content/we"ird name.md', "content/new\nline.md",
                                  "content/\u00e9t\u00e9/priv\u00e9.md", "content/-n.md"])
def test_odd_file_names_are_read(policy_repo: GitRepo, name: str) -> None:
    policy_repo.commit("v1", {name: pp("2026-02-01")}, when=at("2026-01-20"))
    history = read_history(policy_repo.path)
    assert [(v.policy, v.path) for v in history.versions] == [("privacy-policy", name)]


def test_committed_bom_and_cr_files_are_versions(policy_repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    text = pp("2026-02-01")
    (policy_repo.path / "content" / "a.md").write_bytes(
        b"\xef\xbb\xbf" + text.replace("\n", "\r").encode())
    (policy_repo.path / "content" / "b.md").write_bytes(
        text.replace("privacy-policy", "terms").replace("\n", "\r\n").encode())
    assert run(cli, policy_repo.path, "check", "--now", NOW).code == 0
    policy_repo.commit("v1", when=at("2026-01-20"))
    data = versions_json(cli, policy_repo.path)
    assert sorted(r["policy"] for r in data["versions"]) == ["privacy-policy", "terms"]
    assert data["skipped"] == []


def test_a_tag_and_an_old_commit_as_the_ref(repo: GitRepo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.git("tag", "before-v2", "HEAD~1")
    rows = versions_json(cli, repo.path, "--ref", "before-v2")["versions"]
    assert [r["effective"] for r in rows] == ["2026-02-01"]
    bad = run(cli, repo.path, "versions", "--ref", "no-such-tag")
    assert bad.code == 1 and "is not in this repository" in bad.err
