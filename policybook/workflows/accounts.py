"""Importing account holders from a CSV file (shell): validate every row, write in one
transaction, report problems as `FILE:line: message`.

A file with problems imports nothing, unless the caller asks to skip the bad rows; an
account id that appears twice is a problem (which row is right?), an address shared by
two accounts is not (a family mailbox, two accounts of one person: both are told).

A file updates only what it states: a column it does not have (`name`, `locale`,
`country`, `status`), or an empty `locale`, `country` or `status` cell, leaves the stored
value of an existing account alone (a new account gets no name, `mail.locale`, no
country and `active`). So a closed account is reopened only by a row that says `active`.

`country` is an ISO 3166-1 alpha-2 code (`FR`, `de`, `UK` for GB): it decides which
regional variant of a policy the account is told about (`regions.variant_for`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..addresses import check_id, check_name, normalize_email, normalize_locale
from ..config import Config
from ..errors import ContentError, NotFoundError, Problem
from ..store import Store, audit
from ..store.accounts import (
    Account,
    AccountStatus,
    SqlAccountSource,
    account_counts,
    keep_stored,
    next_change,
    upsert_accounts,
)

REQUIRED = ("id", "email")
OPTIONAL = ("name", "locale", "country", "status")
BATCH = 5000


class AccountsFileError(ContentError):
    """A CSV file of accounts has problems; nothing was imported."""


@dataclass(frozen=True)
class ImportReport:
    path: str
    rows: int  # data rows read
    added: int
    updated: int
    unchanged: int
    problems: tuple[Problem, ...]  # rows skipped (only with skip_invalid)

    def summary(self) -> str:
        text = (f"{self.path}: {self.rows} rows: {self.added} accounts added, "
                f"{self.updated} updated, {self.unchanged} unchanged")
        if self.problems:
            text += f", {len(self.problems)} invalid rows skipped"
        return text


def _rows(path: Path, shown: str, problems: list[Problem]
          ) -> Iterator[tuple[int, dict[str, str] | None]]:
    """(line, row by lower-case column, or None when the row cannot be read) for every
    data row; problems go to `problems`."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFoundError(f"{shown}: no such file") from None
    except OSError as exc:
        raise NotFoundError(f"{shown}: cannot be read ({exc.strerror})") from None
    with handle:
        lines = _Lines(handle)
        reader = csv.reader(lines, strict=True)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                problems.append(Problem(shown, 0, "is empty; the first line must name the "
                                        "columns: id,email,name,locale"))
                return
            columns = [h.strip().lower() for h in header]
            dupes = sorted({c for c in columns if c and columns.count(c) > 1})
            missing = [c for c in REQUIRED if c not in columns]
            if dupes or missing:
                if missing:
                    problems.append(Problem(shown, 1, f"the header lacks the column(s) "
                                            f"{', '.join(missing)}; the first line must name "
                                            "the columns, e.g. id,email,name,locale"))
                if dupes:
                    problems.append(Problem(shown, 1, f"the header names {', '.join(dupes)} "
                                            "more than once"))
                return
            line = reader.line_num + 1
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    line = reader.line_num + 1
                    continue
                if len(row) != len(columns):
                    problems.append(Problem(shown, line, f"has {len(row)} fields where the "
                                            f"header has {len(columns)} (put a field that "
                                            "contains a comma in double quotes)"))
                    yield line, None
                else:
                    yield line, dict(zip(columns, row, strict=True))
                line = reader.line_num + 1
        except _NotUtf8 as exc:
            problems.append(Problem(shown, exc.line, "is not valid UTF-8 text; save the file "
                                    "as UTF-8 (CSV UTF-8 in spreadsheet programs)"))
            raise _Fatal from None
        except csv.Error as exc:
            problems.append(Problem(shown, line, f"is not valid CSV ({exc})"))
            raise _Fatal from None


class _Fatal(Exception):
    """The rest of the file cannot be read reliably."""


