"""Compare two versions of a policy (`policybook diff`): read both sides, diff, judge, render.

Each side of a diff is resolved by `load_side` alone: a file path, or `POLICY@REV`,
`POLICY@YYYY-MM-DD`, `POLICY@in-force`, `POLICY@upcoming` from the git history. A
regional variant is `POLICY:VARIANT@...` (`privacy-policy:eea@in-force`): its own
timeline, so `in-force` and `upcoming` are the variant's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..diff import diff_documents
from ..document import parse_document
from ..errors import NotFoundError, Problem, UsageError
from ..materiality import Assessment
from ..report import render_markdown, render_text, to_json
from ..repository import decode_policy, display_path
from .assessing import judge

if TYPE_CHECKING:  # a diff of two files needs none of these: `diff` starts without them
    from jinja2 import Environment

    from ..config import Config
    from ..state import PolicyState
    from ..versions import Version


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


# (Patterns compiled on first use, by `re`: a diff of two files never needs them.)
_REVISION = (r"^(?P<policy>[a-z0-9][a-z0-9-]{0,79}(?::[a-z0-9][a-z0-9-]{0,39})?)"
             r"@(?P<rev>.+)$")


def load_side(spec: str, env: Workspace, now: dt.datetime | None = None,
              ref: str | None = None) -> Side:
    """A file path (relative to the current folder, or else to the repository), or a
    version from git (see `resolve_revision`; `now` and `ref` apply there)."""
    candidates = [Path(spec)]
    if not Path(spec).is_absolute():
        candidates.append(env.root / spec)
    for file in candidates:
        if file.is_file():
            return _read_file(file, spec, env.root)
    match = re.match(_REVISION, spec)
    if match:
        return resolve_revision(match.group("policy"), match.group("rev"), env,
                                now or dt.datetime.now(dt.UTC), ref)
    if any(file.is_dir() for file in candidates):
        raise UsageError(f"{spec}: is a folder; give one policy file")
    raise NotFoundError(f"{spec}: no such file; give a policy file, POLICY@REV or "
                        "POLICY@YYYY-MM-DD (POLICY:VARIANT@... for a regional variant)")


_DATE = r"^\d{4}-\d{2}-\d{2}$"
SPECIAL_REVS = ("in-force", "upcoming")


def resolve_revision(policy: str, rev: str, env: Workspace, now: dt.datetime,
                     ref: str | None = None) -> Side:
    """`POLICY@REV` (the policy's file in a git revision), `POLICY@YYYY-MM-DD` (the version
    in force on that date), `POLICY@in-force` or `POLICY@upcoming` (relative to `now`)."""
    config = env.config
    if re.match(_DATE, rev) or rev in SPECIAL_REVS:
        version = _version_for(config, policy, rev, now, ref)
        role = "upcoming" if rev == "upcoming" else "in force" if rev == "in-force" \
            else f"in force on {rev}"
        return _side(version, role)
    from ..history import policy_text_at  # git is loaded only for revisions
    from ..regions import split_name

    name, variant = split_name(policy)
    path, text = policy_text_at(config.root, name, rev, config.content_dir, variant)
    return Side(f"{policy}@{rev}", path, text)


def in_force_side(policy: str, env: Workspace, now: dt.datetime,
                  ref: str | None = None) -> Side:
    """The version of `policy` in force at `now`; an empty side for a policy not yet in
    force (a new policy: everything in it is new to its readers)."""
    try:
        return resolve_revision(policy, "in-force", env, now, ref)
    except NotFoundError:
        return Side(f"{policy} (no version in force)", f"{policy} (none)", "")


def replaced_sides(policy: str, env: Workspace, now: dt.datetime,
                   ref: str | None = None) -> tuple[Side, Side | None]:
    """The editor's question about a working file of `policy`: (the version it replaces,
    the version in force when that is another one). A file states the policy's next
    version, so while one is pending the file replaces it, and readers will see the
    change from the version in force (the cumulative change)."""
    try:
        state = _state(env.config, policy, now, ref)
    except NotFoundError:  # a new policy: everything in it is new to its readers
        return Side(f"{policy} (no version yet)", f"{policy} (none)", ""), None
    live, pending = state.in_force, state.upcoming
    in_force = _side(live.version, "in force") if live else \
        Side(f"{policy} (no version in force)", f"{policy} (none)", "")
    if pending is None:
        return in_force, None
    return _side(pending.version, "upcoming"), in_force


def _side(version: Version, role: str) -> Side:
    return Side(f"{version.key} ({role})", version.path, version.text)


def _state(config: Config, policy: str, now: dt.datetime, ref: str | None) -> PolicyState:
    """The state of `policy` at `now`, as every surface sees it."""
    from ..regions import split_name  # (not loaded by a diff of two files)
    from .planning import optional_store
    from .state import StateBuilder

    store = optional_store(config, now)
    try:
        state = StateBuilder(config, store, ref=ref).state(now)
    finally:
        if store is not None:
            store.close()
    found = state.policy(*split_name(policy))
    if found is None:
        known = ", ".join(p.policy if p.variant_id is None else f"{p.policy}:{p.variant_id}"
                          for p in state.policies) or "none"
        raise NotFoundError(f"no policy '{policy}' in the history (policies: {known})")
    return found


def _version_for(config: Config, policy: str, rev: str, now: dt.datetime,
                 ref: str | None) -> Version:
    if rev == "upcoming":
        found = _state(config, policy, now, ref).upcoming
        if found is None:
            raise NotFoundError(f"{policy} has no upcoming version at {now.isoformat()}")
        return found.version
    if rev == "in-force":
        moment = now
    else:
        from ..versions import effective_moment

        try:
            day = dt.date.fromisoformat(rev)
        except ValueError:
            raise UsageError(f"{policy}@{rev}: {rev} is not a valid date") from None
        moment = effective_moment(day, config.zone)
    state = _state(config, policy, moment, ref)
    if state.in_force is None:
        first = state.versions[0].version.effective.isoformat() if state.versions else "?"
        raise NotFoundError(f"{policy} was not in force on {rev} (its first version takes "
                            f"effect on {first})")
    return state.in_force.version


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


def file_side(side: Side, effective: dt.date | None) -> Side:
    """A working file labelled as the version it states."""
    when = f", effective {effective}" if effective else ""
    return Side(f"{side.label} (your edit{when})", side.path, side.text)


def compare(old: Side, new: Side) -> Comparison:
    """Parse both sides, diff them and judge the change."""
    a = parse_document(old.text, old.path)
    b = parse_document(new.text, new.path)
    problems = a.problems + b.problems
    if a.front.policy and b.front.policy and a.front.policy != b.front.policy:
        problems += (Problem(new.path, b.front.line_of("policy"),
                             f"is policy '{b.front.policy}' but {old.path} is policy "
                             f"'{a.front.policy}'; are these two versions of one policy?"),)
    return Comparison(old, new, judge(diff_documents(a, b)), problems)


@lru_cache(maxsize=8)
def _environment(root: Path | None) -> Environment:
    from ..templating import make_environment  # Jinja2 is loaded only for HTML

    # Compiling the templates costs more than rendering them: once per repository.
    return make_environment(root)


def json_data(comparison: Comparison) -> dict[str, Any]:
    """The comparison as the JSON format's data (to add to before it is written once:
    indented JSON is encoded by Python's pure-Python encoder, a long report slowly)."""
    return to_json(comparison.assessment, (comparison.old.label, comparison.new.label))


def render(comparison: Comparison, fmt: Format, *, root: Path | None = None,
           color: bool = False) -> str:
    """The comparison in one of the four formats (HTML through the site templates)."""
    a = comparison.assessment
    if fmt is Format.JSON:
        return json.dumps(json_data(comparison), indent=2, ensure_ascii=False) + "\n"
    if fmt is Format.MARKDOWN:
        return render_markdown(a)
    if fmt is Format.HTML:
        template = _environment(root).get_template("site/diff.html")
        return template.render(a=a, old_label=comparison.old.label,
                               new_label=comparison.new.label)
    return render_text(a, color=color)
