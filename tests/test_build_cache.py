"""`policybook build` keeps each redline on disk: after one new commit it diffs one pair,
and what it writes is byte for byte what a build with no cache writes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from policybook import cache
from tests.helpers import GitRepo, policy
from tests.test_cache import fresh_process, new_process  # noqa: F401 (autouse)

NOW = "2026-05-20T12:00:00Z"
BODIES = [
    "## Data\n\nWe collect your name.\n\n## Sharing\n\nWe share nothing.\n",
    "## Data\n\nWe collect your name and your postal address.\n\n"
    "## Sharing\n\nWe share nothing.\n",  # material: new data
    "## Data\n\nWe collect your name and your postal adress.\n\n"
    "## Sharing\n\nWe share nothing.\n",  # typo: editorial
    "## Data\n\nWe collect your name and your postal address.\n\n"
    "## Sharing\n\nWe share nothing with anyone.\n",  # reworded
    "## Data\n\nWe collect your name and your postal address.\n\n"
    "## Sharing\n\nWe sell your postal address to advertisers.\n",  # material: selling
]


def commit_version(repo: GitRepo, n: int) -> None:
    day = dt.date(2026, 1, 1) + dt.timedelta(days=30 * n)
    repo.commit(f"v{n}", {"content/privacy.md": policy(
        "privacy-policy", day.isoformat(), BODIES[n], title="Privacy")},
        when=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(days=3))


def contents(root: Path) -> dict[str, bytes]:
    """Every file of a build but its marker (which names the moment and the process)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != ".policybook-site"}


def build(cli, repo: GitRepo, out: Path) -> dict[str, bytes]:
    result = cli(["build", "--out", str(out), "--now", NOW], cwd=repo.path)
    assert result.code == 0, result.err
    return contents(out)


def comparisons(repo: GitRepo) -> list[Path]:
    return list((repo.path / ".policybook" / "cache").glob("*/comparisons/*/*.json"))


def test_one_new_commit_costs_one_diff_and_builds_what_a_cold_build_builds(
        policy_repo: GitRepo, tmp_path: Path, cli) -> None:
    for n in range(4):
        commit_version(policy_repo, n)
    build(cli, policy_repo, tmp_path / "first")
    assert cache.stats["assess.diff"] == 3
    assert len(comparisons(policy_repo)) == 3  # one per consecutive pair
    commit_version(policy_repo, 4)
    new_process()
    warm = build(cli, policy_repo, tmp_path / "warm")
    assert cache.stats["assess.diff"] == 1  # the new pair, once (state and page share it)
    assert cache.stats["comparisons.hit"] == 3 and cache.stats["comparisons.write"] == 1
    page = warm["privacy-policy/changes/2026-05-01/index.html"].decode()
    assert "advertisers" in page and "Material change" in page

    shutil.rmtree(policy_repo.path / ".policybook" / "cache")
    new_process()
    cold = build(cli, policy_repo, tmp_path / "cold")
    assert cache.stats["assess.diff"] == 4
    assert len(cold) > 10 and warm == cold


@pytest.mark.parametrize("damage", [
    b"", b"{", b"null", b'{"key": "x", "value": 1}',
    b'{"@dc": "builtins:object", "f": {}}',
])
def test_a_corrupt_redline_is_ignored_and_rebuilt(policy_repo: GitRepo, tmp_path: Path,
                                                  cli, damage: bytes) -> None:
    for n in range(3):
        commit_version(policy_repo, n)
    cold = build(cli, policy_repo, tmp_path / "cold")
    for file in comparisons(policy_repo):
        file.write_bytes(damage)
    new_process()
    assert build(cli, policy_repo, tmp_path / "damaged") == cold
    assert cache.stats["comparisons.hit"] == 0 and cache.stats["comparisons.write"] == 2
    new_process()
    assert build(cli, policy_repo, tmp_path / "rebuilt") == cold
    assert cache.stats["comparisons.hit"] == 2 and cache.stats["assess.diff"] == 0


def test_an_entry_naming_a_foreign_type_is_never_rebuilt(policy_repo: GitRepo,
                                                         tmp_path: Path, cli) -> None:
    for n in range(2):
        commit_version(policy_repo, n)
    cold = build(cli, policy_repo, tmp_path / "cold")
    (file,) = comparisons(policy_repo)
    entry = json.loads(file.read_bytes())
    entry["value"] = {"@dc": "subprocess:Popen", "f": {}}  # valid JSON, valid key
    file.write_text(json.dumps(entry))
    new_process()
    assert build(cli, policy_repo, tmp_path / "again") == cold
    assert cache.stats["comparisons.corrupt"] == 1 and cache.stats["assess.diff"] == 1


def test_plain_values_round_trip_and_refuse_other_types() -> None:
    from policybook.document import parse_document
    from policybook.site.changes import compare_documents
    from policybook.site.kept import kept_names

    old = parse_document(policy("p", "2026-01-01", BODIES[0]), "content/p.md")
    new = parse_document(policy("p", "2026-02-01", BODIES[4]), "content/p.md")
    made = compare_documents(old, new)
    names = kept_names(old, "old") | kept_names(new, "new")
    data = json.loads(json.dumps(cache.to_plain(made, {i: n for i, (_, n) in names.items()})))
    assert cache.from_plain(data, {n: obj for obj, n in names.values()}) == made
    with pytest.raises(TypeError):  # a block not named is written with its tokens: refused
        cache.to_plain(made, {id(old): "old", id(new): "new"})
    with pytest.raises(TypeError):
        cache.to_plain(Path("x"), {})
    for bad in ({"@dc": "os:system", "f": {}}, {"@enum": "builtins:int", "v": 1},
                {"@dc": "policybook.nowhere:X", "f": {}}):
        with pytest.raises((KeyError, TypeError, ValueError)):
            cache.from_plain(bad, {})


def test_the_settings_key_is_the_same_in_every_process() -> None:
    """Judgements and redlines made with [materiality] settings are found by the next
    process: the key does not follow the order of a set, which changes with the process's
    string hashing (it did, with `repr`)."""
    import subprocess
    import sys

    code = ("from policybook.rulebook import Rule, Settings\n"
            "from policybook.workflows import assessing\n"
            "assessing.use_settings(Settings(disabled=frozenset(Rule), "
            "profiles=frozenset({'alpha', 'beta', 'gamma', 'delta'})))\n"
            "print(assessing._settings_key)\n")
    keys = {subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True, env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin"}
                           ).stdout.strip() for seed in range(1, 6)}
    assert len(keys) == 1 and keys != {""}
