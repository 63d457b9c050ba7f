"""`policybook diff OLD NEW`: the redline and the verdict between two versions."""

from __future__ import annotations

import os
import sys

import click

from ..workflows.diffing import Format, compare, load_side, render
from .common import Env, pass_env

EXIT_MATERIAL = 3


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="text",
              show_default=True, help="text: terminal redline; markdown: a pull-request "
              "comment; html: a standalone page; json: for scripts.")
@click.option("--fail-on-material", is_flag=True,
              help=f"Exit {EXIT_MATERIAL} when the change is material (for CI).")
@click.option("--color/--no-color", "color", default=None,
              help="Colour the text redline (default: when writing to a terminal and "
                   "NO_COLOR is not set).")
@pass_env
def diff(env: Env, old: str, new: str, fmt: str, fail_on_material: bool,
         color: bool | None) -> int:
    """Compare two versions of a policy: a redline, and whether the change is material.

    OLD and NEW are policy files (any Markdown works, with or without policybook front
    matter). Exits 0 whatever the verdict, unless --fail-on-material.

    \b
    Examples:
      policybook diff old.md content/privacy-policy.md
      policybook diff old.md new.md --format markdown > comment.md
      policybook diff old.md new.md --format json --fail-on-material
    """
    comparison = compare(load_side(old, env), load_side(new, env))
    for problem in comparison.problems:
        click.echo(f"warning: {problem}", err=True)
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    output = render(comparison, Format(fmt), root=env.root, color=color)
    click.echo(output, nl=False, color=color if fmt == Format.TEXT else None)
    if fail_on_material and comparison.assessment.material:
        return EXIT_MATERIAL
    return 0
