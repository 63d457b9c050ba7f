"""What Python compiles again in every process, kept compiled as its bytecode is.

Two things cost a command's start-up on Python 3.11 that its bytecode does not hold:
- `dataclasses` writes each class's methods (`__init__`, `__eq__`, `__repr__`, `__hash__`
  and, frozen, `__setattr__` and `__delattr__`) as source text and compiles it when the
  class is made: half a millisecond a class, and `diff` makes some thirty of them;
- `re` parses and compiles each regular expression in Python (C only runs the result):
  `diff` compiles some 150, most of them markdown-it's and the vocabulary's.

`install()` (run by `python -m policybook` and the `policybook` script before anything
else is loaded: `__main__.run`) serves both from a file kept beside the package's
bytecode (`__pycache__/compiled.<interpreter>.marshal`), keyed by the very text compiled:
the source of the methods, the pattern and its flags. A kept entry is what compiling that
text gives (tests/test_compiled.py compares them) and serves that text only; anything not
kept is compiled as before. The file is written by
`python -m policybook.compiled` (which `python -m policybook.packaged`, the installation
step, runs, as `compileall` compiles the modules): in a fresh process, it loads what `diff`
loads and judges a change between two texts of its own, and keeps what that compiled.
Nothing else writes it: what it holds is fixed by that step, not by what commands ran.

This relies on how CPython 3.11 does both (`dataclasses` calls `exec` by the name its
module sees; `re._compiler.compile` hands `_sre.compile` the code it computed): on any
other version `install` does nothing, and the file's name carries the interpreter's tag.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import builtins
import contextlib
import marshal
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

from . import packaged

# The versions whose `dataclasses` and `re` work as described above.
_SUPPORTED = ((3, 11),)
_ORIGINAL_COMPILE = _compiler.compile

# source text -> code object; (pattern, flags) -> the arguments of `_sre.compile`
_methods: dict[str, Any] = {}
_patterns: dict[tuple[str | bytes, int], tuple[int, list[int], int, dict[str, int],
                                               tuple[str | None, ...]]] = {}
_recording = False
_installed = False
# How many methods and patterns were served as kept in this process (for the tests).
served = {"methods": 0, "patterns": 0}


def kept_file() -> Path | None:
    tag = sys.implementation.cache_tag  # marshal's format is the interpreter's own
    return packaged.KEPT / f"compiled.{tag}.marshal" if tag else None


def supported() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info[:2] in _SUPPORTED


def install() -> None:
    """Serve what is kept compiled in this process from now on (once; a no-op where
    nothing is kept or the interpreter is not one this knows)."""
    global _installed
    if _installed or not supported():
        return
    file = kept_file()
    if file is None:
        return
    try:
        # In the folder Python loads this package's bytecode from and executes: trusted as
        # the package's own code is.
        found = marshal.loads(file.read_bytes())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):  # none kept, or not ours
        return
    if not (isinstance(found, tuple) and len(found) == 3 and found[0] == sys.version and
            isinstance(found[1], dict) and isinstance(found[2], dict)):
        return
    _methods.update(found[1])
    _patterns.update(found[2])
    _hook()


def _hook() -> None:
    global _installed
    import dataclasses
    import re

    # `dataclasses` compiles with `exec(text, globals, namespace)`, the name looked up in
    # its module first: there, the kept code of that text runs instead.
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    re._compiler.compile = _compile  # type: ignore[attr-defined]
    _installed = True


def _exec(source: Any, globals: dict[str, Any] | None = None,
          locals: dict[str, Any] | None = None) -> None:
    """`exec` as `dataclasses` calls it, running the kept code of `source` if there is."""
    code = _methods.get(source) if isinstance(source, str) else None
    if code is not None:
        served["methods"] += 1
    elif _recording and isinstance(source, str):
        code = _methods[source] = compile(source, "<string>", "exec")
    # (dataclasses' own generated text, or its code compiled from that very text)
    builtins.exec(source if code is None else code, globals, locals)  # noqa: S102


def _compile(pattern: Any, flags: int = 0) -> Any:
    """`re._compiler.compile`, from what is kept for (pattern, flags) when there is."""
    if not isinstance(pattern, str | bytes) or flags & _compiler.SRE_FLAG_DEBUG:
        return _ORIGINAL_COMPILE(pattern, flags)
    key = (pattern, int(flags))
    kept = _patterns.get(key)
    if kept is not None:
        served["patterns"] += 1
        return _sre.compile(pattern, *kept)
    if not _recording:
        return _ORIGINAL_COMPILE(pattern, flags)
    # 3.11's `re._compiler.compile`, keeping what it hands `_sre.compile`; not a pattern
    # that warns (a nested set, say): served kept, it would not warn any more.
    import warnings

    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        parsed = _parser.parse(pattern, flags)
    if warned:
        return _ORIGINAL_COMPILE(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # (the opcodes are int subclasses, which marshal does not hold: plain ints, same values)
    made = (int(flags | parsed.state.flags), [int(c) for c in code], parsed.state.groups - 1,
            dict(groupindex), tuple(indexgroup))
    _patterns[key] = made
    return _sre.compile(pattern, *made)


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Keep in memory what is compiled meanwhile (besides serving what is kept)."""
    global _recording
    if not supported():
        yield
        return
    if not _installed:
        _hook()
    _recording = True
    try:
        yield
    finally:
        _recording = False


