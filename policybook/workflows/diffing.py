"""Compare two versions of a policy (`policybook diff`): read both sides, diff, judge, render.

Each side of a diff is resolved by `load_side` alone: today a file path; `POLICY@REV`
and `POLICY@YYYY-MM-DD` go to `resolve_revision`, the one place where the git history
plugs in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from jinja2 import Environment

from ..config import Config
from ..diff import diff_documents
from ..document import parse_document
from ..errors import NotFoundError, Problem, UsageError
from ..materiality import Assessment, assess
from ..report import render_markdown, render_text, to_json
from ..repository import decode_policy, display_path
from ..templating import make_environment


class Workspace(Protocol):
    """What a side needs to know about the repository (`cli.common.Env` is one)."""

    @property
    def root(self) -> Path: ...

    @property
    def config(self) -> Config: ...


@dataclass(frozen=True)
class Side:
    """One side of a diff: how it was named, the path its text came from, and the text."""

    label: str
    path: str
    text: str


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"


_REVISION = re.compile(r"^(?P<policy>[a-z0-9][a-z0-9-]{0,79})@(?P<rev>.+)$")


def load_side(spec: str, env: Workspace) -> Side:
    """A file path (relative to the current folder, or else to the repository), or
    `POLICY@REV` / `POLICY@YYYY-MM-DD` (see `resolve_revision`)."""
    candidates = [Path(spec)]
    if not Path(spec).is_absolute():
        candidates.append(env.root / spec)
    for file in candidates:
        if file.is_file():
            return _read_file(file, spec, env.root)
    match = _REVISION.match(spec)
    if match:
        return resolve_revision(match.group("policy"), match.group("rev"), env)
    if any(file.is_dir() for file in candidates):
        raise UsageError(f"{spec}: is a folder; give one policy file")
    raise NotFoundError(f"{spec}: no such file; give a policy file, POLICY@REV or "
                        "POLICY@YYYY-MM-DD")


def resolve_revision(policy: str, rev: str, env: Workspace) -> Side:
    """`POLICY@REV` (a git revision) or `POLICY@YYYY-MM-DD` (the version in force then)."""
    raise UsageError(f"{policy}@{rev}: reading versions from git is not available in this "
                     "build yet; give two files (for example "
                     f"`git show {rev}:content/{policy}.md > old.md`)")


def _read_file(file: Path, spec: str, root: Path) -> Side:
    shown = display_path(file, root) if not Path(spec).is_absolute() else spec
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"{spec}: cannot be read ({exc.strerror})") from None
    text, problem = decode_policy(data, shown)
    if problem is not None or text is None:
        raise UsageError(str(problem or Problem(shown, 0, "cannot be read")))
    return Side(spec, shown, text)


@dataclass(frozen=True)
class Comparison:
    old: Side
    new: Side
    assessment: Assessment
    problems: tuple[Problem, ...]  # content problems of either side (the diff still runs)


def compare(old: Side, new: Side) -> Comparison:
    """Parse both sides, diff them and judge the change."""
    a = parse_document(old.text, old.path)
    b = parse_document(new.text, new.path)
    problems = a.problems + b.problems
    if a.front.policy and b.front.policy and a.front.policy != b.front.policy:
        problems += (Problem(new.path, b.front.line_of("policy"),
                             f"is policy '{b.front.policy}' but {old.path} is policy "
                             f"'{a.front.policy}'; are these two versions of one policy?"),)
    return Comparison(old, new, assess(diff_documents(a, b)), problems)


@lru_cache(maxsize=8)
def _environment(root: Path | None) -> Environment:
    # Compiling the templates costs more than rendering them: once per repository.
    return make_environment(root)


def render(comparison: Comparison, fmt: Format, *, root: Path | None = None,
           color: bool = False) -> str:
    """The comparison in one of the four formats (HTML through the site templates)."""
    a = comparison.assessment
    if fmt is Format.JSON:
        data = to_json(a, (comparison.old.label, comparison.new.label))
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt is Format.MARKDOWN:
        return render_markdown(a)
    if fmt is Format.HTML:
        template = _environment(root).get_template("site/diff.html")
        return template.render(a=a, old_label=comparison.old.label,
                               new_label=comparison.new.label)
    return render_text(a, color=color)
