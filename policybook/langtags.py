"""Language tags in their usual spelling (pure core, standard library only).

Apart from `i18n.py` because reading `policybook.toml` checks the configured languages,
and every command reads the config: this check must not load Babel (~12 ms of each
start-up), which `i18n.py` needs for its catalogs, dates and numbers.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def normalize(tag: str) -> str | None:
    """A BCP 47 tag in its usual case ("fr-CA", "zh-Hant-TW"), or None if it is not one.

    Accepts the POSIX spelling of account locales ("pt_BR", "de_CH.UTF-8").
    """
    tag = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-")
    if not _TAG.match(tag):
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # script: Hant, Arab
        elif len(part) in (2, 3) and (part.isalpha() or part.isdigit()):
            out.append(part.upper())  # region: CA, 419
        else:
            out.append(part.lower())
    return "-".join(out)
