"""Commands on the policy files themselves: check, init, render."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ContentError
from ..repository import load_documents
from ..scaffold import init_repository
from ..templating import make_environment
from ..workflows.content import check_content
from .common import Env, now_option, parse_now, pass_env


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base", metavar="REF", help="Compare with the versions on record at this "
              "revision (in a pull request: the target branch; default: HEAD).")
@click.option("--no-gate", "no_gate", is_flag=True,
              help="Check the files only, not the notice period.")
@now_option
@pass_env
def check(env: Env, paths: tuple[Path, ...], base: str | None, no_gate: bool,
          now: str | None) -> None:
    """Validate policies, and the notice period of every change.

    Checks every policy in content/ (or the given files and folders): front matter,
    section ids, headings, internal links, UTF-8; then the notice-period gate: a
    MATERIAL change must take effect at least notice.days after now, and a version
    already in force or already announced must not change materially. Without --base
    it also judges what is committed: a material notice overdue, a material edit held
    back, a material version without a summary or with one older than its material
    edits (confirm it with `summary-confirmed: DATE`). Reports every problem at once
    as `path:line: message`; exits 1 if there is any.

    \b
    Examples:
      policybook check
      policybook check content/privacy-policy.md
      policybook check --base origin/main          # in CI, on a pull request
    """
    report = check_content(env.config, list(paths) or None, parse_now(now, env.config.zone),
                           base, gate=not no_gate)
    if not report.ok:
        raise ContentError(report.problems, report.summary())
    click.echo(report.summary())


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--install", metavar="REQUIREMENT",
              help="Where the CI workflow installs policybook from (a pip requirement: a git "
                   "URL pinned to a commit, or a wheel committed to the repository). Default: "
                   "the git source this policybook was installed from, if known.")
def init(directory: Path, install: str | None) -> None:
    """Create a new policy repository in DIRECTORY, with a sample policy.

    \b
    Example:
      policybook init acme-policies && cd acme-policies && git commit -m "First policy"
      policybook init acme-policies \\
        --install "policybook @ git+https://github.com/acme/policybook@<commit>"
    """
    scaffold = init_repository(directory, install)
    created = scaffold.created
    click.echo(f"Created a policy repository in {directory} ({len(created)} files, staged).")
    if scaffold.requirement is None:
        click.echo("policybook: the CI workflow does not know where to install policybook "
                   "from: name it in .github/policybook-requirements.txt (or run init with "
                   "--install)", err=True)
    click.echo(f"Next: cd {directory} && policybook check && git commit -m 'First policies'")


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_env
def render(env: Env, file: Path) -> None:
    """Render one policy file as a standalone HTML page on standard output.

    \b
    Example:
      policybook render content/privacy-policy.md > privacy-policy.html
    """
    loaded = load_documents([file], env.root)
    if loaded.problems:
        raise ContentError(loaded.problems)
    template = make_environment(env.root).get_template("site/document.html")
    click.echo(template.render(doc=loaded.documents[0]), nl=False)
