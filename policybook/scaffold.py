"""`policybook init DIR`: a new policy repository, ready to commit (shell)."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import git

from .errors import UsageError
from .templating import data_dir

SAMPLE_POLICY = "terms-of-service.md"

CONFIG_SAMPLE = """\
# policybook settings. Every setting is optional; these are the defaults.
# Secrets never go here: set SENDGRID_API_KEY or POLICYBOOK_SMTP_URL in the environment.

[notice]
days = 30                      # notice period for a material change
timezone = "UTC"               # effective dates start at midnight in this zone
recently_updated_days = 30     # how long the site says "this policy was updated"
late = "postpone"              # a late notice postpones the switch ("warn" only warns)

[site]
base_url = "http://127.0.0.1:8000"
name = "Policies"

[mail]
provider = "outbox"            # sendgrid | smtp | outbox
from = "Policy updates <policy-updates@example.com>"
"""

GITIGNORE = ".policybook/\n"

# The pull-request gate: `check` refuses a material change with too short a notice
# period (or a material edit of a version already announced), and the redline of each
# policy the pull request changes is posted on it for the reviewers. Written for
# GitHub's limits: actions on their current major versions (Node 24, not the
# deprecated Node 20), one run per pull request at a time, and a comment cut below
# GitHub's 65,536 characters with a link to the full redline (an artifact of the run).
# `${{ ... }}` values reach the shell through `env`, never pasted into a script.
WORKFLOW = """\
name: policybook
on:
  pull_request:
    paths: ["content/**", "policybook.toml", "templates/**", ".github/policybook-requirements.txt"]
permissions:
  contents: read
  pull-requests: write
concurrency:
  group: policybook-${{ github.event.pull_request.number }}
  cancel-in-progress: true
jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v6
        with:
          fetch-depth: 0   # policybook reads every version from the git history
      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
      - name: Install policybook
        # The source is pinned in .github/policybook-requirements.txt (see its comments).
        run: |
          requirements=.github/policybook-requirements.txt
          if ! grep -Eqv '^[[:space:]]*(#|$)' "$requirements"; then
            echo "::error file=$requirements::name the policybook to install in this file"
            exit 1
          fi
          python -m pip install --disable-pip-version-check -r "$requirements"
      - name: Check the policies and the notice period
        env:
          BASE_REF: ${{ github.base_ref }}
        run: policybook check --base "origin/$BASE_REF"
      - name: Redline the policies this pull request changes
        if: always()
        env:
          BASE_REF: ${{ github.base_ref }}
        run: |
          : > redline.md
          git diff --name-only -z --diff-filter=ACMR "origin/$BASE_REF...HEAD" -- content/ |
            while IFS= read -r -d '' file; do
              case "$file" in
                *.md) policybook diff "$file" --format markdown >> redline.md || true ;;
              esac
            done
          if [ ! -s redline.md ]; then
            echo "No policy text changed in this pull request." > redline.md
          fi
          cat redline.md >> "$GITHUB_STEP_SUMMARY"
      - name: Keep the full redline
        if: always()
        uses: actions/upload-artifact@v6
        with:
          name: redline
          path: redline.md
          if-no-files-found: ignore
      - name: Shorten the redline to fit a comment
        if: always()
        env:
          RUN: ${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}
        shell: python
        run: |
          import os
          from pathlib import Path

          LIMIT = 60000  # GitHub refuses comments over 65,536 characters
          redline = Path("redline.md")
          text = redline.read_text(encoding="utf-8") if redline.exists() else ""
          if len(text) > LIMIT:
              cut = text.rfind("\\n", 0, LIMIT)
              note = (f"**The redline is cut here**: it has {len(text):,} characters, more "
                      "than a comment can hold. The full redline is the `redline` artifact "
                      f"of [this run]({os.environ['RUN']}).")
              text = text[:cut if cut > 0 else LIMIT] + "\\n\\n---\\n" + note + "\\n"
          Path("comment.md").write_text(text or "No redline.", encoding="utf-8")
      - name: Post the redline on the pull request
        if: always()
        continue-on-error: true   # a pull request from a fork has a read-only token
        env:
          GH_TOKEN: ${{ github.token }}
          PR: ${{ github.event.pull_request.number }}
        run: |
          gh pr comment "$PR" --edit-last --body-file comment.md ||
            gh pr comment "$PR" --body-file comment.md
"""

# Where the workflow installs policybook from: policybook is not on a package index, so
# a new company pins a source it can reach (see `install_requirement`).
REQUIREMENTS = """\
# The policybook that CI installs (pip requirements format), pinned so that every run
# of the gate judges with the same rules. One of:
#   policybook @ git+https://github.com/YOUR-ORG/policybook@<40-character commit>
#   ./wheels/policybook-0.1.0-py3-none-any.whl    (a wheel committed to this repository)
{requirement}
"""


def install_requirement(explicit: str | None = None) -> str | None:
    """The requirement line for CI: `explicit`, else the pinned git source that pip
    recorded when this policybook was installed from git (PEP 610), else None."""
    if explicit:
        if "\n" in explicit or "\r" in explicit:
            raise UsageError("--install must be one requirement, on one line")
        return explicit.strip()
    try:
        text = importlib.metadata.distribution("policybook").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        origin = json.loads(text)
    except ValueError:
        return None
    vcs = origin.get("vcs_info") or {}
    url, commit = origin.get("url"), vcs.get("commit_id")
    if vcs.get("vcs") == "git" and isinstance(url, str) and isinstance(commit, str) \
            and url.startswith("https://"):
        return f"policybook @ git+{url}@{commit}"
    return None


README = """\
# Policies

Our public policies, managed with policybook. Each policy is a Markdown file in
`content/` with front matter (`policy`, `title`, `effective`, `summary`).

To change a policy: edit its file, run `policybook check`, open a pull request.
After the merge, policybook e-mails account holders and shows a notice on the
website before a material change takes effect.
"""


@dataclass(frozen=True)
class Scaffold:
    created: tuple[Path, ...]
    requirement: str | None  # what CI installs; None: the user must name it


def init_repository(target: Path, install: str | None = None) -> Scaffold:
    """Create the repository; refuse a non-empty folder so nothing is overwritten.
    `install` is the pip requirement CI installs policybook from (see
    `install_requirement` for the default)."""
    requirement = install_requirement(install)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder; choose a new folder name")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"{target} is not empty; choose a new or empty folder so that "
                         "nothing is overwritten")
    created: list[Path] = []
    content = target / "content"
    content.mkdir(parents=True, exist_ok=True)
    sample = data_dir("content") / SAMPLE_POLICY
    shutil.copyfile(sample, content / SAMPLE_POLICY)
    created.append(content / SAMPLE_POLICY)
    for name, text in (("policybook.toml", CONFIG_SAMPLE), (".gitignore", GITIGNORE),
                       ("README.md", README)):
        (target / name).write_text(text, encoding="utf-8")
        created.append(target / name)
    workflow = target / ".github" / "workflows" / "policybook.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOW, encoding="utf-8")
    created.append(workflow)
    requirements = target / ".github" / "policybook-requirements.txt"
    requirements.write_text(REQUIREMENTS.format(requirement=requirement or ""),
                            encoding="utf-8")
    created.append(requirements)
    with git.Repo.init(target, initial_branch="main") as repo:
        repo.index.add([str(p.relative_to(target)) for p in created])
    return Scaffold(tuple(created), requirement)
