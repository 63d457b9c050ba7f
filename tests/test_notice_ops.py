"""Legal's notice operations: preview before the due day, a test send through the
SendGrid-compatible server (recorded apart, no delivery row), the production checks,
and the proof bundle (written, verified, a tampered one refused), and lookup."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from policybook.config import load_config
from policybook.errors import ConfigError
from policybook.mail import make_mailer
from policybook.mail.safety import check_production
from policybook.proof import ProofError, neutral, unneutral, verify_bundle
from policybook.store import Store, create_engine, proof
from policybook.store.schema import SCHEMA_VERSION, deliveries, metadata
from policybook.store.schema import notices as notices_table
from tests.helpers import CliResult, GitRepo, policy
from tests.support.fixtures import SENDGRID_KEY
from tests.support.sendgrid_server import SendGridServer

UTC = dt.UTC
V1 = policy("privacy-policy", "2026-01-01", "## 1. Retention {#retention}\n\nWe keep support "
            "tickets for one year.\n\n## 2. Contact\n\nWrite to us.\n",
            title="Northwind Privacy Notice")
V2 = policy("privacy-policy", "2027-02-01", "## 1. Retention {#retention}\n\nWe keep support "
            "tickets for three years.\n\n## 2. Contact\n\nWrite to us.\n",
            title="Northwind Privacy Notice",
            summary="We will keep support tickets for three years instead of one.")
BEFORE_DUE = dt.datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # due 2027-01-02
AFTER_DUE = dt.datetime(2027, 1, 2, 0, 5, tzinfo=UTC)
PRODUCTION = ('[company]\nname = "Northwind Cloud Ltd"\naddress = "4 Harbour Row, Bristol"\n'
              'contact = "privacy@northwind.co.uk"\n'
              '[mail]\nfrom = "Northwind Legal <legal@mail.northwind.co.uk>"\n'
              'reply_to = "privacy@northwind.co.uk"\n'
              '[site]\nbase_url = "https://legal.northwind.co.uk"\n')


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path / "policies")
    repo.write("policybook.toml", PRODUCTION)
    repo.commit("v1", {"content/privacy-policy.md": V1},
                when=dt.datetime(2025, 12, 1, tzinfo=UTC))
    repo.commit("v2: tickets kept longer", {"content/privacy-policy.md": V2},
                when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    return repo


def sendgrid_env(server: SendGridServer, db: str) -> dict[str, str]:
    # A production configuration (the checks pass) against the local test server.
    return {"POLICYBOOK_DATABASE_URL": db, "POLICYBOOK_MAIL": "sendgrid",
            "SENDGRID_API_KEY": SENDGRID_KEY, "POLICYBOOK_SENDGRID_URL": server.url,
            "POLICYBOOK_MAIL_SAFETY": "on"}


def run(cli: Any, repo: GitRepo, env: dict[str, str], *args: str) -> CliResult:
    result: CliResult = cli(list(args), cwd=repo.path, env=env)
    return result


def import_accounts(cli: Any, repo: GitRepo, env: dict[str, str], tmp: Path) -> None:
    rows = "a1,ann@example.net,Ann Lee,en\na2,bo@example.net,=cmd|' /C calc'!A0,fr\n" \
        "a3,cy@example.net,,pt_BR\n"
    (tmp / "accounts.csv").write_text("id,email,name,locale\n" + rows, encoding="utf-8")
    result = run(cli, repo, env, "accounts", "import", str(tmp / "accounts.csv"), "--now",
                 BEFORE_DUE.isoformat())
    assert result.code == 0, result.err


def test_preview_before_the_due_day(cli: Any, repo: GitRepo, tmp_path: Path) -> None:
    env = {"POLICYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'pb.db'}"}
    shown = run(cli, repo, env, "notices", "preview", "privacy-policy@2027-02-01", "--now",
                BEFORE_DUE.isoformat())
    assert shown.code == 0, shown.err
    assert shown.out.startswith("Subject: Changes to our Northwind Privacy Notice, effective "
                                "February 1, 2027\n(notice of privacy-policy@2027-02-01, not "
                                "created yet")
    text = " ".join(shown.out.split())
    assert "Dear customer," in text
    assert "We will keep support tickets for three years instead of one." in text
    assert "1. Retention: An amount, a period or another number changed: “We keep support " \
        "tickets for one year.” became “We keep support tickets for three years.”. " \
        "https://legal.northwind.co.uk/privacy-policy/changes/2027-02-01/#retention" in text
    assert "Kind regards, Northwind Cloud Ltd 4 Harbour Row, Bristol" in text
    assert not (tmp_path / "db").exists()  # a preview writes nothing

    import_accounts(cli, repo, env, tmp_path)
    as_ann = run(cli, repo, env, "notices", "preview", "privacy-policy@2027-02-01",
                 "--account", "a1", "--format", "html", "--now", BEFORE_DUE.isoformat())
    assert as_ann.code == 0, as_ann.err
    assert '<html lang="en" dir="ltr">' in as_ann.out and "\nDear Ann Lee,\n" in as_ann.out
    eml = run(cli, repo, env, "notices", "preview", "privacy-policy@2027-02-01",
              "--locale", "de", "--format", "eml", "--now", BEFORE_DUE.isoformat())
    assert eml.code == 0 and "To: account.holder@example.com" in eml.out
    assert "Subject: Changes to our Northwind Privacy Notice, effective February 1, 2027" \
        in eml.out  # no German templates: English, date included

    for args, code, message in [
        (["privacy-policy@2027-03-01"], 1, "has no version effective 2027-03-01"),
        (["privacy-policy@2026-01-01"], 2, "is not a material change"),
        (["privacy-policy"], 2, "is not POLICY@YYYY-MM-DD"),
        (["privacy-policy@2027-02-01", "--account", "nobody"], 1, "no account 'nobody'"),
        (["privacy-policy@2027-02-01", "--locale", "zz-QQ"], 2, "--locale 'zz-QQ'"),
    ]:
        refused = run(cli, repo, env, "notices", "preview", *args, "--now",
                      BEFORE_DUE.isoformat())
        assert refused.code == code and message in refused.err, (args, refused)
        assert "Traceback" not in refused.err


def test_a_test_send_is_recorded_apart(cli: Any, repo: GitRepo, tmp_path: Path,
                                       sendgrid: SendGridServer, db_url: str) -> None:
    db = db_url
    env = sendgrid_env(sendgrid, db)
    import_accounts(cli, repo, env, tmp_path)
    sent = run(cli, repo, env, "notices", "test", "privacy-policy@2027-02-01",
               "--to", "legal@northwind.co.uk", "--to", "Counsel@Northwind.co.uk",
               "--by", "Dana (legal)", "--now", BEFORE_DUE.isoformat())
    assert sent.code == 0, sent.err
    assert "[TEST] Changes to our Northwind Privacy Notice" in sent.out
    assert "sent to legal@northwind.co.uk" in sent.out
    (body,) = sendgrid.bodies
    assert body["subject"].startswith("[TEST] ")
    assert body["headers"]["X-Policybook-Test"] == "yes"
    assert [p["to"][0]["email"] for p in body["personalizations"]] == \
        ["legal@northwind.co.uk", "Counsel@northwind.co.uk"]
    assert all(p["custom_args"]["pb_notice"] == "0" for p in body["personalizations"])
    with Store.open(db, BEFORE_DUE) as store, store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(deliveries)).scalar() == 0
        (test,) = proof.list_test_sends(conn)
    assert (test.policy, test.effective, test.provider, test.by, test.notice_id) == \
        ("privacy-policy", dt.date(2027, 2, 1), "sendgrid", "Dana (legal)", None)
    assert [r["email"] for r in test.recipients] == ["legal@northwind.co.uk",
                                                     "Counsel@northwind.co.uk"]
    assert all(len(r["sha256"]) == 64 for r in test.recipients)

    bad = run(cli, repo, env, "notices", "test", "privacy-policy@2027-02-01", "--to",
              "not-an-address", "--now", BEFORE_DUE.isoformat())
    assert bad.code == 2 and "--to 'not-an-address'" in bad.err
    assert len(sendgrid.bodies) == 1


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("base_url", "http://127.0.0.1:8000", "site.base_url 'http://127.0.0.1:8000' must be "
                                          "the public https:// address"),
    ("base_url", "https://localhost:8443", "names a host that readers cannot reach"),
    ("base_url", "https://10.1.2.3", "is a private or local address (10.1.2.3)"),
    ("base_url", "https://[::1]/", "is a private or local address (::1)"),
    ("base_url", "https://intranet.corp.internal", "names a host that readers cannot reach"),
    ("mail_from", "Policy <policy-updates@example.com>", "mail.from 'Policy "
                                                         "<policy-updates@example.com>' is at "
                                                         "example.com, a reserved domain"),
    ("mail_reply_to", "help@support.invalid", "mail.reply_to 'help@support.invalid' is at "
                                              "support.invalid"),
    ("company_name", "", "company.name is not set"),
])
def test_each_production_refusal(tmp_path: Path, setting: str, value: str,
                                 message: str) -> None:
    (tmp_path / "policybook.toml").write_text(PRODUCTION, encoding="utf-8")
    good = load_config(tmp_path, env={"POLICYBOOK_MAIL": "smtp",
                                      "POLICYBOOK_SMTP_URL": "smtps://u:p@smtp.northwind.co.uk"})
    check_production(good)  # the production settings pass
    bad = good.with_(**{setting: value})
    with pytest.raises(ConfigError) as info:
        make_mailer(bad)
    (line,) = info.value.lines()
    assert line.startswith("refusing to send real e-mail through smtp: ")
    assert message in line
    check_production(bad.with_(mail_safety=False))  # off: for a test server only
    from policybook.config import MailProvider

    check_production(bad.with_(mail=MailProvider.OUTBOX))  # nothing leaves the machine


def test_the_default_settings_are_refused_all_at_once(cli: Any, tmp_path: Path,
                                                      sendgrid: SendGridServer) -> None:
    repo = GitRepo.create(tmp_path / "plain")
    repo.commit("v1", {"content/privacy-policy.md": V1},
                when=dt.datetime(2025, 12, 1, tzinfo=UTC))
    repo.commit("v2", {"content/privacy-policy.md": V2},
                when=dt.datetime(2026, 12, 1, tzinfo=UTC))
    env = sendgrid_env(sendgrid, f"sqlite:///{tmp_path / 'db' / 'pb.db'}")
    refused = run(cli, repo, env, "notices", "test", "privacy-policy@2027-02-01", "--to",
                  "legal@northwind.co.uk", "--now", BEFORE_DUE.isoformat())
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "site.base_url 'http://127.0.0.1:8000'" in refused.err
    assert "mail.from 'Policy updates <policy-updates@example.com>'" in refused.err
    assert "company.name is not set" in refused.err
    assert sendgrid.bodies == []


def send_for_real(cli: Any, repo: GitRepo, env: dict[str, str], tmp: Path) -> None:
    import_accounts(cli, repo, env, tmp)
    ticked = run(cli, repo, env, "run", "--once", "--now", AFTER_DUE.isoformat())
    assert ticked.code == 0, ticked.err + ticked.out


def test_the_proof_bundle(cli: Any, repo: GitRepo, tmp_path: Path,
                          sendgrid: SendGridServer, db_url: str) -> None:
    db = db_url
    env = sendgrid_env(sendgrid, db)
    send_for_real(cli, repo, env, tmp_path)
    assert len(sendgrid.bodies) == 1  # one request: the three accounts share one language
    with Store.open(db, AFTER_DUE) as store, store.read() as conn:
        rows = conn.execute(sa.select(deliveries.c.account_id, deliveries.c.message_sha256)
                            .order_by(deliveries.c.id)).all()
        (copy,) = proof.messages(conn, 1)
        version = proof.version_record(conn, 1)
    assert [r.account_id for r in rows] == ["a1", "a2", "a3"]
    assert len({r.message_sha256 for r in rows}) == 3  # each account's own message
    assert copy["locale"] == "en" and "PBGREETING0x5f3a9c" in copy["text"]
    assert version is not None and version.path == "content/privacy-policy.md"

    bundle = tmp_path / "out" / "proof.zip"
    wrote = run(cli, repo, env, "notices", "report", "privacy-policy@2027-02-01",
                "--bundle", str(bundle))
    assert wrote.code == 0, wrote.err
    assert "3 deliveries, 1 message copies" in wrote.out
    checked = run(cli, repo, env, "notices", "verify", str(bundle))
    assert checked.code == 0, checked.err
    assert "verified: notice 1 (privacy-policy@2027-02-01)" in checked.out
    assert "3 message hashes recomputed" in checked.out

    with zipfile.ZipFile(bundle) as z:
        files = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["totals"] == {"sent": 3}
    assert manifest["version"]["text_file"] == "version/privacy-policy.md"
    assert files["version/privacy-policy.md"].decode() == V2
    table = list(csv.DictReader(io.StringIO(files["deliveries.csv"].decode())))
    # a name that a spreadsheet would run as a formula is neutralised, reversibly
    assert table[1]["name"] == "'=cmd|' /C calc'!A0"
    assert unneutral(table[1]["name"]) == "=cmd|' /C calc'!A0"
    summary = files["summary.html"].decode()
    assert "Proof of notice" in summary and "<script" not in summary
    assert version.text_sha256 in summary
    assert "Dear customer," in files[manifest["messages"][0].replace(".json", ".txt")].decode()

    def tampered(name: str, change: Any, fix_manifest: bool = False) -> Path:
        copy_files = dict(files)
        copy_files[name] = change(copy_files[name])
        if fix_manifest:  # a forger who also updates the manifest's file hashes
            m = json.loads(copy_files["manifest.json"])
            m["files"][name] = __import__("hashlib").sha256(copy_files[name]).hexdigest()
            copy_files["manifest.json"] = json.dumps(m).encode()
        target = tmp_path / f"tampered-{len(list(tmp_path.glob('tampered-*')))}.zip"
        with zipfile.ZipFile(target, "w") as z:
            for n, data in copy_files.items():
                z.writestr(n, data)
        return target

    def other_address(data: bytes) -> bytes:
        return data.replace(b"ann@example.net", b"ann@example.org")

    cases = [
        (tampered("deliveries.csv", other_address), "deliveries.csv: its SHA-256 differs"),
        (tampered("deliveries.csv", other_address, fix_manifest=True),
         "deliveries.csv:2: account a1: the message hash does not match"),
        (tampered(manifest["messages"][0],
                  lambda d: d.replace(b"three years", b"two years"), fix_manifest=True),
         "the copy does not match its own SHA-256"),
        (tampered("deliveries.csv", lambda d: d.rsplit(b"\r\n", 2)[0] + b"\r\n",
                  fix_manifest=True), "do not match the manifest's totals"),
        (tampered("version/privacy-policy.md", lambda d: d.replace(b"three", b"two"),
                  fix_manifest=True), "the text's SHA-256 differs from the version's"),
    ]
    for path, message in cases:
        with pytest.raises(ProofError) as info:
            verify_bundle(path)
        assert any(message in line for line in info.value.lines()), info.value.lines()
        refused = run(cli, repo, env, "notices", "verify", str(path))
        assert refused.code == 1 and message in refused.err and "Traceback" not in refused.err
    not_zip = tmp_path / "not.zip"
    not_zip.write_text("hello", encoding="utf-8")
    assert run(cli, repo, env, "notices", "verify", str(not_zip)).code == 1
    bad_name = run(cli, repo, env, "notices", "report", "1", "--bundle", "proof.tar")
    assert bad_name.code == 2 and "is a .zip file" in bad_name.err

    looked = run(cli, repo, env, "notices", "lookup", "a1", "--policy",
                 "privacy-policy@2027-02-01")
    assert looked.code == 0, looked.err
    assert looked.out.startswith("privacy-policy@2027-02-01 (notice 1, version ")
    assert "sent on 2027-01-02" in looked.out and "to ann@example.net via sendgrid" in looked.out
    assert rows[0].message_sha256 in looked.out
    as_json = json.loads(run(cli, repo, env, "notices", "lookup", "a1", "--json").out)
    assert [(r["policy"], r["state"]) for r in as_json] == [("privacy-policy", "sent")]
    nobody = run(cli, repo, env, "notices", "lookup", "zz")
    assert nobody.code == 0 and "No notice was sent to account zz." in nobody.out


def test_neutral_cells_round_trip() -> None:
    for value in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "'quoted", "plain", ""]:
        assert unneutral(neutral(value)) == value
        assert not neutral(value).startswith(("=", "+", "-", "@", "\t"))


def v3_notices(md: sa.MetaData) -> sa.Table:
    """pb_notices as schema version 3 made it: no variant, unique (policy, effective,
    version)."""
    columns = [c._copy() for c in notices_table.columns if c.name != "variant"]
    return sa.Table("pb_notices", md, *columns,
                    sa.UniqueConstraint("policy", "effective", "version",
                                        name="pb_notices_version"))


def test_migration_from_schema_1(db_url: str) -> None:
    """A database made by the previous release is upgraded in place (SQLite and
    PostgreSQL): the digest column and the proof tables appear, rows are kept."""
    engine = create_engine(db_url)
    old = [t for t in metadata.sorted_tables if t.name not in (
        "pb_notices", "pb_notice_messages", "pb_notice_versions", "pb_test_sends")]
    with engine.begin() as conn:
        v3_notices(sa.MetaData()).create(conn)
        metadata.create_all(conn, tables=old)
        conn.execute(sa.text("ALTER TABLE pb_deliveries DROP COLUMN message_sha256"))
        for column in ("paused_at", "resumed_at", "control_by", "control_reason"):  # v3
            conn.execute(sa.text(f"ALTER TABLE pb_notices DROP COLUMN {column}"))
        conn.execute(sa.text("ALTER TABLE pb_accounts DROP COLUMN country"))  # v4
        for column in ("variant", "country", "language"):
            conn.execute(sa.text(f"ALTER TABLE pb_deliveries DROP COLUMN {column}"))
        conn.execute(sa.text("INSERT INTO pb_schema (version, install_id, migrated_at, "
                             "installed_at) VALUES (1, 'abcd0001', :t, :t)"),
                     {"t": dt.datetime(2026, 1, 1)})
    engine.dispose()
    with Store.open(db_url, BEFORE_DUE) as store, store.read() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("pb_deliveries")}
        assert "message_sha256" in columns
        notice_columns = {c["name"] for c in sa.inspect(conn).get_columns("pb_notices")}
        assert {"paused_at", "resumed_at", "control_by", "control_reason"} <= notice_columns
        assert sa.inspect(conn).has_table("pb_test_sends")
        assert conn.execute(sa.text("SELECT version, install_id FROM pb_schema")).one() == \
            (SCHEMA_VERSION, "abcd0001")


def test_outbox_deliveries_are_hashed_and_verify(cli: Any, repo: GitRepo, tmp_path: Path,
                                                 db_url: str) -> None:
    """SMTP and the outbox record one message id per message (the other branch of the
    ledger): their digests verify the same way."""
    env = {"POLICYBOOK_DATABASE_URL": db_url, "POLICYBOOK_OUTBOX": str(tmp_path / "outbox")}
    # more than 8 messages in a batch: one message id each, recorded row by row
    rows = "".join(f"b{i},b{i}@example.net,Bea {i},en\n" for i in range(12))
    (tmp_path / "many.csv").write_text("id,email,name,locale\n" + rows, encoding="utf-8")
    assert run(cli, repo, env, "accounts", "import", str(tmp_path / "many.csv"), "--now",
               BEFORE_DUE.isoformat()).code == 0
    ticked = run(cli, repo, env, "run", "--once", "--now", AFTER_DUE.isoformat())
    assert ticked.code == 0, ticked.err
    with Store.open(db_url, AFTER_DUE) as store, store.read() as conn:
        hashes = conn.execute(sa.select(deliveries.c.message_sha256)).scalars().all()
    assert len(hashes) == 12 and all(h and len(h) == 64 for h in hashes)
    bundle = tmp_path / "proof.zip"
    assert run(cli, repo, env, "notices", "report", "1", "--bundle", str(bundle)).code == 0
    checked = run(cli, repo, env, "notices", "verify", str(bundle))
    assert checked.code == 0 and "12 message hashes recomputed" in checked.out, checked
