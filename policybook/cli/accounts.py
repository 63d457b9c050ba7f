"""`policybook accounts import|count`: the account holders who must be told."""

from __future__ import annotations

from pathlib import Path

import click

from ..workflows.accounts import count_accounts, import_accounts
from .common import Env, echo_json, now_option, parse_now, pass_env


@click.group()
def accounts() -> None:
    """Account holders: import them from CSV, count them.

    \b
    Example:
      policybook accounts import accounts.csv && policybook accounts count
    """


@accounts.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--skip-invalid", is_flag=True,
              help="Import the valid rows and list the invalid ones (default: a file with "
                   "any problem imports nothing).")
@now_option
@pass_env
def import_command(env: Env, file: Path, skip_invalid: bool, now: str | None) -> None:
    """Import or update accounts from a CSV file (upsert by id).

    Columns: id, email, and optionally name, locale (en, de-CH...), country (ISO 3166-1
    alpha-2: FR, DE, GB...; it decides which regional variant of a policy the account is
    told about) and status (active or closed); others are ignored. Every row is checked
    (e-mail syntax, control characters in names, unknown countries, duplicate ids) and
    the file is imported in one transaction: a problem in any row imports nothing,
    unless --skip-invalid.

    \b
    Example:
      policybook accounts import accounts.csv     # id,email,name,locale,country
      policybook accounts import accounts.csv --skip-invalid
    """
    report = import_accounts(env.config, file, parse_now(now, env.config.zone),
                             skip_invalid=skip_invalid)
    for problem in report.problems:
        click.echo(f"{problem} (skipped)", err=True)
    click.echo(report.summary())


@accounts.command("count")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
def count(env: Env, as_json: bool) -> None:
    """Count account holders (active and closed), from the store or the SQL source.

    \b
    Example:
      policybook accounts count --json
    """
    source, counts = count_accounts(env.config, parse_now(None))
    total = sum(counts.values())
    if source == "sql":
        if as_json:
            echo_json({"source": "sql", "total": total})
        else:
            click.echo(f"{total} accounts in the SQL source (accounts.sql_query)")
        return
    if as_json:
        echo_json({"source": "store", "total": total, **counts})
    else:
        click.echo(f"{total} accounts: {counts['active']} active, {counts['closed']} closed")
