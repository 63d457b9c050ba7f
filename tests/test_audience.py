"""Notices per audience (issue 10): accounts' country, who is told, in which language,
the plan's counts and the proof of notice, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from policybook.audience import GENERAL, reach_of
from policybook.errors import NotFoundError, ProofError
from policybook.proof import verify_bundle, write_bundle
from policybook.regions import EEA, Variant, variant_for
from policybook.store import NoticeReason, Store, ledger, proof
from policybook.store.accounts import Account
from policybook.store.db import create_engine
from policybook.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    _audience_columns,
    deliveries,
    metadata,
)
from policybook.workflows.notices import send_notice
from tests.helpers import GitRepo, policy
from tests.support.fixtures import (
    EFFECTIVE_AT,
    NOW,
    add_accounts,
    add_notice,
    make_config,
    sendgrid_env,
)
from tests.support.sendgrid_server import SendGridServer

T0 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_a_database_of_the_previous_version_upgrades_without_loss(db_url: str) -> None:
    """Migration 4 adds the accounts' country and the deliveries' variant, country and
    language; accounts and deliveries already there are kept as they were. (The database
    is the one of the step before: whatever number the step has after a merge.)"""
    assert MIGRATIONS[SCHEMA_VERSION] is _audience_columns
    engine = create_engine(db_url)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(sa.text("ALTER TABLE pb_accounts DROP COLUMN country"))
        for column in ("variant", "country", "language"):
            conn.execute(sa.text(f"ALTER TABLE pb_deliveries DROP COLUMN {column}"))
        conn.execute(sa.text("INSERT INTO pb_schema (version, install_id, migrated_at, "
                             "installed_at) VALUES (:v, 'abcd0003', :t, :t)"),
                     {"t": dt.datetime(2026, 1, 1), "v": SCHEMA_VERSION - 1})
        conn.execute(sa.text("INSERT INTO pb_accounts (id, email, name, locale, status, "
                             "created_at, updated_at, changed) VALUES ('a1', "
                             "'ann@example.net', 'Ann', 'fr', 'active', :t, :t, 1)"),
                     {"t": dt.datetime(2026, 1, 1)})
        conn.execute(sa.text(
            "INSERT INTO pb_notices (policy, effective, version, title, summary, reasons, "
            "upcoming_url, changes_url, due_at, effective_at, created_at, state, "
            "accounts_mark) VALUES ('p', '2027-02-01', 'abc', 'P', '', '[]', 'u', 'c', :t, "
            ":t, :t, 'sending', 0)"), {"t": dt.datetime(2026, 1, 1)})
        conn.execute(sa.text(
            "INSERT INTO pb_deliveries (notice_id, account_id, email, name, locale, state, "
            "attempts, created_at) VALUES (1, 'a1', 'ann@example.net', 'Ann', 'fr', 'sent', "
            "1, :t)"), {"t": dt.datetime(2026, 1, 1)})
    engine.dispose()
    with Store.open(db_url, T0) as store, store.read() as conn:
        assert conn.execute(sa.text("SELECT version, install_id FROM pb_schema")).one() == \
            (SCHEMA_VERSION, "abcd0003")
        assert conn.execute(sa.text("SELECT id, email, locale, country FROM pb_accounts")
                            ).one() == ("a1", "ann@example.net", "fr", "")
        assert conn.execute(sa.text("SELECT account_id, state, variant, country, language "
                                    "FROM pb_deliveries")).one() == \
            ("a1", "sent", None, None, None)


# ------------------------------------------------------------------ who is told, in which language


GENERAL_V = Variant("privacy-policy", None, None, "content/privacy-policy.md")
EEA_V = Variant("privacy-policy", "eea", EEA | {"GB", "CH"}, "content/privacy-policy.eea.md")
VARIANTS = (GENERAL_V, EEA_V)

BODY = ("## Retention {#retention}\n\nWe keep support tickets for two years.\n\n"
        "## Sharing {#sharing}\n\nWe share usage data with one analytics provider.\n")
FRENCH = ("---\npolicy: privacy-policy\nlanguage: fr\ntranslates: 2027-02-01\n"
          "title: Politique de confidentialité\nsummary: Nous conservons les tickets "
          "d’assistance deux ans au lieu d’un.\n---\n\n"
          "## Conservation {#retention}\n\nNous conservons les tickets deux ans.\n\n"
          "## Partage {#sharing}\n\nNous partageons des données d’usage.\n")

PEOPLE = [  # id, country, locale
    ("fr-1", "FR", "fr"),      # EEA, French: told in French
    ("fr-2", "BE", "fr_BE"),   # EEA, Belgian French: French (base language)
    ("de-1", "DE", "de"),      # EEA, German: no German text -> English
    ("ie-1", "IE", "en"),      # EEA, English
    ("gb-1", "GB", "en_GB"),   # GB is in this variant too
    ("us-1", "US", "en"),      # general variant: not told of an EEA change
    ("ca-1", "CA", "fr_CA"),   # general variant, French: not told either
    ("xx-1", "", "fr"),        # no country: the general variant's
]


def sample_repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit("privacy policy and its French translation", {
        "content/privacy-policy.md": policy(
            "privacy-policy", "2027-02-01", BODY, title="Privacy Policy",
            summary="We keep support tickets for two years instead of one."),
        "content/fr/privacy-policy.md": FRENCH})
    return repo


def test_a_change_to_one_variant_reaches_its_accounts_each_in_their_language(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    """A notice of the EEA variant goes to the EEA (and GB) accounts only, in French to
    the French speakers (the version has a French translation), in English to the others
    (German included: no German text); through the real SendGrid client and test server,
    with the variant, country and language recorded per delivery."""
    repo = sample_repo(tmp_path)
    config = make_config(repo.path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_BASE_URL="https://legal.example.com",
                         **sendgrid_env(sendgrid))
    add_accounts(store, [Account(i, f"{i}@example.net", f"Person {i}", loc, country=c)
                         for i, c, loc in PEOPLE])
    notice = add_notice(store, policy="privacy-policy", effective_at=EFFECTIVE_AT, reasons=(
        NoticeReason("Retention: We keep data longer.", "retention"),
        NoticeReason("The introduction: We changed a duty.", None)))
    reach = reach_of(EEA_V, VARIANTS)
    report = send_notice(config, notice.id, NOW, store=store, reach=reach)
    assert (report.added, report.sent, report.failed) == (5, 5, 0), report
    told = {a for _, a in sendgrid.stats.accounts}
    assert told == {"fr-1", "fr-2", "de-1", "ie-1", "gb-1"}
    # exactly those variant_for gives the EEA text to
    assert told == {i for i, c, _ in PEOPLE if variant_for(c, VARIANTS) == EEA_V}

    by_address: dict[str, dict[str, object]] = {}
    for body in sendgrid.bodies:
        for p in body["personalizations"]:
            by_address[p["to"][0]["email"]] = body
    french = by_address["fr-1@example.net"]
    # (French typography: narrow no-break spaces inside the quotes, kept in the subject)
    assert french["subject"] == "Modifications du document «\u202fPolitique de " \
        "confidentialité\u202f», en vigueur le 1 février 2027"
    assert french["headers"]["Content-Language"] == "fr"
    text = next(c["value"] for c in french["content"] if c["type"] == "text/plain")
    html = next(c["value"] for c in french["content"] if c["type"] == "text/html")
    flat = re.sub(r"[ \n]+", " ", text)  # (no-break spaces kept)
    assert "Nous vous informons que nous mettons à jour le document" in flat
    assert "La nouvelle version entrera en vigueur le 1 février 2027." in flat
    assert "En bref\u00a0: Nous conservons les tickets d’assistance deux ans au lieu d’un." \
        in flat
    # the reasons: the sections' French titles, linked to the French redline
    assert "- Conservation https://legal.example.com/fr/privacy-policy/changes/2027-02-01/" \
        "#retention" in flat
    assert "- Introduction" in flat
    assert "https://legal.example.com/fr/privacy-policy/upcoming/" in flat
    assert "Cordialement," in flat and "We are writing" not in flat
    assert '<html lang="fr" dir="ltr">' in html
    assert "<strong>1 février 2027</strong>" in html
    belgian = by_address["fr-2@example.net"]
    assert belgian["headers"]["Content-Language"] == "fr-BE"
    for address in ("de-1@example.net", "ie-1@example.net"):
        english = by_address[address]
        assert english["subject"] == "Changes to our Example Privacy Policy, effective " \
            "February 1, 2027"
        assert english["headers"]["Content-Language"] == "en"
        body_text = next(c["value"] for c in english["content"] if c["type"] == "text/plain")
        # (the source language links to the pages the notice recorded when it was made)
        assert "https://policies.example.com/privacy-policy/upcoming/" in body_text
        assert "Retention: We keep data longer." in body_text
    assert by_address["gb-1@example.net"]["subject"] == \
        "Changes to our Example Privacy Policy, effective 1 February 2027"

    with store.read() as conn:
        rows = {r.account_id: (r.variant, r.country, r.language, r.state) for r in
                conn.execute(sa.select(deliveries).where(deliveries.c.notice_id == notice.id))}
    assert rows == {"fr-1": ("eea", "FR", "fr", "sent"), "fr-2": ("eea", "BE", "fr", "sent"),
                    "de-1": ("eea", "DE", "en", "sent"), "ie-1": ("eea", "IE", "en", "sent"),
                    "gb-1": ("eea", "GB", "en", "sent")}

    # The proof of notice says which text each account got: the report's rows, the
    # bundle's deliveries.csv (which verifies), and the lookup of one account.
    with store.read() as conn:
        report = {r["account_id"]: (r["variant"], r["country"], r["language"]) for r in
                  ledger.report_rows(conn, notice.id)}
    assert report["fr-2"] == ("eea", "BE", "fr") and report["de-1"] == ("eea", "DE", "en")
    bundle = tmp_path / "proof.zip"
    made = write_bundle(store, str(notice.id), bundle, repo.path, "content", NOW)
    assert (made.deliveries, made.unmatched) == (5, 0)
    with zipfile.ZipFile(bundle) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("deliveries.csv").decode("utf-8"))))
    assert {(r["account_id"], r["variant"], r["country"], r["language"]) for r in rows} == {
        ("fr-1", "eea", "FR", "fr"), ("fr-2", "eea", "BE", "fr"), ("de-1", "eea", "DE", "en"),
        ("ie-1", "eea", "IE", "en"), ("gb-1", "eea", "GB", "en")}
    assert verify_bundle(bundle).digests == 5
    with store.read() as conn:
        [looked] = proof.lookup(conn, "fr-1")
    assert (looked["variant"], looked["language"], looked["state"]) == ("eea", "fr", "sent")

    # The general variant's notice reaches the rest: accounts of no regional variant,
    # and those without a country.
    other = add_notice(store, policy="privacy-policy", version="b" * 40,
                       effective_at=EFFECTIVE_AT)
    general = send_notice(config, other.id, NOW, store=store,
                          reach=reach_of(GENERAL_V, VARIANTS))
    assert general.sent == 3
    with store.read() as conn:
        rows = {r.account_id: (r.variant, r.language) for r in
                conn.execute(sa.select(deliveries).where(deliveries.c.notice_id == other.id))}
    assert rows == {"us-1": (GENERAL, "en"), "ca-1": (GENERAL, "fr"), "xx-1": (GENERAL, "fr")}
    assert sendgrid.stats.summary()["duplicates"] == 0


def test_an_account_that_moves_out_of_the_variant_is_not_told(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    """A pending delivery follows its account: one that moved to a country of another
    variant before it was sent is skipped (and one that moved in is added)."""
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         **sendgrid_env(sendgrid))
    add_accounts(store, [Account("a", "a@example.net", country="FR"),
                         Account("b", "b@example.net", country="US")])
    notice = add_notice(store)
    reach = reach_of(EEA_V, VARIANTS)
    first = send_notice(config, notice.id, NOW, store=store, reach=reach, max_batches=0)
    assert first.added == 1 and first.sent == 0
    later = NOW + dt.timedelta(days=1)
    add_accounts(store, [Account("a", "a@example.net", country="CA"),
                         Account("b", "b@example.net", country="DE")], later)
    # (recipients are added while the first batches go out: a row claimed before the
    # adder looked again would still go, as for an account closed meanwhile; here the
    # adder runs alone first)
    second = send_notice(config, notice.id, later, store=store, reach=reach, max_batches=0)
    third = send_notice(config, notice.id, later, store=store, reach=reach)
    assert (second.added, second.sent, third.sent) == (1, 0, 1)
    with store.read() as conn:
        rows = {r.account_id: (r.state, r.error) for r in conn.execute(sa.select(deliveries))}
    assert rows == {"a": ("skipped", "the account's country is not in the audience of this "
                                     "variant"), "b": ("sent", None)}
    assert {a for _, a in sendgrid.stats.accounts} == {"b"}


# ------------------------------------------------------------------ the pure rules


def test_reach_agrees_with_variant_for_for_every_country() -> None:
    """A notice of each variant reaches exactly the accounts whose country that variant
    applies to (regions.variant_for), accounts without a country going to the general."""
    from policybook.regions import countries

    for variant in VARIANTS:
        reach = reach_of(variant, VARIANTS)
        for country in [*sorted(countries()), "", None]:
            assert reach.covers(country) == (variant_for(country, VARIANTS) == variant), \
                (variant.key, country)
    # a regional policy (no general variant) reaches nobody outside its countries
    only = Variant("eu-terms", "eu", frozenset({"FR"}), "content/eu.md")
    assert reach_of(only, (only,)).covers("FR") and not reach_of(only, (only,)).covers("")


def test_counting_the_audience_per_language() -> None:
    from policybook.audience import count_audience, offered_languages, plan_line

    offered = offered_languages(["fr", "de", "it"], "en", has_strings=["fr", "de"])
    assert offered == ("en", "de", "fr")  # Italian: no e-mail words in Italian yet
    groups = [("FR", "fr", 500), ("BE", "fr_BE", 30), ("DE", "de_CH", 402), ("IE", "en", 234),
              ("IT", "it", 20), ("ES", "es", 18), ("US", "en", 999), ("", "fr", 7)]
    told = count_audience(groups, reach_of(EEA_V, VARIANTS), offered, "en")
    assert (told.total, told.by_language, told.fallback) == (
        1204, (("fr", 530), ("de", 402), ("en", 272)), 38)
    assert plan_line(told, "en", "eea", "privacy-policy") == (
        "privacy-policy (eea): e-mail to 1,204 accounts (fr 530, de 402, en 272; 38 without "
        "a translation get en)")
    rest = count_audience(groups, reach_of(GENERAL_V, VARIANTS), offered, "en")
    assert rest.by_language == (("en", 999), ("fr", 7)) and rest.fallback == 0
    assert plan_line(rest, "en") == "privacy-policy: e-mail to 1,006 accounts (en 999, fr 7)"


def test_a_bundle_of_format_1_still_verifies(store: Store, sendgrid: SendGridServer,
                                             tmp_path: Path) -> None:
    """Bundles written before deliveries had a variant and a language (format 1, without
    those columns) still verify; a format-2 bundle whose new columns are dropped does not."""
    config = make_config(tmp_path, store.engine.url.render_as_string(hide_password=False),
                         **sendgrid_env(sendgrid))
    add_accounts(store, [Account("a", "a@example.net", "Ann", "fr", country="FR")])
    notice = add_notice(store)
    assert send_notice(config, notice.id, NOW, store=store).sent == 1
    bundle = tmp_path / "proof.zip"
    write_bundle(store, str(notice.id), bundle, tmp_path, "content", NOW)
    with zipfile.ZipFile(bundle) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    rows = list(csv.reader(io.StringIO(entries["deliveries.csv"].decode("utf-8"))))
    keep = [i for i, c in enumerate(rows[0]) if c not in ("country", "variant", "language")]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([[r[i] for i in keep] for r in rows])
    entries["deliveries.csv"] = out.getvalue().encode("utf-8")
    manifest = json.loads(entries["manifest.json"])
    manifest["files"]["deliveries.csv"] = hashlib.sha256(entries["deliveries.csv"]).hexdigest()

    def write(target: Path, fmt: str) -> Path:
        entries["manifest.json"] = json.dumps({**manifest, "format": fmt}).encode("utf-8")
        with zipfile.ZipFile(target, "w") as z:
            for name, data in entries.items():
                z.writestr(name, data)
        return target

    assert verify_bundle(write(tmp_path / "old.zip", "policybook-proof/1")).digests == 1
    with pytest.raises(ProofError) as refused:
        verify_bundle(write(tmp_path / "bad.zip", "policybook-proof/2"))
    assert refused.value.problems == ("deliveries.csv: unexpected columns",)


def test_the_outbox_files_each_account_in_its_language(db_url: str, tmp_path: Path) -> None:
    """Through the outbox (the files SMTP would send): the French account's message is
    French in its subject, both parts and Content-Language; the Spanish one, without a
    Spanish translation of the policy, is English."""
    repo = sample_repo(tmp_path)
    outbox = tmp_path / "outbox"
    config = make_config(repo.path, db_url, POLICYBOOK_MAIL="outbox",
                         POLICYBOOK_OUTBOX=str(outbox), POLICYBOOK_BASE_URL="https://l.example")
    with Store.open(db_url, NOW) as store:
        add_accounts(store, [Account("fr-1", "fr-1@example.net", "Léa", "fr", country="FR"),
                             Account("es-1", "es-1@example.net", "Ana", "es", country="ES")])
        notice = add_notice(store, policy="privacy-policy")
        assert send_notice(config, notice.id, NOW, store=store).sent == 2
    messages = {}
    for path in outbox.rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages[str(msg["To"])] = msg
    french, spanish = messages["Léa <fr-1@example.net>"], messages["Ana <es-1@example.net>"]
    assert french["Content-Language"] == "fr" and spanish["Content-Language"] == "en"
    assert str(french["Subject"]).startswith("Modifications du document «\u202fPolitique")
    assert str(spanish["Subject"]).startswith("Changes to our Example Privacy Policy")
    text = french.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = french.get_body(("html",)).get_content()
    assert text.startswith("Bonjour Léa,\n") and "https://l.example/fr/privacy-policy/" in text
    assert "Bonjour Léa," in html and '<html lang="fr" dir="ltr">' in html
    assert spanish.get_body(("plain",)).get_content().startswith("Dear Ana,\r\n")


def test_the_notice_of_a_variant_reaches_the_accounts_its_file_declares(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    """Without a selection handed in (as the scheduler sends), a notice's audience comes
    from the notice's variant and the variants the committed files declare: the EEA
    text's notice reaches the EEA, GB and CH accounts, the general text's every other
    account (those without a country included); a variant no file declares any more
    stops the sending with a message instead of telling everybody."""
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit("a general text and an EEA/UK variant", {
        "content/privacy-policy.md": policy(
            "privacy-policy", "2027-02-01", BODY, title="Privacy Policy"),
        "content/privacy-policy.eea.md": policy(
            "privacy-policy", "2027-02-01", BODY, title="Privacy Policy (EEA and UK)",
            extra="variant: eea\napplies-to: [EEA, GB, CH]")})
    config = make_config(repo.path, store.engine.url.render_as_string(hide_password=False),
                         **sendgrid_env(sendgrid))
    add_accounts(store, [Account(i, f"{i}@example.net", f"Person {i}", loc, country=c)
                         for i, c, loc in PEOPLE])
    eea = add_notice(store, variant="eea")
    general = add_notice(store)
    assert (eea.variant, general.variant) == ("eea", None)

    assert send_notice(config, eea.id, NOW, store=store).sent == 5
    assert send_notice(config, general.id, NOW, store=store).sent == 3
    with store.read() as conn:
        told = {(r.notice_id, r.account_id, r.variant) for r in
                conn.execute(sa.select(deliveries))}
    assert told == {(eea.id, i, "eea") for i in ("fr-1", "fr-2", "de-1", "ie-1", "gb-1")} | \
        {(general.id, i, GENERAL) for i in ("us-1", "ca-1", "xx-1")}

    # A notice of a variant no file declares (say, recorded from another branch):
    # nobody is told, rather than everybody.
    later = add_notice(store, variant="apac", version="c" * 40)
    with pytest.raises(NotFoundError, match="no committed file declares any more"):
        send_notice(config, later.id, NOW, store=store)
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(deliveries).where(
            deliveries.c.notice_id == later.id)).scalar_one() == 0
