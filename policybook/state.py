"""One state of each policy at one moment: what every surface shows (pure core).

`plan`, `versions`, `check`, `diff POLICY@in-force`, the website, the static build, the
feed, the API, `notice.json`, the scheduler's tick and the e-mails all read a
`PolicyState`; none of them decides on its own which version is in force. A state is
built in one place (`workflows/state.py`) from the versions in git, the verdict of each
change, the notices on record and *now*, through `timeline.py`.

What takes effect is what was noticed. A version's text is fixed once its notice has
started (the e-mail announced that text) or once it has taken effect (readers agreed to
that text). A later commit that keeps the effective date but changes the text:
- editorially (a typo fix) is published at once, as before;
- materially is *held back*: the fixed text stays live on every surface, the edit is a
  problem that `plan`, `check` and the tick report, and it can only go live as a new
  version with a new effective date and its own notice.
The shell finds the fixed text in git (`Held`); this module substitutes it.

No database means nothing is on record yet: each material notice is *assumed* to have
started when it could (`assumed_notices`), so every surface agrees on one answer, and
`check` says which upcoming material notice is overdue or was committed too late
(whether the version in force was noticed, nothing on record can tell).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from .document import SUMMARY_CONFIRMED
from .regions import Variant, label, timeline_key
from .timeline import (
    ON_TIME_GRACE,
    Banner,
    LatePolicy,
    NoticeRecord,
    Settings,
    Verdict,
    VersionPlan,
    banner,
    current,
    earliest_effective,
    next_up,
    plan_versions,
)
from .versions import Commit, Version


class ProblemKind(StrEnum):
    OVERDUE = "overdue"  # a material notice was due and none went out
    LATE = "late"  # a notice went out late (recorded; the switch may be postponed)
    EDITED_AFTER_EFFECT = "edited-after-effect"  # a material edit of a version in force
    EDITED_AFTER_NOTICE = "edited-after-notice"  # a material edit of an announced version
    NO_SUMMARY = "no-summary"  # a material version without a summary for its notice
    STALE_SUMMARY = "stale-summary"  # material edits made since the summary was written
    CANCELLED = "notice-cancelled"  # legal cancelled the notice; the version waits

    @property
    def blocking(self) -> bool:
        """Whether `check` fails on it (a late notice on record is handled, only told)."""
        return self is not ProblemKind.LATE


@dataclass(frozen=True)
class StateProblem:
    kind: ProblemKind
    policy: str
    effective: dt.date
    path: str  # the file of the version, for `path:line: message`
    field: str  # the front-matter key the message is about (its line is shown)
    message: str  # says what is wrong and how to fix it
    reasons: tuple[str, ...] = ()
    variant: str | None = None  # the regional variant's id (None: the general one)

    def __str__(self) -> str:
        return f"{label(self.policy, self.variant)}@{self.effective}: {self.message}"


@dataclass(frozen=True)
class Held:
    """A version whose text was fixed (announced or in force) and edited later (shell input).

    `text` and `commit` are what was fixed; `verdict` judges the later edit against it."""

    text: str
    commit: Commit
    verdict: Verdict
    by_notice: bool  # fixed by its notice (else by taking effect)
    fixed_at: dt.datetime  # when it was fixed
    edits: tuple[Commit, ...]  # the commits after it was fixed


@dataclass(frozen=True)
class SummaryFacts:
    """What a material version's summary covers (shell input, from its commits)."""

    summary: str | None
    # Material changes made after the summary was last written or confirmed.
    unreviewed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Withdrawn:
    version: Version
    by: Commit  # the commit that gave the file another date before this one arrived


