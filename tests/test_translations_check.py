"""Translations in the history and in `policybook check`: missing, stale, orphan.

A translation belongs to the version it translates (docs/languages.md): the history
walks it beside its source and never makes a version of it; `check` fails, naming the
files and the date, when a version whose notice is near lacks a required translation,
or when the source a translation was made from has since changed materially.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from policybook.history import read_history
from tests.helpers import GitRepo, policy

UTC = dt.UTC
CONFIG = '[notice]\ndays = 30\n\n[languages]\nsource = "en"\nrequired = ["fr"]\n'
KEEP = "## Sharing {#sharing}\n\nWe do not share, sell, rent or trade your personal data.\n"
NARROW = "## Sharing {#sharing}\n\nWe do not sell your personal data.\n"
GARDER = ("## Partage {#sharing}\n\nNous ne partageons, ne vendons, ne louons ni "
          "n'échangeons vos données personnelles.\n")
RESTREINDRE = "## Partage {#sharing}\n\nNous ne vendons pas vos données personnelles.\n"


def source(effective: str, body: str) -> str:
    return policy("privacy-policy", effective, body, title="Privacy Policy",
                  summary="We may share your data with partners.")


def french(translates: str, body: str) -> str:
    return ("---\npolicy: privacy-policy\nlanguage: fr\n"
            f"translates: {translates}\ntitle: Politique de confidentialité\n---\n\n{body}")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path / "policies")
    repo.commit("v1 and its French text", {
        "policybook.toml": CONFIG,
        "content/privacy-policy.md": source("2026-01-10", KEEP),
        "content/fr/privacy-policy.md": french("2026-01-10", GARDER),
    }, when=dt.datetime(2026, 1, 2, tzinfo=UTC))
    return repo


def check(cli: Any, repo: GitRepo, now: str) -> tuple[int, str]:
    result = cli(["check", "--now", now], cwd=repo.path,
                 env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{repo.path}/../none.db"})
    return result.code, (result.err + result.out).strip()


def test_a_translation_belongs_to_its_version_and_is_no_version(repo: GitRepo) -> None:
    history = read_history(repo.path)
    assert [(v.policy, v.effective) for v in history.versions] == \
        [("privacy-policy", dt.date(2026, 1, 10))]
    (version,) = history.versions
    fr = version.translation("fr")
    assert fr is not None and fr.path == "content/fr/privacy-policy.md"
    assert "Nous ne partageons" in fr.text and history.problems == ()
    assert version.translation("de") is None


def test_translations_follow_their_version_through_the_history(repo: GitRepo) -> None:
    repo.commit("v2", {"content/privacy-policy.md": source("2026-06-01", NARROW)},
                when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    repo.commit("v2 in French", {"content/fr/privacy-policy.md":
                                 french("2026-06-01", RESTREINDRE)},
                when=dt.datetime(2026, 3, 2, tzinfo=UTC))
    history = read_history(repo.path)
    first, second = history.versions
    # The old French text still belongs to the first version (its archive), the new
    # one to the second; neither is a version of its own.
    t1, t2 = first.translation("fr"), second.translation("fr")
    assert t1 is not None and "partageons" in t1.text
    assert t2 is not None and "vendons pas" in t2.text
    assert len(history.translations) == 2 and len(history.versions) == 2


def test_a_version_near_its_notice_without_a_required_translation_fails(
        cli: Any, repo: GitRepo) -> None:
    repo.commit("v2", {"content/privacy-policy.md": source("2026-06-01", NARROW)},
                when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    # Long before the notice is due: not yet required.
    assert check(cli, repo, "2026-03-05T10:00:00Z")[0] == 0
    code, out = check(cli, repo, "2026-04-10T10:00:00Z")
    assert code == 1
    assert ("content/privacy-policy.md: the version of 2026-06-01 (notice due 2026-05-02) has "
            "no French (fr) translation: add content/fr/privacy-policy.md with "
            "'translates: 2026-06-01'") in out
    # The translation added in the working tree (not yet committed) answers it.
    repo.write("content/fr/privacy-policy.md", french("2026-06-01", RESTREINDRE))
    assert check(cli, repo, "2026-04-10T10:00:00Z") == (
        0, "1 policy checked, no problems (privacy-policy)")


def test_a_translation_whose_source_changed_materially_is_stale(
        cli: Any, repo: GitRepo) -> None:
    repo.commit("v2, not yet announced", {
        "content/privacy-policy.md": source("2026-06-01", KEEP + "\n## Cookies {#cookies}\n\n"
                                            "We use no cookies.\n"),
        "content/fr/privacy-policy.md": french("2026-06-01", GARDER + "\n## Témoins "
                                               "{#cookies}\n\nNous n'utilisons aucun témoin.\n"),
    }, when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert check(cli, repo, "2026-04-10T10:00:00Z")[0] == 0
    # The source of the same version is narrowed after the translation was made.
    repo.commit("v2: narrower sharing", {"content/privacy-policy.md": source(
        "2026-06-01", NARROW + "\n## Cookies {#cookies}\n\nWe use no cookies.\n")},
        when=dt.datetime(2026, 3, 3, tzinfo=UTC))
    code, out = check(cli, repo, "2026-04-10T10:00:00Z")
    assert code == 1
    assert ("content/fr/privacy-policy.md:4: translates the version of 2026-06-01, whose "
            "source has changed materially since; update the translation") in out


def test_an_editorial_source_edit_does_not_make_a_translation_stale(
        cli: Any, repo: GitRepo) -> None:
    repo.commit("v2", {"content/privacy-policy.md": source("2026-06-01", NARROW),
                       "content/fr/privacy-policy.md": french("2026-06-01", RESTREINDRE)},
                when=dt.datetime(2026, 3, 1, tzinfo=UTC))
    repo.commit("v2: a typo", {"content/privacy-policy.md": source(
        "2026-06-01", NARROW.replace("personal data", "personal  data"))},
        when=dt.datetime(2026, 3, 3, tzinfo=UTC))
    assert check(cli, repo, "2026-04-10T10:00:00Z")[0] == 0


def test_a_translation_of_no_version_and_a_misaligned_one(cli: Any, repo: GitRepo) -> None:
    repo.write("content/fr/privacy-policy.md", french("2026-02-03", GARDER))
    code, out = check(cli, repo, "2026-01-20T10:00:00Z")
    assert code == 1
    assert ("content/fr/privacy-policy.md:4: translates the version of 2026-02-03, which "
            "content/privacy-policy.md does not have (its versions: 2026-01-10)") in out
    repo.write("content/fr/privacy-policy.md", french("2026-01-10", GARDER.replace(
        "{#sharing}", "{#partage}")))
    code, out = check(cli, repo, "2026-01-20T10:00:00Z")
    assert code == 1 and "section 'partage' is not in the source" in out


def test_the_languages_setting_is_checked(tmp_path: Path, cli: Any) -> None:
    repo = GitRepo.create(tmp_path / "p")
    repo.commit("v1", {"policybook.toml": '[languages]\nrequired = ["fr", "not a tag"]\n',
                       "content/a.md": source("2026-01-10", KEEP)})
    result = cli(["check"], cwd=repo.path)
    assert result.code != 0 and "'not a tag' is not a language tag" in result.err


def test_translations_are_kept_with_the_history_on_disk(repo: GitRepo) -> None:
    from policybook.history import forget

    read_history(repo.path)
    forget()  # as a new process would: the walk comes from the disk cache
    (version,) = read_history(repo.path).versions
    assert version.translation("fr") is not None


def test_an_uncommitted_new_version_asks_for_its_translation_before_it_lands(
        cli: Any, repo: GitRepo) -> None:
    """The editor's `check` judges the state as it will be once the edit is committed."""
    repo.write("content/privacy-policy.md", source("2026-12-20", NARROW))
    code, out = check(cli, repo, "2026-11-19T10:00:00Z")
    assert code == 1
    assert "content/privacy-policy.md: the version of 2026-12-20 (notice due 2026-11-20) " \
        "has no French (fr) translation: add content/fr/privacy-policy.md with " \
        "'translates: 2026-12-20'" in out
    repo.write("content/fr/privacy-policy.md", french("2026-12-20", RESTREINDRE))
    assert check(cli, repo, "2026-11-19T10:00:00Z") == (
        0, "1 policy checked, no problems (privacy-policy)")


