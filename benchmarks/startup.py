"""Where the start-up of `policybook diff OLD NEW --format json` goes (issue 12).

    python benchmarks/startup.py [--runs 20] [--peer-src DIR]

Makes the package ready as an installation has it (benchmarks/installed.py), then runs,
each --runs times, and prints the best wall-clock and CPU time of each (the best
is the least disturbed run on a shared machine; CPU time is user + system of the process):

- `python -c pass` (the interpreter's own start) and `python -c "import markdown_it"`
  (the library every diff needs, as a bare interpreter loads it: compiling its patterns
  and collecting cycles as it goes, which the command does not, see import_for_diff
  below; a plain `diff` loads no click, see policybook/cli/plain.py), and `import yaml`
  (what a file with front matter adds);
- the command on two small files without front matter and on two with front matter,
  in a folder with a `policybook.toml` (as a repository has);

then the policybook modules that cost the most to import, by their own time (the
least of the runs of `python -X importtime`; it inflates every figure alike), and what
loading what `diff` needs costs once markdown-it is loaded: in all, in making its
dataclasses (Python 3.11 compiles each one's generated methods), and in compiling
regular expressions (both timed around their own calls, least of the runs), as the
command pays them: with what is kept compiled at installation (policybook/compiled.py)
served, and without (`_uncompiled` lines). With
`--peer-src DIR` the command is measured with the policybook of another checkout too
(`peer_` lines), e.g. a `git worktree` of main. With `--instructions`, the instructions
each diff executes are counted too (valgrind's cachegrind, if installed): unlike times,
that count hardly moves with the load of the machine, so it shows a change of a few
per cent that the timings of a shared machine hide. Prints `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from installed import as_installed  # benchmarks/installed.py

REPO = Path(__file__).resolve().parent.parent

OLD = "## Sharing\n\nWe do not share or sell your data.\n\n## Fees\n\nThe plan costs $5.\n"
NEW = "## Sharing\n\nWe do not sell your data.\n\n## Fees\n\nThe plan costs $7.\n"
FRONT = "---\npolicy: privacy-policy\ntitle: Privacy\neffective: 2027-01-15\n---\n"


def timed(args: list[str], env: dict[str, str], cwd: Path, runs: int) -> tuple[float, float]:
    """(best wall-clock seconds, best CPU seconds) of `runs` runs of `args`."""
    import time

    wall, cpu = float("inf"), float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
        if status != 0:
            sys.exit(f"{' '.join(args)} failed (status {status})")
    return wall, cpu


def instructions(args: list[str], env: dict[str, str], cwd: Path) -> int:
    """Instructions executed by `args` (cachegrind, without its cache simulation)."""
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                           "--cachegrind-out-file=/dev/null", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        sys.exit(f"valgrind printed no instruction count: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def own_import_times(args: list[str], env: dict[str, str], cwd: Path,
                     runs: int) -> dict[str, int]:
    """policybook module -> least self time (microseconds) over `runs` importtime runs."""
    best: dict[str, int] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", *args], env=env, cwd=cwd,
                              capture_output=True, text=True, check=True)
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or line.count("|") != 2:
                continue
            own, _, name = line.removeprefix("import time:").split("|")
            module = name.strip()
            if module.startswith("policybook") and own.strip().isdigit():
                best[module] = min(best.get(module, 1 << 62), int(own))
    return best


# Run in a fresh interpreter: the import of what `diff` loads, timed whole and around
# each dataclass made and each pattern compiled (not found in `re`'s cache).
_IMPORT_PARTS = """
import dataclasses, json, re, sys, time
from policybook import compiled
if sys.argv[1:] == ["kept"]:
    compiled.install()  # as `python -m policybook` does
import markdown_it
spent = {"dataclasses": [0.0, 0], "patterns": [0.0, 0]}
def timed(module, name, key, counts=lambda *a: True):
    original = getattr(module, name)
    def wrapper(*args, **kwargs):
        new = counts(*args)  # (asked before the call, which caches a pattern)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if new:
                spent[key][0] += time.perf_counter() - start
                spent[key][1] += 1
    setattr(module, name, wrapper)
