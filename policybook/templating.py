"""Jinja2 templates with per-repository overrides (shell: reads template files).

The defaults ship inside the package (`policybook/_data/templates` in a wheel; the
top-level `templates/` of a source checkout). A policy repository's own `templates/`
folder overrides them file by file: copy `site/base.html` there and edit it.

Every template renders in Jinja's sandbox: a repository's templates are edited by
whoever can open a pull request, and they run in the process that holds the SendGrid
key and the database, so a template may format values but never reach Python's
internals (`cycler.__init__.__globals__...` raises a SecurityError instead of running).
The immutable sandbox also keeps a template from changing the values it is handed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A folder shipped with policybook: `templates` or `content` (the sample policies)."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # a source checkout (editable install or tests)


def default_templates() -> Path:
    return data_dir("templates")


def make_environment(root: Path | None = None) -> Environment:
    """Templates of the repository at `root` (if it has a `templates/` folder) over the defaults."""
    paths = []
    if root is not None and (root / "templates").is_dir():
        paths.append(str(root / "templates"))
    defaults = str(default_templates())
    if defaults not in paths:
        paths.append(defaults)
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(p) for p in paths]),
        autoescape=select_autoescape(["html", "xml", "htm"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["longdate"] = _longdate
    return env


def _longdate(value: dt.date | dt.datetime | None) -> str:
    """15 January 2027: unambiguous in every English locale."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"
