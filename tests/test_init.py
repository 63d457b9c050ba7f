"""`policybook init DIR`: a new repository that passes check, and nothing overwritten."""

from __future__ import annotations

from pathlib import Path

import git


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


def test_init_writes_a_ci_workflow_that_gates_and_posts_the_redline(tmp_path: Path,
                                                                      cli) -> None:
    import yaml

    from policybook import __version__

    target = tmp_path / "acme"
    assert cli(["init", str(target)]).code == 0
    workflow = yaml.safe_load((target / ".github" / "workflows" / "policybook.yml")
                              .read_text(encoding="utf-8"))
    assert workflow[True]["pull_request"]["paths"][0] == "content/**"  # YAML's "on"
    steps = workflow["jobs"]["check"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert f'pip install "policybook=={__version__}"' in runs
    assert 'policybook check --base "origin/${{ github.base_ref }}"' in runs
    assert 'policybook diff "$file" --format markdown' in runs
    assert "gh pr comment" in runs
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # versions come from the whole history
