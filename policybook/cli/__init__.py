"""The `policybook` command (shell, thin): parse arguments, call a workflow, print.

Errors meant for people are `PolicybookError`s, turned into messages and exit codes in
one place (`output.show_error`): 0 success, 1 problems found or an operation failed, 2 bad
usage, 3 a material change with `diff --fail-on-material`, 130 interrupted.

click reads the arguments (`cli.app`), but for a plain `diff` (`cli.plain`: two paths and
its options, as scripts and CI call it), which runs without loading click: the same
function, the same output. This module loads no click itself.
"""

from __future__ import annotations

import errno
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import PolicybookError

if TYPE_CHECKING:
    from typing import TextIO

    from .plain import DiffCall

# Commands that hold nothing when they return (no open file, connection, thread or child
# process): a process that ran one may end without freeing its objects (`__main__.py`).
ONE_SHOT = frozenset({"diff"})

# The command run last in this process (None before one is): `__main__` reads it to end
# the process at once after a one-shot command (`ONE_SHOT`).
_invoked: str | None = None


def note_invoked(name: str | None) -> None:
    """Record the command about to run (`ran_one_shot`)."""
    global _invoked
    _invoked = name


def ran_one_shot() -> bool:
    """Whether the command run last in this process is one of `ONE_SHOT`."""
    return _invoked in ONE_SHOT


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command, map errors to messages and exit codes. Without
    `argv`, as the program (the `policybook` script), what is kept compiled at
    installation is served (`compiled.py`; `python -m policybook` does so before it loads
    this module); code that calls this with arguments is left as it is."""
    if argv is None:
        from .. import compiled

        compiled.install()
    from .plain import plain_diff

    call = plain_diff(list(argv) if argv is not None else sys.argv[1:])
    if call is None:
        from .app import run

        run(argv)
    else:
        sys.exit(_run_plain_diff(call))


def _run_plain_diff(call: DiffCall) -> int:
    """`diff` with arguments read by `plain_diff`, as `app.run` runs it: the exit status."""
    from .env import Env
    from .output import echo, show_error

    note_invoked("diff")
    try:
        # No cycle collection while the command's modules load (see __main__.py).
        collecting = gc.isenabled()
        gc.disable()
        try:
            from .diffing import run_diff
        finally:
            if collecting:
                gc.enable()
        return run_diff(Env.at(call[0]), *call[1:])
    except (EOFError, KeyboardInterrupt):  # click: a blank line, then as `Abort`
        echo(err=True)
        echo("policybook: interrupted", err=True)
        return 130
    except PolicybookError as exc:
        return show_error(exc)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # A reader that went away (`| head`): as click, no complaint from the flush at exit.
        sys.stdout = _QuietFlush(sys.stdout)
        sys.stderr = _QuietFlush(sys.stderr)
        return 1


class _QuietFlush:
    """A stream whose flush ignores a closed pipe (click's `_PacifyFlushWrapper`)."""

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def __getattr__(name: str) -> Any:
    """`cli`, `LazyGroup` and `COMMANDS` (the click group) load on first use."""
    if name in ("cli", "LazyGroup", "COMMANDS"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
