"""Versions from git, and a diff of every consecutive pair, on the development corpus.

    python benchmarks/history.py [--corpus DIR] [--versions N]

Replays the corpus as git histories in a temporary repository: for each document of the
corpus (its pairs sorted by date), every old and new text becomes a commit, each with
its own effective date, so each document becomes a policy with about 100 versions.
Then times reading every version (`policybook versions`' work), and the diff and the
verdict of every consecutive pair. Also times a synthetic policy of N versions (the
sample privacy policy with a small edit per version). Prints `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from policybook.diff import diff_documents
from policybook.document import parse_document
from policybook.history import read_history
from policybook.materiality import assess
from policybook.versions import by_policy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "site-policy-dev"


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "Legal", "GIT_AUTHOR_EMAIL": "legal@example.com",
                        "GIT_COMMITTER_NAME": "Legal",
                        "GIT_COMMITTER_EMAIL": "legal@example.com", "PATH": "/usr/bin:/bin",
                        **(env or {})})


def with_front_matter(text: str, policy: str, effective: dt.date) -> str:
    """Give a corpus text policybook's front matter (keeping its own keys)."""
    header = f"policy: {policy}\neffective: {effective.isoformat()}\n"
    if text.startswith("---\n"):
        return "---\n" + header + text[4:]
    return f"---\n{header}---\n\n{text}"


def replay(corpus: Path, root: Path) -> int:
    labels = [json.loads(line) for line in (corpus / "labels.jsonl").read_text().splitlines()
              if line.strip()]
    texts: list[tuple[str, str]] = []  # (policy, text) in commit order
    for doc, group in itertools.groupby(sorted(labels, key=lambda r: (r["doc"], r["date"])),
                                        key=lambda r: r["doc"]):
        for row in group:
            pair = corpus / "pairs" / row["id"]
            texts.append((doc, (pair / "old.md").read_text(encoding="utf-8")))
            texts.append((doc, (pair / "new.md").read_text(encoding="utf-8")))
    day = dt.date(2017, 1, 1)
    for n, (policy, text) in enumerate(texts):
        day += dt.timedelta(days=7)
        (root / "content" / f"{policy}.md").write_text(with_front_matter(text, policy, day),
                                                      encoding="utf-8")
        # Committed after the previous version took effect: a policy has one pending
        # version at a time (see history.py), as in a real repository.
        stamp = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(12)).isoformat()
        git(root, "add", "-A")
        git(root, "commit", "-qm", f"version {n}",
            env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    return len(texts)


def synthetic(root: Path, n: int) -> None:
    seed = (REPO / "content" / "privacy-policy.md").read_text(encoding="utf-8")
    body = seed.split("\n---\n", 1)[1]
    day = dt.date(2014, 1, 1)
    for i in range(n):
        day += dt.timedelta(days=30)
        text = (f"---\npolicy: synthetic\ntitle: Synthetic\neffective: {day.isoformat()}\n---\n"
                + re.sub(r"within 30 days", f"within {30 + i} days", body))
        (root / "content" / "synthetic.md").write_text(text, encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-qm", f"synthetic {i}")


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--versions", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        git(root, "init", "-q", "-b", "main")
        (root / "content").mkdir()
        t0 = time.perf_counter()
        commits = replay(args.corpus, root)
        print(f"replay_commits: {commits} commits")
        print(f"replay_build_time: {time.perf_counter() - t0:.1f} s")

        history = read_history(root)
        groups = by_policy(history.versions)
        for policy, versions in groups.items():
            print(f"versions_{policy}: {len(versions)} versions")
        print(f"read_all_versions: {best(lambda: read_history(root), 3) * 1000:.0f} ms")

        pair_times: list[float] = []
        material = 0
        for versions in groups.values():
            for old, new in itertools.pairwise(versions):
                t = time.perf_counter()
                a = parse_document(old.text, old.path)
                b = parse_document(new.text, new.path)
                material += assess(diff_documents(a, b)).material
                pair_times.append(time.perf_counter() - t)
        print(f"consecutive_pairs: {len(pair_times)} pairs ({material} material)")
        print(f"diff_pair_median: {statistics.median(pair_times) * 1000:.1f} ms")
        print(f"diff_pair_p95: {sorted(pair_times)[int(len(pair_times) * 0.95)] * 1000:.1f} ms")
        print(f"diff_all_pairs: {sum(pair_times):.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        git(root, "init", "-q", "-b", "main")
        (root / "content").mkdir()
        synthetic(root, args.versions)
        count = len(by_policy(read_history(root).versions)["synthetic"])
        print(f"synthetic_versions: {count} versions of one {len(body_of(root)) // 1024} KiB "
              "policy")
        print(f"read_synthetic_versions: {best(lambda: read_history(root), 3) * 1000:.0f} ms")
        git_log = best(lambda: subprocess.run(
            ["git", "log", "-p", "--", "content/synthetic.md"], cwd=root, check=True,
            capture_output=True), 3)
        print(f"peer_git_log_p_synthetic: {git_log * 1000:.0f} ms")


def body_of(root: Path) -> str:
    return (root / "content" / "synthetic.md").read_text(encoding="utf-8")


if __name__ == "__main__":
    main()
