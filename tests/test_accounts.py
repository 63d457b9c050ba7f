"""`policybook accounts import|count`: CSV validation, all-or-nothing, upserts; and the
company's own database as a read-only, streamed source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from policybook.config import Secret
from policybook.errors import ConfigError, StoreError
from policybook.store import Store
from policybook.store.accounts import SqlAccountSource, account_counts
from policybook.store.schema import accounts as accounts_table
from tests.helpers import CliResult

GOOD = "id,email,name,locale,plan\n1,ann@example.com,Ann,en,gold\n2,bob@example.com,Bob,de-CH,\n"


def run(cli: Any, tmp_path: Path, *args: str) -> CliResult:
    db = f"sqlite:///{tmp_path / 'state' / 'pb.db'}"
    result: CliResult = cli(list(args), cwd=tmp_path, env={"POLICYBOOK_DATABASE_URL": db})
    return result


def stored(tmp_path: Path) -> dict[str, tuple[str, str, str, str]]:
    with Store.open(f"sqlite:///{tmp_path / 'state' / 'pb.db'}") as store, \
            store.read() as conn:
        return {r.id: (r.email, r.name, r.locale, r.status)
                for r in conn.execute(sa.select(accounts_table))}


def test_import_and_count(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(GOOD, encoding="utf-8")
    result = run(cli, tmp_path, "accounts", "import", "accounts.csv")
    assert result.code == 0, result.err
    assert result.out.strip() == \
        "accounts.csv: 2 rows: 2 accounts added, 0 updated, 0 unchanged"
    assert stored(tmp_path) == {"1": ("ann@example.com", "Ann", "en", "active"),
                                "2": ("bob@example.com", "Bob", "de_CH", "active")}
    # upsert by id: one changed, one closed via the optional status column, one new
    (tmp_path / "accounts.csv").write_text(
        "email,id,name,status\nann@example.com,1,Ann,\nbob@example.com,2,Bob,closed\n"
        "cy@example.com,3,\"Cy, Jr.\",\n", encoding="utf-8")
    result = run(cli, tmp_path, "accounts", "import", "accounts.csv")
    assert result.out.strip() == \
        "accounts.csv: 3 rows: 1 accounts added, 1 updated, 1 unchanged"
    assert stored(tmp_path)["2"][3] == "closed" and stored(tmp_path)["3"][1] == "Cy, Jr."
    result = run(cli, tmp_path, "accounts", "count")
    assert result.out.strip() == "3 accounts: 2 active, 1 closed"
    data = json.loads(run(cli, tmp_path, "accounts", "count", "--json").out)
    assert data == {"source": "store", "total": 3, "active": 2, "closed": 1}


BAD = (
    "id,email,name,locale\n"
    "1,ann@example.com,Ann,en\n"
    "2,not-an-address,Bob,en\n"
    '3,cy@example.com,"Cy\r\nBcc: all@example.com",en\n'
    "1,ann2@example.com,Ann again,en\n"
    "4,dee@example.com,Dee,xx-QQ\n"
    "5,eve@example.com,Eve,en,extra\n"
    "6,fay@example.com,Fay,fr\n"
    "7,gus@example.com,Gus,en,\n"
)


def test_a_bad_file_imports_nothing_and_says_where(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_bytes(BAD.encode())
    result = run(cli, tmp_path, "accounts", "import", "bad.csv")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines == [
        "bad.csv:3: 'not-an-address' is not an e-mail address (it needs exactly one @)",
        "bad.csv:4: the name contains a carriage return (CR); remove it",
        "bad.csv:6: account id '1' appears again (first on line 2)",
        "bad.csv:7: locale 'xx-QQ' is unknown; use a language tag such as en, en-GB, de or "
        "pt-BR",
        "bad.csv:8: has 5 fields where the header has 4 (put a field that contains a comma "
        "in double quotes)",
        "bad.csv:10: has 5 fields where the header has 4 (put a field that contains a comma "
        "in double quotes)",
        "policybook: 6 problems in bad.csv; nothing imported (fix them, or use --skip-invalid "
        "to import the 2 valid rows)",
    ]
    assert stored(tmp_path) == {}


def test_skip_invalid_imports_the_good_rows(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_bytes(BAD.encode())
    result = run(cli, tmp_path, "accounts", "import", "bad.csv", "--skip-invalid")
    assert result.code == 0
    assert result.out.strip() == ("bad.csv: 8 rows: 2 accounts added, 0 updated, 0 unchanged,"
                                  " 6 invalid rows skipped")
    assert "bad.csv:3: 'not-an-address' is not an e-mail address" in result.err
    assert result.err.count("(skipped)") == 6
    assert sorted(stored(tmp_path)) == ["1", "6"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "bad.csv: is empty; the first line must name the columns: id,email,name,locale"),
    (b"id,mail\n1,a@example.com\n", "bad.csv:1: the header lacks the column(s) email"),
    (b"id,email,email\n", "bad.csv:1: the header names email more than once"),
    (b"id,email\n1,a@example.com\n2,b\xe9@example.com\n",
     "bad.csv:3: is not valid UTF-8 text; save the file as UTF-8"),
])
def test_unreadable_files(cli: Any, tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.csv").write_bytes(content)
    result = run(cli, tmp_path, "accounts", "import", "bad.csv", "--skip-invalid")
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err
    assert stored(tmp_path) == {}


def test_missing_file(cli: Any, tmp_path: Path) -> None:
    result = run(cli, tmp_path, "accounts", "import", "nope.csv")
    assert result.code == 1 and "nope.csv: no such file" in result.err


def test_excel_bom_and_crlf_are_fine(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_bytes("\ufeffID,Email,Name\r\n1,a@example.com,Zoë\r\n"
                                     .encode())
    assert run(cli, tmp_path, "accounts", "import", "x.csv").code == 0
    assert stored(tmp_path) == {"1": ("a@example.com", "Zoë", "en", "active")}


@pytest.fixture
def company_db(tmp_path: Path) -> str:
    """The company's own database, with its own table layout."""
    url = f"sqlite:///{tmp_path / 'company.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (uid INTEGER PRIMARY KEY, mail TEXT, "
                             "full_name TEXT, lang TEXT, deleted INTEGER)")
        conn.exec_driver_sql(
            "INSERT INTO users VALUES (1, 'a@example.com', 'A', 'de', 0), "
            "(2, 'broken', 'B\nC', NULL, 0), (3, 'c@example.com', NULL, 'fr', 1)")
        for i in range(4, 1004):
            conn.exec_driver_sql(f"INSERT INTO users VALUES ({i}, 'u{i}@example.com', "
                                 f"'U{i}', 'en', 0)")
    engine.dispose()
    return url


