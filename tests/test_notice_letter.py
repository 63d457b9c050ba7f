"""The notice as a company's letter: greeting, plain-language changes, what to do if
you disagree, contact and sign-off; text, date and `lang` in one language."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from policybook.config import load_config
from policybook.delivery import Recipient
from policybook.errors import ConfigError, MailError
from policybook.mail.compose import Letter, LetterText, compose, letter_for
from policybook.mail.facts import Company, plain_reasons
from policybook.store import Notice, NoticeReason, NoticeState
from policybook.workflows.assessing import assess_texts
from tests.helpers import policy
from tests.support.fixtures import EFFECTIVE, EFFECTIVE_AT, NOW

REPO = Path(__file__).resolve().parent.parent
COMPANY = Company("Northwind Cloud Ltd", "4 Harbour Row\nBristol BS1 4XX\nUnited Kingdom",
                  "privacy@northwind.co.uk", "")


def notice(title: str = "Customer Privacy Notice") -> Notice:
    return Notice(3, "privacy-policy", EFFECTIVE, "f" * 40, title,
                  "We will keep support tickets for two years instead of one.",
                  (NoticeReason("4. Retention: We changed how long data is kept.",
                                "retention"),),
                  "https://legal.northwind.co.uk/privacy-policy/upcoming/",
                  "https://legal.northwind.co.uk/privacy-policy/changes/2027-02-01/", NOW,
                  EFFECTIVE_AT, NOW, NoticeState.SENDING)


def make_letter(root: Path = REPO, company: Company = COMPANY, **kwargs: object) -> Letter:
    return compose(notice(), root, "Northwind Legal <legal@mail.northwind.co.uk>",
                   "Privacy team <privacy@northwind.co.uk>", "beef0002",
                   company=company, **kwargs)  # type: ignore[arg-type]


def parts(letter: Letter, recipient: Recipient) -> tuple[EmailMessage, str, str]:
    raw = letter.message_bytes(recipient, NOW)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return (msg, text.get_content().replace("\r\n", "\n"),
            html.get_content().replace("\r\n", "\n"))


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_letter_in_the_default_language() -> None:
    msg, text, html = parts(make_letter(), Recipient(1, "a1", "ann@example.net",
                                                     "Ann Lee", "en_GB"))
    # British English: English templates, the date as en_GB writes it
    assert msg["Subject"] == "Changes to our Customer Privacy Notice, effective 1 February 2027"
    lines = text.splitlines()
    assert lines[0] == "Dear Ann Lee,"
    prose = flat(text)
    assert "we are updating our Customer Privacy Notice. The new version takes effect on " \
        "1 February 2027." in prose
    assert "In short: We will keep support tickets for two years instead of one." in prose
    assert "- 4. Retention: We changed how long data is kept. " \
        "https://legal.northwind.co.uk/privacy-policy/changes/2027-02-01/#retention" in prose
    assert "If you do not agree: If you do not agree with the new version, you can close " \
        "your account before 1 February 2027." in prose
    assert "Questions? Write to us at privacy@northwind.co.uk." in prose
    assert "Kind regards, Northwind Cloud Ltd 4 Harbour Row Bristol BS1 4XX United Kingdom" \
        in prose
    assert "nothing to unsubscribe from" in prose and msg["List-Unsubscribe"] is None
    assert '<html lang="en-GB" dir="ltr">' in html and msg["Content-Language"] == "en-GB"
    assert "<p style=\"margin:0 0 1rem\">\nDear Ann Lee,\n</p>" in html
    assert 'href="mailto:privacy@northwind.co.uk"' in html
    assert 'href="https://legal.northwind.co.uk/privacy-policy/changes/2027-02-01/#retention"' \
        in html


def test_a_language_without_templates_gets_the_whole_letter_in_the_default() -> None:
    msg, text, html = parts(make_letter(), Recipient(2, "a2", "jo@example.net", "João", "pt_BR"))
    assert msg["Subject"] == "Changes to our Customer Privacy Notice, effective February 1, 2027"
    assert "takes effect on February 1, 2027." in flat(text)
    assert "fevereiro" not in text and "fevereiro" not in html
    assert '<html lang="en" dir="ltr">' in html and "pt-BR" not in html
    assert text.splitlines()[0] == "Dear João,"


def test_a_language_with_templates_is_used_whole(tmp_path: Path) -> None:
    """A repository's own `email/de/` templates write the German letter of a version
    translated into German (the e-mail follows the policy's translations)."""
    folder = tmp_path / "templates" / "email" / "de"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Änderungen: {{ notice.title }}, gültig ab "
                                        "{{ effective_date }}\n", encoding="utf-8")
    (folder / "notice.txt").write_text("{{ greeting }}\n\nDie neue Fassung gilt ab "
                                       "{{ effective_date }}.\n", encoding="utf-8")
    (folder / "notice.html").write_text('<html lang="{{ lang }}"><p>\n{{ greeting }}\n</p>'
                                        "<p>Gültig ab {{ effective_date }}.</p></html>\n",
                                        encoding="utf-8")
    (folder / "greeting.txt").write_text("{% if name %}Guten Tag {{ name }},{% else %}"
                                         "Guten Tag,{% endif %}\n", encoding="utf-8")
    english_only = make_letter(tmp_path)
    _, text, _ = parts(english_only, Recipient(3, "a3", "max@example.net", "Max", "de_AT"))
    assert text.startswith("Dear Max,\n")  # no German text of the policy: told in English
    german = LetterText("de", "Datenschutzhinweis für Kunden", "", "https://x.example/de/u/",
                        "https://x.example/de/c/")
    letter = make_letter(tmp_path, texts=[german])
    msg, text, html = parts(letter, Recipient(3, "a3", "max@example.net", "Max", "de_AT"))
    assert msg["Subject"] == "Änderungen: Datenschutzhinweis für Kunden, gültig ab 1. Februar " \
        "2027"
    assert text == "Guten Tag Max,\n\nDie neue Fassung gilt ab 1. Februar 2027.\n"
    assert '<html lang="de-AT">' in html
    # an English account of the same notice still gets the English letter
    _, english, _ = parts(letter, Recipient(4, "a4", "eve@example.net", "", "en"))
    assert english.startswith("Dear customer,\n")


