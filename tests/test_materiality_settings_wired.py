"""The repository's [materiality] settings reach every verdict of a command (check, diff,
versions), and the verdicts kept on disk never cross from one setting to another."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from policybook.workflows.assessing import use_settings
from tests.helpers import GitRepo, policy

UTC = dt.UTC
BEFORE = "## Tickets\n\nTickets are sold at the box office.\n"
AFTER = "## Tickets\n\nTickets are sold at the box office with a handling surcharge.\n"


@pytest.fixture(autouse=True)
def default_settings() -> Any:
    yield
    use_settings(None)  # the process-wide setting goes back to the defaults


def repo_with(tmp_path: Path, toml: str) -> GitRepo:
    repo = GitRepo.create(tmp_path / "policies")
    repo.write("policybook.toml", toml)
    repo.commit("v1", {"content/terms.md": policy("terms", "2026-01-10", BEFORE,
                                                  summary="Our terms.")},
                when=dt.datetime(2026, 1, 5, tzinfo=UTC))
    repo.commit("v2", {"content/terms.md": policy("terms", "2026-12-10", AFTER,
                                                  summary="A surcharge.")},
                when=dt.datetime(2026, 11, 1, tzinfo=UTC))
    return repo


def verdict(cli: Any, repo: GitRepo) -> bool:
    result = cli(["versions", "--json", "--now", "2026-11-02T00:00:00Z"], cwd=repo.path,
                 env={"POLICYBOOK_DATABASE_URL": f"sqlite:///{repo.path}/../none.db"})
    assert result.code == 0, result.err
    rows = json.loads(result.out)["versions"]
    return bool(rows[-1]["change"]["material"])


def test_an_extra_term_makes_its_change_material(cli: Any, tmp_path: Path) -> None:
    plain = repo_with(tmp_path / "a", "")
    extended = repo_with(tmp_path / "b", '[materiality]\nterms = { fees = ["handling '
                                         'surcharge"] }\n')
    # Same texts, same cache folder semantics: only the setting differs.
    assert verdict(cli, plain) is False
    assert verdict(cli, extended) is True
    shown = cli(["diff", "terms@2026-01-10", "terms@2026-12-10", "--format", "json"],
                cwd=extended.path)
    assert json.loads(shown.out)["material"] is True
