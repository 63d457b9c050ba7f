"""`policybook notices list|send|report`: the e-mail campaigns of material changes."""

from __future__ import annotations

import csv
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click

from ..delivery import DeliveryState
from ..errors import MailError
from ..store import Notice, Store, find_notice, list_notices
from ..store.ledger import REPORT_COLUMNS, report_rows
from ..store.notices import delivery_totals
from ..workflows.notices import DryRun, Progress, send_notice
from ..workflows.notices import dry_run as plan_dry_run
from .common import Env, echo_json, now_option, parse_now, pass_env

PROBLEM_STATES = (DeliveryState.FAILED, DeliveryState.BOUNCED, DeliveryState.DROPPED)


@click.group()
def notices() -> None:
    """Notices of material changes: list them, send one, report the proof of notice.

    \b
    Example:
      policybook notices list
    """


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _notice_json(n: Notice, totals: dict[str, int]) -> dict[str, Any]:
    return {"id": n.id, "policy": n.policy, "effective": n.effective.isoformat(),
            "version": n.version, "title": n.title, "state": n.state.value,
            "due_at": n.due_at.isoformat(), "effective_at": n.effective_at.isoformat(),
            "created_at": n.created_at.isoformat(),
            "started_at": n.started_at.isoformat() if n.started_at else None,
            "completed_at": n.completed_at.isoformat() if n.completed_at else None,
            "upcoming_url": n.upcoming_url, "changes_url": n.changes_url,
            "reasons": [{"text": r.text, "section": r.section} for r in n.reasons],
            "deliveries": dict(sorted(totals.items())), "total": sum(totals.values())}


def _totals_text(totals: dict[str, int]) -> str:
    if not totals:
        return "no deliveries yet"
    order = [s.value for s in DeliveryState]
    parts = [f"{totals[s]} {s}" for s in order if totals.get(s)]
    return f"{sum(totals.values())} deliveries: " + ", ".join(parts)


@notices.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
def list_command(env: Env, as_json: bool) -> None:
    """List every notice with its state and delivery totals.

    \b
    Example:
      policybook notices list --json
    """
    with Store.open(env.config.db_url, parse_now(None)) as store, store.read() as conn:
        items = list_notices(conn)
        totals = delivery_totals(conn)
    if as_json:
        echo_json([_notice_json(n, totals.get(n.id, {})) for n in items])
        return
    if not items:
        click.echo("No notices yet (the scheduler creates one when a material version's "
                   "notice is due).")
        return
    for n in items:
        click.echo(f"{n.id:>4}  {n.key:<36} {n.version[:10]:<10}  {n.state.value:<9}  "
                   f"due {_when(n.due_at)}  {_totals_text(totals.get(n.id, {}))}")


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("Sending", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@notices.command("send")
@click.argument("notice")
@click.option("--dry-run", is_flag=True,
              help="Show what would be sent; write nothing, contact no provider.")
@now_option
@pass_env
def send_command(env: Env, notice: str, dry_run: bool, now: str | None) -> None:
    """Send a notice now (normally the scheduler does this when it is due).

    NOTICE is a notice id or POLICY@EFFECTIVE-DATE. Safe to interrupt and run again, or to
    run in several processes at once: nothing is lost, and only a batch in flight when a
    process dies can go out twice (see the README).

    \b
    Example:
      policybook notices send 3 --dry-run
      policybook notices send privacy-policy@2027-01-15
    """
    config = env.config
    moment = parse_now(now)
    ref: int | str = int(notice) if notice.strip().isdigit() else notice
    if dry_run:
        _show_dry_run(plan_dry_run(config, ref, moment))
        return
    with _progress_bar(sys.stdout.isatty()) as progress:
        report = send_notice(config, ref, moment, progress=progress)
    if report.error:
        raise MailError(report.summary())
    click.echo(report.summary().capitalize())


def _show_dry_run(d: DryRun) -> None:
    n = d.notice
    click.echo(f"Notice {n.id} ({n.key}, version {n.version[:10]}, {n.state.value}): "
               "dry run, nothing sent")
    click.echo(f"Provider: {d.provider}")
    click.echo(f"Would send to {d.pending + d.to_add} accounts ({d.pending} pending, "
               f"{d.to_add} to add)")
    if d.handled:
        click.echo(f"Already: {_totals_text(d.handled)}")
    click.echo(f"Subject ({d.locale}): {d.subject}")


@contextmanager
def _atomic_text(path: Path) -> Iterator[TextIO]:
    """Write a file completely or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_csv(handle: TextIO, store: Store, n: Notice) -> int:
    writer = csv.writer(handle)
    writer.writerow(("notice_id", "policy", "effective", "version", *REPORT_COLUMNS))
    count = 0
    with store.read() as conn:
        for row in report_rows(conn, n.id):
            writer.writerow((n.id, _cell(n.policy), n.effective.isoformat(), n.version,
                             *(_cell(row[c]) for c in REPORT_COLUMNS)))
            count += 1
    return count


# A cell that a spreadsheet would read as a formula (OWASP's "CSV injection"): an
# account name or a provider's error text such as =HYPERLINK(...) would run when a
# regulator or a colleague opens the proof of notice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_formula(value)
    return value


def neutralise_formula(text: str) -> str:
    """OWASP's advice: a cell that starts like a formula gets a leading single quote, so
    spreadsheets show it as text (the csv module quotes what needs quoting)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _printable(value: object) -> str:
    """Text from the database (a provider's reason, a name) as the terminal may show it:
    control characters (escape sequences) replaced, never printed raw."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}"
                   for c in str(value))


@notices.command("report")
@click.argument("notice")
@click.option("--csv", "csv_path", metavar="FILE",
              help="Write the proof of notice per account (e-mail, state, provider message "
                   "id, times) to FILE ('-' for standard output).")
@click.option("--json", "as_json", is_flag=True, help="Print the notice and totals as JSON.")
@pass_env
def report_command(env: Env, notice: str, csv_path: str | None, as_json: bool) -> None:
    """The proof of notice: totals per state, the problems, and per account with --csv.

    \b
    Example:
      policybook notices report 3 --csv proof-of-notice.csv
    """
    with Store.open(env.config.db_url, parse_now(None)) as store:
        with store.read() as conn:
            n = find_notice(conn, notice)
            totals = delivery_totals(conn, n.id).get(n.id, {})
        if csv_path == "-":
            _write_csv(sys.stdout, store, n)
            return
        if as_json:
            echo_json(_notice_json(n, totals))
        else:
            click.echo(_printable(f"Notice {n.id}: {n.title} ({n.policy}), effective "
                                  f"{n.effective.isoformat()}"))
            click.echo(f"Version {n.version}; {n.state.value}; due {_when(n.due_at)}; "
                       f"started {_when(n.started_at)}; completed {_when(n.completed_at)}")
            click.echo(f"Deliveries: {_totals_text(totals)}")
            problems = sum(totals.get(s.value, 0) for s in PROBLEM_STATES)
            if problems:
                click.echo(f"Not delivered ({problems}):")
                with store.read() as conn:
                    for i, row in enumerate(report_rows(
                            conn, n.id, [s.value for s in PROBLEM_STATES])):
                        if i == 20:
                            click.echo(f"  ... and {problems - 20} more (see --csv)")
                            break
                        click.echo(_printable(f"  {row['account_id']}  {row['email']}  "
                                              f"{row['state']}  {row['error'] or ''}"))
        if csv_path:
            target = Path(csv_path)
            with _atomic_text(target) as handle:
                count = _write_csv(handle, store, n)
            if not as_json:
                click.echo(f"Wrote {count} rows to {target}")
