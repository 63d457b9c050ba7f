"""Languages for the site and the e-mails: catalogs, negotiation, direction, formats.

Pure functions of their arguments, except `translations()`, which reads the gettext
catalogs shipped in the package (`policybook/locales/<lang>/LC_MESSAGES/messages.po`)
once per process and compiles them in memory (Babel's `read_po` + `write_mo`), so a
checkout or a wheel needs no build step. `messages.pot` beside them is the list of every
message; `python -m policybook.i18n check` validates the catalogs against it and
`python -m policybook.i18n new it` starts a catalog for a new language, and `coverage
templates/` lists template text that no message holds yet (see
`policybook/locales/README.md`).

Messages use the `%(name)s` placeholders of Jinja2's newstyle gettext, so the
templates' `{% trans date=... %}... {{ date }}{% endtrans %}` blocks find them as they
are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from .errors import Problem
from .langtags import negotiate as negotiate  # (re-exported: pure, no Babel)
from .langtags import normalize as normalize  # the one spelling of tags (re-exported)
from .segment import Direction

SOURCE_LANGUAGE = "en"
SHIPPED = ("en", "fr", "de", "es")
DOMAIN = "messages"

# Written right to left. Babel knows it for the languages it has data for
# (`Locale.character_order`); this list answers for the others and for bare tags that
# Babel cannot parse, and it is what a switcher needs without loading locale data.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "ha-Arab", "he", "iw", "ks", "ku-Arab",
                           "pa-Arab", "ps", "sd", "syr", "ug", "ur", "yi"})
# A script subtag decides over the language: az-Arab is RTL, uz-Latn is not.
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg", "Mand"})

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class LanguageName:
    """One entry of a language switcher: the tag, its name in itself, its direction."""

    code: str
    name: str
    direction: Direction


# ---------------------------------------------------------------- tags and negotiation


def base_language(tag: str) -> str:
    """The language subtag alone: "fr-CA" -> "fr"."""
    return (normalize(tag) or tag).split("-", 1)[0]


def parse_accept_language(header: str) -> tuple[str, ...]:
    """The tags of an HTTP Accept-Language header, best first ("*" and q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        tag_n = normalize(tag)
        if tag_n and quality > 0:
            ranked.append((-quality, index, tag_n))
    return tuple(tag for _, _, tag in sorted(ranked))




# ---------------------------------------------------------------- direction and names


def direction(language: str) -> Direction:
    """`rtl` for languages written right to left (ar, he, fa, ur...), else `ltr`."""
    tag = normalize(language) or language
    parts = tag.split("-")
    if any(p in RTL_SCRIPTS for p in parts[1:]):
        return Direction.RTL
    if tag in RTL_LANGUAGES or parts[0] in RTL_LANGUAGES:
        # ...unless a script subtag says otherwise (a Latin transliteration).
        has_other_script = any(len(p) == 4 and p.isalpha() for p in parts[1:])
        return Direction.LTR if has_other_script else Direction.RTL
    locale = _locale(tag)
    if locale is not None and locale.character_order == "right-to-left":
        return Direction.RTL
    return Direction.LTR


def language_name(code: str, in_language: str | None = None) -> str:
    """The name of a language, in itself by default ("fr" -> "Français").

    Capitalised as a switcher entry stands alone; the tag itself when Babel has no name.
    """
    locale = _locale(code)
    if locale is None:
        return code
    name = locale.get_display_name(_locale(in_language or code) or locale) or code
    return name[:1].upper() + name[1:]


def language_in_text(code: str, in_language: str) -> str:
    """The name of a language as running text of another writes it: "anglais" in
    French, "Englisch" in German (the tag itself when Babel has no name)."""
    locale = _locale(code)
    target = _locale(in_language)
    if locale is None or target is None:
        return code
    return str(locale.get_display_name(target) or code)


def language_names(codes: Iterable[str]) -> tuple[LanguageName, ...]:
    """A language switcher's entries, each named in its own language, in the given order."""
    return tuple(LanguageName(normalize(c) or c, language_name(c), direction(c)) for c in codes)


@lru_cache(maxsize=256)
def _locale(tag: str) -> Locale | None:
    norm = normalize(tag)
    if norm is None:
        return None
    try:
        return Locale.parse(norm, sep="-")
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(norm.split("-", 1)[0])
        except (UnknownLocaleError, ValueError):
            return None


def _formatting_locale(language: str) -> Locale:
    return _locale(language) or Locale.parse(SOURCE_LANGUAGE)


# ---------------------------------------------------------------- dates and numbers


def format_date(value: dt.date | dt.datetime, language: str) -> str:
    """A date as a reader of `language` writes it in running text.

    fr: "28 novembre 2013" (but "1er mars 2027"), de: "28. November 2013",
    es: "28 de noviembre de 2013",
    ar: "28 نوفمبر 2013". English keeps the day-month-year order the site always used
    ("28 November 2013"): unambiguous in every English-speaking country.
    """
    day = value.date() if isinstance(value, dt.datetime) else value
    locale = _formatting_locale(language)
    if locale.language == "en":
        return str(_babel_date(day, format="d MMMM y", locale=locale))
    text = str(_babel_date(day, format="long", locale=locale))
    if locale.language == "fr" and day.day == 1:
        # French writes the first of the month as an ordinal: « le 1er mars 2027 ».
        text = re.sub(r"^1(?=\s)", "1er", text)
    return text


def format_number(value: int | float | Decimal, language: str) -> str:
    """A number with the language's separators: 1,000,000 (en), 1 000 000 (fr)."""
    return str(format_decimal(value, locale=_formatting_locale(language)))


# ---------------------------------------------------------------- catalogs


def placeholders(text: str) -> frozenset[str]:
    """The `%(name)s` placeholders of a message."""
    return frozenset(_PLACEHOLDER.findall(text))


def read_catalog(text: str, language: str | None = None) -> Catalog:
    """A catalog from the text of a `.po` or `.pot` file."""
    return read_po(io.BytesIO(text.encode("utf-8")), locale=language, domain=DOMAIN)


def compile_catalog(catalog: Catalog) -> Translations:
    """gettext translations compiled in memory (what a `.mo` file would hold)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _resource(*parts: str) -> str:
    return resources.files("policybook").joinpath("locales", *parts).read_text(encoding="utf-8")


def available_languages() -> tuple[str, ...]:
    """The languages with a catalog in the package (en, fr, de, es and any added)."""
    root = resources.files("policybook").joinpath("locales")
    found = [entry.name for entry in root.iterdir()
             if entry.is_dir() and entry.joinpath("LC_MESSAGES", f"{DOMAIN}.po").is_file()]
    return tuple(sorted(found, key=lambda c: (c != SOURCE_LANGUAGE, c)))


def template_catalog() -> Catalog:
    """`messages.pot`: every message the site, `notice.js` and the e-mails use."""
    return read_catalog(_resource(f"{DOMAIN}.pot"))


def catalog_text(language: str) -> str:
    """The text of a shipped catalog; `language` is its folder name (en, pt_BR)."""
    return _resource(language, "LC_MESSAGES", f"{DOMAIN}.po")


@lru_cache(maxsize=64)
def ui_language(language: str) -> str | None:
    """The catalog a reader of `language` gets the UI strings from ("fr-CA" -> "fr"),
    or None when no catalog is in their language (they read the English one)."""
    folders = [normalize(f) or f for f in available_languages()]
    found = negotiate(language, folders, "")
    return found or None


@lru_cache(maxsize=32)
def translations(language: str) -> Translations:
    """The compiled catalog for a reader of `language` ("fr-CA" gets fr; unknown: en).

    Cached: each catalog is read and compiled once per process.
    """
    folders = {normalize(f) or f: f for f in available_languages()}
    chosen = negotiate(language, folders)
    return compile_catalog(read_catalog(catalog_text(folders[chosen]), chosen))


def gettext(language: str, message: str, **params: object) -> str:
    """One message in `language`, with its `%(name)s` placeholders filled in."""
    text = str(translations(language).gettext(message))
    return text % params if params else text


def ngettext(language: str, singular: str, plural: str, num: int, **params: object) -> str:
    """The plural form of a message for `num` in `language` (`num` fills `%(num)s`)."""
    text = str(translations(language).ngettext(singular, plural, num))
    return text % {"num": num, **params}


# ---------------------------------------------------------------- checking catalogs


def check_catalog(path: str, text: str, template: Catalog,
                  language: str | None = None) -> tuple[Problem, ...]:
    """Every problem of one catalog against the template, as `path:line: message`.

    A catalog must hold every message of the template and no other, each translated
    (an empty or fuzzy translation would show English in the middle of a page), with
    the same `%(name)s` placeholders as its message (a missing one drops a date, an
    unknown one raises at render time) and every plural form the language needs.
    """
    problems: list[Problem] = []
    catalog = read_catalog(text, language)
    wanted = {m.id for m in template if m.id}
    for message in catalog:
        if not message.id:
            continue
        line = message.lineno or 1
        ids = _forms(message.id)
        msgid = ids[0]
        if message.id not in wanted:
            problems.append(Problem(path, line, f"message {msgid!r} is not in "
                                           "messages.pot; remove it or add it to the template"))
            continue
        strings = _forms(message.string)
        expected = placeholders(ids[-1]) | placeholders(ids[0])
        if message.fuzzy:
            problems.append(Problem(path, line, f"{msgid!r} is marked fuzzy; check the "
                                           "translation and remove the fuzzy flag"))
        if len(ids) > 1 and len(strings) > catalog.num_plurals:
            problems.append(Problem(path, line, f"{msgid!r} has {len(strings)} plural "
                                           f"forms; this language has {catalog.num_plurals}"))
        if not any(strings):
            problems.append(Problem(path, line, f"{msgid!r} is not translated; "
                                           "write its msgstr"))
            continue
        for index, string in enumerate(strings):
            if not string:
                # Babel pads the forms a file lacks with "": one for each form missing.
                problems.append(Problem(path, line, f"{msgid!r}: plural form "
                                               f"msgstr[{index}] is missing; this language "
                                               f"needs {catalog.num_plurals} plural forms"))
                continue
            got = placeholders(string)
            missing, unknown = sorted(expected - got), sorted(got - expected)
            if missing or unknown:
                what = "; ".join(filter(None, [
                    f"missing %({', '.join(missing)})s" if missing else "",
                    f"unknown %({', '.join(unknown)})s" if unknown else ""]))
                problems.append(Problem(path, line, f"{msgid!r}: placeholders differ "
                                               f"({what}); keep every %(name)s of the message"))
            if re.search(r"%(?!\(\w+\)s|%)", string):
                problems.append(Problem(path, line, f"{msgid!r}: a lone '%' in the "
                                               "translation; write it as '%%'"))
    present = {m.id for m in catalog if m.id}
    for message in template:
        if message.id and message.id not in present:
            msgid = _forms(message.id)[0]
            problems.append(Problem(path, 1, f"message {msgid!r} is missing; copy it "
                                           "from messages.pot and translate it"))
    return tuple(problems)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A message id or string as a tuple of its (plural) forms."""
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def new_catalog_text(language: str, template: Catalog) -> str:
    """A `.po` file for a new language: every message of the template, untranslated,
    with the language's plural rule (from Babel's locale data) in its header."""
    catalog = Catalog(locale=language, domain=DOMAIN, project=template.project,
                      version=template.version, fuzzy=False, charset="utf-8")
    for message in template:
        if message.id:
            empty: str | tuple[str, ...] = ("",) * catalog.num_plurals \
                if isinstance(message.id, tuple) else ""
            catalog.add(message.id, empty, auto_comments=message.auto_comments)
    from babel.messages.pofile import write_po  # only the command writes catalogs

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0)
    return buffer.getvalue().decode("utf-8")


