"""`policybook diff`: the four formats, exit codes, errors, and the whole corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

from policybook.diff import diff_documents
from policybook.document import parse_document
from policybook.materiality import assess
from policybook.report import render_markdown, render_text, to_json
from policybook.templating import make_environment
from tests.helpers import CliResult, policy

OLD = """## 1. Sharing

We do not share, sell, rent or trade your data.

## 2. Contact

Write to <support@example.com> or [our team](https://example.com/help).
"""
NEW = OLD.replace("share, sell, rent or trade", "sell").replace(
    "[our team](https://example.com/help)", "[our team](https://example.com/support)")


def write(tmp_path: Path, old: str = OLD, new: str = NEW) -> tuple[str, str]:
    (tmp_path / "old.md").write_text(old, encoding="utf-8")
    (tmp_path / "new.md").write_text(new, encoding="utf-8")
    return "old.md", "new.md"


def test_text_redline_is_plain_when_not_a_terminal(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path)
    result: CliResult = cli(["diff", old, new], cwd=tmp_path)
    assert result.code == 0, result.err
    assert "\x1b[" not in result.out
    assert "verdict: MATERIAL" in result.out
    assert "We do not [-share,-] sell [-, rent or trade-] your data." in result.out
    assert "narrowed-negated-list" in result.out
    assert "link-target" in result.out


def test_colour_on_request_and_never_with_no_color(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path)
    coloured = cli(["diff", old, new, "--color"], cwd=tmp_path)
    assert "\x1b[31;9mshare," in coloured.out
    plain = cli(["diff", old, new], cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.out


def test_fail_on_material_exits_3_and_editorial_exits_0(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path)
    assert cli(["diff", old, new], cwd=tmp_path).code == 0
    assert cli(["diff", old, new, "--fail-on-material"], cwd=tmp_path).code == 3
    write(tmp_path, OLD, OLD.replace("Write to", "Write  to"))
    assert cli(["diff", old, new, "--fail-on-material"], cwd=tmp_path).code == 0


def test_json_has_the_documented_shape(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path)
    data = json.loads(cli(["diff", old, new, "--format", "json"], cwd=tmp_path).out)
    assert data["material"] is True and data["verdict"] == "material"
    assert data["policy"] == "new" and data["old"]["label"] == "old.md"
    kinds = [(c["kind"], c["section"], c["title"], c["material"]) for c in data["changes"]]
    assert kinds == [("modified", "sharing", "Sharing", True),
                     ("modified", "contact", "Contact", False)]
    sharing = data["changes"][0]
    assert sharing["reasons"][0].startswith("narrowed-negated-list")
    assert sharing["findings"][0]["rule"] == "narrowed-negated-list"
    ops = [(s["op"], s["text"]) for s in sharing["blocks"][0]["redline"]]
    assert ("delete", "share, ") in ops
    assert data["changes"][1]["blocks"][0]["links"] == [
        {"old": "https://example.com/help", "new": "https://example.com/support"}]


def test_markdown_suits_a_pull_request_comment(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path)
    out = cli(["diff", old, new, "--format", "markdown"], cwd=tmp_path).out
    assert out.startswith("### Material change: `new`")
    assert "**Why it is material**" in out
    assert "We do not ~~share,~~ sell ~~, rent or trade~~ your data." in out
    assert "<details open><summary>1. Sharing — modified · **material**</summary>" in out
    assert "<details><summary>Editorial changes (1)</summary>" in out


def test_html_is_a_self_contained_escaped_page(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path, OLD, OLD + "\nWe <script>alert(1)</script> & more.\n")
    out = cli(["diff", old, new, "--format", "html"], cwd=tmp_path).out
    assert out.startswith("<!doctype html>")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<ins class="rl-ins">' in out
    assert "<link" not in out and "src=" not in out  # nothing to fetch


def test_front_matter_and_override_show_in_every_format(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old_text = policy("privacy", "2027-01-01", OLD)
    new_text = policy("privacy", "2027-03-01", NEW, extra="change: editorial\n"
                      "reason: Legal reviewed it; the sale ban is in section 4.")
    old, new = write(tmp_path, old_text, new_text)
    text = cli(["diff", old, new, "--fail-on-material"], cwd=tmp_path)
    assert text.code == 0
    assert "verdict: EDITORIAL" in text.out and "overrules the rules" in text.out
    assert "effective: “2027-01-01” → “2027-03-01”" in text.out
    data = json.loads(cli(["diff", old, new, "--format", "json"], cwd=tmp_path).out)
    assert data["material"] is False and data["detected"] == "material"
    assert data["override"]["applied"] is True
    assert data["front_matter"][0]["field"] == "effective"


def test_two_different_policies_are_compared_with_a_warning(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = write(tmp_path, policy("privacy", "2027-01-01", OLD),
                     policy("terms", "2027-01-01", OLD))
    result = cli(["diff", old, new], cwd=tmp_path)
    assert result.code == 0
    assert "warning: new.md:2: is policy 'terms' but old.md is policy 'privacy'" in result.err


def test_bad_arguments_are_clear_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, _ = write(tmp_path)
    missing = cli(["diff", old, "nope.md"], cwd=tmp_path)
    assert missing.code == 1 and "nope.md: no such file" in missing.err
    assert "Traceback" not in missing.err
    rev = cli(["diff", "privacy-policy@2027-01-01", old], cwd=tmp_path)
    assert rev.code == 1 and "is not a git repository" in rev.err
    (tmp_path / "bin.md").write_bytes(b"\xff\xfe\x00binary")
    binary = cli(["diff", old, "bin.md"], cwd=tmp_path)
    assert binary.code == 2 and "binary" in binary.err
    folder = cli(["diff", old, "."], cwd=tmp_path)
    assert folder.code == 2 and "folder" in folder.err
    bad = cli(["diff", old, old, "--format", "pdf"], cwd=tmp_path)
    assert bad.code == 2


def test_markdown_stays_within_a_comment_and_keeps_material_sections() -> None:
    sections = "".join(f"## Section {n}\n\n{'Plain words here. ' * 60}\n\n" for n in range(80))
    new = sections.replace("Plain words", "Plainer words").replace(
        "## Section 79\n\n", "## Section 79\n\nWe will sell your personal data.\n\n")
    a = assess(diff_documents(parse_document(sections, "a.md"), parse_document(new, "b.md")))
    out = render_markdown(a, limit=20_000)
    assert len(out) <= 20_000
    assert "We will sell your personal data." in out  # the material section is shown
    assert "more changed sections are not shown" in out
    assert len(render_markdown(a, limit=None)) > 100_000


def test_help_has_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli(["diff", "--help"]).out
    assert "Example" in out and "--fail-on-material" in out


def test_every_corpus_pair_parses_diffs_classifies_and_renders(corpus_dir: Path) -> None:
    template = make_environment(None).get_template("site/diff.html")
    labels = [json.loads(line) for line in
              (corpus_dir / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    assert len(labels) == 144
    material = 0
    for label in labels:
        pair = corpus_dir / "pairs" / label["id"]
        old = parse_document((pair / "old.md").read_text(encoding="utf-8"), "old.md")
        new = parse_document((pair / "new.md").read_text(encoding="utf-8"), "new.md")
        a = assess(diff_documents(old, new))
        material += a.material
        text = render_text(a)
        assert text.startswith(f"{new.policy_id}: old.md"), label["id"]
        assert render_markdown(a).startswith("### "), label["id"]
        data = json.loads(json.dumps(to_json(a)))
        assert data["material"] == a.material and len(data["changes"]) == len(a.changes)
        html = template.render(a=a, old_label="old", new_label="new")
        assert html.count("<section class=\"rl-change rl-") == len(a.changes), label["id"]
        assert not re.search(r"<script", html)
        for item in a.changes:
            assert item.reasons, (label["id"], item.change.kind, item.change.section)
    # Not a score test (see benchmarks/classify.py): the classifier must not be trivial.
    assert 0 < material < len(labels)


def test_versions_from_git_and_the_one_file_form(cli, policy_repo) -> None:  # type: ignore[no-untyped-def]
    v1 = policy("privacy-policy", "2026-01-10",
                "## Sharing\n\nWe do not share, sell, rent or trade your data.\n")
    v2 = policy("privacy-policy", "2026-06-01",
                "## Sharing\n\nWe do not sell your data.\n")
    policy_repo.commit("v1", {"content/privacy.md": v1})
    policy_repo.commit("v2", {"content/privacy.md": v2})
    by_date = cli(["diff", "privacy-policy@2026-01-10", "privacy-policy@2026-06-01",
                   "--format", "json", "--fail-on-material"], cwd=policy_repo.path)
    assert by_date.code == 3, by_date.err
    data = json.loads(by_date.out)
    assert data["material"] is True
    assert data["old"]["label"].startswith("privacy-policy@2026-01-10 (")
    assert data["new"]["effective"] == "2026-06-01"
    assert data["reasons"][0].startswith("narrowed-negated-list")
    # One file: the working copy against the version in force at --now.
    policy_repo.write("content/privacy.md", v2.replace("do not sell", "never sell"))
    edit = cli(["diff", "content/privacy.md", "--now", "2026-07-01", "--format", "json"],
               cwd=policy_repo.path)
    assert edit.code == 0, edit.err
    changes = json.loads(edit.out)["changes"]
    assert [c["section"] for c in changes] == ["sharing"]
    same = cli(["diff", "privacy-policy@in-force", "privacy-policy@HEAD", "--now",
                "2026-07-01", "--format", "json"], cwd=policy_repo.path)
    assert json.loads(same.out)["changes"] == []


def test_one_file_against_the_pending_version_then_the_version_in_force(  # type: ignore[no-untyped-def]
        cli, policy_repo) -> None:
    v1 = policy("privacy-policy", "2026-01-10",
                "## Sharing\n\nWe do not share, sell, rent or trade your data.\n")
    v2 = policy("privacy-policy", "2027-03-01",
                "## Sharing\n\nWe do not sell your data to advertisers in the Untied States.\n")
    policy_repo.commit("v1", {"content/privacy.md": v1})
    policy_repo.commit("v2", {"content/privacy.md": v2})
    # The editor fixes a typo in the pending version: that is the edit to judge.
    policy_repo.write("content/privacy.md", v2.replace("Untied", "United"))
    out = cli(["diff", "content/privacy.md", "--now", "2026-12-01", "--format", "json"],
              cwd=policy_repo.path)
    assert out.code == 0, out.err
    data = json.loads(out.out)
    assert data["material"] is False
    assert data["sides"] == ["privacy-policy@2027-03-01 (upcoming)",
                             "content/privacy.md (your edit, effective 2027-03-01)"]
    cumulative = data["cumulative"]
    assert cumulative["material"] is True
    assert cumulative["sides"][0] == "privacy-policy@2026-01-10 (in force)"
    text = cli(["diff", "content/privacy.md", "--now", "2026-12-01"], cwd=policy_repo.path).out
    first, _, second = text.partition("=== privacy-policy@2026-01-10 (in force)")
    assert first.startswith("=== privacy-policy@2027-03-01 (upcoming) → content/privacy.md")
    assert second and "the whole change readers will see" in second
    # A new policy's file: all of it is new.
    policy_repo.write("content/terms.md", policy("terms", "2027-03-01", "## Use\n\nBe kind.\n"))
    new = cli(["diff", "content/terms.md", "--now", "2026-12-01", "--format", "json"],
              cwd=policy_repo.path)
    assert new.code == 0, new.err
    assert json.loads(new.out)["sides"][0] == "terms (no version yet)"


# Loaded by `diff` of two files only when a file or an option needs them: the store, the
# web stack, git, e-mail templates, locale data; the timeline and the policy state (no
# --now, no revision); YAML when neither file has front matter; the config (and its time
# zones) beyond [materiality], and the regional variants (one file's question) (issue 12).
NOT_FOR_TWO_FILES = ("sqlalchemy", "jinja2", "starlette", "uvicorn", "apscheduler", "git",
                     "deepdiff", "babel", "yaml", "policybook.store", "policybook.history",
                     "policybook.timeline", "policybook.state", "policybook.i18n",
                     "policybook.config", "policybook.regions", "policybook.langtags",
                     "zoneinfo")


def test_diff_of_two_files_imports_only_what_it_uses(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    write(tmp_path)
    # A repository with languages configured: checking their tags must not load Babel.
    # And [materiality] settings: reading them must not load the rest of the config.
    (tmp_path / "policybook.toml").write_text(
        '[languages]\nsource = "en"\nrequired = ["fr-ca"]\n'
        '[materiality]\nterms = { fees = ["handling surcharge"] }\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "policybook", "-C",
                           str(tmp_path), "diff", str(tmp_path / "old.md"),
                           str(tmp_path / "new.md"), "--format", "json"],
                          capture_output=True, text=True, check=False, cwd=tmp_path,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["material"] is True
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:") and line.count("|") == 2}
    assert "policybook.materiality" in modules  # what the verdict needs is there
    loaded = {m for m in modules if any(m == h or m.startswith(h + ".")
                                        for h in NOT_FOR_TWO_FILES)}
    assert not loaded, sorted(loaded)


def test_diff_of_two_files_follows_the_materiality_settings(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from policybook.workflows.assessing import use_settings

    write(tmp_path, "## Tickets\n\nTickets are sold at the box office.\n",
          "## Tickets\n\nTickets are sold at the box office with a handling surcharge.\n")
    args = ["diff", "old.md", "new.md", "--format", "json"]
    config = tmp_path / "policybook.toml"
    try:
        assert json.loads(cli(args, cwd=tmp_path).out)["material"] is False
        # The verdict follows [materiality]; a diff of two files reads no other setting,
        # so a mistake elsewhere (here [notice]) is `check`'s to report, not the diff's.
        config.write_text('[materiality]\nterms = { fees = ["handling surcharge"] }\n'
                          '[notice]\ndays = "thirty"\n', encoding="utf-8")
        extended = cli(args, cwd=tmp_path)
        assert extended.code == 0, extended.err
        assert json.loads(extended.out)["material"] is True
        # A mistake in [materiality] itself is an error, as for every command.
        config.write_text('[materiality]\nterms = { snacks = ["crisps"] }\n', encoding="utf-8")
        wrong = cli(args, cwd=tmp_path)
        assert wrong.code == 1 and not wrong.out
        assert "materiality.terms.snacks: unknown concept" in wrong.err
        config.write_text("[materiality\n", encoding="utf-8")
        broken = cli(args, cwd=tmp_path)
        assert broken.code == 1 and "policybook.toml: not valid TOML" in broken.err
    finally:
        use_settings(None)  # the process-wide setting goes back to the defaults


def test_diff_as_a_process_ends_with_its_status_its_whole_output_and_exit_handlers(
        tmp_path: Path) -> None:
    # `python -m policybook diff` ends without freeing its objects (__main__.py): the
    # status, all of a long output, and what exit handlers registered while the command
    # ran (a git reader closed) must survive that.
    import os
    import subprocess
    import sys

    sections = [f"## Part {n}\n\nWe keep record {n} for {n} days.\n" for n in range(400)]
    write(tmp_path, "\n".join(sections), "\n".join(s.replace(" days", " months")
                                                  for s in sections))
    mark = tmp_path / "handler-ran"
    script = (
        "import atexit, runpy, sys\n"
        "import policybook.cli as cli\n"
        "run = cli.main\n"
        "def main():\n"
        f"    atexit.register(lambda: open({str(mark)!r}, 'w').close())\n"
        "    run()\n"
        "cli.main = main\n"
        "sys.argv = ['policybook'] + sys.argv[1:]\n"
        "runpy.run_module('policybook', run_name='__main__')\n")
    env = {**os.environ, "NO_COLOR": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                              text=True, check=False, cwd=tmp_path, env=env)

    done = run("diff", "old.md", "new.md", "--format", "json", "--fail-on-material")
    assert done.returncode == 3, done.stderr[-2000:]
    assert len(done.stdout) > 200_000  # more than a pipe holds: written out before the end
    assert json.loads(done.stdout)["material"] is True
    assert mark.exists()
    mark.unlink()
    missing = run("diff", "old.md", "gone.md")
    assert missing.returncode == 1
    assert missing.stderr.startswith("policybook: error: gone.md: no such file")
    assert mark.exists()
    assert run("diff", "--no-such-option").returncode == 2