def test_greeting_without_a_name_and_with_special_characters() -> None:
    letter = make_letter()
    _, text, html = parts(letter, Recipient(5, "a5", "x@example.net", "", "en"))
    assert text.startswith("Dear customer,\n")
    _, text, html = parts(letter, Recipient(6, "a6", "y@example.net", "<b>Tom & Jerry</b>",
                                            "en"))
    assert text.startswith("Dear <b>Tom & Jerry</b>,\n")
    assert "Dear &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;," in html and "<b>Tom" not in html


def test_the_company_decides_the_disagree_text_per_policy(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[company]\nname = "Northwind Cloud Ltd"\ncontact = "https://northwind.co.uk/help"\n'
        'disagree = "Write to us within 30 days to object."\n'
        '[policies.terms-of-service]\ndisagree = "You may cancel your plan for a refund."\n',
        encoding="utf-8")
    config = load_config(tmp_path, env={})
    assert config.disagree_text("terms-of-service") == "You may cancel your plan for a refund."
    assert config.disagree_text("privacy-policy") == "Write to us within 30 days to object."
    letter = letter_for(config, notice(), "beef0003")
    _, text, html = parts(letter, Recipient(7, "a7", "z@example.net", "Zed", "en"))
    assert "If you do not agree: Write to us within 30 days to object." in flat(text)
    assert "Questions? Contact us at https://northwind.co.uk/help" in flat(text)
    assert '<a href="https://northwind.co.uk/help"' in html


def test_company_settings_are_checked(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[company]\ncontact = "not an address"\n[policies.Bad_Id]\ndisagree = "x"\n'
        '[policies.terms]\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    text = "\n".join(info.value.lines())
    assert "company.contact 'not an address' is neither an e-mail address" in text
    assert "unknown setting 'policies.Bad_Id.disagree'" in text
    assert "unknown setting 'policies.terms.colour'" in text


def test_long_subjects_never_start_with_a_space() -> None:
    for title in ("Customer Privacy Notice", "Customer Privacy Notice and Terms of Service "
                  "for Customers of the European Economic Area and Switzerland",
                  "Datenschutzerklärung für Kundinnen und Kunden in Österreich"):
        letter = compose(notice(title), REPO, "Legal <legal@mail.northwind.co.uk>", None,
                         "beef0004")
        raw = letter.message_bytes(Recipient(8, "a8", "q@example.net", "", "en"), NOW)
        line = next(x for x in raw.split(b"\r\n") if x.startswith(b"Subject:"))
        assert line.startswith(b"Subject: ") and not line.startswith(b"Subject:  ")
        assert line[len(b"Subject: "):].strip()  # the value begins on the header's line
        assert all(len(x) <= 78 for x in raw.split(b"\r\n\r\n")[0].split(b"\r\n")
                   if not x.startswith(b"Content-Type")), raw[:400]
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert str(parsed["Subject"]).startswith("Changes to our ")


def test_plain_reasons_have_no_rule_ids_or_line_numbers() -> None:
    old = policy("privacy-policy", "2026-01-01", "## 4. Retention\n\nWe keep tickets for "
                 "one year.\n\n## 5. Sharing\n\nWe will not sell your data.\n")
    new = policy("privacy-policy", "2027-02-01", "## 4. Retention\n\nWe keep tickets for "
                 "two years.\n\n## 5. Sharing\n\nWe may sell your data.\n")
    assessment = assess_texts(old, "content/p.md", new, "content/p.md")
    reasons = plain_reasons(assessment)
    assert reasons and all(r.text.endswith(".") for r in reasons)
    for reason, raw in zip(reasons, assessment.main_reasons, strict=True):
        assert str(raw.rule) not in reason.text and "line" not in reason.text
        assert reason.text.startswith(raw.where + ": ")
        assert reason.section == raw.section
    assert any("4. Retention" in r.text for r in reasons)


def test_a_test_letter_is_marked() -> None:
    letter = make_letter(test=True)
    msg, text, html = parts(letter, Recipient(-1, "test", "legal@northwind.co.uk", "", "en"))
    assert str(msg["Subject"]).startswith("[TEST] Changes to our")
    assert msg["X-Policybook-Test"] == "yes"
    assert text.startswith("THIS IS A TEST.")
    assert "This is a test." in html


def test_a_template_without_its_greeting_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "templates" / "email").mkdir(parents=True)
    (tmp_path / "templates" / "email" / "notice.txt").write_text(
        "Hello {{ greeting }}!\n", encoding="utf-8")
    with pytest.raises(MailError, match="greeting"):
        make_letter(tmp_path).rendered("en")


