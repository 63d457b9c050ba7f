"""Production safety (shell): refuse a real send made with development settings.

A notice e-mailed to every account holder cannot be taken back. Before SendGrid or SMTP
sends anything, `check_production` refuses, naming each setting to fix:
- `site.base_url` on localhost, a private, loopback or link-local address, or a name
  that only resolves inside a network (`.local`, `.internal`, ...): every link in the
  e-mail would be dead for its readers; plain `http://` is refused too (the links are
  the proof of what was announced, and must not be rewritten on the way);
- `mail.from` or `mail.reply_to` at a reserved domain (`example.com`, `.invalid`,
  `.test`, ...): the default sender, never a mailbox anyone reads;
- no `company.name`: a legal notice says who sends it.
The outbox is not checked (nothing leaves the machine). `mail.safety = "off"` skips the
check for a test server or a rehearsal; it is logged at every send.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from ..config import Config, MailProvider
from ..errors import ConfigError

log = logging.getLogger(__name__)

# RFC 2606 and RFC 6761 names that never reach a real mailbox or site.
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_SUFFIXES = ("invalid", "test", "example", "localhost")
INTERNAL_SUFFIXES = ("localhost", "local", "internal", "lan", "home.arpa", "localdomain")


def _in(domain: str, names: tuple[str, ...]) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == n or domain.endswith("." + n) for n in names)


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be the address of the site that a real e-mail links to."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return f"site.base_url {url!r} is not a web address"
    if parts.scheme != "https" or not host:
        return (f"site.base_url {url!r} must be the public https:// address of the site "
                "(set POLICYBOOK_BASE_URL or site.base_url)")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if "." not in host or _in(host, INTERNAL_SUFFIXES) or _in(host, RESERVED_SUFFIXES):
            return (f"site.base_url {url!r} names a host that readers cannot reach "
                    f"({host}); set it to the public address of the site")
        return None
    if not ip.is_global:
        return (f"site.base_url {url!r} is a private or local address ({ip}); set it to "
                "the public address of the site")
    return None


def sender_problem(value: str, setting: str) -> str | None:
    from .compose import parse_sender

    domain = parse_sender(value, setting).domain
    if _in(domain, RESERVED_DOMAINS) or _in(domain, RESERVED_SUFFIXES):
        return (f"{setting} {value!r} is at {domain}, a reserved domain that no one reads; "
                "set it to your sending address (e.g. 'Acme <policy@mail.acme.com>')")
    return None


def production_problems(config: Config) -> list[str]:
    """Every reason why `config` must not send real e-mail (empty: none)."""
    problems = [p for p in (base_url_problem(config.base_url),
                            sender_problem(config.mail_from, "mail.from")) if p]
    if config.mail_reply_to:
        reply = sender_problem(config.mail_reply_to, "mail.reply_to")
        if reply:
            problems.append(reply)
    if not config.company_name:
        problems.append("company.name is not set: a legal notice says who sends it; add "
                        "[company] name = \"...\" to policybook.toml")
    return problems


def check_production(config: Config) -> None:
    """Raise ConfigError, naming every setting to fix, before a real provider sends."""
    if config.mail is MailProvider.OUTBOX:
        return
    if not config.mail_safety:
        log.warning("mail.safety is off: e-mail goes to %s without the production checks",
                    config.mail.value)
        return
    problems = production_problems(config)
    if problems:
        raise ConfigError([f"refusing to send real e-mail through {config.mail.value}: "
                           f"{p}" for p in problems])
