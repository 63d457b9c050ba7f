"""The rulebook: one runner for every rule's good and bad examples (policybook/data/
rulecases.toml), and a check that every rule and concept is explained and exemplified."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from policybook.lexicon import DESCRIPTIONS, Concept
from policybook.materiality import assess
from policybook.rulebook import EXPLANATIONS, RULEBOOK, Rule, Settings
from tests.redlines import changes

CASES: list[dict[str, Any]] = tomllib.loads(
    resources.files("policybook").joinpath("data/rulecases.toml").read_text("utf-8"))["case"]


def _doc(text: str) -> str:
    return text if text.startswith(("#", "---")) else f"## Terms\n\n{text}\n"


def _id(case: dict[str, Any]) -> str:
    return f"{case['rule']}-{'good' if case['fires'] else 'bad'}-{CASES.index(case)}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rule_case(case: dict[str, Any]) -> None:
    settings = Settings(profiles=frozenset(case.get("profiles", ())))
    a = assess(changes(_doc(case["old"]), _doc(case["new"])), settings=settings)
    reasons = [*a.front, *(r for c in a.changes for r in c.reasons)]
    fired = [r for r in reasons if r.rule == case["rule"]]
    found = [f"{r.verdict} {r.rule}" for r in reasons]
    if not case["fires"]:
        assert not fired, found
        return
    assert fired, found
    spec = next(s for s in RULEBOOK if s.rule == case["rule"])
    assert all(r.verdict is spec.verdict for r in fired), found
    # An editorial example is editorial as a whole; a material one is material.
    assert a.detected is spec.verdict, found


def test_every_rule_and_concept_is_explained_and_has_good_and_bad_examples() -> None:
    ruled = [s.rule for s in RULEBOOK]
    assert len(ruled) == len(set(ruled)), "a rule listed twice in the precedence"
    assert set(Rule) - set(ruled) == {Rule.NO_CHANGE, Rule.OVERRIDE}
    for spec in RULEBOOK:
        assert spec.explanation and spec.explanation == EXPLANATIONS[spec.rule]
        kinds = {c["fires"] for c in CASES if c["rule"] == spec.rule}
        assert kinds == {True, False}, f"{spec.rule}: needs a good and a bad example"
    for concept in Concept:
        assert DESCRIPTIONS[concept] and Rule(concept.value) in ruled
    assert {c["rule"] for c in CASES} <= {str(r) for r in ruled}


def test_policybook_rules_lists_the_rulebook_in_order_with_examples() -> None:
    from click.testing import CliRunner

    from policybook.cli import cli

    result = CliRunner().invoke(cli, ["rules", "--examples"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line[:3].strip().rstrip(".")
             .isdigit()]
    assert [line.split()[1] for line in lines] == [str(s.rule) for s in RULEBOOK]
    assert "fires “We do not sell your browsing history.”" in result.output
    assert "summaries:" in result.output
    data = CliRunner().invoke(cli, ["rules", "--json"])
    assert '"id": "negation-flip"' in data.output and '"fees"' in data.output


def test_the_vocabulary_files_name_every_concept_once_and_ship_in_the_wheel(
        tmp_path: Path) -> None:
    concepts = tomllib.loads(resources.files("policybook").joinpath("data/concepts.toml")
                             .read_text("utf-8"))
    assert set(concepts) == {c.value for c in Concept}
    assert all(entry["description"] and entry["terms"] for entry in concepts.values())
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(repo)],
                   check=True, capture_output=True)
    names = set(zipfile.ZipFile(next(tmp_path.glob("policybook-*.whl"))).namelist())
    for data in ("concepts.toml", "vocabulary.toml", "rulecases.toml"):
        assert f"policybook/data/{data}" in names


def test_every_material_rule_has_one_plain_wording_shown_on_every_surface() -> None:
    from policybook.mail.facts import plain_reasons
    from policybook.rulebook import MATERIAL, PLAIN

    for spec in RULEBOOK:
        if spec.verdict is MATERIAL:
            assert spec.rule in PLAIN and spec.plain == PLAIN[spec.rule], spec.rule
    old = "## Fees\n\nThe plan costs US$ 10 a month.\n\n## Sharing\n\nWe will not sell it.\n"
    new = "## Fees\n\nThe plan costs US$ 12 a month.\n\n## Sharing\n\nWe may sell it.\n"
    a = assess(changes(old, new))
    texts = [r.plain for r in a.main_reasons]
    assert texts == [
        "Fees: We changed fees, charges or payment: “The plan costs US$ 10 a month.” became "
        "“The plan costs US$ 12 a month.”.",
        "Sharing: We changed what is and is not allowed: “We will not sell it.” became "
        "“We may sell it.”."]
    # The e-mails and the notice records, and the pull-request comment, show that wording.
    assert [r.text for r in plain_reasons(a)] == texts
    from policybook.report import render_markdown
    comment = render_markdown(a)
    assert all(t in comment for t in texts), comment
