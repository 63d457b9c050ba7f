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
from contextvars import ContextVar
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
    env.filters["number"] = _number
    # UI strings through the gettext catalogs (policybook/locales), in the language of
    # the page being rendered: `{% trans %}` and `_()` read CURRENT_LANGUAGE.
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


# The language of the page being rendered (the site sets it around each render; every
# other template, e-mails included, is in the source language until they are wired).
CURRENT_LANGUAGE: ContextVar[str] = ContextVar("policybook_page_language", default="en")


def _gettext(message: str) -> str:
    from .i18n import translations  # Babel: loaded with the first page rendered

    return str(translations(CURRENT_LANGUAGE.get()).gettext(message))


def _ngettext(singular: str, plural: str, num: int) -> str:
    from .i18n import translations

    return str(translations(CURRENT_LANGUAGE.get()).ngettext(singular, plural, num))


def _longdate(value: dt.date | dt.datetime | None) -> str:
    """A date written out for the page's language: "15 January 2027", "15 janvier 2027"."""
    if value is None:
        return ""
    language = CURRENT_LANGUAGE.get()
    if language == "en":  # unambiguous in every English locale, and no Babel to load
        return f"{value.day} {value:%B %Y}"
    from .i18n import direction, format_date

    text = format_date(value, language)
    # A right-to-left date (1 مارس 2027) inside a sentence of the other direction (an
    # English UI string) would have its day and year swapped by the bidi algorithm:
    # first-strong isolates keep it whole, in text, attributes and titles alike.
    return f"\u2068{text}\u2069" if direction(language) == "rtl" else text


def _number(value: int | float) -> str:
    from .i18n import format_number

    return format_number(value, CURRENT_LANGUAGE.get())
