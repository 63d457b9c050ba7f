"""Keeping the gettext catalogs (tooling, shell: reads templates and code, writes `.pot`/`.po`).

`messages.pot` is what Babel's extractors find, and nothing else: `extract` reads the
site's, the e-mails' and the dashboard's templates (`{% trans %}` blocks and `_()` calls, with the
options the templates render with) and policybook's own code (`gettext(language, "…")`,
`ngettext(language, "…", "…", n)`), and writes the template in a deterministic form:
entries sorted by message, their files named without line numbers, no creation date or
Babel version. So the same sources always give the same file (the test suite compares
them), and two branches that add messages merge line by line. `update` brings every
`.po` file to the template: new messages come in untranslated, and a message that
disappears is kept as obsolete (`#~`), so its translation comes back if it does.

    python -m policybook.i18n extract    # templates + code -> policybook/locales/messages.pot
    python -m policybook.i18n update     # messages.pot -> every <lang>/LC_MESSAGES/messages.po
    python -m policybook.i18n check      # every catalog complete, placeholders kept
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import write_po

from .i18n import DOMAIN, read_catalog

_PACKAGE = Path(__file__).resolve().parent
LOCALES = _PACKAGE / "locales"
# Fixed, so that extracting twice writes the same bytes.
_EPOCH = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
# The templates render with these options (templating.make_environment): the messages
# of `{% trans %}` blocks depend on them.
_JINJA = {"trim_blocks": "true", "lstrip_blocks": "true", "silent": "false",
          "newstyle_gettext": "true"}
# policybook's code names the language first: gettext(language, message, **params), and
# the e-mail's message_in(language, message) (mail/languages.py).
_PYTHON_KEYWORDS: dict[str, Any] = {"gettext": (2,), "message_in": (2,), "ngettext": (2, 3)}
_TEMPLATE_FOLDERS = ("site", "email", "admin")
_TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def sources(repository: Path) -> Iterator[tuple[str, Path]]:
    """(method, file) for every file that holds messages, in a stable order."""
    templates = repository / "templates"
    for folder in _TEMPLATE_FOLDERS:
        for path in sorted((templates / folder).rglob("*")):
            if path.is_file() and path.suffix in _TEMPLATE_SUFFIXES:
                yield "jinja2", path
    for path in sorted((repository / "policybook").rglob("*.py")):
        yield "python", path


def extract_catalog(repository: Path) -> Catalog:
    """Every message of the templates and the code under `repository` (a checkout)."""
    catalog = Catalog(project="policybook", version="0.1", domain=DOMAIN,
                      copyright_holder="the policybook authors",
                      msgid_bugs_address="the policybook issue tracker",
                      creation_date=_EPOCH, revision_date=_EPOCH, fuzzy=False,
                      charset="utf-8", last_translator="the policybook authors",
                      language_team="policybook",
                      header_comment="# Translations template for policybook.\n"
                                     "# Copyright (C) 2026 the policybook authors\n"
                                     "# This file is distributed under the same license as "
                                     "the policybook project.\n#")
    for method, path in sources(repository):
        where = path.relative_to(repository).as_posix()
        with path.open("rb") as handle:
            found = extract(method, handle,
                            keywords=_PYTHON_KEYWORDS if method == "python" else DEFAULT_KEYWORDS,
                            options=_JINJA if method == "jinja2" else {})
            for _line, message, _comments, _context in found:
                if not message or (isinstance(message, tuple) and not message[0]):
                    continue
                flags = ("python-format",) if _has_placeholder(message) else ()
                catalog.add(message, None, [(where, 0)], flags=flags)  # no line numbers
    return catalog


def _has_placeholder(message: str | tuple[str, ...]) -> bool:
    forms = (message,) if isinstance(message, str) else message
    return any("%(" in form for form in forms)


def catalog_file_text(catalog: Catalog) -> str:
    """A catalog as its file: sorted, no line numbers, no tool version (deterministic)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=True, include_lineno=False,
             ignore_obsolete=False)
    text = buffer.getvalue().decode("utf-8")
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith('"Generated-By: '))


def template_text(repository: Path) -> str:
    return catalog_file_text(extract_catalog(repository))


def updated_text(po_text: str, language: str, template: Catalog) -> str:
    """A `.po` file brought to `template`: translations kept, new messages empty,
    vanished ones kept as obsolete (and revived if their message comes back)."""
    catalog = read_catalog(po_text, language)
    for message in list(catalog.obsolete.values()):
        if message.id not in catalog:
            catalog[message.id] = message
    catalog.obsolete.clear()
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False,
                   keep_user_comments=False, update_creation_date=False)
    return catalog_file_text(catalog)


def extract_command(repository: Path) -> int:
    text = template_text(repository)
    target = repository / "policybook" / "locales" / f"{DOMAIN}.pot"
    target.write_text(text, encoding="utf-8")
    count = len([m for m in read_catalog(text) if m.id])
    print(f"{target.relative_to(repository)}: {count} messages; then run: "
          "python -m policybook.i18n update")
    return 0


def update_command(repository: Path) -> int:
    locales = repository / "policybook" / "locales"
    template = read_catalog((locales / f"{DOMAIN}.pot").read_text(encoding="utf-8"))
    for po in sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = po.parent.parent.name
        before = po.read_text(encoding="utf-8")
        after = updated_text(before, language, template)
        if after != before:
            po.write_text(after, encoding="utf-8")
        empty = [m for m in read_catalog(after, language) if m.id and not any(
            m.string if isinstance(m.string, tuple) else (m.string,))]
        print(f"{po.relative_to(repository)}: {len(empty)} messages to translate")
    print("then translate them and run: python -m policybook.i18n check")
    return 0


def checkout() -> Path | None:
    """The source checkout policybook runs from (None for an installed wheel: the
    catalogs are kept in the repository, not in site-packages)."""
    root = _PACKAGE.parent
    return root if (root / "templates" / "site").is_dir() else None
