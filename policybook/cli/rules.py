"""`policybook rules`: the rulebook, in the order the rules are tried (shell, thin)."""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import click

from .common import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--examples", is_flag=True, help="Show each rule's good and bad examples.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def rules(examples: bool, as_json: bool) -> None:
    """List the materiality rules: id, verdict and what each means, in precedence order
    (the first rule that explains a changed run of words decides).

    Example: policybook rules --examples
    """
    from ..lexicon import DESCRIPTIONS, TERMS
    from ..rulebook import PROFILES, RULEBOOK

    cases = tomllib.loads(resources.files("policybook").joinpath("data/rulecases.toml")
                          .read_text("utf-8"))["case"]
    if as_json:
        click.echo(json.dumps({
            "rules": [{"id": str(s.rule), "verdict": str(s.verdict),
                       "explanation": s.explanation,
                       "examples": [c for c in cases if c["rule"] == s.rule]}
                      for s in RULEBOOK],
            "concepts": {str(c): {"description": d, "terms": list(TERMS[c])}
                         for c, d in DESCRIPTIONS.items()},
            "profiles": PROFILES}, indent=2, ensure_ascii=False))
        return
    for n, spec in enumerate(RULEBOOK, 1):
        click.echo(f"{n:2}. {spec.rule:<26} {spec.verdict:<9} {spec.explanation}")
        if examples:
            for case in (c for c in cases if c["rule"] == spec.rule):
                mark = "fires" if case["fires"] else "not  "
                old = " ".join(case["old"].split())[:70]
                new = " ".join(case["new"].split())[:70]
                click.echo(f"      {mark} “{old}” → “{new}”")
    click.echo("\nProfiles (opt-in, policybook.toml [materiality] profiles = [...]):")
    for name, text in PROFILES.items():
        click.echo(f"    {name}: {text}")