timed(dataclasses, "_process_class", "dataclasses")
timed(re, "_compile", "patterns", lambda p, f: not isinstance(p, re.Pattern) and (
    type(p), p, int(f)) not in re._cache)
start = time.perf_counter()
import policybook.cli.diff, policybook.markdown
spent["all"] = [time.perf_counter() - start, len(sys.modules)]
print(json.dumps(spent))
"""


def import_parts(env: dict[str, str], cwd: Path, runs: int,
                 kept: bool = True) -> dict[str, tuple[float, int]]:
    """name -> (least seconds, count) of `_IMPORT_PARTS` over `runs` runs (`kept`: with
    what is kept compiled served)."""
    import json

    best: dict[str, tuple[float, int]] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _IMPORT_PARTS,
                               *(["kept"] if kept else [])], env=env, cwd=cwd,
                              capture_output=True, text=True, check=True)
        for name, (seconds, count) in json.loads(done.stdout).items():
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, count)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs of each (best is kept)")
    parser.add_argument("--peer-src", type=Path,
                        help="another checkout whose policybook to measure the same way")
    parser.add_argument("--top", type=int, default=12, help="modules listed")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each diff's instructions (needs valgrind)")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "policybook.toml").write_text(
            (REPO / "policybook.toml").read_text(encoding="utf-8"), encoding="utf-8")
        for name, text in (("old.md", OLD), ("new.md", NEW), ("front-old.md", FRONT + OLD),
                           ("front-new.md", FRONT + NEW)):
            (folder / name).write_text(text, encoding="utf-8")
        python = [sys.executable]
        env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
        for source in (REPO, *([args.peer_src.resolve()] if args.peer_src else [])):
            as_installed(source)  # bytecode compiled, data files kept, as installed
        floors = {"python": ["-c", "pass"], "libraries": ["-c", "import markdown_it"],
                  "yaml": ["-c", "import yaml"]}
        for name, extra in floors.items():
            wall, cpu = timed(python + extra, env, folder, args.runs)
            print(f"floor_{name}_wall: {wall * 1000:.1f} ms")
            print(f"floor_{name}_cpu: {cpu * 1000:.1f} ms")
        command = ["-m", "policybook", "diff", "--format", "json"]
        sides = {"plain": ["old.md", "new.md"], "front_matter": ["front-old.md", "front-new.md"]}
        sources = [("", REPO)] + ([("peer_", args.peer_src.resolve())] if args.peer_src else [])
        for prefix, source in sources:
            source_env = {**env, "PYTHONPATH": str(source)}
            for name, files in sides.items():
                wall, cpu = timed(python + command + files, source_env, folder, args.runs)
                print(f"{prefix}diff_{name}_wall: {wall * 1000:.1f} ms")
                print(f"{prefix}diff_{name}_cpu: {cpu * 1000:.1f} ms")
                if args.instructions:
                    count = instructions(python + command + files, source_env, folder)
                    print(f"{prefix}diff_{name}_instructions: {count / 1e6:.1f} M")
        modules = own_import_times(command + sides["front_matter"], env, folder,
                                   max(3, args.runs // 4))
        print(f"policybook_modules_self_total: {sum(modules.values()) / 1000:.1f} ms "
              f"({len(modules)} modules, -X importtime)")
        for module, own in sorted(modules.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"import_self_{module}: {own / 1000:.2f} ms")
        for suffix, kept in (("", True), ("_uncompiled", False)):
            parts = import_parts(env, folder, max(3, args.runs // 4), kept)
            seconds, loaded = parts["all"]
            print(f"import_for_diff{suffix}: {seconds * 1000:.1f} ms (after markdown-it; "
                  f"{loaded} modules then)")
            seconds, count = parts["dataclasses"]
            print(f"import_for_diff{suffix}_dataclasses: {seconds * 1000:.1f} ms "
                  f"({count} classes)")
            seconds, count = parts["patterns"]
            print(f"import_for_diff{suffix}_patterns: {seconds * 1000:.1f} ms "
                  f"({count} compiled)")


if __name__ == "__main__":
    main()
