"""The data files shipped in the package (`policybook/data/`: the concepts and the
editorial vocabulary), read once per process, and each TOML file parsed once: two
modules read `vocabulary.toml`, and parsing it is a millisecond or two of a command's
start-up (tomllib is pure Python).

Read with `pkgutil.get_data` rather than `importlib.resources`, which would load
tempfile and zipfile into every start-up (a `diff` of two files included). The core
modules that hold the vocabularies ask here, so that they do no file I/O of their own
(tests/test_architecture.py).

A data file parsed is kept beside the package's bytecode, as Python keeps a module
compiled (`__pycache__/<name>.<interpreter>.marshal`): loading it is a tenth of a
millisecond where parsing the vocabulary is two or three, in every command that judges a
change. A kept file holds the very text it was parsed from and serves that text only (an
edited data file is parsed again). Files are kept only in a `__pycache__` that installing
or compiling the package made (this never makes one) and that can be written to, and,
like bytecode, not by a process told not to write it (PYTHONDONTWRITEBYTECODE, `-B`):
there `python -m policybook.packaged` keeps them, as `python -m compileall` compiles the
modules. Elsewhere the files are parsed in each process, as before."""

from __future__ import annotations

import contextlib
import marshal
import os
import pkgutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

# Where parsed data files are kept (tests point it elsewhere).
KEPT = Path(__file__).resolve().parent / "__pycache__"


@cache
def data_text(name: str) -> str:
    """The text of `policybook/data/<name>` (a file of the package: never user input)."""
    found = pkgutil.get_data(__package__ or "policybook", f"data/{name}")
    if found is None:  # a broken installation, not a user mistake
        raise FileNotFoundError(f"policybook/data/{name} is missing: reinstall policybook")
    return found.decode("utf-8")


@cache
def data_toml(name: str) -> dict[str, Any]:
    """`policybook/data/<name>` parsed as TOML, once per process: shared by its readers,
    which must not change it."""
    text = data_text(name)
    kept = _kept(name, text)
    if kept is not None:
        return kept
    import tomllib  # (loaded already when the repository has a policybook.toml)

    data = tomllib.loads(text)
    _keep(name, text, data)
    return data


def _kept_file(name: str) -> Path | None:
    tag = sys.implementation.cache_tag  # marshal's format is the interpreter's own
    return KEPT / f"{name}.{tag}.marshal" if tag else None


def _kept(name: str, text: str) -> dict[str, Any] | None:
    """The data kept for `name` when it was parsed from `text`, else None."""
    file = _kept_file(name)
    if file is None:
        return None
    try:
        # The folder Python loads this package's bytecode from, and executes it: a file
        # there is trusted as the package's own code is.
        found = marshal.loads(file.read_bytes())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):  # none yet, or not ours
        return None
    if isinstance(found, tuple) and len(found) == 2 and found[0] == text and \
            isinstance(found[1], dict):
        return found[1]
    return None


def _keep(name: str, text: str, data: dict[str, Any], *, asked: bool = False) -> bool:
    """Keep `data` parsed from `text` for the next process, if the folder is writable and
    writing is allowed (`asked`: by `keep_all`, whatever PYTHONDONTWRITEBYTECODE says).
    Whether it was kept."""
    file = _kept_file(name)
    if file is None or not file.parent.is_dir() or (sys.dont_write_bytecode and not asked):
        return False
    try:
        blob = marshal.dumps((text, data))
    except ValueError:  # a value marshal cannot hold (a TOML date): parsed each time
        return False
    # Written whole under another name, then renamed: a process that reads meanwhile
    # finds the old file or the new one, never half of one.
    partial = file.with_name(f"{file.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(blob)
        os.replace(partial, file)
    except OSError:  # a read-only installation: parsed in each process
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return False
    return True


def keep_all() -> list[str]:
    """Parse and keep every TOML data file of the package (an installation step, as
    compiling its modules is): the names kept. The `__pycache__` must exist."""
    import tomllib

    kept = []
    for name in sorted(p.name for p in (Path(__file__).resolve().parent / "data").glob("*.toml")):
        text = data_text(name)
        if _keep(name, text, tomllib.loads(text), asked=True):
            kept.append(name)
    return kept


if __name__ == "__main__":
    KEPT.mkdir(exist_ok=True)
    done = keep_all()
    print(f"kept {len(done)} parsed data files in {KEPT.name}/: {', '.join(done) or 'none'}")
    # And what a diff compiles again in every process (compiled.py): seen in a process of
    # its own, which loads nothing before it looks.
    import subprocess

    subprocess.run([sys.executable, "-m", "policybook.compiled"], check=True)