def test_a_pull_request_answers_for_the_translations_of_the_policies_it_touches(
        cli: Any, repo: GitRepo) -> None:
    repo.commit("terms", {"content/terms.md": policy(
        "terms", "2026-02-01", "## Fees\n\nThe plan costs US$ 10.\n", title="Terms",
        summary="First version.")}, when=dt.datetime(2026, 1, 3, tzinfo=UTC))
    repo.commit("terms v2, with no French text yet", {"content/terms.md": policy(
        "terms", "2026-12-15", "## Fees\n\nThe plan costs US$ 12.\n", title="Terms",
        summary="The plan costs US$ 12.")}, when=dt.datetime(2026, 10, 1, tzinfo=UTC))
    # On main, the terms' new version lacks its French text (a problem of main's own).
    assert "content/terms.md: the version of 2026-12-15" in check(
        cli, repo, "2026-11-19T10:00:00Z")[1]
    repo.git("checkout", "-q", "-b", "legal/narrow")
    repo.commit("narrow the sharing", {"content/privacy-policy.md":
                                       source("2026-12-20", NARROW)},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))

    def pr(now: str) -> tuple[int, str]:
        result = cli(["check", "--base", "main", "--now", now], cwd=repo.path,
                     env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{repo.path}/../none.db"})
        return result.code, (result.err + result.out).strip()

    code, out = pr("2026-11-19T10:00:00Z")
    assert code == 1
    # What the pull request changes: the new version of the privacy policy lacks its
    # French text. The terms' own missing translation predates it: not its to answer.
    assert "content/privacy-policy.md: the version of 2026-12-20 (notice due 2026-11-20) " \
        "has no French (fr) translation" in out
    assert "content/terms.md" not in out
    repo.commit("narrow the sharing, in French", {"content/fr/privacy-policy.md":
                                                  french("2026-12-20", RESTREINDRE)},
                when=dt.datetime(2026, 11, 2, tzinfo=UTC))
    assert pr("2026-11-19T10:00:00Z")[0] == 0
