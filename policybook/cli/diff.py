"""`policybook diff OLD NEW`: the redline and the verdict between two versions."""

from __future__ import annotations

import click

from ..workflows.diffing import Format
from .common import Env, now_option, pass_env
from .diffing import EXIT_MATERIAL, run_diff


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="[NEW]", required=False)
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="text",
              show_default=True, help="text: terminal redline; markdown: a pull-request "
              "comment; html: a standalone page; json: for scripts.")
@click.option("--fail-on-material", is_flag=True,
              help=f"Exit {EXIT_MATERIAL} when the change is material (for CI).")
@click.option("--color/--no-color", "color", default=None,
              help="Colour the text redline (default: when writing to a terminal and "
                   "NO_COLOR is not set).")
@click.option("--ref", metavar="REF", help="Read versions from this branch, tag or commit "
              "(default: HEAD).")
@now_option
@pass_env
def diff(env: Env, old: str, new: str | None, fmt: str, fail_on_material: bool,
         color: bool | None, ref: str | None, now: str | None) -> int:
    """Compare two versions of a policy: a redline, and whether the change is material.

    OLD and NEW are each a policy file (any Markdown works, with or without policybook
    front matter), POLICY@REV (the policy in a git revision), POLICY@YYYY-MM-DD (the
    version in force on that date), POLICY@in-force or POLICY@upcoming. With one FILE,
    compares the version of its policy in force with the file. Exits 0 whatever the
    verdict, unless --fail-on-material.

    \b
    Examples:
      policybook diff content/privacy-policy.md            # your edit vs. in force
      policybook diff privacy-policy@2013-11-28 privacy-policy@upcoming
      policybook diff privacy-policy:eea@in-force privacy-policy:eea@upcoming
      policybook diff privacy-policy@HEAD~3 content/privacy-policy.md --format html
      policybook diff old.md new.md --format markdown > comment.md
      policybook diff old.md new.md --format json --fail-on-material
    """
    return run_diff(env, old, new, fmt, fail_on_material, color, ref, now)
