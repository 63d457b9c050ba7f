"""E-mail links on several sites: each account's letter links to the pages of its own
site (`[[sites]]`, chosen by its country) in its letter's language there, rendered once
per (language, site) and not per account; through the real `sendgrid` client against
the SendGrid-compatible test server, and through the outbox (the files SMTP sends)."""

from __future__ import annotations

import email
import email.message
import email.policy
import re
import zipfile
from pathlib import Path

from policybook.proof import verify_bundle, write_bundle
from policybook.store import NoticeReason, Store, proof
from policybook.store.accounts import Account
from policybook.workflows.notices import send_notice
from tests.helpers import GitRepo, policy
from tests.support.fixtures import NOW, add_accounts, add_notice, make_config, sendgrid_env
from tests.support.sendgrid_server import SendGridServer

SITES = """\
[languages]
source = "en"

[[sites]]
base_url = "https://policybook.ca"
default_language = "fr"
languages = ["fr", "en"]
countries = ["CA"]

[[sites]]
base_url = "https://policybook.com"
default_language = "en"
"""

BODY = ("## Retention {#retention}\n\nWe keep support tickets for two years.\n\n"
        "## Sharing {#sharing}\n\nWe share usage data with one analytics provider.\n")
FRENCH = ("---\npolicy: privacy-policy\nlanguage: fr\ntranslates: 2027-02-01\n"
          "title: Politique de confidentialité\nsummary: Nous gardons les tickets deux "
          "ans.\n---\n\n## Conservation {#retention}\n\nNous gardons les tickets deux ans.\n\n"
          "## Partage {#sharing}\n\nNous partageons des données d’usage.\n")

PEOPLE = [  # id, country, locale
    ("ca-fr", "CA", "fr_CA"),
    ("ca-en", "CA", "en"),
    ("us-en", "US", "en"),
    ("xx-en", "", "en"),      # no country: the site that names none
    ("xx-fr", "", "fr"),
]
# (the new version's page, a reason's anchor on the redline) each account's letter links to
EXPECTED = {
    "ca-fr": ("https://policybook.ca/privacy-policy/upcoming/",
              "https://policybook.ca/privacy-policy/changes/2027-02-01/#retention"),
    "ca-en": ("https://policybook.ca/en/privacy-policy/upcoming/",
              "https://policybook.ca/en/privacy-policy/changes/2027-02-01/#retention"),
    "us-en": ("https://policybook.com/privacy-policy/upcoming/",
              "https://policybook.com/privacy-policy/changes/2027-02-01/#retention"),
    "xx-en": ("https://policybook.com/privacy-policy/upcoming/",
              "https://policybook.com/privacy-policy/changes/2027-02-01/#retention"),
    "xx-fr": ("https://policybook.com/fr/privacy-policy/upcoming/",
              "https://policybook.com/fr/privacy-policy/changes/2027-02-01/#retention"),
}
BASE_URL = "https://legal.example.org"  # the configured base URL: no letter links to it


def sites_repo(tmp_path: Path, toml: str = SITES) -> GitRepo:
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit("privacy policy, its French translation, two sites", {
        "policybook.toml": toml,
        "content/privacy-policy.md": policy(
            "privacy-policy", "2027-02-01", BODY, title="Privacy Policy",
            summary="We keep support tickets for two years instead of one."),
        "content/fr/privacy-policy.md": FRENCH})
    return repo


def _links(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"<>]+", text))


def _body(msg: email.message.EmailMessage, kind: str) -> str:
    part = msg.get_body((kind,))
    assert part is not None
    return str(part.get_content())


def _add(store: Store) -> int:
    add_accounts(store, [Account(i, f"{i}@example.net", f"Person {i}", loc, country=c)
                         for i, c, loc in PEOPLE])
    notice = add_notice(store, policy="privacy-policy", base_url=BASE_URL, reasons=(
        NoticeReason("Retention: We keep data longer.", "retention"),))
    return notice.id


