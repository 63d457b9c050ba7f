"""Mail providers (shell): SendGrid, SMTP and an outbox folder behind one `Mailer`
protocol, and the notice e-mail itself (`compose`)."""

from __future__ import annotations

from ..config import Config, MailProvider
from .base import Mailer
from .compose import parse_sender
from .safety import check_production


def make_mailer(config: Config) -> Mailer:
    """The provider the config names (POLICYBOOK_MAIL / mail.provider); a real one only
    once the production checks pass (`safety.check_production`)."""
    check_production(config)
    if config.mail is MailProvider.SENDGRID:
        from .sendgrid import SendGridMailer

        return SendGridMailer(config.sendgrid_api_key, config.sendgrid_url,
                              timeout=config.sendgrid_timeout, retries=config.sendgrid_retries,
                              backoff=config.sendgrid_backoff)
    if config.mail is MailProvider.SMTP:
        from .smtp import SmtpMailer

        return SmtpMailer(config.smtp_url, parse_sender(config.mail_from).addr_spec)
    from .outbox import OutboxMailer

    return OutboxMailer(config.outbox_path)


__all__ = ["Mailer", "make_mailer"]
