"""`policybook notices list|send|report|preview|test|verify|lookup`: the e-mail campaigns
of material changes and their proof."""

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

from ..config import Config
from ..delivery import DeliveryState
from ..errors import MailError
from ..notice import Notice
from ..workflows import records
from ..workflows.notices import DryRun, Progress, send_notice
from ..workflows.notices import dry_run as plan_dry_run
from ..workflows.records import PROBLEM_STATES, REPORT_COLUMNS
from .common import Env, echo_json, now_option, parse_now, pass_env


@click.group()
def notices() -> None:
    """Notices of material changes: preview and test one, list them, send, pause, resume
    or cancel one, report and verify the proof of notice, look up an account.

    \b
    Example:
      policybook notices list
      policybook notices preview privacy-policy@2027-01-15
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
    items = records.notices_with_totals(env.config)
    if as_json:
        echo_json([_notice_json(i.notice, i.totals) for i in items])
        return
    if not items:
        click.echo("No notices yet (the scheduler creates one when a material version's "
                   "notice is due).")
        return
    for i in items:
        n = i.notice
        click.echo(f"{n.id:>4}  {n.key:<36} {n.version[:10]:<10}  {n.state.value:<9}  "
                   f"due {_when(n.due_at)}  {_totals_text(i.totals)}")


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
@click.option("--again", is_flag=True,
              help="Start a cancelled notice again (its period counts from now; nobody "
                   "already told is sent it twice).")
@click.option("--by", metavar="NAME", help="With --again: who decided (default: "
                                           "$POLICYBOOK_ACTOR, else the login name).")
@now_option
@pass_env
def send_command(env: Env, notice: str, dry_run: bool, again: bool, by: str | None,
                 now: str | None) -> None:
    """Send a notice now (normally the scheduler does this when it is due).

    NOTICE is a notice id or POLICY@EFFECTIVE-DATE. Safe to interrupt and run again, or to
    run in several processes at once: nothing is lost, and only a batch in flight when a
    process dies can go out twice (see the README).

    \b
    Example:
      policybook notices send 3 --dry-run
      policybook notices send privacy-policy@2027-01-15
      policybook notices send privacy-policy@2027-01-15 --again
    """
    config = env.config
    moment = parse_now(now, env.config.zone)
    ref: int | str = int(notice) if notice.strip().isdigit() else notice
    if dry_run:
        _show_dry_run(plan_dry_run(config, ref, moment))
        return
    if again:
        from ..workflows.control import Action, control

        click.echo(control(config, ref, Action.REOPEN, moment, by=by).summary())
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
    if d.audience:
        click.echo(f"Audience: {d.audience}")


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


def _write_csv(handle: TextIO, config: Config, n: Notice) -> int:
    writer = csv.writer(handle)
    writer.writerow(("notice_id", "policy", "effective", "version", *REPORT_COLUMNS))
    count = 0
    with records.proof_rows(config, n.id) as rows:
        for row in rows:
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
@click.option("--bundle", "bundle_path", metavar="FILE.zip",
              help="Write the self-contained proof (manifest, messages sent, per-account "
                   "CSV with hashes and events, audit log, printable summary) to FILE.zip.")
@pass_env
def report_command(env: Env, notice: str, csv_path: str | None, as_json: bool,
                   bundle_path: str | None) -> None:
    """The proof of notice: totals per state, the problems, and per account with --csv.

    \b
    Example:
      policybook notices report 3 --csv proof-of-notice.csv
      policybook notices report privacy-policy@2027-01-15 --bundle proof.zip
    """
    if bundle_path:
        _bundle(env, notice, Path(bundle_path))
        if not csv_path and not as_json:
            return
    config = env.config
    found = records.notice_report(config, notice)
    n, totals = found.notice, found.totals
    if csv_path == "-":
        _write_csv(sys.stdout, config, n)
        return
    if as_json:
        echo_json(_notice_json(n, totals))
    else:
        click.echo(_printable(f"Notice {n.id}: {n.title} ({n.policy}), effective "
                              f"{n.effective.isoformat()}"))
        click.echo(f"Version {n.version}; {n.state.value}; due {_when(n.due_at)}; "
                   f"started {_when(n.started_at)}; completed {_when(n.completed_at)}")
        if n.control_by and n.state.value in ("paused", "cancelled"):
            click.echo(_printable(f"{n.state.value.capitalize()} by {n.control_by}"
                                  + (f": {n.control_reason}" if n.control_reason else "")))
        click.echo(f"Deliveries: {_totals_text(totals)}")
        problems = found.problems
        if problems:
            click.echo(f"Not delivered ({problems}):")
            with records.proof_rows(config, n.id, [s.value for s in PROBLEM_STATES]) as rows:
                for i, row in enumerate(rows):
                    if i == 20:
                        click.echo(f"  ... and {problems - 20} more (see --csv)")
                        break
                    click.echo(_printable(f"  {row['account_id']}  {row['email']}  "
                                          f"{row['state']}  {row['error'] or ''}"))
    if csv_path:
        target = Path(csv_path)
        with _atomic_text(target) as handle:
            count = _write_csv(handle, config, n)
        if not as_json:
            click.echo(f"Wrote {count} rows to {target}")


def _bundle(env: Env, notice: str, target: Path) -> None:
    report = records.bundle(env.config, notice, target, parse_now(None))
    click.echo(f"Wrote {target}: {report.deliveries} deliveries, {report.messages} "
               f"message copies (check it with: policybook notices verify {target})")
    if report.unmatched:
        click.echo(f"warning: {report.unmatched} deliveries have a message hash that no kept "
                   "copy reproduces", err=True)


@notices.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False))
@pass_env
def verify_command(env: Env, bundle: str) -> None:
    """Check a proof bundle: every file, message and delivery hash is recomputed.

    Exits 1 and lists every mismatch if anything was changed, added or removed.

    \b
    Example:
      policybook notices verify proof.zip
    """
    from ..proof import verify_bundle

    result = verify_bundle(Path(bundle))
    n = result.notice
    click.echo(f"{bundle}: verified: notice {n['id']} ({n['policy']}@{n['effective']}), "
               f"{result.files} files, {result.deliveries} deliveries, {result.digests} "
               "message hashes recomputed")


@notices.command("lookup")
@click.argument("account")
@click.option("--policy", "policy_ref", metavar="POLICY[@DATE]",
              help="Only this policy (and version).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
def lookup_command(env: Env, account: str, policy_ref: str | None, as_json: bool) -> None:
    """Was account ACCOUNT told of a version, when, and how (the proof of one account).

    \b
    Example:
      policybook notices lookup acc-1042 --policy privacy-policy@2027-01-15
    """
    from ..workflows.preview import parse_policy_ref

    policy, effective = parse_policy_ref(policy_ref)
    rows = records.lookup(env.config, account, policy, effective)
    if as_json:
        echo_json([{k: (_cell(v) if v is not None else None) for k, v in r.items()}
                   for r in rows])
        return
    if not rows:
        click.echo(f"No notice was sent to account {account}"
                   + (f" for {policy_ref}" if policy_ref else "") + ".")
        return
    for r in rows:
        told = r["state"] in ("sent", "delivered")
        when = _when(r["delivered_at"] or r["sent_at"])
        variant = f", variant {r['variant']}" if r.get("variant") else ""
        click.echo(f"{r['policy']}@{r['effective']} (notice {r['notice_id']}, version "
                   f"{r['version'][:10]}{variant}): {r['state']}"
                   + (f" on {when} to {r['email']} via {r['provider']}" if told else "")
                   + (f" in {r['language']}" if told and r.get("language") else "")
                   + (f"; last event {r['last_event']} {_when(r['event_at'])}"
                      if r["last_event"] else "")
                   + (f"; {r['error']}" if r["error"] else "")
                   + (f"; message SHA-256 {r['message_sha256']}" if r["message_sha256"]
                      else ""))


@notices.command("preview")
@click.argument("version")
@click.option("--account", metavar="ID", help="As this account gets it (name, language).")
@click.option("--locale", metavar="L", help="As an account of this locale gets it (e.g. de).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "eml"]), default="text",
              show_default=True, help="The plain text, the HTML part or the whole message.")
@now_option
@pass_env
def preview_command(env: Env, version: str, account: str | None, locale: str | None,
                    fmt: str, now: str | None) -> None:
    """Show the exact e-mail of the notice of VERSION (POLICY@EFFECTIVE-DATE), before or
    after it is due, as an account gets it. Nothing is written or sent.

    \b
    Example:
      policybook notices preview privacy-policy@2027-01-15 --account acc-1042
      policybook notices preview privacy-policy@2027-01-15 --format html > notice.html
    """
    from ..workflows.preview import preview

    shown = preview(env.config, version, parse_now(now), account=account, locale=locale)
    if fmt == "eml":
        # (7-bit by construction: encoded headers, quoted-printable bodies)
        click.echo(shown.eml().decode("ascii", errors="replace"), nl=False)
        return
    if fmt == "html":
        click.echo(shown.html(), nl=False)
        return
    state = "on record" if shown.facts.on_record else "not created yet: as it would be sent"
    click.echo(f"Subject: {shown.subject}")
    language = shown.letter.rendered_for(shown.recipient).locale
    click.echo(f"(notice of {version}, {state}; written in {language})")
    click.echo("")
    click.echo(shown.text(), nl=False)


@notices.command("test")
@click.argument("version")
@click.option("--to", "addresses", multiple=True, metavar="ADDRESS", required=True,
              help="Send the test to this address (repeat for more; at most 20).")
@click.option("--locale", metavar="L", help="The language to test (default: mail.locale).")
@click.option("--by", metavar="NAME", help="Who sends the test (default: $POLICYBOOK_ACTOR, "
                                           "else the login name); recorded.")
@now_option
@pass_env
def test_command(env: Env, version: str, addresses: tuple[str, ...], locale: str | None,
                 by: str | None, now: str | None) -> None:
    """Send the notice of VERSION to the given addresses only, marked as a test.

    It goes through the configured provider (so the production checks apply), with
    "[TEST]" before the subject and an X-Policybook-Test header, and is recorded apart
    from the deliveries: no account is told, nothing counts as notice.

    \b
    Example:
      policybook notices test privacy-policy@2027-01-15 --to legal@yourcompany.com
    """
    from ..workflows.preview import send_test

    report = send_test(env.config, version, parse_now(now), list(addresses), locale=locale,
                       by=by)
    click.echo(f"Test {report.test_id} ({report.provider}): {report.subject}")
    for address in report.sent:
        click.echo(f"  sent to {address}")
    for address, why in report.failed:
        click.echo(f"  refused for {address}: {why}")
    if report.error:
        raise MailError(f"test {report.test_id}: {report.error}")


def _control_command(action_name: str, help_text: str) -> None:
    from ..workflows.control import Action, control

    action = Action(action_name)

    @notices.command(action_name, help=help_text)
    @click.argument("notice")
    @click.option("--reason", metavar="TEXT", help="Why (kept in the audit log; required "
                                                   "for a cancel).")
    @click.option("--by", metavar="NAME", help="Who acts (default: $POLICYBOOK_ACTOR, else "
                                               "the login name); recorded.")
    @now_option
    @pass_env
    def command(env: Env, notice: str, reason: str | None, by: str | None,
                now: str | None) -> None:
        report = control(env.config, notice, action, parse_now(now, env.config.zone),
                         reason=reason, by=by)
        click.echo(report.summary())


_control_command("pause", """Pause a notice: no e-mail goes out until it is resumed.

The batch with the provider at that moment is the last one; nothing is lost or sent
twice. The banner stays (the notice period runs); a notice resumed after it was due
follows the late-notice policy (see 'policybook plan').

\b
Example:
  policybook notices pause 3 --reason "wrong summary, checking with counsel"
""")
_control_command("resume", """Resume a paused notice: sending carries on where it stopped.

\b
Example:
  policybook notices resume 3 --by "J. Doe"
""")
_control_command("cancel", """Cancel a notice: nothing more is sent, the banner is withdrawn.

The version then waits (with late_notice = postpone it does not take effect) until
legal withdraws it, gives it a new date, or sends its notice again with
'policybook notices send POLICY@DATE --again'. --reason is required.

\b
Example:
  policybook notices cancel 3 --reason "the change is dropped"
""")
