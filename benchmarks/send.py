"""Sending one notice at scale: recipients per second, peak RSS, requests made.

    python benchmarks/send.py [--accounts 1000000] [--smtp-accounts 10000]
                              [--databases sqlite,postgres] [--postgres-url URL]

SendGrid path: one notice to N accounts through the real `sendgrid` client to the
SendGrid-compatible test server (tests/support/sendgrid_server.py, which validates every
request body against SendGrid's OpenAPI description) running in its own process on
127.0.0.1; once on SQLite and once on PostgreSQL (POLICYBOOK_TEST_POSTGRES_URL or
--postgres-url; skipped without one). SMTP path: N accounts through smtplib to aiosmtpd
(STARTTLS and AUTH). The sender is the real command, `policybook notices send`, in a
fresh process; its peak RSS comes from the kernel (wait4), its rate is end to end
(start-up and adding the recipients included) and for the sending phase alone.

Prints `name: value unit` lines, and listmonk's published figure for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from policybook.store import NoticeReason, NoticeSpec, Store, create_notice  # noqa: E402
from tests.support.smtp_server import SmtpServer  # noqa: E402

KEY = "SG.benchmark-key"
NOW = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)
LOCALES = ("en", "de", "fr", "es", "ja")
LISTMONK_PER_MINUTE = 50_000  # listmonk's documentation: ~50k e-mails a minute per instance


def line(name: str, value: float | int | str, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value:.1f}" if value < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def load_accounts(url: str, count: int) -> float:
    """N synthetic accounts generated inside the database (fast), and one notice."""
    started = time.perf_counter()
    with Store.open(url, NOW) as store, store.write() as conn:
        locales = "CASE n - (n / 5) * 5 " + " ".join(f"WHEN {i} THEN '{loc}'" for i, loc in
                                           enumerate(LOCALES)) + " END"
        ts = "'2027-01-01 00:00:00'" if conn.dialect.name == "sqlite" \
            else "TIMESTAMPTZ '2027-01-01 00:00:00+00'"
        select = (f"SELECT 'acc-' || n, 'user' || n || '@example.com', 'User ' || n, "
                  f"{locales}, 'active', {ts}, {ts}, 1 FROM ")
        source = ("(WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq "
                  f"WHERE n < {count - 1}) SELECT n FROM seq) AS s WHERE true"
                  if conn.dialect.name == "sqlite"
                  else f"generate_series(0, {count - 1}) AS n")
        conn.exec_driver_sql("INSERT INTO pb_accounts (id, email, name, locale, status, "
                             "created_at, updated_at, changed) " + select + source)
        create_notice(conn, NoticeSpec(
            policy="privacy-policy", effective=dt.date(2027, 2, 1), version="b" * 40,
            title="Example Privacy Policy", summary="We now share usage data with our "
            "analytics provider.", reasons=(NoticeReason("Sharing with analytics", "s"),),
            upcoming_url="https://p.example.com/privacy-policy/upcoming/",
            changes_url="https://p.example.com/privacy-policy/changes/2027-02-01/",
            due_at=NOW, effective_at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC)), NOW)
    return time.perf_counter() - started


def run_sender(root: Path, env: dict[str, str]) -> tuple[float, float, str, float]:
    """`policybook notices send 1` in a fresh process: (seconds, peak RSS MiB, stdout,
    CPU seconds)."""
    full = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, "-m", "policybook", "-C", str(root),
                                    "notices", "send", "1", "--now", NOW.isoformat()],
                                   env=full, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if process.returncode != 0:
            raise SystemExit(f"the sender failed ({process.returncode}):\n{text}\n"
                             f"{err.read().decode()}")
    # ru_maxrss is in KiB on Linux
    return seconds, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime


def local_postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL processes of this machine (live ones, and
    the exited ones their postmaster collected): 0 when PostgreSQL runs elsewhere."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            data = stat.read_text()
        except OSError:
            continue
        if not data[data.index("(") + 1:data.rindex(")")].startswith("postgres"):
            continue
        fields = data.rsplit(")", 1)[1].split()
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def send_phase_seconds(summary: str) -> float:
    # "... [sendgrid, 1000 requests, 61.2 s]"
    return float(summary.rsplit(",", 1)[1].strip().split(" ")[0])


class SendGridProcess:
    """The test server in its own process, so that it never competes for our GIL."""

    def __enter__(self) -> SendGridProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.sendgrid_server", "--key", KEY],
            cwd=REPO, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().decode().strip()
        if not ready.startswith("READY "):
            raise SystemExit(f"the SendGrid test server did not start: {ready!r}")
        self.url = ready.split(" ", 1)[1]
        return self

    def control(self, command: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_test/{command}", method="POST",
                                         data=json.dumps(args or {}).encode())
        with urllib.request.urlopen(request, timeout=60) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def bench_sendgrid(name: str, url: str, accounts: int, workdir: Path) -> None:
    root = workdir / name
    root.mkdir()
    load = load_accounts(url, accounts)
    line(f"{name}_load_accounts", load, "s")
    with SendGridProcess() as server:
        server_cpu = server.cpu_seconds()
        pg_cpu = local_postgres_cpu()
        seconds, rss, out, cpu = run_sender(root, {
            "POLICYBOOK_DATABASE_URL": url, "POLICYBOOK_MAIL": "sendgrid",
            "SENDGRID_API_KEY": KEY, "POLICYBOOK_SENDGRID_URL": server.url,
            "POLICYBOOK_MAIL_SAFETY": "off"})
        server_cpu = server.cpu_seconds() - server_cpu
        pg_cpu = local_postgres_cpu() - pg_cpu
        stats = server.control("stats")
    if stats["unique"] != accounts or stats["duplicates"]:
        raise SystemExit(f"{name}: the server accepted {stats['unique']} of {accounts} "
                         f"({stats['duplicates']} duplicates)")
    phase = send_phase_seconds(out.strip())
    line(f"{name}_sendgrid_recipients", accounts)
    line(f"{name}_sendgrid_total_time", seconds, "s")
    line(f"{name}_sendgrid_recipients_per_s", accounts / seconds, "recipients/s")
    line(f"{name}_sendgrid_send_phase_per_s", accounts / phase, "recipients/s")
    line(f"{name}_sendgrid_peak_rss", rss, "MiB")
    line(f"{name}_sendgrid_requests", int(stats["requests"]), "requests")
    line(f"{name}_sendgrid_sender_cpu_per_1000", cpu / accounts * 1000 * 1000, "ms")
    line(f"{name}_sendgrid_test_server_cpu_per_1000", server_cpu / accounts * 1e6, "ms")
    if name == "postgres" and pg_cpu:
        line(f"{name}_sendgrid_postgres_cpu_per_1000", pg_cpu / accounts * 1e6, "ms")
    line(f"{name}_sendgrid_max_per_request", int(stats["max_personalizations"]),
         "recipients")


def bench_smtp(accounts: int, workdir: Path) -> None:
    root = workdir / "smtp"
    root.mkdir()
    url = f"sqlite:///{root / 'policybook.db'}"
    load_accounts(url, accounts)
    with SmtpServer(workdir / "tls") as smtp:
        seconds, rss, out, cpu = run_sender(root, {
            "POLICYBOOK_DATABASE_URL": url, "POLICYBOOK_MAIL": "smtp",
            "POLICYBOOK_SMTP_URL": smtp.url(), "POLICYBOOK_MAIL_SAFETY": "off"})
        received = len(smtp.messages)
    if received != accounts:
        raise SystemExit(f"smtp: the server received {received} of {accounts}")
    line("smtp_recipients", accounts)
    line("smtp_total_time", seconds, "s")
    line("smtp_recipients_per_s", accounts / seconds, "recipients/s")
    line("smtp_send_phase_per_s", accounts / send_phase_seconds(out.strip()), "recipients/s")
    line("smtp_peak_rss", rss, "MiB")
    line("smtp_sender_cpu_per_message", cpu / accounts * 1000, "ms")
    line("smtp_connections", smtp.connections, "connections")


def postgres_schema(base: str) -> tuple[str, str]:
    schema = f"pbbench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(base: str, schema: str) -> None:
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--smtp-accounts", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=os.environ.get("POLICYBOOK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    line("cpus", os.cpu_count() or 0)
    line("peer_listmonk_reported", LISTMONK_PER_MINUTE / 60, "e-mails/s")
    with tempfile.TemporaryDirectory(prefix="pb-bench-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in databases:
            bench_sendgrid("sqlite", f"sqlite:///{workdir / 'sqlite.db'}", args.accounts,
                           workdir)
        if "postgres" in databases:
            if not args.postgres_url:
                print("postgres: skipped (set POLICYBOOK_TEST_POSTGRES_URL or --postgres-url)")
            else:
                url, schema = postgres_schema(args.postgres_url)
                try:
                    bench_sendgrid("postgres", url, args.accounts, workdir)
                finally:
                    drop_schema(args.postgres_url, schema)
        if args.smtp_accounts:
            bench_smtp(args.smtp_accounts, workdir)


if __name__ == "__main__":
    main()
