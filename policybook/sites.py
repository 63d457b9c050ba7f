"""Several sites (pure): `[[sites]]` in policybook.toml, and the site of an account.

A company may publish its policies on several sites, one per country domain say
(`policies.example.ca` in French and English for Canada, `policies.example.com` for
everyone else). Each site has its base URL, its default language (served at the
unprefixed paths; the others under `/<lang>/`), the languages it offers, the countries
whose accounts it serves (their e-mails link to it) and the variants it shows:

    [[sites]]
    base_url = "https://policies.example.ca"
    default_language = "fr"
    languages = ["fr", "en"]        # default: every language the policies have
    countries = ["CA"]              # ISO 3166-1 alpha-2 codes or region names
    variants = ["general"]          # default: every variant

With no `[[sites]]` there is one site, as before: `site.base_url`, in the source
language. Problems read `policybook.toml:LINE: what is wrong, and how to fix it`, the
line of the site's own `[[sites]]` header or of the key at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .langtags import negotiate, normalize
from .regions import DEFAULT_REGIONS, country_code

_KEYS = ("base_url", "default_language", "languages", "countries", "variants", "name")
_VARIANT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
GENERAL = "general"  # the variant without a `variant:` id, as a site lists it


@dataclass(frozen=True)
class Site:
    """One site of the company: where it is, in which languages, for whom."""

    base_url: str
    default_language: str
    languages: tuple[str, ...] = ()  # () : every language the policies are published in
    countries: tuple[str, ...] = ()  # sorted ISO codes: accounts of these get its links
    variants: tuple[str, ...] = ()  # () : every variant
    name: str = ""  # the site's name in headers and feeds ("" : site.name)

    @property
    def host(self) -> str:
        """The host name requests for this site carry (`Host`, without the port)."""
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def folder(self) -> str:
        """The site's folder in a static build of several sites: its host, and its port
        when it names one (`policies.example.ca`, `127.0.0.1_8001`)."""
        parts = urlsplit(self.base_url)
        return self.host + (f"_{parts.port}" if parts.port else "")

    @property
    def root(self) -> str:
        """The base URL with one trailing slash."""
        return self.base_url.rstrip("/") + "/"

    def offers(self, language: str) -> bool:
        return not self.languages or language in self.languages

    def shows(self, variant: str | None) -> bool:
        return not self.variants or (variant or GENERAL) in self.variants

    def prefix(self, language: str) -> str:
        """Where a language's pages start on this site: "" for its default, else "fr/"."""
        return "" if language == self.default_language else f"{language}/"


def single(base_url: str, source_language: str) -> Site:
    """The one site of a config without `[[sites]]`."""
    return Site(base_url=base_url, default_language=source_language)


