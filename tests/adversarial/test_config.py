"""Hostile and careless configuration: the file, the environment, the database and `--now`.
Every case is a message that says what to write instead and a non-zero exit, never a
traceback, and never a silently different setup (an in-memory database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policybook.config import load_config
from policybook.errors import ConfigError, StoreError
from policybook.store import Store
from tests.helpers import GitRepo, policy

GOOD = policy("privacy-policy", "2026-02-01", "## Data\n\nWe collect your name.\n",
              title="Privacy")


@pytest.mark.parametrize(("env", "words"), [
    ({"POLICYBOOK_NOTICE_DAYS": "99999999999"}, "notice_days must be at most 3650"),
    ({"POLICYBOOK_NOTICE_DAYS": "3651"}, "notice_days must be at most 3650"),
    ({"POLICYBOOK_NOTICE_DAYS": "-1"}, "notice_days must be at least 0"),
    ({"POLICYBOOK_NOTICE_DAYS": "1e3"}, "must be a whole number"),
    ({"POLICYBOOK_NOTICE_DAYS": "9" * 5000}, "must be a whole number"),
    ({"POLICYBOOK_NOTICE_DAYS": "thirty"}, "must be a whole number"),
    ({"POLICYBOOK_NOTICE_DAYS": "0x1e"}, "must be a whole number"),
    ({"POLICYBOOK_LEASE_SECONDS": "99999999999999"}, "lease_seconds must be at most"),
    ({"POLICYBOOK_LEASE_SECONDS": "0"}, "lease_seconds must be at least 1"),
    ({"POLICYBOOK_MAIL_BATCH": "1001"}, "at most 1000"),
    ({"POLICYBOOK_DATABASE_URL": "sqlite:///"}, "names no file"),
    ({"POLICYBOOK_DATABASE_URL": "sqlite+pysqlite:///"}, "names no file"),
    ({"POLICYBOOK_DATABASE_URL": "sqlite:///?mode=ro"}, "names no file"),
    ({"POLICYBOOK_TIMEZONE": "Mars/Olympus"}, "is unknown"),
    ({"POLICYBOOK_TIMEZONE": "../../../etc/passwd"}, "is unknown"),
    ({"POLICYBOOK_TIMEZONE": "UTC\x00"}, "is unknown"),
    ({"POLICYBOOK_MAIL": "carrier-pigeon"}, "must be one of"),
    ({"POLICYBOOK_MAIL": "sendgrid"}, "needs the environment variable SENDGRID_API_KEY"),
    ({"POLICYBOOK_MAIL": "smtp"}, "POLICYBOOK_SMTP_URL"),
])
def test_bad_environment_values_are_refused(tmp_path: Path, env: dict[str, str],
                                            words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env=env)
    assert words in "\n".join(info.value.lines())


@pytest.mark.parametrize(("toml", "words"), [
    ("[notice]\ndays = 100000000000000000\n", "notice_days must be at most 3650"),
    ("[notice]\ndays = true\n", "must be a whole number"),
    ("[notice]\ndays = 1.5\n", "must be a whole number"),
    ("[notice]\ndays = [30]\n", "must be a whole number"),
    ("[mail]\nlease_seconds = 86400000\n", "lease_seconds must be at most"),
    ("[scheduler]\ntick_seconds = 31536000\n", "tick_seconds must be at most 86400"),
    ("[site]\nport = 70000\n", "port must be at most 65535"),
    ("[sendgrid]\ntimeout = nan\n", "sendgrid_timeout must be more than 0"),
    ("[sendgrid]\ntimeout = inf\n", "sendgrid_timeout must be more than 0"),
    ("[sendgrid]\nbackoff_seconds = -1.0\n", "must be more than 0"),
    ('[database]\nurl = "sqlite:///"\n', "names no file"),
    ('[sendgrid]\napi_key = "SG.secret"\n', "is a secret"),
    ("[notice\ndays = 30\n", "not valid TOML"),
    ('content_dir = "content"\ncontent_dir = "x"\n', "not valid TOML"),
    ("[notice]\nzone = 'UTC'\n", "unknown setting 'notice.zone'"),
])
def test_bad_files_are_refused(tmp_path: Path, toml: str, words: str) -> None:
    (tmp_path / "policybook.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    text = "\n".join(info.value.lines())
    assert words in text
    assert "SG.secret" not in text


def test_a_config_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_bytes(b"[site]\nname = \"Caf\xe9\"\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path, env={})


@pytest.mark.parametrize(("url", "words"), [
    ("sqlite:///", "names no file"),
    ("sqlite:///?mode=ro", "names no file"),
    ("mysql://u:p@127.0.0.1/db", "is not supported"),
    ("not a url", "is not an SQLAlchemy URL"),
])
def test_the_store_refuses_urls_it_cannot_keep_proof_in(url: str, words: str) -> None:
    with pytest.raises(StoreError, match=words):
        Store.open(url)


def test_an_uncreatable_database_folder_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the folder of the database"):
        Store.open(f"sqlite:///{blocker}/sub/policybook.db")


@pytest.mark.parametrize("content", [b"not a database at all\n" * 10, b"\x00" * 4096,
                                     b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_file_that_is_not_a_database_is_a_message(tmp_path: Path, content: bytes) -> None:
    file = tmp_path / "policybook.db"
    file.write_bytes(content)
    with pytest.raises(StoreError, match="cannot be used"):
        Store.open(f"sqlite:///{file}")
    assert file.read_bytes() == content  # nothing written into someone else's file


def test_a_folder_given_as_the_database_is_a_message(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot be used"):
        Store.open(f"sqlite:///{tmp_path}")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo.create(tmp_path / "repo")
    r.commit("v1", {"content/privacy.md": GOOD},
             when=dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC))
    return r


@pytest.mark.parametrize(("args", "env", "words"), [
    (["plan", "--now", "9999-12-31T12:00"], {}, "outside the years 1970 to 9000"),
    (["check", "--now", "9999-12-31T12:00"], {}, "outside the years 1970 to 9000"),
    (["run", "--once", "--now", "0001-01-01"], {}, "outside the years 1970 to 9000"),
    (["build", "--out", "site", "--now", "9999-12-31"], {}, "outside the years"),
    (["plan", "--now", "2027-13-01"], {}, "is not an ISO 8601 date"),
    (["plan", "--now", "tomorrow"], {}, "is not an ISO 8601 date"),
    (["plan"], {"POLICYBOOK_NOTICE_DAYS": "99999999999"}, "notice_days must be at most"),
    (["run", "--once"], {"POLICYBOOK_LEASE_SECONDS": "99999999999999"},
     "lease_seconds must be at most"),
    (["run", "--once"], {"POLICYBOOK_DATABASE_URL": "sqlite:///"}, "names no file"),
    (["accounts", "count"], {"POLICYBOOK_DATABASE_URL": "sqlite:///{tmp}/file/sub/x.db"},
     "cannot create the folder of the database"),
    (["run", "--once"], {"POLICYBOOK_DATABASE_URL": "sqlite:///{tmp}/notadb.db"},
     "cannot be used: file is not a database"),
    (["plan"], {"POLICYBOOK_DATABASE_URL": "sqlite:///{tmp}/notadb.db"},
     "cannot be used: file is not a database"),
    (["plan"], {"POLICYBOOK_DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"},
     "cannot be used"),
])
def test_the_cli_says_what_is_wrong_without_a_traceback(  # type: ignore[no-untyped-def]
        repo: GitRepo, tmp_path: Path, cli, args: list[str], env: dict[str, str],
        words: str) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "notadb.db").write_bytes(b"definitely not SQLite\n" * 20)
    result = cli(args, cwd=repo.path,
                 env={k: v.replace("{tmp}", str(tmp_path)) for k, v in env.items()})
    assert result.code not in (0, 3), result
    assert words in result.err, result.err
    assert "Traceback" not in result.err
    assert "hunter2" not in result.err + result.out


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_explicit_in_memory_database_is_a_choice(tmp_path: Path, url: str) -> None:
    assert load_config(tmp_path, env={"POLICYBOOK_DATABASE_URL": url}).db_url == url