def test_a_language_comes_complete_or_not_at_all(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "email" / "fr"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Modifications\n", encoding="utf-8")
    with pytest.raises(MailError, match=r"templates/email/fr/ lacks notice\.txt, notice\.html, "
                                        r"greeting\.txt"):
        make_letter(tmp_path, texts=[LetterText("fr", "Avis", "", "u", "c")]).rendered("fr")


def test_the_digest_is_recomputed_from_the_kept_copy_alone() -> None:
    from policybook.mail.rendered import digest_from_copy

    for letter in (make_letter(), compose(notice(), REPO, "legal@mail.northwind.co.uk", None,
                                          "beef0005", test=True)):
        copy = letter.proof_copy(letter.rendered("en"))
        seen = set()
        for i, name in enumerate(["Zoë Ünal", "", "=cmd|' /C calc'!A0", 'A "B" <C>']):
            r = Recipient(i + 1, f"a{i}", f"p{i}@example.net", name, "en")
            digest = letter.digest(r)
            assert digest_from_copy(copy, r.delivery_id, r.email, r.name) == digest
            assert digest_from_copy(copy, r.delivery_id + 1, r.email, r.name) != digest
            seen.add(digest)
        assert len(seen) == 4


@pytest.mark.parametrize(("locale", "language", "expected"), [
    ("de_DE", "de", ["Guten Tag Ann Lee,", "Wir möchten Sie darüber informieren, dass wir "
                     "unser Dokument „Datenschutzhinweis“ aktualisieren. Die neue Fassung gilt "
                     "ab dem 1. Februar 2027.", "Die wichtigsten Änderungen:",
                     "Mit freundlichen Grüßen"]),
    ("es", "es", ["Estimado/a Ann Lee:", "La nueva versión entrará en vigor el 1 de febrero "
                  "de 2027.", "Los cambios principales:", "Atentamente,",
                  "Si no está de acuerdo con la nueva versión, puede cerrar su cuenta antes "
                  "del 1 de febrero de 2027."]),
])
def test_the_catalogs_write_the_whole_letter(locale: str, language: str,
                                             expected: list[str]) -> None:
    """German and Spanish letters from the catalogs alone (no templates of their own):
    every line of the e-mail's own words is in the language, with the date."""
    texts = [LetterText(language, "Datenschutzhinweis", "", f"https://l.example/{language}/u/",
                        f"https://l.example/{language}/c/",
                        (("retention", "Aufbewahrung"),))]
    letter = make_letter(company=Company("Northwind Cloud Ltd"), texts=texts)
    msg, text, html = parts(letter, Recipient(1, "a1", "ann@example.net", "Ann Lee", locale))
    prose = flat(text)
    for line in expected:
        assert line in prose, line
    assert "Dear" not in prose and "We are" not in prose and "Kind regards" not in prose
    assert msg["Content-Language"] == locale.replace("_", "-")
    assert f'<html lang="{locale.replace("_", "-")}" dir="ltr">' in html
    assert f"https://l.example/{language}/c/#retention" in text


def test_a_section_the_translation_lacks_keeps_the_source_sentence() -> None:
    texts = [LetterText("fr", "Avis", "", "u", "c", (("other", "Autre"),))]
    _, text, _ = parts(make_letter(texts=texts), Recipient(1, "a1", "a@example.net", "", "fr"))
    assert "- 4. Retention: We changed how long data is kept." in flat(text)
    assert text.startswith("Madame, Monsieur,\n")
