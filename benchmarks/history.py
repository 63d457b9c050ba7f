"""What a command costs on a long history, cold (no cache) and warm (nothing changed).

    python benchmarks/history.py [--sizes 100,250,500] [--commands versions,plan,...]
                                 [--corpus DIR]

Builds a synthetic policy repository: the sample privacy policy (about 30 KB), one small
edit per commit, each commit a new version with its own effective date (committed after
the version before it took effect, as in a real repository). At each size it runs every
command as a process (what a user or a cron job pays: start-up included), first with no
cache (`.policybook/cache/` deleted: cold), then again (warm: nothing changed), then
after one new commit (incremental: one new version to read and judge; `build` then diffs
that one pair, reading every other redline from the cache, and still renders every
page, which is most of what it pays). It also replays
the corpus (`--corpus`, or $POLICYBOOK_CORPUS; default ../shared/corpus/site-policy-dev)
as a history of about 100 versions per document and times `versions` cold and warm.
The peer is `git log -p` over the same file. Prints `name: value unit` lines, each
command's wall time and (`_cpu`) the CPU time of its process, the steadier figure on a
shared machine.

Each size is measured twice: `nodb`, with no database (deleted before every command,
so `run_once` creates it each time, as a first run does), and `db`, with the default
SQLite database holding what a real one holds: accounts (samples/accounts.csv), a
notice on record for every tenth version, tracking since before --now. A warm command
then reads the notices on record from the cache kept under the database's stamp
(workflows/planning.OnRecord) and loads no SQLAlchemy; the benchmark waits until the
database has settled (2 s after a write) before the warm runs, as a cron job would.
A warm `run --once` with a database is the quiet tick (workflows/quiet.py): the first
warm run ticks in full and keeps its fingerprint, the next ones open no database.
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


def run_command(root: Path, args: list[str], tmp: Path, db: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process): on a shared machine the CPU time is
    the steadier figure."""
    argv = [sys.executable, "-m", "policybook", "-C", str(root),
            *(a.replace("{tmp}", str(tmp)) for a in args)]
    if args[0] in ("plan", "run", "build", "check"):
        argv += ["--now", "2026-06-01T12:00:00Z"]
    env = {**os.environ, "POLICYBOOK_DATABASE_URL": f"sqlite:///{db}",
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


SETTLE = 2.2  # seconds: what was written to the database settles (planning.SETTLED_NS)


class Database:
    """The SQLite database of a measure: none (`nodb`: deleted before each command) or
    one that holds accounts and notices (`db`)."""

    def __init__(self, tmp: Path, kind: str) -> None:
        self.kind = kind
        self.path = tmp / kind / "policybook.db"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def before(self) -> None:
        if self.kind == "nodb":
            for file in self.path.parent.glob("policybook.db*"):
                file.unlink()

    def settle(self) -> None:
        if self.kind == "db":
            time.sleep(SETTLE)

    def seed(self, root: Path, tmp: Path) -> None:
        """Accounts, and a finished notice for every tenth version, on record since
        before --now (so that no notice is open: nothing to send)."""
        if self.kind != "db":
            return
        for file in self.path.parent.glob("policybook.db*"):
            file.unlink()  # seeded afresh at each size
        sys.path.insert(0, str(REPO))
        from policybook.notice import NoticeReason, NoticeSpec, NoticeState
        from policybook.store import Store, create_notice
        from policybook.store.notices import set_notice_state

        log = subprocess.run(["git", "log", "--reverse", "--format=%H %s"], cwd=root,
                             check=True, capture_output=True, text=True).stdout
        url = f"sqlite:///{self.path}"
        since = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        with Store.open(url, since) as store, store.write() as conn:
            for n, line in enumerate(log.splitlines()):
                if n % 10:
                    continue
                sha = line.split(" ", 1)[0]
                day = dt.date(2012, 1, 1) + dt.timedelta(days=7 * (n + 1))
                effective = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
                due = effective - dt.timedelta(days=30)
                spec = NoticeSpec("synthetic", day, sha, "Synthetic", "A change.",
                                  (NoticeReason("a change", None),), "https://example.com/u",
                                  "https://example.com/c", due, effective)
                notice, _ = create_notice(conn, spec, due)
                set_notice_state(conn, notice.id, NoticeState.SENDING, due)
                set_notice_state(conn, notice.id, NoticeState.COMPLETE, effective)
        subprocess.run([sys.executable, "-m", "policybook", "-C", str(root), "accounts",
                        "import", str(REPO / "samples" / "accounts.csv")], check=True,
                       capture_output=True, env={**os.environ, "POLICYBOOK_DATABASE_URL": url,
                                                 "POLICYBOOK_OUTBOX": str(tmp / "outbox")})


def measure(root: Path, tmp: Path, label: str, commands: list[str],
            grow: Synthetic | None = None, db: Database | None = None) -> None:
    db = db or Database(tmp, "nodb")
    label = f"{label}_{db.kind}"
    db.seed(root, tmp)

    def timed(name: str) -> tuple[float, float]:
        db.before()
        return run_command(root, COMMANDS[name], tmp, db.path)

    for name in commands:
        clear_cache(root)
        show(f"{name}_{label}_cold", timed(name))
        db.settle()
        show(f"{name}_{label}_warm", min(timed(name) for _ in range(3)))
    if grow is not None:
        for name in commands:
            timed(name)  # warm the cache for this command
            db.settle()
            grow.grow(1)
            show(f"{name}_{label}_one_new_commit", timed(name))


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
            for kind in ("nodb", "db"):
                measure(root, tmp, label, commands,
                        grow=repo if size == sizes[-1] else None, db=Database(tmp, kind))
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
