"""What `policybook diff` does once its arguments are read, without click: the click
command (`cli.diff`) and the plain path (`cli.plain`, which reads the common forms of the
arguments without loading click) both run `run_diff`, so they print the same."""

from __future__ import annotations

import gc
import json
import os
import sys

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
from .env import Env, parse_now
from .output import echo

EXIT_MATERIAL = 3


def run_diff(env: Env, old: str, new: str | None, fmt: str, fail_on_material: bool,
             color: bool | None, ref: str | None, now: str | None) -> int:
    """Compare OLD with NEW (see `cli.diff.diff`), print the result: the exit status."""
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
        echo(f"warning: {problem}", err=True)
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    chosen = Format(fmt)
    if chosen is Format.JSON:
        data = json_data(comparison)
        data["sides"] = [old_side.label, new_side.label]
        if cumulative is not None:
            data["cumulative"] = json_data(cumulative)
            data["cumulative"]["sides"] = [cumulative.old.label, cumulative.new.label]
        echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        parts = [(comparison, f"{old_side.label} → {new_side.label}")]
        if cumulative is not None:
            parts.append((cumulative, f"{cumulative.old.label} → {new_side.label} (the whole "
                          "change readers will see)"))
        for i, (c, title) in enumerate(parts):
            if len(parts) > 1:
                echo(_heading(title, chosen, first=i == 0))
            output = render(c, chosen, root=env.root, color=color)
            echo(output, nl=False, color=color if chosen == Format.TEXT else None)
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
