"""`policybook diff` read without click, for the forms of its arguments that scripts and CI
write (`diff OLD NEW --format json --fail-on-material`): loading click and building its
commands is a tenth of such a command's start-up, for two paths and an option or two.

`plain_diff` reads only what it is sure click reads the same way, and says None for
anything else (help, a mistake, an option given twice, `--`, a value that starts with a
dash, another command, a global option, shell completion): that goes to click, whose
messages and exit statuses stay the only ones. What it reads runs the very function the
click command runs (`cli.diffing.run_diff`); tests/test_cli_plain.py holds the two paths
to the same output, byte for byte, with the same exit status."""

from __future__ import annotations

import os
from collections.abc import Sequence

# The values of `workflows.diffing.Format` (the test above checks they are the same): this
# module must not load the differ to know them.
FORMATS = ("text", "markdown", "html", "json")
_VALUED = ("--format", "--ref", "--now")
_FLAGS = ("--fail-on-material", "--color", "--no-color")


# The repository (`-C`), then the arguments of `cli.diffing.run_diff` after it, in its
# order: old, new, fmt, fail_on_material, color, ref, now. (A tuple: a NamedTuple would
# be a class made at every start.)
DiffCall = tuple[str, str, str | None, str, bool, bool | None, str | None, str | None]


def plain_diff(args: Sequence[str]) -> DiffCall | None:
    """`args` (after `policybook`) read as click reads `diff`'s arguments, when they are a
    plain `diff` call; else None (click reads them)."""
    # click's shell completion answers when this variable is set (`_main_shell_completion`)
    if os.environ.get("_POLICYBOOK_COMPLETE"):
        return None
    repo, command = _repository(args)
    if repo is None or command[:1] != ["diff"]:
        return None
    values: dict[str, str] = {}
    flags: list[str] = []
    paths: list[str] = []
    rest = iter(command[1:])
    for arg in rest:
        if not arg:
            return None
        if not arg.startswith("-"):
            paths.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name in _VALUED:
            if not eq:
                value = next(rest, "")
            if not value or value.startswith("-") or name in values:
                return None
            values[name] = value
        elif arg in _FLAGS and arg not in flags:
            flags.append(arg)
        else:  # -h, --help, --, an unknown option, a flag with a value...
            return None
    fmt = values.get("--format", "text")
    if not 1 <= len(paths) <= 2 or fmt not in FORMATS or \
            ("--color" in flags and "--no-color" in flags):
        return None
    color = True if "--color" in flags else False if "--no-color" in flags else None
    return (repo, paths[0], paths[1] if len(paths) == 2 else None, fmt,
            "--fail-on-material" in flags, color, values.get("--ref"), values.get("--now"))


def _repository(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The group's `-C DIR` / `--repo DIR` / `--repo=DIR` when given once, else "." (the
    default), and the arguments after it; None when click must read it: a value that
    starts with a dash or is empty, or names what click's `Path(file_okay=False)` refuses
    (a file, or what cannot be read; a path that is not there is taken, as click takes it)."""
    if not args or (args[0] not in ("-C", "--repo") and not args[0].startswith("--repo=")):
        return ".", list(args)
    _, eq, value = args[0].partition("=")
    rest = list(args[1:])
    if not eq:
        value = rest.pop(0) if rest else ""
    refused = os.path.exists(value) and not (os.path.isdir(value) and
                                             os.access(value, os.R_OK))
    if not value or value.startswith("-") or refused:
        return None, rest
    return value, rest
