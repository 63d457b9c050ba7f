"""Commands on the versions in git: versions."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..regions import label
from ..wiring import Wiring
from ..workflows.versions import VersionRow, version_rows
from .common import Env, echo_json, now_option, parse_now, pass_env


def _row_json(row: VersionRow) -> dict[str, object]:
    v = row.version
    return {
        "policy": v.policy,
        "variant": v.variant,
        "effective": v.effective.isoformat(),
        "effective_at": row.effective_at.isoformat(),
        "status": str(row.status),
        "path": v.path,
        "commit": v.final.sha,
        "introduced": {"commit": v.introduced.sha, "author": v.introduced.author,
                       "date": v.introduced.date.isoformat()},
        "final": {"commit": v.final.sha, "author": v.final.author,
                  "date": v.final.date.isoformat()},
        "commits": len(v.commits),
        "edited_after_effect": list(row.edited_after_effect),
        "withdrawn_by": row.withdrawn_by,
        "held_back": row.held_back,
        "change": None if row.assessment is None else {
            "verdict": str(row.assessment.verdict),
            "material": row.assessment.material,
            "summary": row.assessment.summary(),
            "reasons": [str(r) for r in row.assessment.main_reasons],
            "override": None if row.assessment.override is None
            else row.assessment.override.reason,
        },
    }


@click.command()
@click.argument("policy", required=False)
@click.option("--ref", metavar="REF", help="Read this branch, tag or commit (default: HEAD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@now_option
@pass_env
def versions(env: Env, policy: str | None, ref: str | None, as_json: bool,
             now: str | None) -> None:
    """List every version of every policy (or of POLICY) from the git history.

    A regional variant is named POLICY:VARIANT (privacy-policy:eea); POLICY alone lists
    every variant of the policy.

    \b
    Examples:
      policybook versions
      policybook versions privacy-policy --json
      policybook versions privacy-policy:eea
      policybook versions --ref origin/main --now 2027-01-15
    """
    config = env.config
    moment = parse_now(now, config.zone)
    with Wiring.open(config, moment, ref=ref) as wiring:
        state = wiring.builder.state(moment)
        rows = version_rows(config, state, wiring.builder.assessments, policy)
    if as_json:
        echo_json({"head": state.head, "now": moment.isoformat(),
                   "versions": [_row_json(r) for r in rows],
                   "skipped": list(state.skipped)})
        return
    header = ("policy", "effective", "status", "change", "commit", "author", "committed",
              "note")
    cells = []
    for row in rows:
        v = row.version
        note = f"edited after it took effect ({', '.join(row.edited_after_effect)})" \
            if row.edited_after_effect else ""
        if row.held_back:
            note = (f"MATERIAL edit held back ({', '.join(row.edited_after_effect)}): the text "
                    "that took effect (or was announced) stays; see policybook plan")
        cells.append((label(v.policy, v.variant), v.effective.isoformat(), str(row.status),
                      row.verdict(), v.final.short, v.final.author,
                      v.final.date.date().isoformat(), note))
    lines = [f"note: {problem}" for problem in state.skipped]
    if not rows:
        lines.insert(0, "no versions: commit a policy in content/ first")
    elif not sys.stdout.isatty():
        # Piped output is for reading in logs and scripts: never squeezed into a width,
        # and printed as plain columns (rich costs ~2 ms a row: a second for a long history).
        lines[:0] = plain_table(header, cells)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in header:
            table.add_column(column)
        for line in cells:
            table.add_row(*line)
        Console(highlight=False, soft_wrap=True).print(table)
    if lines:
        click.echo("\n".join(lines))


def plain_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart (as rich lays them out)."""
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in (header, *rows)]
