"""`policybook diff OLD NEW`: the redline and the verdict between two versions."""

from __future__ import annotations

import gc
import json
import os
import sys

import click

from ..document import parse_document
from ..workflows.diffing import (
    Format,
    Side,
    compare,
    file_side,
    json_data,
    load_side,
    render,
    replaced_sides,
)
from .common import Env, now_option, parse_now, pass_env

EXIT_MATERIAL = 3


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
    # Parsing makes hundreds of thousands of short-lived objects, freed as they go out of
    # use; the cycle collector would walk them again and again (a tenth of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _diff(env, old, new, fmt, fail_on_material, color, ref, now)
    finally:
        if collecting:
            gc.enable()


def _diff(env: Env, old: str, new: str | None, fmt: str, fail_on_material: bool,
          color: bool | None, ref: str | None, now: str | None) -> int:
    # The config is read when a side needs it (a revision, --now, one file's policy): a
    # diff of two files reads only its [materiality] settings (`use_materiality` below).
    moment = parse_now(now, env.config.zone) if now is not None else parse_now(None)
    cumulative = None
    in_force: Side | None
    if new is None:
        from ..regions import read_declaration  # a variant's timeline: one file's question

        new_side = load_side(old, env, moment, ref)
        doc = parse_document(new_side.text, new_side.path)
        new_side = file_side(new_side, doc.front.effective)
        # The editor's question: the edit against the version it replaces (the pending one
        # while one is pending), then what readers will see against the version in force.
        variant = read_declaration(new_side.text).variant  # a variant: its own timeline
        name = doc.policy_id if variant is None else f"{doc.policy_id}:{variant}"
        old_side, in_force = replaced_sides(name, env, moment, ref)
    else:
        old_side = load_side(old, env, moment, ref)
        new_side = load_side(new, env, moment, ref)
        in_force = None
    env.use_materiality()
    if in_force is not None:
        cumulative = compare(in_force, new_side)
    comparison = compare(old_side, new_side)
    for problem in comparison.problems:
        click.echo(f"warning: {problem}", err=True)
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    chosen = Format(fmt)
    if chosen is Format.JSON:
        data = json_data(comparison)
        data["sides"] = [old_side.label, new_side.label]
        if cumulative is not None:
            data["cumulative"] = json_data(cumulative)
            data["cumulative"]["sides"] = [cumulative.old.label, cumulative.new.label]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        parts = [(comparison, f"{old_side.label} → {new_side.label}")]
        if cumulative is not None:
            parts.append((cumulative, f"{cumulative.old.label} → {new_side.label} (the whole "
                          "change readers will see)"))
        for i, (c, title) in enumerate(parts):
            if len(parts) > 1:
                click.echo(_heading(title, chosen, first=i == 0))
            output = render(c, chosen, root=env.root, color=color)
            click.echo(output, nl=False, color=color if chosen == Format.TEXT else None)
    if fail_on_material and comparison.assessment.material:
        return EXIT_MATERIAL
    return 0


def _heading(title: str, fmt: Format, first: bool) -> str:
    """What each of two comparisons is, in the output's own format."""
    gap = "" if first else "\n"
    if fmt is Format.MARKDOWN:
        return f"{gap}## {title}\n"
    if fmt is Format.HTML:
        import html

        return f"{gap}<h2>{html.escape(title)}</h2>"
    return f"{gap}=== {title}"
