"""What every command shares: the repository, its config, `--now`, output helpers."""

from __future__ import annotations

import json
from typing import Any

import click

# (in a module of their own, without click: `diff`'s plain path uses them, see `cli.plain`)
from .env import Env, parse_now

__all__ = ["CONTEXT_SETTINGS", "Env", "echo_json", "now_option", "parse_now", "pass_env"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


pass_env = click.make_pass_decorator(Env)


def now_option(func: Any) -> Any:
    return click.option("--now", "now", metavar="ISO",
                        help="Act as if it were this moment (ISO 8601; default: the clock), "
                             "to rehearse a timeline.")(func)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
