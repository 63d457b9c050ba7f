"""The notice-period gate of `policybook check`: a material change needs its notice.

Each policy file in the working tree is the proposed next state of its policy; it is
compared with the versions on record at the base (`--base REF`, default HEAD: in a pull
request, the target branch). The proposal is refused when:
- it is a new MATERIAL version that takes effect less than `notice_days` from now (the
  notice can only start once it has landed);
- it changes the text of a version materially while keeping its effective date, and that
  version has already taken effect, or its notice has already gone out (which is also
  when too little time is left to give notice of the new text);
- it is a new version dated in the past (a version cannot take effect before it exists).
Each message says what to do, for example "set effective to 2027-01-20 or later".
An editorial change may take effect at once; a new policy's first version has no
predecessor to give notice against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..config import Config
from ..document import RENAMED_FROM, Document
from ..errors import HistoryError, Problem
from ..history import read_history
from ..materiality import Assessment
from ..regions import read_declaration
from ..timeline import Settings, earliest_effective
from ..versions import Version, by_policy, effective_moment
from .assessing import assess_texts
from .planning import OnRecord, read_records, settings

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a database exists
    from ..store import Store


def _why(assessment: Assessment) -> str:
    reasons = assessment.main_reasons
    if assessment.overridden and assessment.override is not None:
        return f"override: {assessment.override.reason}"
    if not reasons:
        return assessment.summary()
    first = reasons[0]
    more = f", and {len(reasons) - 1} more" if len(reasons) > 1 else ""
    return f"{first.rule} in {first.where}{more}"


def _days(delta: dt.timedelta) -> str:
    days = delta / dt.timedelta(days=1)
    if days < 0:
        return f"{-days:.0f} days ago" if -days >= 1 else "already"
    return f"{days:.1f} days from now" if days < 10 else f"{days:.0f} days from now"


def gate_problems(config: Config, docs: Sequence[Document], now: dt.datetime,
                  base: str | None = None, store: Store | OnRecord | None = None
                  ) -> list[Problem]:
    """Every notice-period problem of the proposed policies (empty outside a git repo)."""
    try:
        history = read_history(config.root, base, config.content_dir, config.zone)
    except HistoryError:
        if base is not None:
            raise
        return []  # not a repository yet: nothing is on record to give notice against
    records = read_records(store)
    chosen = settings(config, records)
    # A regional variant is a timeline of its own: its notices and versions apart.
    noticed = {(n.policy, n.variant, n.effective) for n in records.notices
               if n.created_at <= now}
    groups = by_policy(history.versions)
    ids = {d.policy_id for d in docs}
    problems: list[Problem] = []
    for doc in docs:
        effective = doc.front.effective
        if effective is None or any(p.line <= doc.front.end_line for p in doc.problems):
            continue
        declared = dict(doc.front.extra).get(RENAMED_FROM)
        suspect = None if declared else _renamed_without_saying(doc, groups, ids)
        if suspect is not None:
            problems.append(Problem(doc.path, doc.front.line_of("policy"), suspect))
            continue
        variant = read_declaration(doc.source).variant
        versions = tuple(v for v in groups.get(doc.policy_id, ()) if v.variant == variant)
        if not versions and declared and declared != "none":
            # Not committed yet: the renamed policy is judged against the old one's
            # versions, as the history will carry them once it lands.
            versions = groups.get(declared, ())
            if not versions:
                problems.append(Problem(doc.path, doc.front.line_of(RENAMED_FROM),
                                        f"'{RENAMED_FROM}: {declared}' names no policy on "
                                        "record; write the id the policy had before, or "
                                        "'none' for a new policy"))
                continue
        if not versions:
            continue  # a new policy: its first version has nothing to give notice against
        message = _check_one(doc, effective, versions,
                             {(p, d) for p, var, d in noticed if var == variant}, chosen, now)
        if message:
            problems.append(Problem(doc.path, doc.front.line_of("effective"), message))
    return problems


def _renamed_without_saying(doc: Document, groups: Mapping[str, Sequence[Version]],
                            ids: set[str]) -> str | None:
    """Why this file looks like another policy renamed (the old id gone from the working
    tree, its file now holding this id), or None. A new id would start a new policy with
    nothing to give notice against, while the old one stayed in force: the gate would be
    bypassed by renaming."""
    for old, versions in groups.items():
        if old == doc.policy_id or old in ids or not versions:
            continue
        last = max(versions, key=lambda v: v.effective)
        mine = groups.get(doc.policy_id, ())
        if last.path != doc.path or (mine and min(
                v.introduced.date for v in mine) < last.final.date):
            continue
        return (f"this file held the policy '{old}' and now says 'policy: {doc.policy_id}': "
                f"a new id starts a new policy with nothing to give notice against, while "
                f"'{old}' would stay in force. Keep 'policy: {old}' (the id is stable; the "
                f"file name and the title may change), or add '{RENAMED_FROM}: {old}' to "
                f"carry its history under the new id (the change is then judged against "
                f"it), or '{RENAMED_FROM}: none' if this is a new policy and '{old}' is "
                "retired")
    return None


def _material_on_record(version: Version, versions: Sequence[Version]) -> bool:
    """Whether `version`, as committed, is a material change from the one before it (a
    first version has nothing to give notice against)."""
    earlier = [v for v in versions if v.effective < version.effective]
    if not earlier:
        return False
    previous = max(earlier, key=lambda v: v.effective)
    return assess_texts(previous.text, previous.path, version.text, version.path).material


def _check_one(doc: Document, effective: dt.date, versions: Sequence[Version],
               noticed: set[tuple[str, dt.date]], s: Settings, now: dt.datetime) -> str | None:
    zone = s.zone
    period = dt.timedelta(days=s.notice_days)
    at = effective_moment(effective, zone)
    earliest = earliest_effective(now, s)
    fix = f"set effective to {earliest} or later"
    same = next((v for v in versions if v.effective == effective), None)
    if same is not None:
        if same.text == doc.source:
            return None
        assessment = assess_texts(same.text, same.path, doc.source, doc.path)
        if not assessment.material:
            return None
        why = _why(assessment)
        if at <= now:
            return (f"the text of the version of {effective} changed materially ({why}) but "
                    f"its effective date did not move, and that version took effect "
                    f"{_days(at - now)}: an edit after a version took effect must be "
                    f"editorial; put the change in a new version and {fix}")
        if (doc.policy_id, effective) not in noticed and now >= at - period and \
                not _material_on_record(same, versions):
            # An editorial version has no notice: none went out, and none can now give
            # this edit its full notice period.
            return (f"the version of {effective} on record is EDITORIAL, so no notice went "
                    f"out for it, and this edit makes it MATERIAL ({why}); it takes effect "
                    f"{_days(at - now)}, and {s.notice_days} days' notice is required: {fix}")
        if (doc.policy_id, effective) in noticed or now >= at - period:
            return (f"the notice of the version of {effective} has already gone out (it was "
                    f"due {(at - period).astimezone(zone):%Y-%m-%d}), and this edit is "
                    f"MATERIAL ({why}): it needs a new notice and a later effective date; "
                    f"{fix}")
        return None  # its notice is not due yet: the notice will announce this text
    today = now.astimezone(zone).date()
    # Versions still pending are replaced by this file once it lands (see history.py):
    # the new version follows the last one that has taken effect.
    taken = [v for v in versions if v.effective < effective
             and effective_moment(v.effective, zone) <= now]
    if not taken:
        return None
    previous = max(taken, key=lambda v: v.effective)
    assessment = assess_texts(previous.text, previous.path, doc.source, doc.path)
    if assessment.material and at - now < period:
        return (f"this version is MATERIAL ({_why(assessment)}) and takes effect on "
                f"{effective}, {_days(at - now)}; {s.notice_days} days' notice is required: "
                f"{fix}")
    if effective < today:
        return (f"effective {effective} is in the past: a new version cannot take effect "
                f"before it is published; set effective to {today} or later")
    return None