@dataclass(frozen=True)
class PolicyState:
    """One policy at `now`. `versions` carry the texts in effect (held-back edits out)."""

    policy: str
    now: dt.datetime
    versions: tuple[VersionPlan, ...]  # by effective date
    in_force: VersionPlan | None
    upcoming: VersionPlan | None  # the next version to take effect (or awaiting its notice)
    banner: Banner | None
    withdrawn: tuple[Withdrawn, ...] = ()
    held: tuple[tuple[dt.date, Held], ...] = ()  # every fixed version edited later
    problems: tuple[StateProblem, ...] = ()
    # The regional variant this timeline is (docs/languages.md): its id and the countries
    # it applies to. The general variant is `Variant(id=None, countries=None)` (every
    # country no other variant names); the builder always sets it, None only in states
    # made by hand. `variants` are all of the policy's, for `regions.audience`.
    variant: Variant | None = None
    variants: tuple[Variant, ...] = ()

    @property
    def variant_id(self) -> str | None:
        return None if self.variant is None else self.variant.id

    @property
    def timeline(self) -> str:
        """`privacy-policy`, or `privacy-policy.eea` for a variant: a key per timeline."""
        return timeline_key(self.policy, self.variant_id)

    @property
    def label(self) -> str:
        """How commands name it: `privacy-policy (eea)`."""
        return label(self.policy, self.variant_id)

    def languages(self, effective: dt.date) -> tuple[str, ...]:
        """The languages the version of `effective` is translated into (not the source's)."""
        vp = self.plan(effective)
        return () if vp is None else tuple(t.language for t in vp.version.translations)

    def plan(self, effective: dt.date) -> VersionPlan | None:
        return next((p for p in self.versions if p.version.effective == effective), None)

    @property
    def notice_window(self) -> tuple[dt.datetime, dt.datetime | None] | None:
        """(when the upcoming version's e-mail is due, when it takes effect), if material."""
        nxt = self.upcoming
        if nxt is None or not nxt.material or nxt.notice_due_at is None:
            return None
        return nxt.notice_due_at, nxt.switch_at

    def key(self) -> tuple[object, ...]:
        """What the public pages of this policy depend on at `now` (a cache key)."""
        def ident(vp: VersionPlan | None) -> object:
            return None if vp is None else (vp.version.effective, vp.version.final.sha,
                                            vp.switch_at)
        return (ident(self.in_force), ident(self.upcoming), self.banner)


def freeze_point(vp: VersionPlan) -> tuple[dt.datetime, str | None] | None:
    """When a version's text became fixed, and the commit its notice announced (if any):
    at the start of its notice, or else when it took effect. None: not fixed (yet)."""
    if vp.notice is not None:
        return vp.notice.started_at, vp.notice.version
    if vp.switch_at is not None:
        return vp.switch_at, None
    return None


def fixed_commit(vp: VersionPlan) -> Commit | None:
    """The commit whose text was fixed, when later commits changed the version; None when
    the final text is the fixed one (or nothing is fixed yet)."""
    point = freeze_point(vp)
    if point is None:
        return None
    moment, announced = point
    v = vp.version
    if announced is not None:
        if announced == v.final.sha:
            return None
        found = next((c for c in v.commits if c.sha == announced), None)
        return found or Commit(announced, "", moment, "")
    before = [c for c in v.commits if c.date <= moment]
    # A version committed after its date (a backdated fix) took effect when it landed.
    chosen = before[-1] if before else v.introduced
    return None if chosen.sha == v.final.sha else chosen


def in_effect(version: Version, held: Held | None) -> Version:
    """The version as it is live: a material edit made after it was fixed is held back."""
    if held is None or not held.verdict.material:
        return version
    shas = [c.sha for c in version.commits]
    kept = version.commits[:shas.index(held.commit.sha) + 1] if held.commit.sha in shas \
        else (held.commit,)
    return replace(version, text=held.text, final=held.commit, commits=kept)


def _day(moment: dt.datetime, s: Settings) -> str:
    return moment.astimezone(s.zone).date().isoformat()


