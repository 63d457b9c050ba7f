"""Reading `policybook.toml` itself (shell: reads one file), apart from building a `Config`.

`config.load_config` reads the file here and builds the whole `Config` from it. A diff of
two files needs one table of it, `[materiality]` (the verdict follows it), and not the
rest: `materiality_settings` reads just that, without importing `policybook.config`
(its `Config` of sixty fields, the time zones), which a command that starts for one
verdict would otherwise pay for (issue 12). Both read the file the same way.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .rulebook import Settings

CONFIG_FILE = "policybook.toml"


def read_config_file(root: Path) -> tuple[Path, str, dict[str, Any]] | None:
    """(path, text, table) of `root/policybook.toml`, or None without one; ConfigError
    when it is not TOML."""
    path = root / CONFIG_FILE
    if not path.exists():
        return None
    try:
        data = tomllib.loads(text := path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from None
    return path, text, data


def parse_materiality(table: object, path: Path, problems: list[str]) -> Settings:
    """The `[materiality]` table as `Settings`; each mistake is added to `problems`."""
    from .rulebook import Settings

    return Settings.parse(table, str(path), problems)


def materiality_settings(root: Path) -> Settings | None:
    """The `[materiality]` settings of `root/policybook.toml` (None: none set, the
    defaults); ConfigError on a mistake in that table, as `load_config` reports it."""
    found = read_config_file(root)
    if found is None or "materiality" not in found[2]:
        return None
    path, _, data = found
    problems: list[str] = []
    settings = parse_materiality(data["materiality"], path, problems)
    if problems:
        raise ConfigError(problems)
    return settings
