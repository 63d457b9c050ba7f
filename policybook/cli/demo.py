"""`policybook demo`: the sample repository, dated from today."""

from __future__ import annotations

from pathlib import Path

import click

from ..demo import make_demo
from .common import now_option, parse_now


@click.command()
@click.argument("target", type=click.Path(path_type=Path), metavar="DIR")
@click.option("--replace", is_flag=True, help="Delete DIR first if it is not empty.")
@now_option
def demo(target: Path, replace: bool, now: str | None) -> None:
    """Make a demo policy repository in DIR: the sample's history replayed with dates
    counted from today (an editorial fix due in a week, a material change due in 45 days,
    so its notice goes out in 15).

    \b
    Example:
      policybook demo /tmp/policies && cd /tmp/policies && policybook plan
    """
    made = make_demo(target, parse_now(now), replace=replace)
    click.echo(f"{target}: a policy repository with {len(made.steps)} commits, dated from "
               f"{made.today.isoformat()} ({made.zone.key}):")
    for step in made.steps:
        click.echo(f"  {step.committed.isoformat()}  {step.message} "
                   f"[effective {step.effective.isoformat()}]")
