"""The website: static build time, and requests/s and p99 latency of the live server.

    python benchmarks/site.py [--versions 50] [--duration 10] [--connections 16]

1. Replays the sample content (content/) as a git history with N versions per policy
   (each commit a new effective date, 30 days apart, and a small edit) in a temporary
   repository, and times `policybook build` of the whole static site.
2. Starts `policybook serve` on that repository in its own process and loads
   `/<policy>/` from a second process on 127.0.0.1 (wrk if installed, else a Python
   client), with the real clock: the version in force is looked up at every request.
   The peer: the same page, as built, from Python's http.server in the same run.

Prints `name: value unit` lines. Goal on a 2-core machine: >= 1,000 requests/s with
p99 < 50 ms for the live server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from policybook.config import Config  # noqa: E402
from policybook.wiring import Wiring  # noqa: E402


def git(root: Path, *args: str, when: dt.datetime | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Legal", "GIT_AUTHOR_EMAIL": "legal@example.com",
           "GIT_COMMITTER_NAME": "Legal", "GIT_COMMITTER_EMAIL": "legal@example.com"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def replay(root: Path, versions: int) -> list[str]:
    """A repository with `versions` versions of each sample policy; returns the policy ids."""
    git(root, "init", "-q", "-b", "main")
    (root / "content").mkdir()
    sources = sorted((REPO / "content").glob("*.md"))
    start = dt.date(2020, 1, 1)
    ids = []
    for i in range(versions):
        effective = start + dt.timedelta(days=30 * i)
        for src in sources:
            text = src.read_text(encoding="utf-8")
            text = re.sub(r"^effective: .*$", f"effective: {effective.isoformat()}", text,
                          count=1, flags=re.M)
            # A small edit per version: one sentence more at the end of the text.
            text = text.rstrip("\n") + f"\n\nRevision {i + 1} of this policy.\n"
            (root / "content" / src.name).write_text(text, encoding="utf-8")
            if i == 0:
                ids.append(re.search(r"^policy: (.*)$", text, re.M).group(1))  # type: ignore[union-attr]
        # Committed after the previous version took effect (a policy has one pending
        # version at a time; see history.py).
        when = dt.datetime.combine(effective - dt.timedelta(days=25), dt.time(9), dt.UTC)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"Version {i + 1}", when=when)
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def load(url: str, duration: int, connections: int) -> tuple[float, float]:
    """(requests/s, p99 latency in ms) from a second process."""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
                              url], capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        if "Non-2xx" in out or "Socket errors" in out:
            print(f"# wrk reported errors:\n{out}", file=sys.stderr)
        return rps, p99
    code = ("import http.client,sys,time,threading\n"
            "u,d,c=sys.argv[1],float(sys.argv[2]),int(sys.argv[3])\n"
            "host,port=u.split('/')[2].split(':');path='/'+u.split('/',3)[3]\n"
            "lat=[];end=time.monotonic()+d\n"
            "def run():\n"
            " h=http.client.HTTPConnection(host,int(port));mine=[]\n"
            " while time.monotonic()<end:\n"
            "  t=time.perf_counter();h.request('GET',path);r=h.getresponse();r.read()\n"
            "  assert r.status==200;mine.append(time.perf_counter()-t)\n"
            " lat.extend(mine)\n"
            "ts=[threading.Thread(target=run) for _ in range(c)]\n"
            "[t.start() for t in ts];[t.join() for t in ts]\n"
            "lat.sort();print(len(lat)/d,lat[int(len(lat)*0.99)]*1000)\n")
    out = subprocess.run([sys.executable, "-c", code, url, str(duration), str(connections)],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policybook-bench-") as tmp:
        root = Path(tmp) / "policies"
        root.mkdir()
        ids = replay(root, args.versions)
        n_versions = args.versions * len(ids)
        now = dt.datetime.now(dt.UTC)
        out = Path(tmp) / "public"
        t0 = time.perf_counter()
        with Wiring.open(Config(root=root), now) as wiring:
            report = wiring.build(out, now)
        build_s = time.perf_counter() - t0
        print(f"versions: {n_versions} ({args.versions} per policy, {len(ids)} policies)")
        print(f"static_build_time: {build_s:.2f} s ({report.pages} pages, {report.files} files)")
        print(f"static_build_per_version: {build_s / n_versions * 1000:.1f} ms")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "policybook", "-C", str(root), "serve", "--port", str(port),
             "--no-access-log"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            url = f"http://127.0.0.1:{port}/{ids[0]}/"
            t0 = time.perf_counter()
            wait_up(url)
            print(f"live_first_page: {(time.perf_counter() - t0) * 1000:.0f} ms "
                  "(start-up, reading the history, first render)")
            load(url, 2, args.connections)  # warm-up
            rps, p99 = load(url, args.duration, args.connections)
            print(f"live_requests_per_second: {rps:.0f} req/s (/{ids[0]}/, "
                  f"{args.connections} connections, in-force lookup per request)")
            print(f"live_p99_latency: {p99:.1f} ms")
        finally:
            server.terminate()
            server.wait(timeout=10)

        port = free_port()
        peer = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                                 "127.0.0.1", "--directory", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/{ids[0]}/"
            wait_up(url)
            rps_peer, p99_peer = load(url, args.duration, args.connections)
            print(f"peer_http_server_static_requests_per_second: {rps_peer:.0f} req/s "
                  "(python -m http.server, the built page)")
            print(f"peer_http_server_static_p99_latency: {p99_peer:.1f} ms")
            print(f"live_vs_peer_throughput: {rps / rps_peer:.2f} x")
        finally:
            peer.terminate()
            peer.wait(timeout=10)
        print(f"goal_met: {'yes' if rps >= 1000 and p99 < 50 else 'no'} "
              "(>= 1000 req/s and p99 < 50 ms)")


if __name__ == "__main__":
    main()
