"""Account fields checked before they can reach a mail header (pure core).

An e-mail address must be one a mail provider accepts *and* that cannot smuggle a
header: ASCII dot-atom local part (no quoted strings, comments or spaces), a domain of
letters, digits and hyphens (international domains are converted to their ASCII
"xn--" form), RFC 5321 lengths. Names may be any Unicode text except control and
line-separator characters, so a CR/LF can never start a new header line.
"""

from __future__ import annotations

import re

MAX_EMAIL = 254
MAX_LOCAL = 64
MAX_NAME = 200
MAX_ID = 255

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


# Bidirectional overrides and isolates can make a name display as something else;
# other format characters (ZWNJ in Persian names, soft hyphens) are legitimate.
_SPOOFING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


# Exactly the categories Cc (U+0000-001F, U+007F-009F), Zl (U+2028), Zp (U+2029), plus
# _SPOOFING, as one expression: names are checked for every recipient of every batch.
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(_SPOOFING)) + "]")


def _bad_char(text: str) -> str | None:
    """The first character that may not appear in a header value, if any."""
    m = _BAD.search(text)
    return m.group() if m else None


def describe_char(ch: str) -> str:
    names = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\t": "a tab"}
    return names.get(ch, f"the control character U+{ord(ch):04X}")


def normalize_email(value: str) -> tuple[str | None, str | None]:
    """(address, None) with the domain in lower-case ASCII, or (None, what is wrong)."""
    text = value.strip()
    if not text:
        return None, "the e-mail address is empty"
    bad = _bad_char(text)
    if bad is not None:
        return None, f"the e-mail address contains {describe_char(bad)}"
    if any(ch.isspace() for ch in text):
        return None, f"the e-mail address {text!r} contains a space"
    if text.count("@") != 1:
        return None, f"{text!r} is not an e-mail address (it needs exactly one @)"
    local, domain = text.split("@")
    if not local or not _LOCAL.match(local) or len(local) > MAX_LOCAL:
        return None, (f"{text!r} is not a valid e-mail address (the part before @ may hold "
                      "letters, digits and !#$%&'*+/=?^_`{|}~.- , without leading, trailing "
                      "or double dots, at most 64 characters)")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower() if not domain.isascii() \
            else domain.lower()
    except UnicodeError:
        return None, f"{text!r} has a domain that is not a valid international domain name"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit():
        return None, (f"{text!r} has an invalid domain (it needs a dot, and labels of letters, "
                      "digits and inner hyphens)")
    address = f"{local}@{ascii_domain}"
    if len(address) > MAX_EMAIL:
        return None, f"the e-mail address is longer than {MAX_EMAIL} characters"
    return address, None


def check_name(value: str) -> tuple[str, str | None]:
    """(the name, trimmed, None) or (name, what is wrong)."""
    name = value.strip()
    bad = _bad_char(name)
    if bad is not None:
        return name, f"the name contains {describe_char(bad)}; remove it"
    if len(name) > MAX_NAME:
        return name, f"the name is longer than {MAX_NAME} characters"
    return name, None


def clean_name(value: str) -> str:
    """A name safe for a header whatever its source: control characters become spaces,
    and an RFC 2047 encoded word ("=?utf-8?q?...?=") is broken up ("= ?"): Python's
    e-mail package decodes one when a header is set and can then write what it encodes
    (a CR LF and a Bcc header, say) onto the wire as it is."""
    if not _BAD.search(value) and "  " not in value and value == value.strip() \
            and "=?" not in value:
        return value[:MAX_NAME]  # the common case, without rebuilding the string
    cleaned = " ".join(_BAD.sub(" ", value).split())
    while "=?" in cleaned:
        cleaned = cleaned.replace("=?", "= ?")
    return cleaned[:MAX_NAME]


_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]]+@[^\s<>\"'(),;:\[\]]+")


def redact(text: str) -> str:
    """`text` with every e-mail address replaced: for messages that may reach a log."""
    return _ADDRESS.sub("<address>", text)


def check_id(value: str) -> str | None:
    if not value.strip():
        return "the account id is empty"
    if value != value.strip():
        return f"the account id {value!r} has spaces around it"
    bad = _bad_char(value)
    if bad is not None:
        return f"the account id contains {describe_char(bad)}"
    if len(value) > MAX_ID:
        return f"the account id is longer than {MAX_ID} characters"
    return None


def normalize_locale(value: str) -> tuple[str | None, str | None]:
    """('de_CH', None) from 'de-CH'; (None, what is wrong) for an unknown locale."""
    from babel import Locale, UnknownLocaleError  # Babel loads when a locale is read

    text = value.strip().replace("-", "_")
    if not text:
        return None, None
    try:
        return str(Locale.parse(text)), None
    except (UnknownLocaleError, ValueError):
        return None, (f"locale {value.strip()!r} is unknown; use a language tag such as en, "
                      "en-GB, de or pt-BR")