def _lines(text: str) -> list[int]:
    """The line of each `[[sites]]` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1)
            if re.match(r"^\s*\[\[\s*sites\s*\]\]", line)]


def _key_line(text: str, start: int, key: str) -> int:
    """The line of `key = …` in the table that starts at line `start` (else `start`)."""
    lines = text.splitlines()
    for index in range(start, len(lines)):  # the lines after the header (0-based)
        if re.match(r"^\s*\[", lines[index]):
            break  # the next table
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[index]):
            return index + 1
    return start


def parse_sites(tables: Any, settings: Mapping[str, Any], path: str, text: str,
                problems: list[str], regions: Mapping[str, frozenset[str]] | None = None
                ) -> tuple[Site, ...]:
    """The `[[sites]]` array of tables of the file at `path` (its `text`, for line
    numbers; `settings`, the file's other tables, for `[languages] source`). Each problem
    is appended to `problems` as `path:line: …`."""
    languages = settings.get("languages")
    source = languages.get("source") if isinstance(languages, Mapping) else None
    source_language = (normalize(source) if isinstance(source, str) else None) or "en"
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(f"{path}: 'sites' must be an array of tables: write each site as "
                        "[[sites]] with base_url = \"https://...\"")
        return ()
    headers = _lines(text)
    known = {k.upper(): v for k, v in {**DEFAULT_REGIONS, **(regions or {})}.items()}
    out: list[Site] = []
    lines: list[int] = []  # the header line of each site in `out`
    for index, table in enumerate(tables):
        start = headers[index] if index < len(headers) else 1
        before = len(problems)

        def say(key: str | None, message: str, start: int = start) -> None:
            line = _key_line(text, start, key) if key else start
            problems.append(f"{path}:{line}: {message}")

        for key in table:
            if key not in _KEYS:
                say(key, f"unknown setting '{key}' in [[sites]] (known: {', '.join(_KEYS)})")
        url = table.get("base_url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            say("base_url" if "base_url" in table else None,
                "each [[sites]] needs base_url = \"https://...\", the site's public address"
                + (f" ({url!r} is not one)" if url is not None else ""))
        default = normalize(str(table.get("default_language", source_language)))
        if default is None:
            say("default_language", f"default_language {table['default_language']!r} is not "
                "a language tag; write it as 'fr', 'de-CH' or 'pt-BR'")
        languages = _tags(table.get("languages", []), "languages", say)
        if default and languages and default not in languages:
            say("languages", f"languages {list(languages)} leave out the default_language "
                f"'{default}'; add it to the list")
        countries: set[str] = set()
        entries = table.get("countries", [])
        if not isinstance(entries, list):
            say("countries", "countries must be a list such as [\"CA\"] or [\"EEA\"]")
            entries = []
        for entry in entries:
            name = str(entry).strip()
            if name.upper() in known:
                countries |= known[name.upper()]
            elif (code := country_code(name)) is not None:
                countries.add(code)
            else:
                say("countries", f"countries: {name!r} is neither an ISO 3166 country code "
                    f"(CA, FR, GB...) nor a region ({', '.join(sorted(known))})")
        variants = table.get("variants", [])
        if not isinstance(variants, list) or not all(
                isinstance(v, str) and _VARIANT.match(v) for v in variants):
            say("variants", f"variants must be a list of variant ids such as [\"{GENERAL}\", "
                "\"eea\"]" + (f", not {variants!r}" if variants else ""))
            variants = []
        name = table.get("name", "")
        if not isinstance(name, str):
            say("name", f"name must be text, not {name!r}")
            name = ""
        if len(problems) == before and url is not None and default is not None:
            out.append(Site(str(url), default, languages, tuple(sorted(countries)),
                            tuple(dict.fromkeys(variants)), name.strip()))
            lines.append(start)
    _check_together(out, lines, path, problems)
    return tuple(out)


def _tags(items: Any, key: str, say: Any) -> tuple[str, ...]:
    if not isinstance(items, list):
        say(key, f"{key} must be a list of language tags such as [\"fr\", \"en\"]")
        return ()
    out: list[str] = []
    for item in items:
        tag = normalize(item) if isinstance(item, str) else None
        if tag is None:
            say(key, f"{key}: {item!r} is not a language tag; write it as 'fr', 'de-CH' "
                "or 'pt-BR'")
        else:
            out.append(tag)
    return tuple(dict.fromkeys(out))


def _check_together(sites: Sequence[Site], lines: Sequence[int], path: str,
                    problems: list[str]) -> None:
    """Each host once (a request's Host header picks its site); each country once."""
    hosts: dict[str, int] = {}
    countries: dict[str, int] = {}
    for site, line in zip(sites, lines, strict=True):
        if site.host in hosts:
            problems.append(f"{path}:{line}: the host {site.host} is the site of line "
                            f"{hosts[site.host]} already; give each site its own host name")
        hosts.setdefault(site.host, line)
        for code in sorted(site.countries):
            if code in countries:
                problems.append(f"{path}:{line}: country {code} is served by the site of line "
                                f"{countries[code]} already; name each country in one site")
                break
            countries[code] = line


def unknown_variants(sites: Sequence[Site], declared: set[str], text: str
                     ) -> list[tuple[int, str]]:
    """(line, message) for each variant a site lists that no policy declares (`declared`:
    the ids of the content's `variant:` front matter), with the line of its `variants`
    key in `text`, the policybook.toml that `sites` were read from: a misspelt id would
    quietly hide every policy of that site."""
    headers = _lines(text)
    known = sorted({GENERAL, *declared})
    out = []
    for index, site in enumerate(sites):
        start = headers[index] if index < len(headers) else 1
        for variant in site.variants:
            if variant not in known:
                out.append((_key_line(text, start, "variants"),
                            f"variants: no policy has a variant {variant!r} (the variants "
                            f"are {', '.join(known)}); correct the id, or add the variant's "
                            "file with `variant:` in its front matter"))
    return out


def site_for(sites: Sequence[Site], country: str | None,
             language: str | None = None) -> Site | None:
    """The site an account's links point to: the one that names its country; else the
    first that names no country and offers its language (any, without one); else the
    first (None: no `[[sites]]`, the one configured base URL)."""
    if not sites:
        return None
    code = country_code(country)
    for site in sites:
        if code is not None and code in site.countries:
            return site
    for site in sites:
        # (a site without a list of languages offers every one the policies have)
        if not site.countries and (not language or not site.languages
                                   or negotiate(language, site.languages, "") != ""):
            return site
    return sites[0]


def page_url(site: Site, language: str, path: str) -> str:
    """The address of a page (`privacy-policy/upcoming/`) on `site` in `language`: the
    language's own pages where the site offers it (a site without a list of languages
    offers every one the policies have: `language` is one of them), else the site's
    default language."""
    lang = (negotiate(language, site.languages, site.default_language) if site.languages
            else language)
    return site.root + site.prefix(lang) + path


def relink(url: str, base_url: str, site: Site | None, language: str) -> str:
    """A link written for the configured base URL (`notice_links`), pointed at the
    account's site and language instead. Links elsewhere are left as they are."""
    root = base_url.rstrip("/") + "/"
    if site is None or not url.startswith(root):
        return url
    return page_url(site, language, url[len(root):])
