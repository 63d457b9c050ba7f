"""Test helpers: run the CLI in-process, build real git repositories."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import git

from policybook.cli import main


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(args: list[str]) -> CliResult:
    """`policybook ARGS` through the real entry point (error mapping included)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


@dataclass
class GitRepo:
    """A real git repository in a temporary folder, with helpers to commit policies."""

    path: Path

    @classmethod
    def create(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        with git.Repo.init(path, initial_branch="main") as repo, repo.config_writer() as cw:
            cw.set_value("user", "name", "Legal Editor")
            cw.set_value("user", "email", "legal@example.com")
            cw.set_value("commit", "gpgsign", "false")
        (path / "content").mkdir(exist_ok=True)
        return cls(path)

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, files: Mapping[str, str | None] | None = None,
               when: dt.datetime | None = None) -> str:
        """Write (or, for None, delete) files, stage everything, commit; return the sha."""
        with git.Repo(self.path) as repo:
            for relpath, text in (files or {}).items():
                if text is None:
                    repo.index.remove([relpath], working_tree=True)
                else:
                    self.write(relpath, text)
            repo.git.add("-A")
            env = {}
            if when is not None:
                stamp = when.isoformat()
                env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
            with repo.git.custom_environment(**env):
                repo.git.commit("-m", message, "--allow-empty")
            return str(repo.head.commit.hexsha)

    def git(self, *args: str) -> str:
        with git.Repo(self.path) as repo:
            return str(repo.git.execute(["git", *args], env={**os.environ}))


def policy(policy_id: str, effective: str, body: str, title: str | None = None,
           summary: str | None = None, extra: str = "") -> str:
    """A policy file's text with policybook front matter."""
    lines = ["---", f"policy: {policy_id}", f"title: {title or policy_id.title()}",
             f"effective: {effective}"]
    if summary:
        lines.append(f"summary: {summary}")
    if extra:
        lines.append(extra.rstrip("\n"))
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body.strip("\n") + "\n"