def _problems(policy: str, plans: Sequence[VersionPlan], live: VersionPlan | None,
              nxt: VersionPlan | None, held: Mapping[dt.date, Held],
              summaries: Mapping[dt.date, SummaryFacts], s: Settings,
              now: dt.datetime) -> list[StateProblem]:
    out: list[StateProblem] = []
    fix = f"set effective to {earliest_effective(now, s)} or later"
    for vp in plans:
        v = vp.version
        h = held.get(v.effective)
        if h is not None and h.verdict.material:
            kind = ProblemKind.EDITED_AFTER_NOTICE if h.by_notice \
                else ProblemKind.EDITED_AFTER_EFFECT
            what = "its notice went out" if h.by_notice else "it took effect"
            shas = ", ".join(c.short for c in h.edits) or "a later commit"
            out.append(StateProblem(
                kind, policy, v.effective, v.path, "effective",
                f"the text of the version of {v.effective} was changed materially ({shas}) "
                f"after {what} on {_day(h.fixed_at, s)}"
                f": the text {'announced' if h.by_notice else 'that took effect'} stays live "
                f"and the edit is held back; restore that text, and put the change in a new "
                f"version (a new effective date) with its own notice: {fix}",
                h.verdict.reasons))
    for vp in (x for x in (live, nxt) if x is not None):
        if not vp.material or vp.notice_due_at is None:
            continue
        v = vp.version
        assumed = vp.notice is not None and vp.notice.assumed
        if assumed and vp is not live and now > vp.notice_due_at + ON_TIME_GRACE:
            out.append(StateProblem(
                ProblemKind.OVERDUE, policy, v.effective, v.path, "effective",
                f"this version is MATERIAL and its notice was due on "
                f"{_day(vp.notice_due_at, s)}, and no notice is on record (no database): "
                f"it cannot get its {s.notice_days} days' notice anymore; {fix}",
                vp.verdict.reasons if vp.verdict else ()))
        elif assumed:
            continue  # nothing on record tells whether the version in force was noticed
        elif vp.notice is None and now > vp.notice_due_at + ON_TIME_GRACE:
            if vp is live:
                tail = (f"it took effect on {v.effective} without notice (late notice policy: "
                        "warn)")
            elif s.late is LatePolicy.POSTPONE:
                tail = ("it will not take effect until a notice has run its full "
                        f"{s.notice_days} days")
            else:
                tail = f"it can no longer get its {s.notice_days} days' notice"
            out.append(StateProblem(
                ProblemKind.OVERDUE, policy, v.effective, v.path, "effective",
                f"this version is MATERIAL and its notice was due on "
                f"{_day(vp.notice_due_at, s)}, but none has gone out: {tail}; {fix}",
                vp.verdict.reasons if vp.verdict else ()))
        elif vp.notice is not None and vp.notice.cancelled:
            out.append(StateProblem(
                ProblemKind.CANCELLED, policy, v.effective, v.path, "effective",
                "the notice of this MATERIAL version was cancelled: "
                + ("it will not take effect, and no new notice starts by itself"
                   if vp.switch_at is None else "it still takes effect without the rest of "
                   "its notice (late notice policy: warn)")
                + "; withdraw the version, or give it a new date, or start its notice again "
                f"with 'policybook notices send {v.policy}@{v.effective} --again'"))
        elif vp.late_by is not None and vp.notice is not None:
            switch = (f"postponed to {_day(vp.switch_at, s)}" if vp.postponed and vp.switch_at
                      else f"on {v.effective}")
            out.append(StateProblem(
                ProblemKind.LATE, policy, v.effective, v.path, "effective",
                f"its notice started on {_day(vp.notice.started_at, s)}, after it was due on "
                f"{_day(vp.notice_due_at, s)}; it takes effect {switch}"))
    if nxt is not None and nxt.material:
        v = nxt.version
        facts = summaries.get(v.effective)
        if facts is not None and not (facts.summary or "").strip():
            out.append(StateProblem(
                ProblemKind.NO_SUMMARY, policy, v.effective, v.path, "effective",
                "this version is MATERIAL and has no summary: the notice e-mail and the "
                "banner tell every account holder what changes; add a plain-language "
                "`summary:` to its front matter"))
        elif facts is not None and facts.unreviewed:
            n = len(facts.unreviewed)
            out.append(StateProblem(
                ProblemKind.STALE_SUMMARY, policy, v.effective, v.path, "summary",
                f"{n} material change{'s were' if n != 1 else ' was'} made after its summary "
                f"was written ({'; '.join(facts.unreviewed[:3])}{'; ...' if n > 3 else ''}): "
                f"update `summary:` to cover {'them' if n != 1 else 'it'}, or, if it still "
                f"holds, add `{SUMMARY_CONFIRMED}: <today's date>` to the front matter",
                facts.unreviewed))
    return out


def policy_state(policy: str, versions: Sequence[Version], verdicts: Mapping[dt.date, Verdict],
                 notices: Mapping[dt.date, NoticeRecord], settings: Settings, now: dt.datetime,
                 *, held: Mapping[dt.date, Held] | None = None,
                 summaries: Mapping[dt.date, SummaryFacts] | None = None,
                 withdrawn: Sequence[Withdrawn] = (), tracked: bool = True,
                 variant: Variant | None = None,
                 variants: Sequence[Variant] = ()) -> PolicyState:
    """The state of one policy at `now`. `versions` are as committed; `held` names the
    fixed versions edited later (`verdicts` must judge the texts in effect); `tracked`
    is False without a database (`notices` are then assumed, see `assumed_notices`)."""
    plans = planned(versions, verdicts, notices, settings, held=held, tracked=tracked)
    return state_at(policy, plans, settings, now, held=held, summaries=summaries,
                    withdrawn=withdrawn, variant=variant, variants=variants)


