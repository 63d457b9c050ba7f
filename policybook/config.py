"""`policybook.toml` + environment -> a frozen `Config` (shell: reads one file and the environment).

Every setting is optional: with no file and no environment, the config is the embedded
default (SQLite in `.policybook/`, e-mail to an outbox folder, the site on 127.0.0.1:8000).
The environment overrides the file, so deployments and tests need no file. Secrets (the
SendGrid API key, SMTP credentials) are read from the environment only: a secret in the
file is refused, because policy repositories are shared and reviewed in the open.
All problems are reported at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .configfile import CONFIG_FILE as CONFIG_FILE  # (re-exported: its home before configfile)
from .configfile import parse_materiality, read_config_file
from .configkeys import (
    check_company_and_alerts,
    check_languages,
    languages_key,
    policy_key,
    region_key,
)
from .errors import ConfigError

if TYPE_CHECKING:
    from .rulebook import Settings
    from .sites import Site

STATE_DIR = ".policybook"  # working folder inside the policy repository (git-ignored)
DEFAULT_SENDGRID_URL = "https://api.sendgrid.com"


class MailProvider(StrEnum):
    SENDGRID = "sendgrid"
    SMTP = "smtp"
    OUTBOX = "outbox"


class LateNotice(StrEnum):
    POSTPONE = "postpone"  # a late notice moves the switch until the full period has passed
    WARN = "warn"  # the switch stays on the effective date; plan and logs warn


@dataclass(frozen=True)
class Secret:
    """A value that must never be printed: its repr is masked."""

    value: str

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class Config:
    root: Path
    content_dir: str = "content"
    # notice timeline
    notice_days: int = 30
    timezone: str = "UTC"
    recently_updated_days: int = 30
    late_notice: LateNotice = LateNotice.POSTPONE
    # site
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    static_out: str | None = None
    site_name: str = "Policies"
    # Public pages, the feed and the API carry public facts only; this shows commit
    # hashes, authors and messages, rule ids and line numbers too (an internal site).
    site_show_internals: bool = False
    # storage
    database_url: str = ""
    # accounts from the company's own database (read-only), else the store's table
    accounts_sql_url: Secret = field(default_factory=lambda: Secret(""))
    accounts_sql_query: str | None = None
    accounts_batch: int = 5000
    accounts_refresh_seconds: int = 900  # re-read the SQL source at most this often per notice
    # mail
    mail: MailProvider = MailProvider.OUTBOX
    mail_from: str = "Policy updates <policy-updates@example.com>"
    mail_reply_to: str | None = None
    # Refuse a real send with development settings (see mail/safety.py); "off" only for
    # test servers and rehearsals that must use them.
    mail_safety: bool = True
    outbox: str = ""
    sendgrid_url: str = DEFAULT_SENDGRID_URL
    sendgrid_api_key: Secret = field(default_factory=lambda: Secret(""))
    sendgrid_timeout: float = 30.0
    sendgrid_retries: int = 5
    sendgrid_backoff: float = 1.0  # first retry delay; doubles per retry (Retry-After wins)
    sendgrid_webhook_public_key: str | None = None
    webhook_tolerance_seconds: int = 600
    smtp_url: Secret = field(default_factory=lambda: Secret(""))
    send_batch: int = 1000
    lease_seconds: int = 600
    default_locale: str = "en"  # for accounts without one
    # scheduler
    tick_seconds: int = 60
    # the company that sends the notice (the e-mail's letterhead and sign-off)
    company_name: str = ""
    company_address: str = ""  # postal address; line breaks kept
    company_contact: str = ""  # an e-mail address or an https:// URL
    # what to do if you disagree: for every policy, and per policy id
    company_disagree: str = ""
    policy_disagree: tuple[tuple[str, str], ...] = ()
    # alerts: webhooks told of a notice's life (see policybook/alerts.py)
    alerts_webhooks: tuple[str, ...] = ()  # generic JSON
    alerts_slack: tuple[str, ...] = ()  # Slack incoming webhooks
    alerts_secret: Secret = field(default_factory=lambda: Secret(""))
    alerts_failed_threshold: int = 10  # failed deliveries in one run that raise an alert
    alerts_retries: int = 5
    alerts_timeout: float = 10.0
    # [materiality]: extra terms per concept, rules switched off, opt-in profiles (None:
    # the defaults); imported on use, so that commands without a verdict start fast
    materiality: Settings | None = None
    # the dashboard for legal (/admin/): off unless a token is set (environment only)
    admin_token: Secret = field(default_factory=lambda: Secret(""))
    admin_session_hours: int = 8
    # languages (docs/languages.md): the policies' own language, and the translations
    # every policy must be published in (per policy: [languages.policies.<id>])
    source_language: str = "en"
    required_languages: tuple[str, ...] = ()
    policy_languages: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # [regions]: named regions for a variant's `applies-to` (ISO 3166-1 alpha-2 codes);
    # `EEA` and `EU` ship with policybook (policybook.regions), these add or redefine.
    regions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sites: tuple[Site, ...] = ()  # [[sites]] (policybook/sites.py); none: one site, base_url

    @property
    def region_map(self) -> dict[str, frozenset[str]]:
        return {name: frozenset(codes) for name, codes in self.regions}

    def required_for(self, policy: str) -> tuple[str, ...]:
        """The languages `policy` must be translated into (its own list, else the common one)."""
        return dict(self.policy_languages).get(policy, self.required_languages)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def content_path(self) -> Path:
        return self.root / self.content_dir

    @property
    def state_path(self) -> Path:
        return self.root / STATE_DIR

    @property
    def outbox_path(self) -> Path:
        return Path(self.outbox) if self.outbox else self.state_path / "outbox"

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_path / 'policybook.db'}"

    def disagree_text(self, policy: str) -> str:
        """What an account holder who disagrees with `policy`'s change can do (the
        policy's own text, else the company's; empty: the template's default)."""
        return dict(self.policy_disagree).get(policy) or self.company_disagree

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)


