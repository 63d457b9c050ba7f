"""The `policybook` command (shell, thin): parse arguments, call a workflow, print.

Errors meant for people are `PolicybookError`s, turned into messages and exit codes here,
in one place: 0 success, 1 problems found or an operation failed, 2 bad usage, 3 a
material change with `diff --fail-on-material`, 130 interrupted.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence

import click

from .. import __version__
from ..errors import ContentError, PolicybookError
from .common import CONTEXT_SETTINGS, Env

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
# Commands that hold nothing when they return (no open file, connection, thread or child
# process): a process that ran one may end without freeing its objects (`__main__.py`).
ONE_SHOT = frozenset({"diff"})


class LazyGroup(click.Group):
    # The command the last run of the group resolved (None before one is): `__main__`
    # reads it to end the process at once after a one-shot command (`ONE_SHOT`).
    invoked: str | None = None

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        self.invoked = name
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
            loaded = importlib.import_module(f"{__name__}.{module}")
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


def ran_one_shot() -> bool:
    """Whether the command run last in this process is one of `ONE_SHOT`."""
    return isinstance(cli, LazyGroup) and cli.invoked in ONE_SHOT


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command, map errors to messages and exit codes."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="policybook", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("policybook: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("policybook: interrupted", err=True)
        sys.exit(130)
    except PolicybookError as exc:
        for line in exc.lines()[:-1] if isinstance(exc, ContentError) else []:
            click.echo(line, err=True)
        last = exc.lines()[-1] if isinstance(exc, ContentError) else None
        if last is not None:
            click.echo(f"policybook: {last}", err=True)
        else:
            for line in exc.lines():
                click.echo(f"policybook: error: {line}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
