"""Writing a command's output and its errors, without click (`diff`'s plain path,
`cli.plain`, runs without loading it; the click commands write through here too).

`echo` writes as `click.echo` does: the text and a newline, flushed, with the ANSI
colour codes removed where the stream is not a terminal (unless `color` says
otherwise). It writes itself only to the streams a process has (a text file or a
terminal, with an encoding that is not ASCII, or a `StringIO`) and hands every other
stream to click, which knows the rest (a stream without an encoding, ASCII, binary)."""

from __future__ import annotations

import codecs
import io
import re
import sys
from typing import TextIO

from ..errors import ContentError, PolicybookError

# click's pattern of an ANSI escape sequence (click._compat._ansi_re).
_ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")


def echo(message: str = "", *, err: bool = False, nl: bool = True,
         color: bool | None = None) -> None:
    """`click.echo(message, err=err, nl=nl, color=color)`, without loading click."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no standard stream to write to (click writes nothing either)
        return
    if not _plain(stream):
        import click

        click.echo(message, err=err, nl=nl, color=color)
        return
    out = message + "\n" if nl else message
    if not out:
        stream.flush()
        return
    if (not _isatty(stream) if color is None else not color):
        out = _ANSI.sub("", out)
    stream.write(out)
    stream.flush()


def _plain(stream: TextIO) -> bool:
    """Whether click would write to `stream` as it is (a text stream it has no reason to
    wrap: its encoding is set and is not ASCII, or a StringIO)."""
    if type(stream) is io.StringIO:
        return True
    if not isinstance(stream, io.TextIOWrapper) or not stream.encoding or not stream.errors:
        return False
    try:
        return codecs.lookup(stream.encoding).name != "ascii"
    except LookupError:
        return False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except Exception:  # as click: a stream that cannot tell is no terminal
        return False


def show_error(exc: PolicybookError) -> int:
    """Write a `PolicybookError` for people (content problems one per line, `file:line:
    ...`, the last one prefixed); its exit status."""
    if isinstance(exc, ContentError):
        lines = exc.lines()
        for line in lines[:-1]:
            echo(line, err=True)
        echo(f"policybook: {lines[-1]}", err=True)
    else:
        for line in exc.lines():
            echo(f"policybook: error: {line}", err=True)
    return exc.exit_code