QUERY = ("SELECT uid AS id, mail AS email, full_name AS name, lang AS locale, "
         "CASE deleted WHEN 1 THEN 'closed' ELSE 'active' END AS status FROM users")


def test_sql_source_is_streamed_and_read_only(company_db: str) -> None:
    source = SqlAccountSource(Secret(company_db), QUERY, batch=300)
    batches = list(source.batches())
    assert [len(b) for b in batches] == [300, 300, 300, 103]
    first = {r.account.id: r for r in batches[0][:3]}
    assert first["1"].account.locale == "de" and first["1"].problem is None
    assert first["2"].problem is not None and first["2"].account.name == "B C"
    assert first["3"].account.status.value == "closed"
    assert source.count() == 1003
    writer = SqlAccountSource(Secret(company_db), "DELETE FROM users RETURNING uid AS id, "
                              "mail AS email")
    with pytest.raises(StoreError, match=r"accounts\.sql_query failed"):
        list(writer.batches())
    assert source.count() == 1003
    with pytest.raises(ConfigError, match="must return the columns id and email"):
        list(SqlAccountSource(Secret(company_db), "SELECT uid, mail FROM users").batches())


def test_count_from_the_sql_source(cli: Any, tmp_path: Path, company_db: str) -> None:
    (tmp_path / "policybook.toml").write_text(f'[accounts]\nsql_query = "{QUERY}"\n',
                                              encoding="utf-8")
    result = cli(["accounts", "count"], cwd=tmp_path,
                 env={"POLICYBOOK_ACCOUNTS_URL": company_db,
                      "POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'pb.db'}"})
    assert result.code == 0, result.err
    assert result.out.strip() == "1003 accounts in the SQL source (accounts.sql_query)"
    assert company_db not in result.out


def test_counts_in_the_store(store: Store) -> None:
    with store.read() as conn:
        assert account_counts(conn) == {"active": 0, "closed": 0}


