"""The settings of notices and mail: file keys, environment, checks (all problems at once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policybook.config import MailProvider, load_config
from policybook.errors import ConfigError


def test_mail_settings_from_file_and_environment(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[mail]\nprovider = "sendgrid"\nbatch = 500\nlease_seconds = 120\nlocale = "de"\n'
        'from = "Legal <legal@example.com>"\n'
        '[sendgrid]\nretries = 2\nbackoff_seconds = 0.5\ntimeout = 10\n'
        'webhook_tolerance_seconds = 300\n'
        '[accounts]\nsql_query = "SELECT id, email FROM users"\nbatch = 2000\n'
        'refresh_seconds = 60\n', encoding="utf-8")
    config = load_config(tmp_path, env={
        "SENDGRID_API_KEY": "SG.secret", "POLICYBOOK_ACCOUNTS_URL": "sqlite:///x.db",
        "POLICYBOOK_MAIL_BATCH": "250", "POLICYBOOK_SENDGRID_WEBHOOK_KEY": "MFkw..."})
    assert config.mail is MailProvider.SENDGRID
    assert (config.send_batch, config.lease_seconds, config.default_locale) == (250, 120, "de")
    assert (config.sendgrid_retries, config.sendgrid_backoff, config.sendgrid_timeout) == \
        (2, 0.5, 10.0)
    assert (config.accounts_batch, config.accounts_refresh_seconds) == (2000, 60)
    assert config.sendgrid_webhook_public_key == "MFkw..."
    assert "SG.secret" not in repr(config) and "x.db" not in repr(config)


def test_mail_setting_problems_all_at_once(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[mail]\nbatch = 5000\nlease_seconds = 0\n[sendgrid]\nbackoff_seconds = -1\n'
        '[accounts]\nsql_query = "SELECT 1"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={"POLICYBOOK_MAIL": "smtp"})
    text = "\n".join(info.value.lines())
    assert "mail.batch must be at most 1000" in text
    assert "lease_seconds must be at least 1" in text
    assert "sendgrid_backoff must be more than 0 seconds" in text
    assert "POLICYBOOK_SMTP_URL" in text
    assert "POLICYBOOK_ACCOUNTS_URL" in text
