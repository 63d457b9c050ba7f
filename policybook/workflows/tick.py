"""One tick of the scheduler: sync the plan from git, create due notices, send, publish.

The project's own tables are the truth and every step is idempotent, so a tick can run
at any moment, any number of times, in any process holding the scheduler lock (or by
hand with `policybook run --once --now ...`): a notice is created once (a unique key),
a delivery is sent once per account (the ledger), and a transition is recorded once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..alerts import AlertKind, notify
from ..config import Config
from ..mail.base import Mailer
from ..mail.facts import plain_reasons
from ..state import StateProblem, next_event
from ..store import (
    NoticeReason,
    NoticeSpec,
    NoticeState,
    Store,
    audit,
    cancel_notice,
    create_notice,
    list_notices,
    notice_links,
)
from ..store.notices import OPEN_STATES, audit_entries
from ..timeline import VersionPlan, days_text, notice_start, notices_due, switch_after
from .assessing import parsed
from .notices import SendReport, open_store, send_due
from .planning import Plans, Records, settings
from .state import StateBuilder, plans_of

log = logging.getLogger(__name__)

Publisher = Callable[[Config, Plans], str | None]


@dataclass(frozen=True)
class CreatedNotice:
    notice_id: int
    key: str
    due_at: dt.datetime
    late_by: dt.timedelta | None  # None: on time
    period_given: dt.timedelta  # from now to the switch (the effective moment, or later)


@dataclass(frozen=True)
class TickReport:
    now: dt.datetime
    head: str | None
    plans: Plans
    created: tuple[CreatedNotice, ...] = ()
    sends: tuple[SendReport, ...] = ()
    in_force: tuple[str, ...] = ()  # versions first recorded as in force by this tick
    published: str | None = None
    warnings: tuple[str, ...] = ()
    # What is wrong with the state (a material edit held back, an overdue notice): told
    # at every tick until fixed (the scheduler logs each once).
    problems: tuple[StateProblem, ...] = ()
    # Nothing done, nothing open, nothing to tell: until `next_event` (None: no event
    # known ahead) a tick from the same inputs does nothing either (workflows/quiet.py).
    quiet: bool = False
    next_event: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return all(s.error is None for s in self.sends)

    def lines(self) -> list[str]:
        out = [f"tick at {self.now.isoformat(timespec='seconds')} "
               f"(git {self.head[:10] if self.head else 'empty'})"]
        for c in self.created:
            late = (f"; LATE by {days_text(c.late_by)}, notice period given "
                    f"{days_text(c.period_given)}" if c.late_by else "")
            out.append(f"notice {c.notice_id} created for {c.key} (due "
                       f"{c.due_at.isoformat(timespec='minutes')}){late}")
        out += [s.summary() for s in self.sends if s.sent or s.failed or s.added or s.error]
        out += list(self.in_force)
        if self.published:
            out.append(f"site published to {self.published}")
        out += [f"warning: {w}" for w in self.warnings]
        out += [f"warning: {p}" for p in self.problems]
        if len(out) == 1:
            out.append("nothing to do")
        return out


def notice_spec(config: Config, plans: Plans, vp: VersionPlan, now: dt.datetime) -> NoticeSpec:
    """What the notice of `vp` says when it is created at `now` (the preview shows this)."""
    version = vp.version
    doc = parsed(version.text, version.path)
    assessment = plans.assessments[version.timeline][version.effective]
    upcoming_url, changes_url = notice_links(config.base_url, version.policy, version.effective,
                                             version.variant)
    reasons = tuple(NoticeReason(r.text, r.section) for r in plain_reasons(assessment))
    assert vp.notice_due_at is not None
    return NoticeSpec(policy=version.policy, effective=version.effective,
                      version=version.final.sha, title=doc.title,
                      summary=doc.front.summary or assessment.summary(), reasons=reasons,
                      upcoming_url=upcoming_url, changes_url=changes_url,
                      due_at=vp.notice_due_at,
                      # What the e-mail announces: the switch as this notice makes it (a
                      # late notice postpones it, unless the config says only warn).
                      effective_at=switch_after(vp.effective_at,
                                                notice_start(now, vp.notice_due_at),
                                                settings(config, Records())),
                      variant=version.variant)


Created = tuple[int, str, str | None, dt.date]  # (notice id, policy, variant, effective)


def create_due_notices(config: Config, store: Store, plans: Plans,
                       now: dt.datetime) -> tuple[Created, ...]:
    """Create the notice of every material version that is due (of each variant)."""
    created: list[Created] = []
    for policy_plan in plans.policies:
        for vp in notices_due(policy_plan, now):
            with store.write() as conn:
                notice, new = create_notice(conn, notice_spec(config, plans, vp, now), now)
            if new:
                created.append((notice.id, vp.version.policy, vp.version.variant,
                                vp.version.effective))
                notify(config, AlertKind.CREATED, notice.id, notice.key, now,
                       f"notice {notice.id} created, due {notice.due_at:%Y-%m-%d %H:%M} UTC")
    return tuple(created)


def describe_created(config: Config, store: Store, plans: Plans,
                     created: tuple[Created, ...], now: dt.datetime
                     ) -> tuple[CreatedNotice, ...]:
    """How timely each new notice is, from the plan made with it on record; a late one
    is logged and audited with the notice period it actually gives."""
    out: list[CreatedNotice] = []
    for notice_id, policy, variant, effective in created:
        policy_plan = plans.policy(policy, variant)
        vp = next(p for p in policy_plan.versions if p.version.effective == effective) \
            if policy_plan else None
        if vp is None or vp.notice_due_at is None or vp.switch_at is None:
            continue
        late_by = vp.late_by
        given = vp.notice_period_given or (vp.switch_at - now)
        key = vp.version.key
        if late_by is not None:
            with store.write() as conn:
                audit(conn, "notice.late", f"notice:{notice_id}", now, {
                    "policy": policy, "variant": variant, "effective": effective.isoformat(),
                    "due_at": vp.notice_due_at.isoformat(),
                    "late_by_seconds": int(late_by.total_seconds()),
                    "period_given_seconds": int(given.total_seconds()),
                    "switch_at": vp.switch_at.isoformat(), "postponed": vp.postponed})
            notify(config, AlertKind.LATE, notice_id, key, now,
                   f"notice {notice_id} is late by {days_text(late_by)}; notice period "
                   f"given: {days_text(given)}", postponed=vp.postponed)
            log.warning("notice %d for %s is late by %s; notice period given: %s%s",
                        notice_id, key, days_text(late_by), days_text(given),
                        " (the switch is postponed)" if vp.postponed else "")
        out.append(CreatedNotice(notice_id, key, vp.notice_due_at, late_by, given))
    return tuple(out)


def cancel_obsolete(store: Store, plans: Plans, now: dt.datetime) -> tuple[str, ...]:
    """Withdraw open notices whose version was rescheduled or replaced before it took
    effect: nothing more is sent for them. (A notice whose version's text was changed
    materially after it went out stands: the announced text stays live, see state.py.)"""
    withdrawn = {(w.version.policy, w.version.variant, w.version.effective): w.by
                 for p in plans.policies for w in p.withdrawn}
    done: list[str] = []
    with store.write() as conn:
        for notice in list_notices(conn, (*OPEN_STATES, NoticeState.PAUSED)):
            by = withdrawn.get((notice.policy, notice.variant, notice.effective))
            if by is None:
                continue
            why = (f"the version of {notice.effective} was withdrawn by commit {by.short} "
                   "before it took effect")
            stopped = cancel_notice(conn, notice.id, now, why)
            done.append(f"notice {notice.id} ({notice.key}) cancelled: {why} ({stopped} "
                        "e-mails not sent)")
            log.warning("notice %d (%s) cancelled: %s", notice.id, notice.key, why)
    return tuple(done)


def record_in_force(store: Store, plans: Plans, now: dt.datetime) -> tuple[str, ...]:
    """Record, once, each version that has come into force (the switch, for the audit);
    the first tick also records the versions already in force when tracking began."""
    recorded: list[str] = []
    with store.write() as conn:
        for policy_plan in plans.policies:
            live = policy_plan.in_force
            if live is None:
                continue
            subject = f"version:{live.version.key}"
            if any(e.kind == "version.in_force" for e in audit_entries(conn, subject)):
                continue
            audit(conn, "version.in_force", subject, now, {
                "commit": live.version.final.sha,
                "switch_at": live.switch_at.isoformat() if live.switch_at else None,
                "effective": live.version.effective.isoformat(),
                "material": live.material,
                "postponed": live.postponed})
            since = live.switch_at.isoformat(timespec="minutes") if live.switch_at else "?"
            recorded.append(f"{live.version.key} in force since {since}")
    return tuple(recorded)


def _open_notices(store: Store) -> bool:
    """Whether a notice is still sending, or waiting to: its e-mails, retries and the
    accounts it still adds are the ledger's business, never a quiet tick's."""
    with store.read() as conn:
        return bool(list_notices(conn, OPEN_STATES))


def tick(config: Config, now: dt.datetime, *, store: Store | None = None,
         mailer: Mailer | None = None, publish: Publisher | None = None,
         builder: StateBuilder | None = None) -> TickReport:
    """Run every step once, as of `now`, from one state (`builder`: the process's own;
    its history cache reads git only when the branch head moved)."""
    store, own_store = open_store(config, store, now)
    builder = builder or StateBuilder(config, store)
    try:
        plans = plans_of(builder, now)
        cancelled = cancel_obsolete(store, plans, now)
        new = create_due_notices(config, store, plans, now)
        if new or cancelled:  # the switch moments depend on the notices now on record
            plans = plans_of(builder, now)
        created = describe_created(config, store, plans, new, now)
        sends = send_due(config, now, store=store, mailer=mailer, history=builder.history)
        in_force = record_in_force(store, plans, now)
        published = publish(config, plans) if publish is not None else None
        warnings = cancelled + plans.state.skipped
        problems = tuple(p for p in plans.state.problems if p.kind.blocking)
        quiet = not (new or created or sends or in_force or published or warnings
                     or problems) and not _open_notices(store)
        report = TickReport(now, plans.head, plans, created, sends, in_force, published,
                            warnings, problems, quiet,
                            next_event(plans.state, settings(config, Records()))
                            if quiet else None)
        log.info("tick: %d notices created, %d e-mails sent, %d versions now in force",
                 len(created), sum(s.sent for s in sends), len(in_force))
        return report
    finally:
        if own_store:
            store.close()
