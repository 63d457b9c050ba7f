"""Configuration: defaults, the file, the environment over the file, secrets, all errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from policybook.config import LateNotice, MailProvider, load_config
from policybook.errors import ConfigError


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.notice_days == 30
    assert config.mail is MailProvider.OUTBOX
    assert config.db_url == f"sqlite:///{tmp_path / '.policybook' / 'policybook.db'}"
    assert config.outbox_path == tmp_path / ".policybook" / "outbox"


def test_file_then_environment(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[notice]\ndays = 45\ntimezone = "America/Los_Angeles"\nlate = "warn"\n'
        '[mail]\nprovider = "smtp"\n', encoding="utf-8")
    config = load_config(tmp_path, env={"POLICYBOOK_SMTP_URL": "smtp://u:p@127.0.0.1:2525",
                                        "POLICYBOOK_NOTICE_DAYS": "60"})
    assert config.notice_days == 60
    assert config.timezone == "America/Los_Angeles"
    assert config.late_notice is LateNotice.WARN
    assert config.mail is MailProvider.SMTP
    assert "p@" not in repr(config), "secrets must never reach a repr (or a log)"


def test_every_problem_at_once_and_secrets_refused_in_the_file(tmp_path: Path) -> None:
    (tmp_path / "policybook.toml").write_text(
        '[notice]\ndays = "thirty"\ntimezone = "Mars/Olympus"\n[sendgrid]\napi_key = "SG.x"\n'
        '[site]\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    text = "\n".join(info.value.lines())
    assert "'notice.days' must be a whole number, not 'thirty'" in text
    assert "time zone 'Mars/Olympus' is unknown" in text
    assert "'sendgrid.api_key' is a secret; remove it from the file and set the environment " \
        "variable SENDGRID_API_KEY instead" in text
    assert "unknown setting 'site.colour'" in text


def test_sendgrid_needs_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY"):
        load_config(tmp_path, env={"POLICYBOOK_MAIL": "sendgrid"})
