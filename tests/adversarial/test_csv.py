"""Account CSV files and the proof-of-notice CSV, adversarially.

Imports: a file updates only what it states (absent columns and empty status or locale
cells leave stored values alone; only an explicit `active` reopens a closed account),
and hostile rows are refused whole. Reports: no cell a spreadsheet would run as a
formula (OWASP), and no control characters printed to the terminal."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from policybook.cli.notices import neutralise_formula
from policybook.delivery import BatchResult
from policybook.store import Store, ledger
from policybook.store.accounts import Account
from policybook.store.schema import accounts as accounts_table
from tests.helpers import CliResult
from tests.support.fixtures import NOW, add_accounts, add_notice

FIRST = ("id,email,name,locale,status\n"
         "1,ann@example.com,Ann Original,de-CH,active\n"
         "2,bob@example.com,Bob Original,fr,closed\n")


def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'pb.db'}"


def import_text(cli: Any, tmp_path: Path, text: str, *extra: str) -> CliResult:
    (tmp_path / "accounts.csv").write_text(text, encoding="utf-8")
    result: CliResult = cli(["accounts", "import", "accounts.csv", *extra], cwd=tmp_path,
                            env={"POLICYBOOK_DATABASE_URL": db_url(tmp_path)})
    return result


def stored(tmp_path: Path) -> dict[str, tuple[str, str, str, str]]:
    with Store.open(db_url(tmp_path)) as store, store.read() as conn:
        return {r.id: (r.email, r.name, r.locale, r.status)
                for r in conn.execute(sa.select(accounts_table))}


SECOND_FILES = {
    "only id and email": "id,email\n1,ann@example.com\n2,bob@example.com\n",
    "columns reordered, id and email only": "email,id\nann@example.com,1\nbob@example.com,2\n",
    "empty status and locale cells": "id,email,locale,status\n1,ann@example.com,,\n"
                                     "2,bob@example.com,,\n",
    "an unknown extra column": "id,email,plan\n1,ann@example.com,gold\n2,bob@example.com,\n",
    "status column, blank with spaces": "id,email,status\n1,ann@example.com,  \n"
                                        "2,bob@example.com,\t\n",
}


@pytest.mark.parametrize("second", list(SECOND_FILES.values()), ids=list(SECOND_FILES))
def test_a_file_that_says_nothing_about_a_field_leaves_it_alone(
        cli: Any, tmp_path: Path, second: str) -> None:
    assert import_text(cli, tmp_path, FIRST).code == 0
    before = stored(tmp_path)
    result = import_text(cli, tmp_path, second)
    assert result.code == 0, result.err
    assert stored(tmp_path) == before  # names, locales kept; the closed account stays closed
    assert "0 accounts added, 0 updated, 2 unchanged" in result.out


def test_reopening_needs_an_explicit_active(cli: Any, tmp_path: Path) -> None:
    assert import_text(cli, tmp_path, FIRST).code == 0
    assert import_text(cli, tmp_path, "id,email,status\n2,bob@example.com,Active\n").code == 0
    assert stored(tmp_path)["2"] == ("bob@example.com", "Bob Original", "fr", "active")


def test_stated_fields_still_update_and_new_accounts_get_defaults(
        cli: Any, tmp_path: Path) -> None:
    assert import_text(cli, tmp_path, FIRST).code == 0
    result = import_text(cli, tmp_path, "id,email,name\n1,ann@example.org,Ann New\n"
                                        "3,cy@example.com,\n")
    assert result.code == 0, result.err
    got = stored(tmp_path)
    assert got["1"] == ("ann@example.org", "Ann New", "de_CH", "active")
    assert got["3"] == ("cy@example.com", "", "en", "active")


HOSTILE_ROWS = {
    "header injection in a name": '1,ann@example.com,"Ann\r\nBcc: all@evil.example"',
    "newline in a name": '1,ann@example.com,"Ann\nBcc: x@evil.example"',
    "escape sequence in a name": "1,ann@example.com,\x1b[2JAnn",
    "two addresses": "1,ann@example.com;bob@example.com,Ann",
    "address with a display name": '1,"Ann <ann@example.com>",Ann',
    "address with a newline": '1,"ann@example.com\nbcc@evil.example",Ann',
    "empty id": ",ann@example.com,Ann",
    "nul in an id": "1\x00,ann@example.com,Ann",
    "too many fields": "1,ann@example.com,Ann,extra,fields",
    "an id twice": "1,ann@example.com,Ann\n1,bob@example.com,Bob",
}


@pytest.mark.parametrize("row", list(HOSTILE_ROWS.values()), ids=list(HOSTILE_ROWS))
def test_a_hostile_row_imports_nothing(cli: Any, tmp_path: Path, row: str) -> None:
    result = import_text(cli, tmp_path, "id,email,name\n2,good@example.com,Good\n" + row + "\n")
    assert result.code != 0
    assert "accounts.csv:" in result.err and "nothing imported" in result.err
    assert "Traceback" not in result.err
    assert "\x1b" not in result.err
    assert stored(tmp_path) == {}


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1)",
            "\t=1", "\r=1", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", FORMULAS)
def test_neutralise_formula(text: str) -> None:
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["Ann", "ann@example.com", "a=b", "1-2", " =x", ""])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert neutralise_formula(text) == text


def test_the_proof_of_notice_csv_carries_no_formula(cli: Any, tmp_path: Path) -> None:
    url = db_url(tmp_path)
    with Store.open(url, NOW) as store:
        add_accounts(store, [Account(f"=acc{i}", f"user{i}@example.com", name, "en")
                             for i, name in enumerate(FORMULAS)])
        notice = add_notice(store)
        ledger.add_local_recipients(store, notice, NOW)
        claim = ledger.claim(store, notice.id, 100, NOW, 600)
        ids = [r.delivery_id for r in claim.recipients]
        ledger.record(store, claim, BatchResult(
            accepted=tuple((i, "@msg") for i in ids[1:]),
            failed=((ids[0], "=1+1 \x1b]0;owned\x07 refused"),)), "sendgrid", NOW)
    env = {"POLICYBOOK_DATABASE_URL": url}
    result: CliResult = cli(["notices", "report", str(notice.id), "--csv", "proof.csv"],
                            cwd=tmp_path, env=env)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    with (tmp_path / "proof.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert len(body) == len(FORMULAS)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (header, row)
    names = {row[header.index("name")] for row in body}
    assert names == {"'" + f for f in FORMULAS}
    assert {row[header.index("account_id")] for row in body} == \
        {f"'=acc{i}" for i in range(len(FORMULAS))}