def keep() -> int:
    """Write what this process holds compiled (kept and recorded) to the kept file,
    whole under another name, then renamed; the number of entries (0: not written)."""
    file = kept_file()
    if file is None or not supported() or not file.parent.is_dir():
        return 0
    blob = marshal.dumps((sys.version, _methods, _patterns))
    partial = file.with_name(f"{file.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(blob)
        os.replace(partial, file)
    except OSError:  # a read-only installation: compiled in each process, as before
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return 0
    return len(_methods) + len(_patterns)


# Two versions of a policy, written to make a diff load and compile what judging a change
# of each kind needs: front matter, headings with ids, lists, a table, links, emphasis,
# numbers, money, dates, a negation removed, a section added, a passage moved.
_OLD = """---
policy: sample-policy
title: Sample Policy
effective: 2027-01-15
summary: >
  What this version changes.
---
## 1. What we collect {#collect}

We collect your name, your e-mail address and, if you agree, your location.

- Account data: your name and e-mail address
- Usage data: the pages you view

| Data | Kept for |
| --- | --- |
| Logs | 30 days |

## 2. Sharing

We do **not** sell your data. We share it only with [our processors](https://example.com/p).

## 3. Fees

The plan costs US$ 5 a month, billed on 1 January 2027. Contact support@example.com.
"""
_NEW = (_OLD.replace("effective: 2027-01-15", "effective: 2027-03-01")
        .replace("We do **not** sell", "We may sell")
        .replace("the pages you view", "the pages you view\n- Device data: your IP address")
        .replace("| 30 days |", "| 90 days |")
        .replace("US$ 5 a month", "US$ 7 a month")
        .replace("## 3. Fees", "## 3. Your rights\n\nYou may ask us to delete your data "
                 "within 30 days.\n\n## 4. Fees"))


def record_diff() -> int:
    """Load what `diff` loads and judge the change of the two texts above, keeping what
    was compiled meanwhile; then write the kept file: the number of entries kept."""
    with recording():
        # (loaded as `diff` loads them; tomllib: for a repository with a policybook.toml)
        import json
        import tomllib  # noqa: F401

        from .cli import diffing, output, plain  # noqa: F401
        from .workflows.diffing import Format, Side, compare, json_data, render

        comparison = compare(Side("old.md", "old.md", _OLD), Side("new.md", "new.md", _NEW))
        json.dumps(json_data(comparison), indent=2, ensure_ascii=False)
        for fmt in (Format.MARKDOWN, Format.TEXT):
            render(comparison, fmt)
    return keep()


if __name__ == "__main__":
    # (run as policybook.compiled, not as __main__: the hooks and what they keep are one
    # module's, whatever imports it)
    from policybook import compiled

    count = compiled.record_diff()
    print(f"kept {count} compiled methods and patterns in {packaged.KEPT.name}/")
