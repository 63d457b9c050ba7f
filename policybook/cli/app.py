"""The `policybook` command's click group: every command, read by click (`cli.main` runs
it for all but a plain `diff`, see `cli.plain`)."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence

import click

from .. import __version__
from ..errors import PolicybookError
from . import note_invoked
from .common import CONTEXT_SETTINGS, Env
from .output import echo, show_error

# Each command's module is imported when the command runs: `policybook diff` should not
# pay for SQLAlchemy, nor `policybook check` for the web stack (start-up time matters in
# CI and in a terminal). The order here is the order of `policybook --help`.
COMMANDS = {
    "check": "content:check",
    "diff": "diff:diff",
    "versions": "history:versions",
    "plan": "run:plan",
    "run": "run:run",
    "scheduler": "run:scheduler",
    "serve": "site:serve",
    "build": "site:build",
    "accounts": "accounts:accounts",
    "notices": "notices:notices",
    "init": "content:init",
    "demo": "demo:demo",
    "render": "content:render",
    "rules": "rules:rules",
}


class LazyGroup(click.Group):
    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        note_invoked(name)  # (`__main__` ends a one-shot command's process at once)
        return name, command, rest

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, name = target.partition(":")
        # No cycle collection while the command's modules load (see __main__.py).
        collecting = gc.isenabled()
        gc.disable()
        try:
            loaded = importlib.import_module(f"{__package__}.{module}")
        finally:
            if collecting:
                gc.enable()
        command = getattr(loaded, name)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="policybook")
@click.option("-C", "--repo", "repo", type=click.Path(file_okay=False, path_type=str),
              default=".", show_default=True, metavar="DIR",
              help="The policy repository (default: the current folder).")
@click.pass_context
def cli(ctx: click.Context, repo: str) -> None:
    """Run public policies like code: versions in git, material-change detection,
    and notice to every account holder before a change takes effect.

    \b
    Example:
      policybook check                # validate every policy in content/
    """
    ctx.obj = Env.at(repo)


def run(argv: Sequence[str] | None = None) -> None:
    """Run the command click reads from `argv`, map errors to messages and exit codes."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="policybook", standalone_mode=False)
    except click.exceptions.Abort:
        echo("policybook: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        echo("policybook: interrupted", err=True)
        sys.exit(130)
    except PolicybookError as exc:
        sys.exit(show_error(exc))
    sys.exit(result if isinstance(result, int) else 0)