def planned(versions: Sequence[Version], verdicts: Mapping[dt.date, Verdict],
            notices: Mapping[dt.date, NoticeRecord], settings: Settings, *,
            held: Mapping[dt.date, Held] | None = None,
            tracked: bool = True) -> tuple[VersionPlan, ...]:
    """The timeline of the texts in effect (it does not depend on `now`: keep it)."""
    held = held or {}
    live_versions = [in_effect(v, held.get(v.effective)) for v in versions]
    if not tracked:
        notices = assumed_notices(live_versions, verdicts, settings)
    return plan_versions(live_versions, verdicts, notices, settings)


def state_at(policy: str, plans: tuple[VersionPlan, ...], settings: Settings,
             now: dt.datetime, *, held: Mapping[dt.date, Held] | None = None,
             summaries: Mapping[dt.date, SummaryFacts] | None = None,
             withdrawn: Sequence[Withdrawn] = (), variant: Variant | None = None,
             variants: Sequence[Variant] = ()) -> PolicyState:
    """The state at `now` from a policy's (or a variant's) timeline (see `planned`)."""
    held = held or {}
    live, nxt = current(plans, now), next_up(plans, now)
    problems = _problems(policy, plans, live, nxt, held, summaries or {}, settings, now)
    if variant is not None and variant.id is not None:
        problems = [replace(p, variant=variant.id) for p in problems]
    return PolicyState(policy, now, plans, live, nxt, banner(plans, now, settings),
                       tuple(withdrawn), tuple(sorted(held.items())), tuple(problems),
                       variant, tuple(variants))


def assumed_notices(versions: Sequence[Version], verdicts: Mapping[dt.date, Verdict],
                    settings: Settings) -> dict[dt.date, NoticeRecord]:
    """No database, nothing on record: each material notice is taken to have started when
    it was due, or when its version was committed if that was later (no notice can precede
    its text). So versions switch on their dates unless committed too late, and a late one
    is postponed (or not) as `settings.late` says, as a late notice on record would be.
    A version committed after its effective date records history after the fact (an
    import): it is taken as dated."""
    plans = plan_versions(versions, verdicts, {}, replace(settings, late=LatePolicy.WARN))
    out: dict[dt.date, NoticeRecord] = {}
    for p in plans:
        if p.notice_due_at is None:
            continue
        committed = p.version.introduced.date
        start = p.notice_due_at if committed >= p.effective_at \
            else max(p.notice_due_at, committed)
        out[p.version.effective] = NoticeRecord(p.version.policy, p.version.effective, start,
                                                None, assumed=True)
    return out


@dataclass(frozen=True)
class State:
    """Every policy at `now`, and what it was computed from."""

    now: dt.datetime
    head: str | None  # the git commit read
    policies: tuple[PolicyState, ...]
    tracked: bool  # a database is on record (else see `untracked`)
    skipped: tuple[str, ...] = ()  # files the history could not read, as messages

    def policy(self, policy: str, variant: str | None = None) -> PolicyState | None:
        """The timeline of `policy`'s `variant` (None: its general one)."""
        return next((p for p in self.policies
                     if p.policy == policy and p.variant_id == variant), None)

    def timelines(self, policy: str) -> tuple[PolicyState, ...]:
        """Every variant of `policy`, the general one first."""
        return tuple(p for p in self.policies if p.policy == policy)

    @property
    def problems(self) -> tuple[StateProblem, ...]:
        return tuple(pr for p in self.policies for pr in p.problems)


def next_event(state: State, settings: Settings) -> dt.datetime | None:
    """The first moment after `state.now` at which a state built from the same inputs (the
    same history and notices on record) may differ: a notice falls due (or overdue), a
    banner starts or ends, a version switches, a notice period ends. None: nothing known
    is ahead. Until then a tick that found nothing to do has nothing to do (the quiet
    tick, `workflows/quiet.py`).

    Every threshold that `timeline` and `_problems` compare `now` with is a candidate;
    a few candidates at which nothing visible changes cost one full tick each, a missing
    one would skip a notice, so the list errs on the side of more."""
    now = state.now
    recent = dt.timedelta(days=settings.recently_updated_days)
    period = dt.timedelta(days=settings.notice_days)
    moments: list[dt.datetime] = []
    for policy in state.policies:
        for vp in policy.versions:
            moments.append(vp.effective_at)
            if vp.notice_due_at is not None:
                moments += [vp.notice_due_at, vp.notice_due_at + ON_TIME_GRACE]
            if vp.switch_at is not None:
                moments += [vp.switch_at, vp.switch_at + recent]
            if vp.notice is not None:
                moments += [vp.notice.started_at, vp.notice.started_at + period]
        if policy.banner is not None and policy.banner.until is not None:
            moments.append(policy.banner.until)
        for _, held in policy.held:
            moments.append(held.fixed_at)
    return min((m for m in moments if m > now), default=None)