def test_each_account_gets_the_links_of_its_site_and_language(
        store: Store, sendgrid: SendGridServer, tmp_path: Path) -> None:
    repo = sites_repo(tmp_path)
    config = make_config(repo.path, store.engine.url.render_as_string(hide_password=False),
                         POLICYBOOK_BASE_URL=BASE_URL, **sendgrid_env(sendgrid))
    notice_id = _add(store)
    report = send_notice(config, notice_id, NOW, store=store)
    assert (report.sent, report.failed) == (5, 0), report

    # One request per rendered message: (fr, .ca), (en, .ca), (en, .com) for the two
    # English accounts there, (fr, .com); never one per account.
    assert len(sendgrid.bodies) == 4
    by_account: dict[str, dict[str, object]] = {}
    for body in sendgrid.bodies:
        accounts = {p["custom_args"]["pb_account"] for p in body["personalizations"]}
        for account in accounts:
            by_account[account] = body
    assert {a for b in sendgrid.bodies for a in
            [p["custom_args"]["pb_account"] for p in b["personalizations"]]
            if b is by_account["us-en"]} == {"us-en", "xx-en"}
    for account, (upcoming, anchor) in EXPECTED.items():
        body = by_account[account]
        contents = body["content"]
        assert isinstance(contents, list)
        for part in contents:
            links = _links(part["value"])
            assert upcoming in links and anchor in links, (account, part["type"], links)
            # every link of the letter is on the account's own site
            site = "https://policybook.ca/" if account.startswith("ca-") \
                else "https://policybook.com/"
            assert all(link.startswith(site) for link in links), (account, links)
            assert BASE_URL not in part["value"]
    assert "Conservation" in by_account["ca-fr"]["content"][0]["value"]  # type: ignore[index]
    assert sendgrid.stats.summary()["duplicates"] == 0

    # The proof keeps one copy per rendered message, each naming its site, and every
    # delivery's digest is recomputed from one of them.
    with store.read() as conn:
        copies = proof.messages(conn, notice_id)
    assert sorted((c["locale"], c["site"]) for c in copies) == [
        ("en", "https://policybook.ca"), ("en", "https://policybook.com"),
        ("fr", "https://policybook.com"), ("fr_CA", "https://policybook.ca")]
    bundle = tmp_path / "proof.zip"
    made = write_bundle(store, str(notice_id), bundle, repo.path, "content", NOW)
    assert (made.deliveries, made.unmatched) == (5, 0)
    assert verify_bundle(bundle).digests == 5
    with zipfile.ZipFile(bundle) as z:
        assert sum(n.startswith("messages/") and n.endswith(".json")
                   for n in z.namelist()) == 4


def test_the_outbox_files_carry_the_links_of_each_site(db_url: str, tmp_path: Path) -> None:
    repo = sites_repo(tmp_path)
    outbox = tmp_path / "outbox"
    config = make_config(repo.path, db_url, POLICYBOOK_MAIL="outbox",
                         POLICYBOOK_OUTBOX=str(outbox), POLICYBOOK_BASE_URL=BASE_URL)
    with Store.open(db_url, NOW) as store:
        notice_id = _add(store)
        assert send_notice(config, notice_id, NOW, store=store).sent == 5
    seen = {}
    for path in outbox.rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        account = str(msg["To"]).split("<")[1].split("@")[0]
        text, html = _body(msg, "plain"), _body(msg, "html")
        seen[account] = (_links(text), _links(html))
    assert set(seen) == set(EXPECTED)
    for account, (upcoming, anchor) in EXPECTED.items():
        for links in seen[account]:
            assert {upcoming, anchor} <= links, (account, links)
            assert not any(link.startswith(BASE_URL) for link in links)


def test_without_sites_the_links_stay_on_the_base_url(db_url: str, tmp_path: Path) -> None:
    """No `[[sites]]`: the links are the configured base URL's, as before (the French
    letter on its `/fr/` pages), whatever the accounts' countries."""
    repo = sites_repo(tmp_path, '[languages]\nsource = "en"\n')
    outbox = tmp_path / "outbox"
    config = make_config(repo.path, db_url, POLICYBOOK_MAIL="outbox",
                         POLICYBOOK_OUTBOX=str(outbox), POLICYBOOK_BASE_URL=BASE_URL)
    with Store.open(db_url, NOW) as store:
        notice_id = _add(store)
        assert send_notice(config, notice_id, NOW, store=store).sent == 5
        with store.read() as conn:
            copies = proof.messages(conn, notice_id)
    assert all("site" not in c for c in copies) and len(copies) == 3  # en, fr_CA, fr
    for path in outbox.rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        text = _body(msg, "plain")
        assert all(link.startswith(BASE_URL + "/") for link in _links(text)), text
