"""What is kept compiled (policybook/compiled.py) is what compiling gives, is served to a
`diff` that then prints what it printed without it, and a file that is not this
interpreter's is ignored. The hooks are installed in processes of their own only."""

from __future__ import annotations

import _sre
import json
import marshal
import os
import subprocess
import sys
from pathlib import Path
from re import _compiler  # type: ignore[attr-defined]

import pytest

from policybook import compiled

pytestmark = pytest.mark.skipif(not compiled.supported(),
                                reason="nothing is kept on this interpreter")

OLD = "## Sharing\n\nWe do not sell your data.\n\n## Fees\n\nThe plan costs $5 a month.\n"
NEW = OLD.replace("do not sell", "may sell").replace("$5", "$9")

# Keep in FOLDER (a process of its own, as `python -m policybook.compiled`).
_KEEP = ("import sys\nfrom pathlib import Path\nfrom policybook import compiled, packaged\n"
         "packaged.KEPT = Path(sys.argv[1])\nprint(compiled.record_diff())\n")
# `python -m policybook ARGS` serving what FOLDER keeps (nothing: a folder that is not
# there); then prints, on stderr, whether the hooks are on and how much was served.
_RUN = ("import dataclasses, json, runpy, sys\nfrom pathlib import Path\n"
        "from policybook import compiled, packaged\n"
        "packaged.KEPT = Path(sys.argv[1])\n"
        "sys.argv = ['policybook'] + sys.argv[2:]\n"
        "try:\n"
        "    runpy.run_module('policybook', run_name='__main__')\n"
        "finally:\n"
        "    on = getattr(dataclasses, 'exec', None) is compiled._exec\n"
        "    sys.stderr.write('\\n' + json.dumps([on, compiled.served]))\n")


def _keep(folder: Path) -> int:
    done = subprocess.run([sys.executable, "-c", _KEEP, str(folder)], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


def _run(folder: str, args: list[str], cwd: Path) -> tuple[int, str, str, bool, dict[str, int]]:
    done = subprocess.run([sys.executable, "-c", _RUN, folder, *args], capture_output=True,
                          text=True, check=False, cwd=cwd, env={**os.environ, "NO_COLOR": "1"})
    err, _, last = done.stderr.rpartition("\n")
    on, served = json.loads(last)
    return done.returncode, done.stdout, err, on, served


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("__pycache__")
    assert _keep(folder) > 0
    return folder


def _load(folder: Path) -> tuple[str, dict, dict]:  # type: ignore[type-arg]
    file = folder / f"compiled.{sys.implementation.cache_tag}.marshal"
    found = marshal.loads(file.read_bytes())
    assert isinstance(found, tuple)
    return found  # type: ignore[return-value]


def test_what_is_kept_is_what_compiling_gives(kept: Path) -> None:
    version, methods, patterns = _load(kept)
    assert version == sys.version
    # A diff makes some thirty classes of its own (six methods each, frozen) and compiles
    # a hundred patterns and more: what is kept is that, not a sample.
    assert len(methods) > 100 and len(patterns) > 100
    for source, code in methods.items():
        assert code == compile(source, "<string>", "exec"), source
    for (pattern, flags), made in patterns.items():
        fresh = _compiler.compile(pattern, flags)
        served = _sre.compile(pattern, *made)
        assert served == fresh, pattern  # (a pattern's equality compares its code)
        assert (served.flags, served.groups, served.groupindex) == \
            (fresh.flags, fresh.groups, fresh.groupindex)


def test_a_diff_served_from_what_is_kept_prints_the_same(kept: Path, tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.md").write_text(NEW, encoding="utf-8")
    (tmp_path / "front.md").write_text("---\npolicy: p\ntitle: P\neffective: 2027-01-15\n---\n"
                                       + NEW, encoding="utf-8")
    for args in (["diff", "old.md", "new.md", "--format", "json", "--fail-on-material"],
                 ["diff", "old.md", "front.md", "--format", "markdown"],
                 ["diff", "front.md", "old.md"], ["diff", "--help"]):
        code, out, err, on, served = _run(str(kept), args, tmp_path)
        assert on and served["methods"] > 50 and served["patterns"] > 50, served
        without = _run(str(tmp_path / "none"), args, tmp_path)
        assert not without[3] and without[4] == {"methods": 0, "patterns": 0}
        assert (code, out, err) == without[:3]
    assert code == 0 and "--fail-on-material" in out  # (the help, compared above)


def test_a_file_of_another_interpreter_or_broken_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.md").write_text(NEW, encoding="utf-8")
    file = tmp_path / f"compiled.{sys.implementation.cache_tag}.marshal"
    args = ["diff", "old.md", "new.md", "--format", "json"]
    expected = _run(str(tmp_path / "none"), args, tmp_path)[:3]
    for blob in (marshal.dumps(("3.11.0 (another build)", {}, {})), b"not marshal",
                 marshal.dumps({"a": 1})):
        file.write_bytes(blob)
        code, out, err, on, served = _run(str(tmp_path), args, tmp_path)
        assert not on and served == {"methods": 0, "patterns": 0}
        assert (code, out, err) == expected


def test_the_policybook_script_serves_what_is_kept_and_code_calling_main_is_left_alone(
        kept: Path, tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.md").write_text(NEW, encoding="utf-8")
    # As the `policybook` script calls it (no arguments: sys.argv), and as code does.
    script = ("import dataclasses, json, sys\nfrom pathlib import Path\n"
              "from policybook import compiled, packaged\n"
              "packaged.KEPT = Path(sys.argv.pop(1))\n"
              "as_program = sys.argv.pop(1) == 'program'\n"
              "from policybook.cli import main\n"
              "try:\n"
              "    main() if as_program else main(sys.argv[1:])\n"
              "finally:\n"
              "    on = getattr(dataclasses, 'exec', None) is compiled._exec\n"
              "    sys.stderr.write(json.dumps([on, compiled.served]))\n")
    outcomes = []
    for how in ("program", "code"):
        done = subprocess.run([sys.executable, "-c", script, str(kept), how, "diff", "old.md",
                               "new.md", "--format", "json"], capture_output=True,
                              text=True, check=False, cwd=tmp_path)
        on, served = json.loads(done.stderr)
        outcomes.append((done.returncode, done.stdout))
        assert on is (how == "program")
        assert (served["patterns"] > 50) is (how == "program"), served
    assert outcomes[0] == outcomes[1] and outcomes[0][0] == 0


def test_a_pattern_that_warns_is_not_kept(tmp_path: Path) -> None:
    # Served kept, it would compile without its warning: such a pattern is compiled anew.
    script = ("import re, sys, warnings\nfrom pathlib import Path\n"
              "from policybook import compiled, packaged\n"
              "packaged.KEPT = Path(sys.argv[1])\n"
              "with compiled.recording():\n"
              "    with warnings.catch_warnings(record=True) as seen:\n"
              "        warnings.simplefilter('always')\n"
              "        re.compile('[[a]x')\n"
              "    re.compile('[a]x')\n"
              "print(len(seen), compiled.keep())\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["1", "1"]  # warned, and only the other pattern kept
    _, _, patterns = _load(tmp_path)
    assert list(patterns) == [("[a]x", 0)]
