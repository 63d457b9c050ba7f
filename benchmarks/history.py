"""What a command costs on a long history, cold (no cache) and warm (nothing changed).

    python benchmarks/history.py [--sizes 100,250,500] [--commands versions,plan,...]
                                 [--corpus DIR]

Builds a synthetic policy repository: the sample privacy policy (about 30 KB), one small
edit per commit, each commit a new version with its own effective date (committed after
the version before it took effect, as in a real repository). At each size it runs every
command as a process (what a user or a cron job pays: start-up included), first with no
cache (`.policybook/cache/` deleted: cold), then again (warm: nothing changed), then
after one new commit (incremental: one new version to read and judge). It also replays
the corpus (`--corpus`, or $POLICYBOOK_CORPUS; default ../shared/corpus/site-policy-dev)
as a history of about 100 versions per document and times `versions` cold and warm.
The peer is `git log -p` over the same file. Prints `name: value unit` lines, each
command's wall time and (`_cpu`) the CPU time of its process, the steadier figure on a
shared machine.

The commands share one SQLite database: until `run_once` first runs none exists, and
`versions`, `plan` and `check` load no store at all (no SQLAlchemy); after it, they read
the notices on record through the store, which costs ~0.3 s of start-up. Read the
figures of the first size with that in mind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get(
    "POLICYBOOK_CORPUS", REPO.parent / "shared" / "corpus" / "site-policy-dev"))
COMMANDS = {
    "versions": ["versions"],
    "plan": ["plan"],
    "check": ["check", "--no-gate"],
    "check_gate": ["check"],
    "run_once": ["run", "--once"],
    "build": ["build", "--out", "{tmp}/public"],
}
_ENV = {"GIT_AUTHOR_NAME": "Legal", "GIT_AUTHOR_EMAIL": "legal@example.com",
        "GIT_COMMITTER_NAME": "Legal", "GIT_COMMITTER_EMAIL": "legal@example.com",
        "PATH": "/usr/bin:/bin"}


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**_ENV, **(env or {})})


def commit_all(root: Path, message: str, day: dt.date) -> None:
    # Committed three days before the version takes effect, after the previous one did:
    # a policy has one pending version at a time (see history.py).
    stamp = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(12)).isoformat()
    git(root, "add", "-A")
    git(root, "commit", "-qm", message,
        env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})


class Synthetic:
    """A repository that grows one version (one commit) at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        seed = (REPO / "content" / "privacy-policy.md").read_text(encoding="utf-8")
        self.body = seed.split("\n---\n", 1)[1]
        self.count = 0
        self.day = dt.date(2012, 1, 1)
        git(root, "init", "-q", "-b", "main")
        (root / "content").mkdir()

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.day += dt.timedelta(days=7)
            i = self.count
            text = (f"---\npolicy: synthetic\ntitle: Synthetic\n"
                    f"effective: {self.day.isoformat()}\n---\n"
                    + re.sub(r"within 30 days", f"within {30 + i} days", self.body))
            (self.root / "content" / "synthetic.md").write_text(text, encoding="utf-8")
            commit_all(self.root, f"synthetic {i}", self.day)
            self.count += 1


def run_command(root: Path, args: list[str], tmp: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process): on a shared machine the CPU time is
    the steadier figure."""
    argv = [sys.executable, "-m", "policybook", "-C", str(root),
            *(a.replace("{tmp}", str(tmp)) for a in args)]
    if args[0] in ("plan", "run", "build", "check"):
        argv += ["--now", "2026-06-01T12:00:00Z"]
    env = {**os.environ, "POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp}/policybook.db",
           "POLICYBOOK_OUTBOX": str(tmp / "outbox")}
    env.pop("POLICYBOOK_CACHE_DIR", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def show(name: str, figures: tuple[float, float]) -> None:
    print(f"{name}: {figures[0]:.2f} s")
    print(f"{name}_cpu: {figures[1]:.2f} s")


def clear_cache(root: Path) -> None:
    shutil.rmtree(root / ".policybook" / "cache", ignore_errors=True)


def measure(root: Path, tmp: Path, label: str, commands: list[str],
            grow: Synthetic | None = None) -> None:
    for name in commands:
        clear_cache(root)
        show(f"{name}_{label}_cold", run_command(root, COMMANDS[name], tmp))
        show(f"{name}_{label}_warm", min(run_command(root, COMMANDS[name], tmp)
                                         for _ in range(3)))
    if grow is not None:
        for name in commands:
            run_command(root, COMMANDS[name], tmp)  # warm the cache for this command
            grow.grow(1)
            show(f"{name}_{label}_one_new_commit", run_command(root, COMMANDS[name], tmp))


def peer(root: Path, label: str) -> None:
    t0 = time.perf_counter()
    subprocess.run(["git", "log", "-p", "--", "content/"], cwd=root, check=True,
                   capture_output=True)
    print(f"peer_git_log_p_{label}: {time.perf_counter() - t0:.2f} s")


def with_front_matter(text: str, policy: str, effective: dt.date) -> str:
    header = f"policy: {policy}\ntitle: {policy}\neffective: {effective.isoformat()}\n"
    if text.startswith("---\n"):
        return "---\n" + header + text[4:]
    return f"---\n{header}---\n\n{text}"


def replay(corpus: Path, root: Path) -> int:
    labels = [json.loads(line) for line in (corpus / "labels.jsonl").read_text().splitlines()
              if line.strip()]
    git(root, "init", "-q", "-b", "main")
    (root / "content").mkdir()
    day = dt.date(2012, 1, 1)
    n = 0
    for doc, group in itertools.groupby(sorted(labels, key=lambda r: (r["doc"], r["date"])),
                                        key=lambda r: r["doc"]):
        policy = re.sub(r"[^a-z0-9-]+", "-", str(doc).lower()).strip("-")[:60] or "policy"
        for row in group:
            for side in ("old.md", "new.md"):
                text = (corpus / "pairs" / row["id"] / side).read_text(encoding="utf-8")
                day += dt.timedelta(days=7)
                (root / "content" / f"{policy}.md").write_text(
                    with_front_matter(text, policy, day), encoding="utf-8")
                commit_all(root, f"version {n}", day)
                n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,250,500")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    commands = [c for c in args.commands.split(",") if c]
    for c in commands:
        if c not in COMMANDS:
            raise SystemExit(f"unknown command {c!r}; choose among {', '.join(COMMANDS)}")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        root = tmp / "repo"
        root.mkdir()
        repo = Synthetic(root)
        print(f"synthetic_policy_size: {len(repo.body) // 1024} KiB")
        for size in sizes:
            repo.grow(size - repo.count)
            label = f"{size}"
            measure(root, tmp, label, commands, grow=repo if size == sizes[-1] else None)
            peer(root, label)
    if args.corpus.is_dir():
        with tempfile.TemporaryDirectory() as scratch:
            tmp = Path(scratch)
            root = tmp / "repo"
            root.mkdir()
            t0 = time.perf_counter()
            commits = replay(args.corpus, root)
            print(f"corpus_commits: {commits} commits ({time.perf_counter() - t0:.1f} s to build)")
            measure(root, tmp, "corpus", ["versions"])
    else:
        print(f"corpus_skipped: 0 (no corpus at {args.corpus})")


if __name__ == "__main__":
    main()
