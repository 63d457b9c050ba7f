"""`policybook check`: every rule with its line number, exit codes, unreadable input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import policy

GOOD = policy("privacy-policy", "2027-01-15", "## 1. Data {#data}\n\nWe collect your name.\n"
              "\n## 2. Contact\n\nSee [data](#data).\n", summary="First version.")


def make_repo(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    (tmp_path / "content").mkdir()
    for name, data in files.items():
        target = tmp_path / "content" / name
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    return tmp_path


def test_a_good_repository_passes(tmp_path: Path, cli) -> None:
    root = make_repo(tmp_path, {"privacy.md": GOOD})
    result = cli(["check"], cwd=root)
    assert result.code == 0, result.err
    assert result.out.strip() == "1 policy checked, no problems (privacy-policy)"


def test_the_projects_own_content_passes(cli) -> None:
    result = cli(["check"], cwd=Path(__file__).parent.parent)
    assert result.code == 0, result.err
    assert "2 policies and 1 regional variant checked" in result.out


@pytest.mark.parametrize(("text", "expected"), [
    ("# Title\n\nNo front matter.\n",
     "content/p.md:1: no front matter; start the file with '---'"),
    ("---\npolicy: p\ntitle: T\n---\n## A\n\nx\n",
     "content/p.md:1: front matter has no 'effective'; add a line such as"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-02-30\n---\n## A\n\nx\n",
     "content/p.md:4: effective '2027-02-30' is not a date; write it as YYYY-MM-DD"),
    ("---\npolicy: Privacy Policy\ntitle: T\neffective: 2027-01-01\n---\n## A\n\nx\n",
     "content/p.md:2: policy id 'Privacy Policy' must be lower-case letters"),
    ("---\npolicy: p\ntitle: [a, b]\neffective: 2027-01-01\n---\n## A\n\nx\n",
     "content/p.md:3: 'title' must be text"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\nefective: 2027-01-02\n---\n## A\n\nx\n",
     "content/p.md:5: unknown front matter key 'efective'; did you mean 'effective'?"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\nchange: minor\nreason: x\n---\n## A\n\nx\n",
     "content/p.md:5: change 'minor' must be 'material' or 'editorial'"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\nchange: editorial\n---\n## A\n\nx\n",
     "content/p.md:5: change: overrides the verdict and needs a 'reason: ...' line"),
    ("---\npolicy: p\ntitle: T: with colon: here\neffective: 2027-01-01\n---\n## A\n\nx\n",
     "content/p.md:3: front matter is not valid YAML"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n\n## A\n\nx\n",
     "content/p.md:1: front matter opened with '---' is never closed"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n---\n## A\n\nx\n\n#### Deep\n\ny\n",
     "content/p.md:10: heading level 4 follows level 2; use ### (headings must not skip a level)"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n---\n## A\n\n## B\n\ny\n",
     "content/p.md:6: section 'A' is empty; add its text or remove the heading"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n---\n## A {#x}\n\na\n\n## B {#x}\n\nb\n",
     "content/p.md:10: section id 'x' is already used on line 6; ids must be unique"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n---\n## A\n\na\n\n## A\n\nb\n",
     "content/p.md:10: a section titled 'A' already exists at line 6 in the same place"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n---\n## Data\n\nSee [it](#dta).\n",
     "content/p.md:8: link 'it' points to '#dta', which is not a section of this policy; "
     "did you mean '#data'?"),
    ("---\npolicy: p\ntitle: T\neffective: 2027-01-01\n---\n",
     "content/p.md:6: the policy has no text"),
])
def test_each_problem_is_reported_with_its_line(tmp_path: Path, cli, text: str,
                                                expected: str) -> None:
    root = make_repo(tmp_path, {"p.md": text})
    result = cli(["check"], cwd=root)
    assert result.code == 1
    assert expected in result.err, result.err
    assert "Traceback" not in result.err


def test_all_problems_at_once_across_files(tmp_path: Path, cli) -> None:
    root = make_repo(tmp_path, {
        "a.md": GOOD,
        "b.md": GOOD.replace("(#data)", "(#nowhere)"),
        "c.md": "plain\n",
    })
    result = cli(["check"], cwd=root)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("content/b.md:2: policy id 'privacy-policy' is already used by "
                               "content/a.md")
    assert lines[1].startswith("content/b.md:14: link 'data' points to '#nowhere'")
    assert lines[2].startswith("content/c.md:1: no front matter")
    assert lines[-1] == "policybook: 3 problems in 2 files"


def test_binary_and_non_utf8_files_get_a_clear_message(tmp_path: Path, cli) -> None:
    root = make_repo(tmp_path, {
        "logo.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        "latin1.md": GOOD.encode("utf-8") + "Caf\xe9\n".encode("latin-1"),
    })
    result = cli(["check"], cwd=root)
    assert result.code == 1
    assert "content/latin1.md:15: is not valid UTF-8 (byte 0xe9); save the file as UTF-8" \
        in result.err
    assert "content/logo.md: is a binary file, not Markdown text" in result.err
    assert "Traceback" not in result.err


def test_missing_paths_and_empty_folders(tmp_path: Path, cli) -> None:
    result = cli(["check"], cwd=tmp_path)
    assert result.code == 1
    assert "content/: no such folder" in result.err
    (tmp_path / "content").mkdir()
    result = cli(["check"], cwd=tmp_path)
    assert result.code == 1
    assert "content/: no policies (*.md files) found" in result.err
    result = cli(["check", "nope.md"], cwd=tmp_path)
    assert result.code == 1
    assert "nope.md: does not exist" in result.err


def test_check_given_files(tmp_path: Path, cli) -> None:
    root = make_repo(tmp_path, {"a.md": GOOD, "b.md": "broken\n"})
    assert cli(["check", "content/a.md"], cwd=root).code == 0
    assert cli(["check", "content/b.md"], cwd=root).code == 1


def test_help_and_version(cli) -> None:
    result = cli(["--help"])
    assert result.code == 0 and "check" in result.out and "Example" in result.out
    for command in ("check", "init", "render"):
        result = cli([command, "--help"])
        assert result.code == 0, command
        assert "Example" in result.out, command
    result = cli(["--version"])
    assert result.code == 0 and result.out.startswith("policybook, version ")


def test_unknown_command_is_a_usage_error(cli) -> None:
    result = cli(["chek"])
    assert result.code == 2
    assert "No such command 'chek'" in result.err
