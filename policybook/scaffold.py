"""`policybook init DIR`: a new policy repository, ready to commit (shell)."""

from __future__ import annotations

import shutil
from pathlib import Path

import git

from . import __version__
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
# period (or a material edit of a version already announced), and the redline against
# the version in force is posted on the pull request for the reviewers.
WORKFLOW = """\
name: policybook
on:
  pull_request:
    paths: ["content/**", "policybook.toml", "templates/**"]
permissions:
  contents: read
  pull-requests: write
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # policybook reads every version from the git history
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install policybook
        run: pip install "policybook=={version}"
      - name: Check the policies and the notice period
        run: policybook check --base "origin/${{{{ github.base_ref }}}}"
      - name: Redline against the version in force
        if: always()
        run: |
          for file in content/*.md; do
            policybook diff "$file" --format markdown >> redline.md || true
          done
          cat redline.md >> "$GITHUB_STEP_SUMMARY"
      - name: Post the redline on the pull request
        if: always()
        env:
          GH_TOKEN: ${{{{ github.token }}}}
        run: |
          gh pr comment "${{{{ github.event.pull_request.number }}}}" --edit-last \\
            --body-file redline.md || \\
          gh pr comment "${{{{ github.event.pull_request.number }}}}" --body-file redline.md
"""

README = """\
# Policies

Our public policies, managed with policybook. Each policy is a Markdown file in
`content/` with front matter (`policy`, `title`, `effective`, `summary`).

To change a policy: edit its file, run `policybook check`, open a pull request.
After the merge, policybook e-mails account holders and shows a notice on the
website before a material change takes effect.
"""


def init_repository(target: Path) -> list[Path]:
    """Create the repository; refuse a non-empty folder so nothing is overwritten."""
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
    workflow.write_text(WORKFLOW.format(version=__version__), encoding="utf-8")
    created.append(workflow)
    with git.Repo.init(target, initial_branch="main") as repo:
        repo.index.add([str(p.relative_to(target)) for p in created])
    return created
