"""Language tags in their usual spelling, and the choice of one among those offered
(pure core, standard library only).

Apart from `i18n.py` because every command reads the config, which checks the
configured languages, and every tick may pick a letter's language and site: neither
must load Babel (~12 ms of each start-up), which `i18n.py` needs for its catalogs,
dates and numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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


def negotiate(requested: str | Sequence[str] | None, available: Iterable[str],
              default: str = "en") -> str:
    """The best of `available` for a reader who asked for `requested` (best first).

    For each requested tag in turn: the same tag, then its base language ("fr-CA" gets
    "fr"), then a regional form of the same language ("pt" gets "pt-BR"). When nothing
    matches, `default` (the policy's source language), so an account whose locale has
    no translation is told in the default language rather than not at all.
    """
    wanted = [requested] if isinstance(requested, str) else list(requested or ())
    offer: dict[str, str] = {}
    for tag in available:
        norm = normalize(tag)
        if norm:
            offer.setdefault(norm.lower(), norm)
    for tag in wanted:
        norm = normalize(tag)
        if not norm:
            continue
        if norm.lower() in offer:
            return offer[norm.lower()]
        # drop subtags from the right: zh-Hant-TW -> zh-Hant -> zh
        parts = norm.split("-")
        for cut in range(len(parts) - 1, 0, -1):
            shorter = "-".join(parts[:cut]).lower()
            if shorter in offer:
                return offer[shorter]
        base = parts[0].lower()
        regional = sorted(v for k, v in offer.items() if k.split("-", 1)[0] == base)
        if regional:
            return regional[0]
    return default