# file key (section.key) -> (Config field, expected type)
_FILE_KEYS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "content_dir": ("content_dir", str),
    "notice.days": ("notice_days", int),
    "notice.timezone": ("timezone", str),
    "notice.recently_updated_days": ("recently_updated_days", int),
    "notice.late": ("late_notice", str),
    "site.base_url": ("base_url", str),
    "site.host": ("host", str),
    "site.port": ("port", int),
    "site.static_out": ("static_out", str),
    "site.name": ("site_name", str),
    "site.show_internals": ("site_show_internals", bool),
    "database.url": ("database_url", str),
    "accounts.sql_query": ("accounts_sql_query", str),
    "accounts.batch": ("accounts_batch", int),
    "accounts.refresh_seconds": ("accounts_refresh_seconds", int),
    "mail.provider": ("mail", str),
    "mail.from": ("mail_from", str),
    "mail.reply_to": ("mail_reply_to", str),
    "mail.outbox": ("outbox", str),
    "mail.batch": ("send_batch", int),
    "mail.lease_seconds": ("lease_seconds", int),
    "mail.locale": ("default_locale", str),
    "mail.safety": ("mail_safety", str),
    "sendgrid.url": ("sendgrid_url", str),
    "sendgrid.timeout": ("sendgrid_timeout", (int, float)),
    "sendgrid.retries": ("sendgrid_retries", int),
    "sendgrid.backoff_seconds": ("sendgrid_backoff", (int, float)),
    "sendgrid.webhook_public_key": ("sendgrid_webhook_public_key", str),
    "sendgrid.webhook_tolerance_seconds": ("webhook_tolerance_seconds", int),
    "scheduler.tick_seconds": ("tick_seconds", int),
    "company.name": ("company_name", str),
    "company.address": ("company_address", str),
    "company.contact": ("company_contact", str),
    "company.disagree": ("company_disagree", str),
    "alerts.webhooks": ("alerts_webhooks", list),
    "alerts.slack": ("alerts_slack", list),
    "alerts.failed_threshold": ("alerts_failed_threshold", int),
    "alerts.retries": ("alerts_retries", int),
    "alerts.timeout": ("alerts_timeout", (int, float)),
    "admin.session_hours": ("admin_session_hours", int),
    "languages.source": ("source_language", str),
    "languages.required": ("required_languages", list),
}
# `[policies.<policy id>]` keys (one table per policy)
_SECRET_KEYS = {
    "sendgrid.api_key": "SENDGRID_API_KEY",
    "mail.smtp_url": "POLICYBOOK_SMTP_URL",
    "smtp.url": "POLICYBOOK_SMTP_URL",
    "accounts.sql_url": "POLICYBOOK_ACCOUNTS_URL",
    "alerts.secret": "POLICYBOOK_ALERTS_SECRET",
    "admin.token": "POLICYBOOK_ADMIN_TOKEN",
    "admin.password": "POLICYBOOK_ADMIN_TOKEN",
}
# environment variable -> Config field (strings; converted and checked like the file)
_ENV: dict[str, str] = {
    "POLICYBOOK_DATABASE_URL": "database_url",
    "POLICYBOOK_MAIL": "mail",
    "POLICYBOOK_SENDGRID_URL": "sendgrid_url",
    "POLICYBOOK_OUTBOX": "outbox",
    "POLICYBOOK_NOTICE_DAYS": "notice_days",
    "POLICYBOOK_TIMEZONE": "timezone",
    "POLICYBOOK_BASE_URL": "base_url",
    "POLICYBOOK_SENDGRID_WEBHOOK_KEY": "sendgrid_webhook_public_key",
    "POLICYBOOK_MAIL_BATCH": "send_batch",
    "POLICYBOOK_LEASE_SECONDS": "lease_seconds",
    "POLICYBOOK_COMPANY_NAME": "company_name",
    "POLICYBOOK_MAIL_SAFETY": "mail_safety",
    # (a Slack webhook's address is its secret: keep it in the environment)
    "POLICYBOOK_ALERTS_WEBHOOKS": "alerts_webhooks",
    "POLICYBOOK_ALERTS_SLACK": "alerts_slack",
}
_SECRET_ENV = {
    "SENDGRID_API_KEY": "sendgrid_api_key",
    "POLICYBOOK_SMTP_URL": "smtp_url",
    "POLICYBOOK_ACCOUNTS_URL": "accounts_sql_url",
    "POLICYBOOK_ALERTS_SECRET": "alerts_secret",
    "POLICYBOOK_ADMIN_TOKEN": "admin_token",
}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def load_config(root: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read `root/policybook.toml` (if any) and the environment; raise ConfigError on problems."""
    env = os.environ if env is None else env
    problems: list[str] = []
    values: dict[str, Any] = {}
    found = read_config_file(root)
    if found is not None:
        path, text, data = found
        if "materiality" in data:
            values["materiality"] = parse_materiality(data.pop("materiality"), path, problems)
        if "sites" in data:
            from .sites import parse_sites
            values["sites"] = parse_sites(data.pop("sites"), data, str(path), text, problems)
            if values["sites"] and "base_url" not in data.get("site", {}):  # links: the first
                values["base_url"] = values["sites"][0].base_url
        for key, value in _flatten(data).items():
            if key in _SECRET_KEYS:
                problems.append(f"{path}: '{key}' is a secret; remove it from the file and set "
                                f"the environment variable {_SECRET_KEYS[key]} instead")
                continue
            if key.startswith("languages.policies."):
                languages_key(path, key, value, values, problems)
                continue
            if key.startswith("regions."):
                region_key(path, key, value, values, problems)
                continue
            if key.startswith("policies."):
                policy_key(path, key, value, values, problems)
                continue
            if key not in _FILE_KEYS:
                problems.append(f"{path}: unknown setting '{key}' (known: "
                                f"{', '.join(sorted(_FILE_KEYS))})")
                continue
            name, kind = _FILE_KEYS[key]
            if (not isinstance(value, bool) if kind is bool
                    else isinstance(value, bool) or not isinstance(value, kind)):
                problems.append(f"{path}: '{key}' must be {_kind_name(kind)}, not {value!r}")
                continue
            values[name] = value
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    for var, name in _SECRET_ENV.items():
        if env.get(var):
            values[name] = Secret(env[var])
    config = _build(root, values, problems)
    if problems:
        raise ConfigError(problems)
    return config


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a whole number", float: "a number", str: "text",
             list: "a list of texts"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


_MAXIMUM = 10**9
_MAXIMA = {
    "notice_days": 3650, "recently_updated_days": 3650, "port": 65535,
    "lease_seconds": 7 * 86400, "tick_seconds": 86400, "webhook_tolerance_seconds": 7 * 86400,
    "accounts_refresh_seconds": 30 * 86400, "sendgrid_retries": 100,
    "accounts_batch": 1_000_000,
}


def _build(root: Path, values: dict[str, Any], problems: list[str]) -> Config:
    for name in ("notice_days", "recently_updated_days", "port", "accounts_batch", "send_batch",
                 "lease_seconds", "tick_seconds", "webhook_tolerance_seconds",
                 "accounts_refresh_seconds", "sendgrid_retries"):
        if name not in values:
            continue
        try:
            values[name] = int(values[name])
        except (TypeError, ValueError):
            problems.append(f"{name} must be a whole number, not {values[name]!r}")
            del values[name]
            continue
        # Zero days of notice or of "recently updated" banner is a choice; zero seconds is not.
        minimum = 0 if name in ("notice_days", "recently_updated_days",
                                "sendgrid_retries") else 1
        if values[name] < minimum:
            problems.append(f"{name} must be at least {minimum}, not {values[name]}")
            del values[name]
        elif values[name] > _MAXIMA.get(name, _MAXIMUM):
            # Far beyond any sensible value, and beyond what dates and timers can hold
            # (a million days of notice overflows the calendar): refuse it here.
            problems.append(f"{name} must be at most {_MAXIMA.get(name, _MAXIMUM)}, not "
                            f"{values[name]}")
            del values[name]
    if "send_batch" in values and values["send_batch"] > 1000:
        problems.append("mail.batch must be at most 1000 (SendGrid's limit per request)")
        del values["send_batch"]
    if "mail" in values:
        try:
            values["mail"] = MailProvider(str(values["mail"]).strip().lower())
        except ValueError:
            problems.append(f"mail provider {values['mail']!r} must be one of "
                            "sendgrid, smtp, outbox")
            del values["mail"]
    for name in ("alerts_retries", "alerts_failed_threshold"):
        if name in values and (not isinstance(values[name], int) or values[name] < 0):
            problems.append(f"{name} must be a whole number of at least 0")
            del values[name]
    if "alerts_timeout" in values:
        values["alerts_timeout"] = float(values["alerts_timeout"])
        if values["alerts_timeout"] <= 0:
            problems.append("alerts.timeout must be more than 0 seconds")
            del values["alerts_timeout"]
    if "late_notice" in values:
        try:
            values["late_notice"] = LateNotice(str(values["late_notice"]).strip().lower())
        except ValueError:
            problems.append(f"notice.late {values['late_notice']!r} must be 'postpone' or 'warn'")
            del values["late_notice"]
    if "timezone" in values:
        try:
            ZoneInfo(str(values["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"time zone {values['timezone']!r} is unknown; use an IANA name such "
                            "as 'America/Los_Angeles' or 'UTC'")
            del values["timezone"]
    for name in ("sendgrid_timeout", "sendgrid_backoff"):
        if name in values:
            values[name] = float(values[name])
            if not 0 < values[name] <= 3600:  # also refuses NaN and infinity
                problems.append(f"{name} must be more than 0 seconds (and at most 3600), not "
                                f"{values[name]}")
                del values[name]
    if "mail_safety" in values:
        flag = str(values["mail_safety"]).strip().lower()
        if flag not in ("on", "off"):
            problems.append(f"mail.safety {values['mail_safety']!r} must be 'on' or 'off'")
            del values["mail_safety"]
        else:
            values["mail_safety"] = flag == "on"
    check_company_and_alerts(values, problems)
    check_languages(values, problems)
    if "database_url" in values:
        url = str(values["database_url"]).strip()
        # 'sqlite:///' reads as a file whose path was forgotten, and SQLAlchemy makes it an
        # in-memory database; the explicit forms ('sqlite://', ':memory:') are a choice.
        memory = re.match(r"^sqlite(?:\+\w+)?:///(.*)$", url)
        if memory and memory.group(1).split("?")[0] == "":
            problems.append(f"database URL {url!r} names no file: SQLite would keep the proof "
                            "of notice in memory and lose it on exit; write "
                            "sqlite:///path/to/policybook.db")
            del values["database_url"]
    config = Config(root=root, **values)
    if config.mail is MailProvider.SENDGRID and not config.sendgrid_api_key:
        problems.append("mail provider 'sendgrid' needs the environment variable SENDGRID_API_KEY")
    if config.mail is MailProvider.SMTP and not config.smtp_url:
        problems.append("mail provider 'smtp' needs the environment variable POLICYBOOK_SMTP_URL "
                        "(smtp://user:password@host:port, or smtps:// for TLS)")
    if config.accounts_sql_query and not config.accounts_sql_url:
        problems.append("accounts.sql_query needs the environment variable "
                        "POLICYBOOK_ACCOUNTS_URL (the read-only database URL)")
    return config
