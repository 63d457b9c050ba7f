"""`policybook diff` read without click (`cli.plain`): for every form it reads, the real
process prints what click's reading prints, byte for byte, with the same exit status, and
never loads click; every other form goes to click."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policybook.cli.plain import FORMATS, plain_diff
from policybook.workflows.diffing import Format

OLD = """## Sharing

We do not share or sell your data.

## Fees

The plan costs $5 a month.
"""
NEW = OLD.replace("share or sell", "sell").replace("$5", "$7")
EDITORIAL = OLD.replace("The plan costs", "The plan  costs")
FRONT = "---\npolicy: privacy-policy\ntitle: Privacy\neffective: 2027-01-15\n---\n"

# Runs the command as `python -m policybook` does, and says whether click was loaded.
_MAIN = ("import runpy, sys\n"
         "sys.argv = ['policybook'] + sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_module('policybook', run_name='__main__')\n"
         "finally:\n"
         "    sys.stderr.write('click loaded: %s' % ('click' in sys.modules))\n")
# The same arguments read by click alone (the path every command took before).
_CLICK = ("import sys\n"
          "from policybook.cli.app import run\n"
          "try:\n"
          "    run(sys.argv[1:])\n"
          "finally:\n"
          "    sys.stderr.write('click loaded: %s' % ('click' in sys.modules))\n")


def _run(script: str, args: list[str], cwd: Path,
         env: dict[str, str] | None = None) -> tuple[int, str, str, bool]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          check=False, cwd=cwd, env={**os.environ, **(env or {})})
    err = done.stderr.decode("utf-8")
    err, _, loaded = err.rpartition("click loaded: ")
    return done.returncode, done.stdout.decode("utf-8"), err, loaded == "True"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    files = {"old.md": OLD, "new.md": NEW, "same.md": EDITORIAL,
             "front-old.md": FRONT + OLD, "front-new.md": FRONT + NEW,
             "bad-front.md": "---\npolicy: [x\n---\n" + NEW,
             "other.md": FRONT.replace("privacy-policy", "terms") + NEW,
             # a colour code written into the text: removed where click removes it
             "escape.md": NEW.replace("sell", "\x1b[31msell\x1b[0m"),
             "latin1.md": "## Fees\n\nThe plan costs \xa35.\n"}
    for name, text in files.items():
        encoding = "latin-1" if name == "latin1.md" else "utf-8"
        (tmp_path / name).write_text(text, encoding=encoding)
    (tmp_path / "sub").mkdir()
    return tmp_path


PLAIN = [
    ["diff", "old.md", "new.md", "--format", "json"],
    ["diff", "old.md", "new.md", "--format=json", "--fail-on-material"],
    ["diff", "--fail-on-material", "--format", "json", "old.md", "same.md"],
    ["diff", "old.md", "new.md"],
    ["diff", "old.md", "new.md", "--color"],
    ["diff", "old.md", "new.md", "--no-color", "--format", "text"],
    ["diff", "old.md", "escape.md"],
    ["diff", "old.md", "escape.md", "--format", "markdown"],
    ["diff", "old.md", "escape.md", "--color"],
    ["diff", "front-old.md", "front-new.md", "--format", "markdown"],
    ["diff", "front-old.md", "front-new.md", "--format", "html"],
    ["diff", "front-old.md", "other.md", "--format", "json"],
    ["diff", "bad-front.md", "new.md", "--format", "json"],
    ["diff", "old.md", "new.md", "--format", "json", "--now", "2027-02-01"],
    ["diff", "old.md", "new.md", "--now", "yesterday"],
    ["diff", "old.md", "new.md", "--ref", "main", "--format", "json"],
    ["diff", "old.md", "gone.md", "--format", "json"],
    ["diff", "sub", "new.md"],
    ["diff", "old.md", "latin1.md"],
    ["diff", "privacy-policy@HEAD", "new.md"],  # not a git repository: an error
    ["diff", "new.md", "--format", "json"],  # one file: against the version in force
    ["-C", ".", "diff", "old.md", "new.md", "--format", "json"],
    ["-C", "sub", "diff", "old.md", "new.md", "--format", "json"],  # paths: here, or there
    ["--repo", "sub", "diff", "../old.md", "new.md", "--format", "json"],
    ["--repo=.", "diff", "old.md", "new.md", "--format", "json"],
    ["-C", "elsewhere", "diff", "old.md", "new.md"],  # not there: taken, as click takes it
]

CLICK = [
    ["diff", "--help"], ["diff", "-h"], ["--help"], ["--version"], [], ["diff"],
    ["diff", "old.md", "new.md", "--format", "xml"],
    ["diff", "old.md", "new.md", "--format", "JSON"],
    ["diff", "old.md", "new.md", "old.md"],
    ["diff", "old.md", "new.md", "--frmat", "json"],
    ["diff", "old.md", "new.md", "--format"],
    ["diff", "old.md", "new.md", "--format", "json", "--format", "text"],
    ["diff", "old.md", "new.md", "--color", "--no-color"],
    ["diff", "old.md", "new.md", "--fail-on-material", "--fail-on-material"],
    ["diff", "old.md", "new.md", "--fail-on-material=yes"],
    ["diff", "--", "old.md", "new.md"],
    ["diff", "old.md", "-"],
    ["diff", "old.md", "new.md", "--now", "-1"],
    ["diff", "old.md", ""],
    ["-C", "old.md", "diff", "old.md", "new.md"],  # a file: click's message
    ["-C.", "diff", "old.md", "new.md"],
    ["-C", ".", "-C", ".", "diff", "old.md", "new.md"],
    ["--repo=", "diff", "old.md", "new.md"],
    ["-C"],
    ["dif", "old.md", "new.md"],
    ["check"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_diff_runs_without_click_and_prints_what_click_prints(
        folder: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)  # (where the command runs: `-C` is read from there)
    assert plain_diff(args) is not None
    env = {"NO_COLOR": "1"} if "--color" not in args else {}
    code, out, err, loaded = _run(_MAIN, args, folder, env)
    assert not loaded, "the plain path loaded click"
    expected = _run(_CLICK, args, folder, env)
    assert expected[3]  # (the other path is click's)
    assert (code, out, err) == expected[:3]


@pytest.mark.parametrize("args", CLICK, ids=" ".join)
def test_every_other_form_is_read_by_click(folder: Path, args: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    assert plain_diff(args) is None
    code, out, err, loaded = _run(_MAIN, args, folder, {"NO_COLOR": "1"})
    assert loaded
    assert (code, out, err, loaded) == _run(_CLICK, args, folder, {"NO_COLOR": "1"})


def test_the_outcomes_the_plain_path_must_keep(folder: Path) -> None:
    # What the comparisons above compare is what users rely on (not two empty outputs).
    code, out, err, _ = _run(_MAIN, ["diff", "old.md", "new.md", "--format", "json",
                                     "--fail-on-material"], folder)
    assert code == 3 and '"material": true' in out and not err
    code, out, err, _ = _run(_MAIN, ["diff", "old.md", "same.md", "--format", "json",
                                     "--fail-on-material"], folder)
    assert code == 0 and '"material": false' in out
    code, out, err, _ = _run(_MAIN, ["diff", "old.md", "gone.md"], folder)
    assert code == 1 and not out and err.startswith("policybook: error: gone.md: no such file")
    code, out, err, _ = _run(_MAIN, ["diff", "old.md", "new.md", "--now", "yesterday"], folder)
    assert code == 2 and err.startswith("policybook: error: --now 'yesterday'")
    code, out, err, _ = _run(_MAIN, ["diff", "bad-front.md", "new.md"], folder,
                             {"NO_COLOR": "1"})
    assert code == 0 and err.startswith("warning: bad-front.md:3: front matter is not valid")
    coloured = _run(_MAIN, ["diff", "old.md", "escape.md", "--color"], folder)[1]
    assert "\x1b[31msell" in coloured
    assert "\x1b[" not in _run(_MAIN, ["diff", "old.md", "escape.md"], folder)[1]


def test_a_closed_output_ends_as_with_click(folder: Path) -> None:
    # A reader gone before the output is written (`| head` that has ended): the status and
    # the silence of click's (no traceback, no complaint from the flush at exit).
    outcomes = []
    for script in (_MAIN, _CLICK):
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run([sys.executable, "-c", script, "diff", "old.md", "new.md",
                                   "--format", "json"], cwd=folder, stdout=write,
                                  stderr=subprocess.PIPE, check=False)
        finally:
            os.close(write)
        outcomes.append((done.returncode, done.stderr.decode("utf-8")))
    assert outcomes[0][1].endswith("click loaded: False")
    assert outcomes[1][1].endswith("click loaded: True")
    assert outcomes[0][0] == outcomes[1][0] == 1
    assert outcomes[0][1].rpartition("click loaded: ")[0] == \
        outcomes[1][1].rpartition("click loaded: ")[0] == ""


def test_the_plain_reading_of_the_arguments() -> None:
    assert tuple(f.value for f in Format) == FORMATS
    assert plain_diff(["diff", "a.md", "b.md", "--format=json", "--ref", "main",
                       "--no-color", "--now", "2027-01-15"]) == (
        ".", "a.md", "b.md", "json", False, False, "main", "2027-01-15")
    assert plain_diff(["-C", "/no/such/repo", "diff", "--color", "a.md",
                       "--fail-on-material"]) == (
        "/no/such/repo", "a.md", None, "text", True, True, None, None)
    assert plain_diff(["diff", "a.md", "b.md", "--ref"]) is None
    assert plain_diff(["diff", "a.md", "b.md", "--ref="]) is None
    assert plain_diff(["rules"]) is None and plain_diff(["diff"]) is None


def test_shell_completion_is_left_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_POLICYBOOK_COMPLETE", "bash_complete")
    assert plain_diff(["diff", "a.md", "b.md"]) is None


def test_the_policybook_script_is_the_program_python_m_runs(folder: Path) -> None:
    # The installed script runs `policybook.__main__.run`, as `python -m policybook` does:
    # the same output and status, through the plain path and through click.
    script = Path(sys.executable).parent / "policybook"
    if not script.exists():
        pytest.skip("the policybook script is not installed beside this interpreter")
    env = {**os.environ, "NO_COLOR": "1"}
    for args in (["diff", "old.md", "new.md", "--format", "json", "--fail-on-material"],
                 ["diff", "old.md", "gone.md"], ["diff", "--help"], ["--version"]):
        by_script = subprocess.run([str(script), *args], capture_output=True, check=False,
                                   cwd=folder, env=env)
        by_module = subprocess.run([sys.executable, "-m", "policybook", *args],
                                   capture_output=True, check=False, cwd=folder, env=env)
        assert (by_script.returncode, by_script.stdout, by_script.stderr) == \
            (by_module.returncode, by_module.stdout, by_module.stderr)
    assert by_script.returncode == 0 and b"policybook" in by_script.stdout