_JINJA = re.compile(r"\{#.*?#\}|<style>.*?</style>|<script.*?</script>", re.S)
_JS_TEXT = re.compile(r'"([A-Z][a-z]+(?: [a-z]+)*) ?"')


def template_fragments(source: str, javascript: bool = False) -> tuple[str, ...]:
    """The runs of English text a template shows (between tags and Jinja expressions),
    or the capitalised string literals of a script: what a catalog must cover.

    An approximation for templates not yet wired with `{% trans %}`: once they are,
    Babel's extractor gives the exact messages.
    """
    if javascript:
        return tuple(dict.fromkeys(_JS_TEXT.findall(source)))
    text = _JINJA.sub(" ", source)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|<[^>]+>", "\x00", text, flags=re.S)
    found: list[str] = []
    for piece in text.replace("&nbsp;", " ").split("\x00"):
        piece = " ".join(piece.split()).strip(" .,;:·—–-()")
        # words, not a file name, an address or punctuation alone
        if re.search(r"[A-Za-z]{2,}", piece) and (" " in piece or piece[:1].isupper()) \
                and "{" not in piece and "}" not in piece:  # not a style sheet
            found.append(piece)
    return tuple(dict.fromkeys(found))


def uncovered(fragments: Iterable[str], template: Catalog) -> tuple[str, ...]:
    """The fragments that no message of the catalog contains (case aside)."""
    texts = [re.sub(r"<[^>]+>", "", form).lower()
             for m in template if m.id for form in _forms(m.id)]
    return tuple(f for f in fragments if not any(f.lower() in t for t in texts))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m policybook.i18n check|new LANG|extract|update|coverage PATHS`."""
    parser = argparse.ArgumentParser(
        prog="python -m policybook.i18n",
        description="Check the gettext catalogs, or start one for a new language.",
        epilog="example: python -m policybook.i18n new it  (then translate "
               "policybook/locales/it/LC_MESSAGES/messages.po and run check)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="every catalog has every message, translated, with its "
                   "placeholders")
    new = sub.add_parser("new", help="write the catalog of a new language from messages.pot")
    new.add_argument("language", help="a language tag: it, pt-BR, ar")
    cover = sub.add_parser("coverage", help="list the text of templates that messages.pot lacks")
    cover.add_argument("paths", nargs="+", help="template files or folders (templates/)")
    sub.add_parser("extract", help="write messages.pot from the templates and the code "
                   "(in a source checkout)")
    sub.add_parser("update", help="bring every catalog to messages.pot (new messages "
                   "untranslated)")
    args = parser.parse_args(argv)
    if args.command in ("extract", "update"):
        from . import catalogs  # the maintainers' tool: reads templates, writes catalogs

        repository = catalogs.checkout()
        if repository is None:
            print("error: extract and update work in a source checkout of policybook "
                  "(the catalogs are kept in its policybook/locales/)", file=sys.stderr)
            return 2
        return catalogs.extract_command(repository) if args.command == "extract" \
            else catalogs.update_command(repository)
    template = template_catalog()
    if args.command == "coverage":
        return _coverage(args.paths, template)
    root = resources.files("policybook").joinpath("locales")
    if args.command == "new":
        tag = normalize(args.language)
        if tag is None or _locale(tag) is None:
            print(f"error: {args.language!r} is not a language Babel knows; use a tag such as "
                  "'it' or 'pt-BR'", file=sys.stderr)
            return 2
        folder = tag.replace("-", "_")
        target = root.joinpath(folder, "LC_MESSAGES", f"{DOMAIN}.po")
        if target.is_file():
            print(f"error: {target} exists already; edit it instead", file=sys.stderr)
            return 2
        from pathlib import Path  # the command writes into the package's own folder

        path = Path(str(target))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_catalog_text(tag, template), encoding="utf-8")
        print(f"{path}: {len([m for m in template if m.id])} messages to translate; "
              "then run: python -m policybook.i18n check")
        return 0
    problems: list[Problem] = []
    languages = available_languages()
    for language in languages:
        shown = f"policybook/locales/{language}/LC_MESSAGES/{DOMAIN}.po"
        problems.extend(check_catalog(shown, catalog_text(language), template, language))
    for problem in problems:
        print(problem)
    print(f"{len(languages)} catalogs ({', '.join(languages)}), "
          f"{len([m for m in template if m.id])} messages: {len(problems)} problems")
    return 1 if problems else 0


def _coverage(paths: Sequence[str], template: Catalog) -> int:
    from pathlib import Path  # the command reads the templates it is given

    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir()
                     else [path])
    missing = 0
    for file in files:
        if file.suffix not in (".html", ".txt", ".xml", ".js"):
            continue
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"error: {file}: {error}", file=sys.stderr)
            return 2
        for fragment in uncovered(template_fragments(source, file.suffix == ".js"), template):
            print(f"{file}: not in messages.pot: {fragment!r}")
            missing += 1
    print(f"{len(files)} files: {missing} texts not in the catalog")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
