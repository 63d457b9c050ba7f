"""Commands of the website: serve (live) and build (static files)."""

from __future__ import annotations

import datetime as dt
import errno
import socket
from collections.abc import Callable
from pathlib import Path

import click

from ..config import Config
from ..errors import PortBusyError, UsageError
from ..wiring import Wiring
from .common import Env, now_option, parse_now, pass_env

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@click.command()
@click.option("--host", metavar="HOST", help="Address to listen on (default: site.host, "
              "127.0.0.1).")
@click.option("--port", type=int, metavar="PORT", help="Port (default: site.port, 8000).")
@click.option("--preview", is_flag=True,
              help="Show the working tree's uncommitted edits as a DRAFT next version, with "
                   "the redline and the verdict (for the legal editor; never for the public).")
@click.option("--ref", metavar="REF", help="Serve this branch (default: the checked-out one).")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Log each request.")
@now_option
@pass_env
def serve(env: Env, host: str | None, port: int | None, preview: bool, ref: str | None,
          access_log: bool, now: str | None) -> None:
    """Serve the policy site: the version in force, decided at each request.

    The site switches to a new version at its effective moment and picks up new
    commits without a restart. --now freezes the clock, to rehearse a timeline.

    \b
    Examples:
      policybook serve --port 8000
      policybook serve --preview            # review uncommitted edits as a draft
      policybook serve --now 2027-01-15     # the site as it will be on that day
    """
    import uvicorn  # the web stack loads only for this command

    from ..site.app import system_clock

    config, host, port = listen_address(env, host, port)
    fixed = parse_now(now, config.zone) if now else None
    clock: Callable[[], dt.datetime] = (lambda: fixed) if fixed is not None else system_clock
    wiring = Wiring.open(config, clock(), ref=ref)
    app = wiring.site_app(clock, preview=preview)
    if preview and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"policybook: warning: the draft preview listens on {host}, not only on this "
                   "machine; drafts are not for the public", err=True)
    what = "DRAFT PREVIEW of the working tree" if preview else "the policy site"
    sock = bind(host, port)
    click.echo(f"Serving {what} at http://{host}:{port}/"
               + (f" as of {fixed.isoformat()}" if fixed else "") + " (Ctrl+C to stop)",
               err=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=access_log)
                   ).run(sockets=[sock])


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says the site is on: a port taken by
    another program is a clear error (exit code 4), not uvicorn's exit code 3, which
    means a material change elsewhere in policybook."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host!r}: {exc.strerror}; give an address of "
                         "this machine with --host (127.0.0.1 by default)") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not a port in use
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortBusyError(f"port {port} on {host} is busy: another program (or another "
                                f"policybook) listens there; choose another port with --port "
                                f"{port + 1 if port < 65535 else 8000} or site.port in "
                                "policybook.toml") from None
        raise UsageError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def listen_address(env: Env, host: str | None, port: int | None) -> tuple[Config, str, int]:
    """The address to serve on, and the config with links that follow it."""
    config = env.config
    host = host or config.host
    port = port if port is not None else config.port
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} must be between 1 and 65535")
    if config.base_url == DEFAULT_BASE_URL:  # links in notices and the feed follow the port
        config = config.with_(base_url=f"http://{host}:{port}")
    return config, host, port


@click.command()
@click.option("--out", "out", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder to write the site to (default: site.static_out).")
@click.option("--ref", metavar="REF", help="Build from this branch (default: the checked-out "
              "one).")
@now_option
@pass_env
def build(env: Env, out: Path | None, ref: str | None, now: str | None) -> None:
    """Write the policy site as static files: DIR/<path>/index.html.

    The pages show what is in force at --now (default: the clock). The folder is
    replaced in one step when the build is complete; on an error nothing changes.

    \b
    Example:
      policybook build --out public/ --now 2027-01-15T00:00:00-08:00
    """
    config = env.config
    target = out or (Path(config.static_out) if config.static_out else None)
    if target is None:
        raise UsageError("give the output folder with --out DIR (or set site.static_out in "
                         "policybook.toml)")
    if not target.is_absolute():
        target = Path.cwd() / target
    moment: dt.datetime = parse_now(now, config.zone)
    with Wiring.open(config, moment, ref=ref) as wiring:
        report = wiring.build(target, moment)
    click.echo(f"Built {report.pages} pages ({report.files} files) for {report.policies} "
               f"policies and {report.versions} versions in {report.out}, as of "
               f"{moment.isoformat()}")
