"""`policybook demo DIR`: the sample played in a new repository, dated from today (shell).

This repository's own `content/` history has fixed dates, so a few weeks after it was
written it no longer shows what a new user should see first: a version in force, an
editorial fix about to take effect and a material change whose notice is due soon. The
demo replays the sample's history (`samples/demo.toml`) into a new git repository with
effective dates and commit dates counted from the day it runs, in the demo's time zone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import UsageError
from .templating import data_dir

_SUMMARY = re.compile(r"^summary:(?:[ \t]*>[-+]?[ \t]*\n(?:[ \t]+.*\n?)+|.*\n)", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    path: str  # inside the demo repository, e.g. content/privacy-policy.md
    effective: dt.date
    committed: dt.date
    message: str


@dataclass(frozen=True)
class Demo:
    root: Path
    today: dt.date
    zone: ZoneInfo
    steps: tuple[Step, ...]


def manifest_path() -> Path:
    return data_dir("samples") / "demo.toml"


def _day(value: object, today: dt.date, where: str) -> dt.date:
    text = str(value).strip()
    if re.fullmatch(r"[+-]\d+", text):
        return today + dt.timedelta(days=int(text))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{where}: {text!r} is neither a date (YYYY-MM-DD) nor a number of "
                         "days from today (+45, -300)") from None


def _zone(config_text: str) -> ZoneInfo:
    notice = tomllib.loads(config_text).get("notice", {})
    return ZoneInfo(str(notice.get("timezone", "UTC")))


def _front_matter_set(text: str, effective: dt.date, summary: str | None,
                      key: str = "effective") -> str:
    head, sep, body = text.partition("\n---\n")
    if not sep or not head.startswith("---\n"):
        raise UsageError("a sample policy has no front matter; the demo needs one")
    line = re.compile(rf"^{key}:.*$", re.MULTILINE)
    head, count = line.subn(f"{key}: {effective.isoformat()}", head + "\n", count=1)
    if count != 1:
        raise UsageError(f"a sample policy has no `{key}:` line; the demo needs one")
    if summary is not None:
        folded = "\n".join("  " + line.strip() for line in summary.strip().splitlines())
        head, count = _SUMMARY.subn(lambda _: f"summary: >\n{folded}\n", head, count=1)
        if count != 1:
            raise UsageError("a sample policy has no `summary:`; the demo needs one")
    return head.rstrip("\n") + sep + body


def _git(root: Path, *args: str, when: dt.datetime | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Example Legal", GIT_COMMITTER_NAME="Example Legal",
               GIT_AUTHOR_EMAIL="legal@example.invalid",
               GIT_COMMITTER_EMAIL="legal@example.invalid")
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_demo(target: Path, now: dt.datetime, *, replace: bool = False,
              manifest: Path | None = None, content: Path | None = None) -> Demo:
    """Create the demo repository at `target` as of `now` (aware)."""
    manifest = manifest or manifest_path()
    content = content or data_dir("content")
    spec = tomllib.loads(manifest.read_text(encoding="utf-8"))
    config_text = str(spec["config"]).lstrip("\n")
    zone = _zone(config_text)
    today = now.astimezone(zone).date()
    if target.exists():
        if not target.is_dir():
            raise UsageError(f"{target} exists and is not a folder; choose another folder")
        if any(target.iterdir()):
            if not replace:
                raise UsageError(f"{target} is not empty; choose a new folder, or add --replace "
                                 "to delete it and make the demo again")
            shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / "content").mkdir()
    (target / "policybook.toml").write_text(config_text, encoding="utf-8")
    (target / ".gitignore").write_text(".policybook/\n", encoding="utf-8")
    _git(target, "init", "--quiet", "--initial-branch=main")
    steps: list[Step] = []
    first = True
    for i, raw in enumerate(spec["step"], start=1):
        where = f"{manifest.name}: step {i}"
        name = str(raw["file"])
        text = (content / name).read_text(encoding="utf-8")
        for current, earlier in raw.get("replace", []):
            if text.count(current) != 1:
                raise UsageError(f"{where}: {current!r} is not found exactly once in "
                                 f"{name}; update the step to the sample's current text")
            text = text.replace(current, earlier)
        # A translation (`translates`) names the date of the source version it translates.
        key = "translates" if "translates" in raw else "effective"
        effective = _day(raw[key], today, where)
        committed = _day(raw["committed"], today, where)
        text = _front_matter_set(text, effective, raw.get("summary"), key)
        path = f"content/{name}"
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text, encoding="utf-8")
        extra = ["policybook.toml", ".gitignore"] if first else []
        _git(target, "add", path, *extra)
        when = dt.datetime.combine(committed, dt.time(10, 0), zone)
        _git(target, "commit", "--quiet", "-m", str(raw["message"]), when=when)
        steps.append(Step(path, effective, committed, str(raw["message"])))
        first = False
    return Demo(target, today, zone, tuple(steps))
