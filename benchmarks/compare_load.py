"""The compare page under load: do two large comparisons stall the other pages?

    python benchmarks/compare_load.py [--rows 200] [--samples 40]

Builds a policy whose table of N rows changes in every row from one version to the next
(the slow case of the diff), in four versions, in a temporary git repository, and starts
`policybook serve` on it (a real uvicorn on 127.0.0.1, in its own process). Then, from
this process:

1. idle: the latency of other pages (`/`, `/<policy>/`, `/<policy>/versions/`,
   `/feed.xml`), one request after another;
2. loaded: the same, while two large compares (`/<policy>/compare/?from=..&to=..`, pairs
   that the site has not judged before) are in flight;
3. the compares themselves: their status (200, or 503 "still being prepared" past the
   wait, or 429 when the pool is full) and latency, then the same pair again (cached).

The peer is the idle run: the goal is that other pages stay within a few times their
idle latency (a compare computed on the event loop stalled them for its whole duration).
With `--peer-src DIR` the same is measured with the policybook of another checkout
(`peer_` lines): the code before this change computed compares on the event loop.
Prints `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OTHER_PAGES = ("/", "/vendors/", "/vendors/versions/", "/feed.xml")
DATES = ("2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01")


def git(root: Path, *args: str, when: dt.datetime | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Legal", "GIT_AUTHOR_EMAIL": "legal@example.com",
           "GIT_COMMITTER_NAME": "Legal", "GIT_COMMITTER_EMAIL": "legal@example.com"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def policy(version: int, rows: int, effective: str) -> str:
    """A list of subprocessors in which every row differs between versions."""
    lines = ["---", "policy: vendors", "title: Our Subprocessors", f"effective: {effective}",
             "summary: >", "  The list of companies that process data for us.", "---", "",
             "## Subprocessors", "", "| Company | Purpose | Location | Since |",
             "| --- | --- | --- | --- |"]
    for r in range(rows):
        lines.append(f"| Vendor {r}-{version} Ltd | hosting of service {r * 7 + version} | "
                     f"region {(r + version) % 17} | {2000 + (r + version) % 25} |")
    return "\n".join(lines) + "\n"


def make_repo(root: Path, rows: int) -> None:
    git(root, "init", "-q", "-b", "main")
    (root / "content").mkdir()
    for n, day in enumerate(DATES):
        (root / "content" / "vendors.md").write_text(policy(n, rows, day), encoding="utf-8")
        when = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) - dt.timedelta(days=40)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"Version {n + 1}", when=when)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 120) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, (time.perf_counter() - t0) * 1000


def wait_up(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(url)
        time.sleep(0.2)


def pages(base: str, samples: int, stop: threading.Event | None = None) -> list[float]:
    """Latencies (ms) of the other pages, round robin, `samples` of them (or until
    `stop` is set, at least one round)."""
    times: list[float] = []
    i = 0
    while i < samples or (stop is not None and not stop.is_set() and i < samples * 50):
        status, ms = get(base + OTHER_PAGES[i % len(OTHER_PAGES)])
        if status != 200:
            raise RuntimeError(f"{OTHER_PAGES[i % len(OTHER_PAGES)]} answered {status}")
        times.append(ms)
        i += 1
        if stop is not None and stop.is_set() and i >= len(OTHER_PAGES):
            break
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def measure(root: Path, src: Path, samples: int, label: str, db: Path) -> None:
    """Serve `root` with the policybook of `src` and print the figures, prefixed."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "policybook", "-C", str(root), "serve", "--port", str(port),
         "--no-access-log", "--now", "2023-06-01T00:00:00Z"], cwd=src,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(src), "POLICYBOOK_DATABASE_URL": f"sqlite:///{db}"})
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        wait_up(base + "/vendors/")
        print(f"{label}first_page: {(time.perf_counter() - t0) * 1000:.0f} ms (start-up; the "
              "site judges each version against the one before)")
        pages(base, len(OTHER_PAGES))  # warm
        idle = pages(base, samples)
        print(f"{label}other_pages_idle_p50: {statistics.median(idle):.1f} ms")
        print(f"{label}other_pages_idle_p99: {p(idle, 0.99):.1f} ms")

        pairs = [(DATES[0], DATES[2]), (DATES[1], DATES[3])]  # not judged before
        results: list[tuple[int, float]] = []
        stop = threading.Event()

        def compare(pair: tuple[str, str]) -> None:
            results.append(get(f"{base}/vendors/compare/?from={pair[0]}&to={pair[1]}"))

        threads = [threading.Thread(target=compare, args=(pair,)) for pair in pairs]
        for t in threads:
            t.start()
        time.sleep(0.05)  # both requests are in

        def watch() -> None:
            for t in threads:
                t.join()
            stop.set()

        watcher = threading.Thread(target=watch)
        watcher.start()
        loaded = pages(base, samples, stop)
        watcher.join()
        print(f"{label}other_pages_during_2_compares_p50: {statistics.median(loaded):.1f} ms "
              f"({len(loaded)} requests)")
        print(f"{label}other_pages_during_2_compares_p99: {p(loaded, 0.99):.1f} ms")
        print(f"{label}other_pages_during_2_compares_max: {max(loaded):.1f} ms")
        slowdown = statistics.median(loaded) / statistics.median(idle)
        print(f"{label}other_pages_slowdown_p50: {slowdown:.1f} x (vs idle)")
        for n, (status, ms) in enumerate(sorted(results, key=lambda r: r[1]), 1):
            print(f"{label}compare_{n}_latency: {ms:.0f} ms (HTTP {status})")
        # the reload: either finished meanwhile (cached) or still being prepared
        deadline = time.monotonic() + 300
        while True:
            status, ms = get(f"{base}/vendors/compare/?from={pairs[0][0]}&to={pairs[0][1]}")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        print(f"{label}compare_again_latency: {ms:.1f} ms (HTTP {status}, the same pair again)")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--peer-src", type=Path, metavar="DIR",
                        help="also measure the policybook of another checkout (the peer: for "
                             "example the code before the compare page left the event loop)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policybook-compare-") as tmp:
        root = Path(tmp) / "policies"
        root.mkdir()
        make_repo(root, args.rows)
        print(f"rows_changed_per_version: {args.rows}")
        measure(root, REPO, args.samples, "", Path(tmp) / "pb.db")
        if args.peer_src is not None:
            measure(root, args.peer_src.resolve(), args.samples, "peer_",
                    Path(tmp) / "peer.db")


if __name__ == "__main__":
    main()
