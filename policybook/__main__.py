"""`python -m policybook` and the `policybook` script (`run`): the `policybook` command."""

import atexit
import gc
import os
import sys

# The exit status of a one-shot command (`cli.ONE_SHOT`), once it has run.
_status: int | None = None


def _end_now() -> None:
    """Registered first, so run last at exit: after every other exit handler (git readers
    closed, logs flushed), end a one-shot command's process without freeing its objects
    one by one (the modules, the parsed documents: milliseconds for nothing). Output is
    flushed first; when it cannot be (a closed pipe), Python's own exit reports it."""
    if _status is None:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(_status)


def _exit_status(code: object) -> int:
    """The status Python's exit gives `SystemExit(code)` (a message: printed, then 1)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run() -> None:
    """The command, as a program: `sys.argv`, and the process ends with it."""
    global _status
    atexit.register(_end_now)
    from . import compiled

    # What Python would compile again (dataclasses' methods, regular expressions) is
    # served as kept at installation (`compiled.py`), for all that loads after this.
    compiled.install()
    # Loading the command allocates tens of thousands of objects that live as long as the
    # process (modules, classes, functions, compiled patterns); the cycle collector would
    # walk them again and again while they load, for nothing (a few per cent of a `diff`'s
    # start).
    gc.disable()
    from .cli import main, ran_one_shot

    gc.enable()
    try:
        main()
    except SystemExit as exc:
        if ran_one_shot():
            _status = _exit_status(exc.code)
        raise


if __name__ == "__main__":
    run()
