"""Shared fixtures: real services or a clear skip (never a skip in CI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CliResult, GitRepo, run_cli

REPO = Path(__file__).resolve().parent.parent
# The project's shared material (the development corpus) sits beside the checkout.
SHARED = Path(os.environ.get("POLICYBOOK_SHARED", REPO.parent / "shared"))
CORPUS = Path(os.environ.get("POLICYBOOK_CORPUS", SHARED / "corpus" / "site-policy-dev"))
IN_CI = os.environ.get("POLICYBOOK_CI") == "1"
ARTIFACTS = Path(os.environ.get("POLICYBOOK_ARTIFACTS", REPO / "test-artifacts"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
pytest_plugins = ["tests.support.fixtures"]  # databases, SendGrid server (notices tests)


def require(reason: str) -> None:
    """Skip locally with a reason; in CI a missing service is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("POLICYBOOK_TEST_POSTGRES_URL")
    if not url:
        require("PostgreSQL tests need POLICYBOOK_TEST_POSTGRES_URL (set by .ci/run)")
    assert url is not None
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        require("browser tests need Debian's chromium (apt-get install chromium)")
    return path


@pytest.fixture
def corpus_dir() -> Path:
    # The corpus is data beside the repository, not part of it: a checkout without it
    # skips these tests (loudly, in the summary) rather than failing for want of data.
    if not (CORPUS / "pairs").is_dir():
        pytest.skip(f"the development corpus is not at {CORPUS} (set POLICYBOOK_CORPUS)")
    return CORPUS


@pytest.fixture
def seed_text() -> str:
    # The seed as first structured (content/ moves on with the sample's own history).
    return (REPO / "tests" / "data" / "privacy-policy-2013.md").read_text(encoding="utf-8")


@pytest.fixture
def policy_repo(tmp_path: Path) -> GitRepo:
    """An empty git repository with a content/ folder, in a temporary directory."""
    return GitRepo.create(tmp_path / "policies")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> object:
    """Run `policybook ARGS` in-process in a folder: `cli(["check"], cwd=path)`."""

    def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
            ) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        return run_cli(args)

    return run


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One chromium for the whole session (Playwright allows one sync session per process)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield b
        b.close()
