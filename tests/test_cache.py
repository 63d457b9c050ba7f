"""The history index and the judgements kept on disk: a warm process walks and diffs
nothing, one new commit costs one walk step and one diff, and a cache that is stale,
corrupt or written by another policybook is never trusted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from policybook import cache, history
from policybook.document import parse_document
from policybook.history import read_history
from policybook.versions import by_policy, text_blob
from policybook.workflows import assessing
from policybook.workflows.assessing import judgements
from tests.helpers import GitRepo, policy

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
BODIES = [
    "## Data\n\nWe collect your name.\n",
    "## Data\n\nWe collect your name and your e-mail address.\n",  # material: new data
    "## Data\n\nWe collect your name and your e-mail adress.\n",  # typo: editorial
    "## Data\n\nWe collect your name and your e-mail address.\n",  # typo fixed
]


def commit_version(repo: GitRepo, n: int, body: str | None = None) -> str:
    day = dt.date(2026, 2, 1) + dt.timedelta(days=30 * n)
    return repo.commit(f"v{n}", {"content/privacy.md": policy(
        "privacy-policy", day.isoformat(), body or BODIES[n % len(BODIES)], title="Privacy")},
        when=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(days=3))


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    new_process()
    yield
    new_process()


def new_process() -> None:
    """What a new `policybook` process starts with: no memory, only the disk."""
    history.forget()
    assessing.forget()
    cache.stats.clear()


def read(repo: GitRepo) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, bool, str]]]:
    """(policy, effective, final sha, text) per version and each change's verdict."""
    h = read_history(repo.path)
    rows = [(v.policy, v.effective.isoformat(), v.final.sha, v.text) for v in h.versions]
    verdicts = [(day.isoformat(), j.material, j.summary())
                for versions in by_policy(h.versions).values()
                for day, j in judgements(versions, repo.path).items()]
    return rows, verdicts


def test_a_warm_process_walks_and_diffs_nothing(policy_repo: GitRepo) -> None:
    for n in range(4):
        commit_version(policy_repo, n)
    cold = read(policy_repo)
    assert cache.stats["assess.diff"] == 3 and cache.stats["history.commit"] == 4
    assert [m for _, m, _ in cold[1]] == [True, False, False]
    new_process()
    assert read(policy_repo) == cold
    assert cache.stats["assess.diff"] == 0
    assert cache.stats["history.commit"] == 0 and cache.stats["history.hit"] == 1
    assert cache.stats["judgement-runs.hit"] == 1


def test_one_new_commit_costs_one_step_and_one_diff(policy_repo: GitRepo) -> None:
    for n in range(3):
        commit_version(policy_repo, n)
    read(policy_repo)
    commit_version(policy_repo, 3)
    policy_repo.commit("unrelated", {"README.md": "hello\n"}, when=T0 + dt.timedelta(days=200))
    new_process()
    rows, verdicts = read(policy_repo)
    assert len(rows) == 4
    assert cache.stats["history.commit"] == 1  # the README commit does not touch content/
    assert cache.stats["assess.diff"] == 1
    assert cache.stats["history.front"] == 1  # only the new blob's front matter is parsed
    new_process()
    assert read(policy_repo) == (rows, verdicts)
    assert cache.stats["assess.diff"] == 0