@pytest.mark.postgres
def test_sql_source_on_postgres_is_read_only(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customers (id text, email text)")
        conn.exec_driver_sql("CREATE SEQUENCE hits")
        conn.exec_driver_sql("INSERT INTO customers VALUES ('c1', 'c1@example.com'), "
                             "('c2', 'c2@example.com')")
    source = SqlAccountSource(Secret(pg_url), "SELECT id, email FROM customers ORDER BY id",
                              batch=1)
    assert [[r.account.id for r in b] for b in source.batches()] == [["c1"], ["c2"]]
    # A query with a side effect (here: advancing a sequence) is refused by PostgreSQL.
    writing = SqlAccountSource(Secret(pg_url), "SELECT id, email, nextval('hits') AS n "
                               "FROM customers")
    with pytest.raises(StoreError, match="read-only transaction"):
        list(writing.batches())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT last_value FROM hits").scalar_one() == 1
        assert conn.exec_driver_sql("SELECT is_called FROM hits").scalar_one() is False
    engine.dispose()


def countries(tmp_path: Path) -> dict[str, str]:
    with Store.open(f"sqlite:///{tmp_path / 'state' / 'pb.db'}") as store, \
            store.read() as conn:
        return {r.id: r.country for r in conn.execute(sa.select(accounts_table))}


def test_country_column_is_validated_and_kept(cli: Any, tmp_path: Path) -> None:
    """`country` is an ISO code (any case; UK is GB); a wrong one is a problem with its
    line, and an empty cell or a file without the column keeps what is on record."""
    (tmp_path / "a.csv").write_text("id,email,locale,country\n1,ann@example.com,fr,fr\n"
                                    "2,bob@example.com,en,UK\n3,cy@example.com,de,\n",
                                    encoding="utf-8")
    assert run(cli, tmp_path, "accounts", "import", "a.csv").code == 0
    assert countries(tmp_path) == {"1": "FR", "2": "GB", "3": ""}
    (tmp_path / "b.csv").write_text("id,email,country\n1,ann@example.com,\n"
                                    "3,cy@example.com,DE\n", encoding="utf-8")
    result = run(cli, tmp_path, "accounts", "import", "b.csv")
    assert result.out.strip().endswith("0 accounts added, 1 updated, 1 unchanged"), result
    (tmp_path / "c.csv").write_text("id,email\n2,bob@example.com\n", encoding="utf-8")
    assert run(cli, tmp_path, "accounts", "import", "c.csv").code == 0
    assert countries(tmp_path) == {"1": "FR", "2": "GB", "3": "DE"}
    (tmp_path / "d.csv").write_text("id,email,country\n4,dee@example.com,Germany\n"
                                    "5,eve@example.com,EU\n", encoding="utf-8")
    bad = run(cli, tmp_path, "accounts", "import", "d.csv")
    assert bad.code == 1
    assert bad.err.splitlines()[:2] == [
        "d.csv:2: country 'Germany' is not an ISO 3166-1 alpha-2 country code; write it as "
        "FR, DE, GB, US... (or leave the cell empty)",
        "d.csv:3: country 'EU' is not an ISO 3166-1 alpha-2 country code; write it as "
        "FR, DE, GB, US... (or leave the cell empty)"]
    assert set(countries(tmp_path)) == {"1", "2", "3"}


def test_sql_source_reads_the_country(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'company.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (uid TEXT, mail TEXT, land TEXT)")
        conn.exec_driver_sql("INSERT INTO people VALUES ('a', 'a@example.com', 'de'), "
                             "('b', 'b@example.com', 'uk'), ('c', 'c@example.com', 'Mars'), "
                             "('d', 'd@example.com', NULL)")
    engine.dispose()
    source = SqlAccountSource(Secret(url), "SELECT uid AS id, mail AS email, land AS country "
                              "FROM people ORDER BY uid")
    got = [(r.account.id, r.account.country) for b in source.batches() for r in b]
    assert got == [("a", "DE"), ("b", "GB"), ("c", ""), ("d", "")]


def test_sql_source_groups_the_active_accounts_by_country_and_locale(tmp_path: Path) -> None:
    """What the plan counts: one GROUP BY in the company's database, normalised as the
    rows are (case, aliases, unknown countries, POSIX locales), closed rows left out."""
    url = f"sqlite:///{tmp_path / 'company.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (uid TEXT, mail TEXT, land TEXT, lang TEXT, "
                             "gone INTEGER)")
        conn.exec_driver_sql(
            "INSERT INTO people VALUES ('a', 'a@x.net', 'fr', 'fr', 0), "
            "('b', 'b@x.net', 'FR', 'fr', 0), ('c', 'c@x.net', 'uk', 'en-GB', 0), "
            "('d', 'd@x.net', 'Mars', NULL, 0), ('e', 'e@x.net', 'FR', 'fr', 1)")
    engine.dispose()
    source = SqlAccountSource(Secret(url), "SELECT uid AS id, mail AS email, land AS country, "
                              "lang AS locale, CASE gone WHEN 1 THEN 'closed' ELSE 'active' "
                              "END AS status FROM people", default_locale="de")
    assert source.groups() == [("", "de", 1), ("FR", "fr", 2), ("GB", "en_GB", 1)]
    bare = SqlAccountSource(Secret(url), "SELECT uid AS id, mail AS email FROM people")
    assert bare.groups() == [("", "en", 5)]
