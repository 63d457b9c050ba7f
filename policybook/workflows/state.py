"""Building the one state of every policy (shell): git history + verdicts + notices -> State.

Every surface asks a `StateBuilder` (made once per process by `workflows.wiring`) for the
`State` at its `now`. The builder reads the git history through one cache (re-read only
when the branch head moves) and the notices on record (one small query), and keeps what
it derived from them (verdicts, held-back edits, summary facts) until either changes:
computing a state for another `now` is then a pass over a few dates per policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..config import Config
from ..document import SUMMARY_CONFIRMED
from ..errors import HistoryError
from ..history import History, HistoryCache, policy_text_at
from ..regions import Variant, check_declaration, read_declaration, timeline_key
from ..state import (
    Held,
    PolicyState,
    State,
    SummaryFacts,
    Withdrawn,
    assumed_notices,
    fixed_commit,
    freeze_point,
    in_effect,
    planned,
    state_at,
)
from ..timeline import NoticeRecord, Settings, Verdict, VersionPlan, plan_versions
from ..versions import WORKING_TREE, Commit, Version, by_timeline
from .assessing import Judgement, assess_texts, front_matter, judgements, parsed, verdict_of
from .planning import OnRecord, Plans, Records, read_records, settings

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a database exists
    from ..store import Store


class HistorySource(Protocol):
    """Where versions come from: the branch (a `HistoryCache`), or it plus drafts."""

    def get(self) -> History: ...


@lru_cache(maxsize=512)
def text_at(root: Path, policy: str, sha: str, content_dir: str,
            variant: str | None = None) -> str | None:
    """The text of `policy` (its `variant`) in commit `sha` (None if the commit or the
    file is gone). A commit never changes, so it is read from git once per process."""
    try:
        return policy_text_at(root, policy, sha, content_dir, variant)[1]
    except (HistoryError, ValueError):  # a commit gone from a rewritten branch, say
        return None


@dataclass
class _Derived:
    """What a history and a set of notices imply, whatever `now` is (kept between calls)."""

    held: dict[str, dict[dt.date, Held]] = field(default_factory=dict)
    summaries: dict[tuple[str, dt.date, str], SummaryFacts] = field(default_factory=dict)
    planned: dict[str, tuple[tuple[VersionPlan, ...], dict[dt.date, Held],
                             dict[dt.date, SummaryFacts]]] = field(default_factory=dict)


def _after(v: Version, commit: Commit) -> tuple[Commit, ...]:
    """The commits of `v` after `commit` (in history order: dates can tie)."""
    shas = [c.sha for c in v.commits]
    if commit.sha in shas:
        return v.commits[shas.index(commit.sha) + 1:]
    return tuple(c for c in v.commits if c.date > commit.date)


def timeline_variants(config: Config,
                      timelines: Mapping[tuple[str, str | None], tuple[Version, ...]]
                      ) -> dict[tuple[str, str | None], Variant]:
    """Each timeline's variant, as its newest version declares it (the file as it
    stands): countries outside any region or code are left out (`check` says so). What
    the state names each policy's variants by, and what a notice's audience is cut from."""
    regions = config.region_map
    policies = {p for p, _ in timelines}
    out: dict[tuple[str, str | None], Variant] = {}
    for (policy, variant), versions in timelines.items():
        newest = versions[-1]
        declared = read_declaration(newest.text)
        found, _ = check_declaration(declared, newest.path, policy, regions, policies)
        out[(policy, variant)] = found if found.id == variant else Variant(
            policy, variant, found.countries, newest.path, found.line)
    return out


class StateBuilder:
    """Builds `State` values for any `now` from one history cache and the store."""

    def __init__(self, config: Config, store: Store | OnRecord | None = None, *,
                 history: HistorySource | None = None, ref: str | None = None) -> None:
        self.config, self.store = config, store
        self.history_source: HistorySource = history or HistoryCache(
            config.root, ref, config.content_dir, config.zone)
        self.history_reads = 0  # how many times a new history was read (see tests)
        self._lock = threading.RLock()
        self._key: tuple[object, ...] | None = None
        self._history: History | None = None
        self._records = Records()
        self._derived = _Derived()
        self._memo: tuple[tuple[object, ...], State] | None = None

    # ------------------------------------------------------------- inputs

    @property
    def history(self) -> History | None:
        """The history the last `refresh` read (None before any): what the tick's other
        steps (the letters' translations, a notice's audience) read instead of git."""
        return self._history

    def refresh(self) -> tuple[History, Records]:
        """The current history and notices; derived facts are dropped when either moved."""
        with self._lock:
            history = self.history_source.get()
            records = read_records(self.store)
            key = (history.head, id(history), records)
            if key != self._key:
                if self._history is None or self._history is not history:
                    self.history_reads += 1
                self._key, self._history, self._records = key, history, records
                self._derived = _Derived()
            return history, records

    def revision(self) -> str:
        """A token that changes whenever a state may change for a given `now`."""
        history, records = self.refresh()
        digest = hashlib.sha256(repr((history.head, records)).encode()).hexdigest()[:16]
        return f"{history.head or 'empty'}:{digest}:{id(history)}"

    def tracked(self, records: Records) -> bool:
        return records.tracking_since is not None

    # ------------------------------------------------------------- the state

    def state(self, now: dt.datetime, *, fresh: bool = False) -> State:
        """The state at `now` from what the last `refresh()` (or `revision()`) read: the
        site refreshes at most every few seconds, not at every request. `fresh=True`
        refreshes first (the tick, at each run)."""
        with self._lock:
            if fresh or self._history is None:
                self.refresh()
            history, records = self._history, self._records
            assert history is not None
            memo = self._memo
            if memo is not None and memo[0] == (self._key, now):
                return memo[1]
            chosen = settings(self.config, records)
            withdrawn = [Withdrawn(v, by) for v, by in history.withdrawn]
            timelines = by_timeline(history.versions)
            variants = self._variants(timelines)
            policies = tuple(
                self._policy(policy, versions, records, chosen, now,
                             tuple(w for w in withdrawn
                                   if (w.version.policy, w.version.variant) == (policy, variant)),
                             variants[(policy, variant)],
                             tuple(v for (p, _), v in variants.items() if p == policy))
                for (policy, variant), versions in timelines.items())
            state = State(now, history.head, policies, self.tracked(records),
                          tuple(str(p) for p in history.problems))
            self._memo = ((self._key, now), state)
            return state

    def _variants(self, timelines: Mapping[tuple[str, str | None], tuple[Version, ...]]
                  ) -> dict[tuple[str, str | None], Variant]:
        return timeline_variants(self.config, timelines)

    def assessments(self, state: PolicyState) -> Mapping[dt.date, Judgement]:
        """The full assessment of each version's change (of the texts in effect)."""
        return judgements([vp.version for vp in state.versions], self.config.root)

    def _notices(self, policy: str, variant: str | None,
                 records: Records) -> dict[dt.date, NoticeRecord]:
        out: dict[dt.date, NoticeRecord] = {}
        # The first notice of a version counts (a later one re-sent it, say), and one
        # that stands counts before a cancelled one. A variant's notices are its own.
        ordered = sorted(records.notices, key=lambda n: n.started_at, reverse=True)
        for n in sorted(ordered, key=lambda n: not n.cancelled):
            if (n.policy, n.variant) == (policy, variant):
                out[n.effective] = NoticeRecord(n.policy, n.effective, n.started_at, n.version,
                                                paused=n.paused, cancelled=n.cancelled)
        return out

    def _policy(self, policy: str, versions: tuple[Version, ...], records: Records,
                chosen: Settings, now: dt.datetime,
                withdrawn: tuple[Withdrawn, ...], variant: Variant,
                variants: tuple[Variant, ...]) -> PolicyState:
        timeline = timeline_key(policy, variant.id)
        found = self._derived.planned.get(timeline)
        if found is None:  # what does not depend on `now`: kept until the inputs move
            tracked = self.tracked(records)
            notices = self._notices(policy, variant.id, records)
            held = self._held(timeline, versions, notices, chosen, tracked)
            live = [in_effect(v, held.get(v.effective)) for v in versions]
            verdicts = {d: verdict_of(a) for d, a in judgements(live, self.config.root).items()}
            # Only a version still to come is judged on its summary, and a policy has at
            # most one (the file states the next version): its newest.
            newest = max(live, key=lambda v: v.effective, default=None)
            summaries = {newest.effective: self._summary(newest)} if newest else {}
            plans = planned(versions, verdicts, notices, chosen, held=held, tracked=tracked)
            found = self._derived.planned[timeline] = (plans, held, summaries)
        plans, held, summaries = found
        return state_at(policy, plans, chosen, now, held=held, summaries=summaries,
                        withdrawn=withdrawn, variant=variant, variants=variants)

    def _held(self, timeline: str, versions: tuple[Version, ...],
              notices: Mapping[dt.date, NoticeRecord], chosen: Settings,
              tracked: bool) -> dict[dt.date, Held]:
        """Versions whose text was fixed and changed later. The fixed text changes the
        verdicts of what follows, which can change what is fixed: settle in a few passes."""
        cacheable = True  # the settings do not depend on `now`
        if cacheable and timeline in self._derived.held:
            return self._derived.held[timeline]
        held: dict[dt.date, Held] = {}
        for _ in range(4):
            live = [in_effect(v, held.get(v.effective)) for v in versions]
            verdicts = {d: verdict_of(a)
                        for d, a in judgements(live, self.config.root).items()}
            plans = plan_versions(live, verdicts, notices if tracked else
                                  assumed_notices(live, verdicts, chosen), chosen)
            found: dict[dt.date, Held] = {}
            for vp, original in zip(plans, sorted(versions, key=lambda v: v.effective),
                                    strict=True):
                h = self._held_one(replace(vp, version=original))
                if h is not None:
                    found[original.effective] = h
            if found == held:
                break
            held = found
        if cacheable:
            self._derived.held[timeline] = held
        return held

    def _held_one(self, vp: VersionPlan) -> Held | None:
        """The text in effect of a fixed version edited later: the fixed text with every
        later editorial edit applied, up to the first material one (held back from there)."""
        fixed = fixed_commit(vp)
        point = freeze_point(vp)
        if fixed is None or point is None:
            return None
        v = vp.version
        if v.final.sha == WORKING_TREE:
            return None  # a preview shows the editor's draft as it reads
        text = text_at(self.config.root, v.policy, fixed.sha, self.config.content_dir,
                       v.variant)
        if text is None or text == v.text:
            return None
        kept = fixed
        later = list(_after(v, fixed))
        for c in later:
            newer = v.text if c.sha == v.final.sha else text_at(
                self.config.root, v.policy, c.sha, self.config.content_dir, v.variant)
            if newer is None:
                continue
            if assess_texts(text, v.path, newer, v.path).material:
                break
            text, kept = newer, c
        verdict = verdict_of(assess_texts(text, v.path, v.text, v.path)) if text != v.text \
            else Verdict(False)
        edits = _after(v, kept)
        if not verdict.material:
            # Only editorial edits: the final text is live; they are reported as edits.
            edits = tuple(later)
        return Held(text, kept, verdict, vp.notice is not None, point[0], edits)

    def _summary(self, v: Version) -> SummaryFacts:
        """The version's summary, and the material changes made after it was last written
        or confirmed (`summary-confirmed:` in the front matter; see README)."""
        key = (v.timeline, v.effective, v.final.sha)
        found = self._derived.summaries.get(key)
        if found is not None:
            return found
        summary = front_matter(v.text, v.path).summary
        facts = SummaryFacts(summary)
        if len(v.commits) > 1:
            reviewed = self._reviewed_text(v)
            if reviewed is not None and reviewed != v.text:
                a = assess_texts(reviewed, v.path, v.text, v.path)
                if a.material:
                    facts = SummaryFacts(summary, tuple(str(r) for r in a.main_reasons))
        self._derived.summaries[key] = facts
        return facts

    def _reviewed_text(self, v: Version) -> str | None:
        """The text of the newest commit that wrote or confirmed the summary."""
        def marks(text: str) -> tuple[str | None, str | None]:
            front = parsed(text, v.path).front
            return front.summary, dict(front.extra).get(SUMMARY_CONFIRMED)

        texts = [v.text if c.sha == v.final.sha else
                 text_at(self.config.root, v.policy, c.sha, self.config.content_dir, v.variant)
                 for c in v.commits]
        for i in range(len(texts) - 1, 0, -1):
            now_text, before = texts[i], texts[i - 1]
            if now_text is None or before is None:
                return None
            if marks(now_text) != marks(before):
                return now_text
        return texts[0]



def plans_of(builder: StateBuilder, now: dt.datetime) -> Plans:
    """The state at `now` with the full assessment of each version's change."""
    state = builder.state(now, fresh=True)
    return Plans(state, {p.timeline: builder.assessments(p) for p in state.policies})