def test_the_cache_gives_what_a_cold_read_gives(policy_repo: GitRepo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(4):
        commit_version(policy_repo, n)
    read(policy_repo)
    commit_version(policy_repo, 4)
    new_process()
    warm = read(policy_repo)
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    new_process()
    assert read(policy_repo) == warm
    assert cache.stats["assess.diff"] == 4 and cache.stats["history.commit"] == 5
    assert not any(k.endswith(".write") for k in cache.stats)


def test_a_rewritten_branch_is_read_from_the_start(policy_repo: GitRepo) -> None:
    for n in range(3):
        commit_version(policy_repo, n)
    read(policy_repo)
    # Force-pushed history: the indexed head is no longer on the branch.
    policy_repo.git("reset", "--hard", "HEAD~2")
    commit_version(policy_repo, 1, "## Data\n\nWe sell your name to advertisers.\n")
    new_process()
    rows, verdicts = read(policy_repo)
    assert cache.stats["history.commit"] == 2  # walked again from the first commit
    assert [r[1] for r in rows] == ["2026-02-01", "2026-03-03"]
    assert "advertisers" in rows[1][3]
    assert verdicts[0][1] is True


def test_another_branch_that_shares_history_is_not_taken_for_a_descendant(
        policy_repo: GitRepo) -> None:
    commit_version(policy_repo, 0)
    policy_repo.git("checkout", "-q", "-b", "feature")
    commit_version(policy_repo, 1)
    read(policy_repo)
    policy_repo.git("checkout", "-q", "main")
    commit_version(policy_repo, 2)
    new_process()
    rows, _ = read(policy_repo)
    assert [r[1] for r in rows] == ["2026-02-01", "2026-04-02"]


def cache_files(root: Path) -> list[Path]:
    return [p for p in (root / ".policybook" / "cache").rglob("*.json")]


@pytest.mark.parametrize("damage", [
    b"", b"{", b"not json", b"[]", b"null", b'{"key": "x", "value": 1}',
    json.dumps({"policybook": "other", "key": "k", "value": {}}).encode(),
    b"\xff\xfe\x00\x00",
])
def test_a_corrupt_cache_is_ignored_and_rebuilt(policy_repo: GitRepo, damage: bytes) -> None:
    for n in range(3):
        commit_version(policy_repo, n)
    cold = read(policy_repo)
    files = cache_files(policy_repo.path)
    assert len(files) >= 3
    for file in files:
        file.write_bytes(damage)
    new_process()
    assert read(policy_repo) == cold
    assert cache.stats["assess.diff"] == 2 and cache.stats["history.commit"] == 3
    new_process()
    assert read(policy_repo) == cold  # rebuilt: warm again
    assert cache.stats["assess.diff"] == 0 and cache.stats["history.commit"] == 0


def test_entries_that_parse_but_do_not_fit_are_ignored(policy_repo: GitRepo) -> None:
    for n in range(3):
        commit_version(policy_repo, n)
    cold = read(policy_repo)
    for file in cache_files(policy_repo.path):
        entry = json.loads(file.read_bytes())
        entry["value"] = {"head": 7, "verdict": "maybe"} if isinstance(entry["value"], dict) \
            else [["nonsense"]] * 2
        file.write_text(json.dumps(entry))
    new_process()
    assert read(policy_repo) == cold


def test_another_policybook_never_trusts_the_cache(policy_repo: GitRepo,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        commit_version(policy_repo, n)
    cold = read(policy_repo)
    monkeypatch.setattr(cache, "fingerprint", lambda: "f" * 20)
    new_process()
    assert read(policy_repo) == cold
    assert cache.stats["assess.diff"] == 2 and cache.stats["history.commit"] == 3
    # The entries of the other policybook are gone (they would never be read again).
    folders = {p.name for p in (policy_repo.path / ".policybook" / "cache").iterdir()
               if p.is_dir()}
    assert folders == {"f" * 20}


def test_the_fingerprint_follows_the_code() -> None:
    first = cache.fingerprint()
    assert len(first) == 20 and first == cache.fingerprint()


def test_an_unwritable_cache_costs_only_time(policy_repo: GitRepo, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(2):
        commit_version(policy_repo, n)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker))
    cold = read(policy_repo)
    assert cache.stats["judgements.unwritable"] >= 1
    monkeypatch.delenv(cache.CACHE_ENV)
    new_process()
    assert read(policy_repo) == cold


def test_the_cache_folder_is_configurable_and_ignored_by_git(policy_repo: GitRepo,
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    commit_version(policy_repo, 0)
    commit_version(policy_repo, 1)
    read(policy_repo)
    assert (policy_repo.path / ".policybook" / "cache" / ".gitignore").read_text() == "*\n"
    assert "cache" not in policy_repo.git("status", "--porcelain")
    elsewhere = tmp_path / "caches"
    monkeypatch.setenv(cache.CACHE_ENV, str(elsewhere))
    new_process()
    read(policy_repo)
    assert list(elsewhere.rglob("*.json"))


def test_effective_dates_in_another_zone_are_indexed_apart(policy_repo: GitRepo) -> None:
    from zoneinfo import ZoneInfo

    commit_version(policy_repo, 0)
    commit_version(policy_repo, 1)
    utc = read_history(policy_repo.path)
    new_process()
    tokyo = read_history(policy_repo.path, zone=ZoneInfo("Asia/Tokyo"))
    assert cache.stats["history.commit"] == 2
    assert [v.key for v in tokyo.versions] == [v.key for v in utc.versions]



def test_the_pages_and_the_state_judge_a_pair_once() -> None:
    old_text = policy("privacy-policy", "2026-02-01", BODIES[0], title="Privacy")
    new_text = policy("privacy-policy", "2026-03-01", BODIES[1], title="Privacy")
    old = parse_document(old_text, "content/privacy.md")
    new = parse_document(new_text, "content/privacy.md")
    page = assessing.assess_documents(old, new)  # the site's pages hand parsed documents
    state = assessing.assess_texts(old.source, old.path, new.source, new.path)
    assert state is page and page.material
    assert cache.stats["assess.diff"] == 1


def test_a_warm_process_reads_no_text_it_does_not_use(policy_repo: GitRepo) -> None:
    for n in range(4):
        commit_version(policy_repo, n)
    rows, verdicts = read(policy_repo)
    new_process()
    h = read_history(policy_repo.path)
    found = [(day.isoformat(), j.material, j.summary())
             for versions in by_policy(h.versions).values()
             for day, j in judgements(versions, policy_repo.path).items()]
    assert found == verdicts
    assert cache.stats["history.blob"] == 0  # dates and verdicts need no text
    assert h.versions[-1].text == rows[-1][3]  # a text is read when it is asked for
    assert cache.stats["history.blob"] == 1


def test_one_new_commit_reads_only_the_texts_it_compares(policy_repo: GitRepo) -> None:
    for n in range(4):
        commit_version(policy_repo, n)
    read(policy_repo)
    commit_version(policy_repo, 4)
    new_process()
    h = read_history(policy_repo.path)
    judgements(h.versions, policy_repo.path)
    assert cache.stats["assess.diff"] == 1
    assert cache.stats["history.blob"] == 2  # the new text and the one before it


def test_a_text_put_in_place_of_its_blob_is_judged_as_itself(policy_repo: GitRepo) -> None:
    # A version given another text (the text in effect of a held-back edit) must never be
    # served the verdict kept for the blob of its committed text.
    for n in range(2):
        commit_version(policy_repo, n)
    read(policy_repo)  # the material change v0 -> v1 is judged and kept by blob
    new_process()
    v0, v1 = read_history(policy_repo.path).versions
    assert text_blob(v1) is not None
    assert judgements([v0, v1], policy_repo.path)[v1.effective].material
    same_words = replace(v1, text=v1.text.replace(BODIES[1], BODIES[0]))
    assert text_blob(same_words) is None
    assert not judgements([v0, same_words], policy_repo.path)[v1.effective].material
