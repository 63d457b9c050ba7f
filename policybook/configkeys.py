"""The settings of policybook.toml that need more than a type check (shell, pure values):
per-policy settings, languages, named regions, the company and the alerts. Each adds
its problems, with the setting's name, to the list `config.load_config` reports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_POLICY_KEYS = {"disagree": "policy_disagree"}
_POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def policy_key(path: Path, key: str, value: Any, values: dict[str, Any],
                problems: list[str]) -> None:
    """`policies.<id>.<setting>`: a setting of one policy."""
    _, _, rest = key.partition(".")
    policy, _, setting = rest.rpartition(".")
    if setting not in _POLICY_KEYS or not _POLICY_ID.match(policy):
        problems.append(f"{path}: unknown setting '{key}' (per policy: "
                        f"[policies.POLICY-ID] with {', '.join(sorted(_POLICY_KEYS))})")
        return
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: '{key}' must be text, not {value!r}")
        return
    name = _POLICY_KEYS[setting]
    values[name] = (*values.get(name, ()), (policy, value.strip()))


def languages_key(path: Path, key: str, value: Any, values: dict[str, Any],
                   problems: list[str]) -> None:
    """`languages.policies.<id>.required`: the languages of one policy."""
    policy, _, setting = key.removeprefix("languages.policies.").rpartition(".")
    if setting != "required" or not _POLICY_ID.match(policy):
        problems.append(f"{path}: unknown setting '{key}' (per policy: "
                        "[languages.policies.POLICY-ID] with required = [\"fr\", ...])")
        return
    if not isinstance(value, list):
        problems.append(f"{path}: '{key}' must be a list of language tags, not {value!r}")
        return
    values["policy_languages"] = (*values.get("policy_languages", ()), (policy, value))


def region_key(path: Path, key: str, value: Any, values: dict[str, Any],
                problems: list[str]) -> None:
    """`[regions]` NAME = ["FR", "DE", ...]: a named region of ISO country codes."""
    from .regions import country_code  # Babel's territories: only when regions are set

    name = key.removeprefix("regions.")
    if not re.match(r"^[A-Za-z][A-Za-z0-9-]{0,39}$", name):
        problems.append(f"{path}: region name {name!r} must be letters, digits and hyphens "
                        "(for example EEA or DACH)")
        return
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(f"{path}: '{key}' must be a list of ISO country codes such as "
                        f"[\"DE\", \"AT\", \"CH\"], not {value!r}")
        return
    codes = [country_code(v) for v in value]
    bad = [v for v, c in zip(value, codes, strict=True) if c is None]
    if bad:
        problems.append(f"{path}: '{key}': not ISO 3166 country codes: "
                        f"{', '.join(map(repr, bad))} (two letters, for example FR or DE)")
        return
    values["regions"] = (*values.get("regions", ()),
                         (name, tuple(sorted({c for c in codes if c is not None}))))


def check_languages(values: dict[str, Any], problems: list[str]) -> None:
    """Language tags are normalised ('fr-ca' -> 'fr-CA'); anything else is refused."""
    from .langtags import normalize  # not from i18n, which loads Babel

    def tags(name: str, items: list[Any]) -> tuple[str, ...]:
        out: list[str] = []
        for item in items:
            tag = normalize(item) if isinstance(item, str) else None
            if tag is None:
                problems.append(f"{name}: {item!r} is not a language tag; write it as 'fr', "
                                "'de-CH' or 'pt-BR'")
            else:
                out.append(tag)
        return tuple(dict.fromkeys(out))

    if "source_language" in values:
        found = tags("languages.source", [values["source_language"]])
        if found:
            values["source_language"] = found[0]
        else:
            del values["source_language"]
    if "required_languages" in values:
        values["required_languages"] = tags("languages.required", values["required_languages"])
    if "policy_languages" in values:
        values["policy_languages"] = tuple(
            (policy, tags(f"languages.policies.{policy}.required", items))
            for policy, items in values["policy_languages"])
    source = values.get("source_language", "en")
    lists = [values.get("required_languages", ())] + \
        [items for _, items in values.get("policy_languages", ())]
    if any(source in items for items in lists):
        problems.append(f"languages.required names the source language '{source}': list only "
                        "the languages the policies are translated into")


def check_company_and_alerts(values: dict[str, Any], problems: list[str]) -> None:
    """`[company]` and `[alerts]`: every problem, with the setting's name."""
    for name in ("company_name", "company_address", "company_disagree"):
        if name in values:
            values[name] = str(values[name]).strip()
    contact = str(values.get("company_contact", "")).strip()
    if contact:
        values["company_contact"] = contact
        if "://" in contact:
            if not contact.startswith("https://") and not contact.startswith("http://"):
                problems.append(f"company.contact {contact!r} must be an e-mail address or "
                                "a web address starting with https://")
        else:
            from .addresses import normalize_email

            address, problem = normalize_email(contact.removeprefix("mailto:"))
            if address is None:
                problems.append(f"company.contact {contact!r} is neither an e-mail address "
                                f"({problem}) nor a web address (https://...)")
            else:
                values["company_contact"] = address
    for name, key in (("alerts_webhooks", "alerts.webhooks"), ("alerts_slack", "alerts.slack")):
        if name not in values:
            continue
        urls = values[name]
        if isinstance(urls, str):  # from the environment: separated by spaces or commas
            urls = [u for u in re.split(r"[\s,]+", urls) if u]
        if not all(isinstance(u, str) for u in urls):
            problems.append(f"{key} must be a list of web addresses, not {urls!r}")
            del values[name]
            continue
        bad = [u for u in urls if not (u.startswith("https://") or u.startswith("http://"))]
        if bad:
            problems.append(f"{key}: {', '.join(map(repr, bad))} must start with https://")
            del values[name]
            continue
        values[name] = tuple(urls)
    token = values.get("admin_token")
    if token and len(token.value) < 16:
        problems.append("POLICYBOOK_ADMIN_TOKEN is too short: use at least 16 random "
                        "characters (e.g. the output of: python3 -c 'import secrets; "
                        "print(secrets.token_urlsafe())')")
        del values["admin_token"]
    if "admin_session_hours" in values and not 1 <= values["admin_session_hours"] <= 24 * 30:
        problems.append("admin.session_hours must be between 1 and 720, not "
                        f"{values['admin_session_hours']}")
        del values["admin_session_hours"]
    if (values.get("alerts_webhooks") or values.get("alerts_slack")) \
            and "alerts_secret" not in values and values.get("alerts_webhooks"):
        problems.append("alerts.webhooks needs the environment variable "
                        "POLICYBOOK_ALERTS_SECRET (the shared secret that signs each alert)")