class _NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Lines:
    """The file's lines decoded one by one, so that bad bytes have a line number
    (a text-mode file decodes 8 KB at a time); a UTF-8 byte order mark is dropped."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _NotUtf8(number) from None


def unstated(row: dict[str, str]) -> frozenset[str]:
    """The fields a row says nothing about: its file has no such column, or (`locale`,
    `country`, `status`) the cell is empty."""
    keep = {c for c in OPTIONAL if c not in row}
    keep.update(c for c in ("locale", "country", "status") if c in row and not row[c].strip())
    return frozenset(keep)


def check_row(row: dict[str, str], default_locale: str) -> tuple[Account | None, list[str]]:
    """An account from one CSV row, or what is wrong with it (every problem); fields the
    row does not state get the values of a new account (see `unstated`)."""
    wrong: list[str] = []
    account_id = row.get("id", "")
    problem = check_id(account_id)
    if problem:
        wrong.append(problem)
    email, problem = normalize_email(row.get("email", ""))
    if problem:
        wrong.append(problem)
    name, problem = check_name(row.get("name", ""))
    if problem:
        wrong.append(problem)
    locale, problem = normalize_locale(row.get("locale", ""))
    if problem:
        wrong.append(problem)
    from ..regions import country_code  # Babel's territories: only when a file is read

    country_text = row.get("country", "").strip()
    country = country_code(country_text) or ""
    if country_text and not country:
        wrong.append(f"country {country_text!r} is not an ISO 3166-1 alpha-2 country code; "
                     "write it as FR, DE, GB, US... (or leave the cell empty)")
    status_text = row.get("status", "").strip().lower() or AccountStatus.ACTIVE.value
    if status_text not in (AccountStatus.ACTIVE.value, AccountStatus.CLOSED.value):
        wrong.append(f"status {row.get('status', '')!r} must be active or closed")
    if wrong or email is None:
        return None, wrong
    return Account(account_id, email, name, locale or default_locale,
                   AccountStatus(status_text), country), []


def import_accounts(config: Config, path: Path, now: dt.datetime, *,
                    skip_invalid: bool = False, store: Store | None = None) -> ImportReport:
    """Validate and upsert (by id) every account of a CSV file, in one transaction."""
    shown = str(path)
    own = store is None
    store = store or Store.open(config.db_url, now)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    added = updated = unchanged = rows = valid = 0
    try:
        with store.write() as conn:
            change = next_change(conn)
            batch: list[tuple[Account, frozenset[str]]] = []

            def flush() -> None:
                nonlocal added, updated, unchanged
                counts = upsert_accounts(conn, keep_stored(conn, batch), now, change)
                added += counts.added
                updated += counts.updated
                unchanged += counts.unchanged
                batch.clear()

            try:
                for line, row in _rows(path, shown, problems):
                    rows += 1
                    if row is None:
                        continue
                    account, wrong = check_row(row, config.default_locale)
                    account_id = row.get("id", "")
                    if account_id in seen:
                        wrong.append(f"account id {account_id!r} appears again (first on "
                                     f"line {seen[account_id]})")
                        account = None
                    elif account_id:
                        seen[account_id] = line
                    problems.extend(Problem(shown, line, w) for w in wrong)
                    if account is not None:
                        valid += 1
                        batch.append((account, unstated(row)))
                        if len(batch) >= BATCH:
                            flush()
            except _Fatal:
                raise AccountsFileError(problems, f"{shown} cannot be read; nothing "
                                        "imported") from None
            # Header problems (no row could be read) stop the import even when skipping.
            if problems and (not skip_invalid or rows == 0):
                hint = f", or use --skip-invalid to import the {valid} valid rows" if rows \
                    else ""
                raise AccountsFileError(problems, f"{len(problems)} problem"
                                        f"{'s' if len(problems) != 1 else ''} in {shown}; "
                                        f"nothing imported (fix them{hint})")
            flush()
            audit(conn, "accounts.imported", f"file:{path.name}", now, {
                "rows": rows, "added": added, "updated": updated, "unchanged": unchanged,
                "skipped": len({p.line for p in problems})})
    finally:
        if own:
            store.close()
    return ImportReport(shown, rows, added, updated, unchanged, tuple(problems))


def count_recipients(config: Config, store: Store) -> int:
    """How many account holders a notice would go to now: the active accounts of the
    store, or the rows of the SQL source (`accounts.sql_query`)."""
    if config.accounts_sql_query:
        return SqlAccountSource(config.accounts_sql_url, config.accounts_sql_query,
                                config.accounts_batch).count()
    with store.read() as conn:
        return account_counts(conn)["active"]


def audience_groups(config: Config, store: Store | None) -> list[tuple[str, str, int]]:
    """The active account holders counted by (country, locale), from the store or the
    SQL source (then `store` may be None): what the plan turns into its figures per
    variant and language."""
    if config.accounts_sql_query:
        return SqlAccountSource(config.accounts_sql_url, config.accounts_sql_query,
                                config.accounts_batch, config.default_locale).groups()
    from ..store.ledger import audience_groups as stored_groups

    if store is None:
        raise NotFoundError("there is no database to count the accounts in; run "
                            "'policybook accounts import FILE' first")
    with store.read() as conn:
        return stored_groups(conn)


def count_accounts(config: Config, now: dt.datetime) -> tuple[str, dict[str, int]]:
    """("sql", {"total": n}) from the SQL source, or ("store", {"active": .., "closed": ..})."""
    if config.accounts_sql_query:
        return "sql", {"total": SqlAccountSource(config.accounts_sql_url,
                                                 config.accounts_sql_query,
                                                 config.accounts_batch).count()}
    with Store.open(config.db_url, now) as store, store.read() as conn:
        return "store", dict(account_counts(conn))
