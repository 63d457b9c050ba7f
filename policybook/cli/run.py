"""The main job: `plan` (the timeline), `run` (site + scheduler), `scheduler` (alone)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from ..audience import plan_line
from ..config import Config
from ..errors import PolicybookError
from ..regions import describe_countries, split_name
from ..state import PolicyState, ProblemKind
from ..timeline import VersionPlan
from ..wiring import Wiring
from ..workflows.planning import NoticeKey, Plans, notice_facts
from ..workflows.state import plans_of
from .common import Env, echo_json, now_option, parse_now, pass_env

if TYPE_CHECKING:  # the scheduler (APScheduler) loads only for `run` and `scheduler`
    from ..audience import Reach
    from ..regions import Audience
    from ..scheduler import Ticker

log = logging.getLogger("policybook")


def _at(moment: dt.datetime | None, zone: Any) -> str:
    if moment is None:
        return "not yet known"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone}"


def _audience(count: int | None) -> str:
    return "every account holder" if count is None else f"{count:,} accounts"


def _who(plan: PolicyState, accounts: int | None, config: Config,
         told: int | None = None) -> str:
    """Who a notice of this timeline goes to: a regional variant tells only the accounts
    of its countries, the general variant every account no other variant covers. `told`:
    how many that is, when the accounts were counted (`accounts`: every active one)."""
    variant, others = plan.variant, [v for v in plan.variants if v != plan.variant]
    regions = config.region_map
    count = None if told is None else f"{told:,} account{'s' if told != 1 else ''}"
    if variant is not None and variant.countries is not None:
        which = f"variant {variant.id}" if variant.id else "a regional policy"
        return f"{count or 'the accounts'} in " \
            f"{describe_countries(variant.countries, regions)} ({which})"
    regional = [v for v in others if v.countries]
    if regional:
        names = ", ".join(v.id or "general" for v in regional)
        but = f"those of the variant{'s' * (len(regional) > 1)} {names}"
        return f"{count} (every account but {but})" if count else \
            f"every account holder except {but}"
    return count or _audience(accounts)


def describe(plan: PolicyState, plans: Plans, config: Config, accounts: int | None,
             notices: dict[NoticeKey, dict[str, Any]],
             audiences: Mapping[NoticeKey, tuple[Audience, Reach]] | None = None
             ) -> list[str]:
    """The timeline of one policy (or variant), in sentences a lawyer can read."""
    utc, zone = dt.UTC, config.zone
    live, nxt = plan.in_force, plan.upcoming
    name = plan.label
    lines: list[str] = []
    if nxt is None:
        since = f" since {_at(live.switch_at, zone)}" if live and live.switch_at else ""
        lines.append(f"{name}: the version of {live.version.effective} is in force{since}; "
                     "nothing upcoming." if live else f"{name}: no version yet.")
        return lines + [f"  problem: {p.message}" for p in plan.problems]
    v = nxt.version
    if not nxt.material:
        first = nxt.verdict is None
        lines.append(f"{name}: the version of {v.effective} is "
                     f"{'the first version' if first else 'EDITORIAL'}: no e-mail, no banner; "
                     f"in force {_at(nxt.switch_at, zone)}.")
    else:
        reasons = nxt.verdict.reasons if nxt.verdict else ()
        n = len(reasons)
        due = nxt.notice_due_at
        assert due is not None
        banner_from = due.astimezone(zone).date() if nxt.notice is None \
            or nxt.notice.assumed else \
            min(due, nxt.notice.started_at).astimezone(zone).date()
        assumed = nxt.notice is not None and nxt.notice.assumed  # no database
        if assumed and plans.now < due:
            switch = f"in force {_at(nxt.switch_at, zone)} once its notice goes out on time"
        elif assumed:
            switch = (f"in force {_at(nxt.switch_at, zone)} as dated (no notice is on "
                      "record: there is no database)")
        elif nxt.switch_at is not None:
            switch = f"in force {_at(nxt.switch_at, zone)}"
        elif plans.now < due:
            switch = f"in force {_at(nxt.effective_at, zone)} once its notice goes out on time"
        else:
            switch = "in force only once its notice has run its full period"
        told = (audiences or {}).get((plan.policy, v.variant, v.effective))
        whom = _who(plan, accounts, config, None if told is None else told[0].total)
        lines.append(f"{name}: the version of {v.effective} is MATERIAL ({n} reason"
                     f"{'s' if n != 1 else ''}). E-mail to {whom} due "
                     f"{_at(due, utc)}; banner from {banner_from}; {switch}.")
        if told is not None:
            lines.append("  " + plan_line(told[0], config.source_language, told[1].variant,
                                          plan.policy))
        lines += [f"  - {r}" for r in reasons]
        lines += _notice_lines(nxt, notices.get((plan.policy, v.variant, v.effective)), config,
                               plans.now)
    if live is not None:
        lines.append(f"  in force now: the version of {live.version.effective}"
                     + (f" (since {_at(live.switch_at, zone)})" if live.switch_at else ""))
    lines += [f"  problem: {p.message}" for p in plan.problems
              if p.kind is not ProblemKind.LATE]
    return lines


def _notice_lines(vp: VersionPlan, notice: dict[str, Any] | None, config: Config,
                  now: dt.datetime) -> list[str]:
    out: list[str] = []
    if notice is not None:
        totals = notice["deliveries"]
        counts = ", ".join(f"{count:,} {state}" for state, count in sorted(totals.items()))
        out.append(f"  notice {notice['id']}: {notice['state']}"
                   + (f" since {_at(notice['started_at'], dt.UTC)}" if notice["started_at"]
                      else "") + (f" ({counts})" if counts else ""))
    late = vp.late_by
    if notice is not None and notice.get("cancelled_at") is not None:
        return out + _cancelled_lines(vp, notice, config)
    if notice is not None and notice.get("paused_at") is not None:
        hold = (f"the version will not take effect until it is resumed and has run its full "
                f"{config.notice_days} days (late notice policy: postpone)"
                if vp.switch_at is None else
                f"the switch stays on {vp.version.effective} even so (late notice policy: "
                f"{config.late_notice})")
        out.append(f"  PAUSED on {_at(notice['paused_at'], dt.UTC)} by {notice['by']}"
                   + (f" ({notice['reason']})" if notice.get("reason") else "")
                   + f": no e-mail goes out until 'policybook notices resume {notice['id']}'; "
                   f"{hold}.")
        return out
    if late is not None and vp.notice is not None and not vp.notice.assumed:
        from ..timeline import days_text

        given = vp.notice_period_given
        tail = (f"the switch is postponed to {_at(vp.switch_at, config.zone)}" if vp.postponed
                else f"the switch stays on {vp.version.effective} "
                     f"(late notice policy: {config.late_notice})")
        out.append(f"  LATE: the notice started {_at(vp.notice.started_at, dt.UTC)}, "
                   f"{days_text(late)} after it was due; notice period given "
                   f"{days_text(given) if given else 'none'}; {tail}.")
    elif vp.switch_at is None and vp.notice_due_at is not None and now >= vp.notice_due_at:
        out.append("  awaiting its notice: the notice is overdue; the version will not take "
                   f"effect until {config.notice_days} days after the notice starts.")
    return out


def _cancelled_lines(vp: VersionPlan, notice: dict[str, Any], config: Config) -> list[str]:
    v = vp.version
    effect = ("it will not take effect (late notice policy: postpone), and no new notice "
              "starts by itself" if vp.switch_at is None else
              f"it still takes effect on {v.effective} without the rest of its notice (late "
              "notice policy: warn)")
    return [f"  notice {notice['id']} cancelled on {_at(notice['cancelled_at'], dt.UTC)} by "
            f"{notice['by'] or 'the scheduler'}: {notice['reason'] or 'no reason given'}; the "
            f"banner is withdrawn; {effect}.",
            "  next: withdraw the version, give it a new effective date (a new version with "
            "its own notice), or start its notice again with 'policybook notices send "
            f"{v.key} --again'."]


def _plan_json(plan: PolicyState, config: Config,
               notices: dict[NoticeKey, dict[str, Any]],
               audiences: Mapping[NoticeKey, tuple[Audience, Reach]] | None = None
               ) -> dict[str, Any]:
    def version(vp: VersionPlan | None) -> dict[str, Any] | None:
        if vp is None:
            return None
        v = vp.version
        notice = notices.get((v.policy, v.variant, v.effective))
        told = (audiences or {}).get((v.policy, v.variant, v.effective)) if vp.material \
            else None
        return {
            "audience": None if told is None else {
                "variant": told[1].variant, "accounts": told[0].total,
                "by_language": dict(told[0].by_language),
                "by_country": dict(told[0].by_country),
                "source_language_fallback": told[0].fallback},
            "effective": v.effective.isoformat(),
            "effective_at": vp.effective_at.isoformat(),
            "commit": v.final.sha,
            "verdict": None if vp.verdict is None else
            ("material" if vp.verdict.material else "editorial"),
            "material": vp.material,
            "overridden": bool(vp.verdict and vp.verdict.overridden),
            "reasons": list(vp.verdict.reasons) if vp.verdict else [],
            "notice_due_at": vp.notice_due_at.isoformat() if vp.notice_due_at else None,
            "switch_at": vp.switch_at.isoformat() if vp.switch_at else None,
            "postponed": vp.postponed,
            "late_by_seconds": int(vp.late_by.total_seconds()) if vp.late_by else None,
            "notice_period_given_seconds": int(vp.notice_period_given.total_seconds())
            if vp.notice_period_given else None,
            "notice": None if notice is None else {
                k: (value.isoformat() if isinstance(value, dt.datetime) else value)
                for k, value in notice.items()},
        }

    banner = plan.banner
    return {
        "policy": plan.policy,
        "variant": plan.variant_id,
        "countries": sorted(plan.variant.countries) if plan.variant is not None
        and plan.variant.countries is not None else None,
        "in_force": version(plan.in_force),
        "upcoming": version(plan.upcoming),
        "problems": [{"kind": str(p.kind), "effective": p.effective.isoformat(),
                      "message": p.message, "reasons": list(p.reasons)}
                     for p in plan.problems],
        "banner": None if banner is None else {
            "kind": str(banner.kind), "effective": banner.effective.isoformat(),
            "until": banner.until.isoformat() if banner.until else None},
    }


@click.command()
@click.argument("policy", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@now_option
@pass_env
def plan(env: Env, policy: str | None, as_json: bool, now: str | None) -> None:
    """The notice timeline: what is in force, what comes next, when notices go out.

    Each regional variant has its own timeline, named POLICY:VARIANT (privacy-policy:eea);
    POLICY alone plans every variant of the policy.

    \b
    Examples:
      policybook plan
      policybook plan privacy-policy --now 2026-12-16 --json
      policybook plan privacy-policy:eea
    """
    config = env.config
    moment = parse_now(now, config.zone)
    with Wiring.open(config, moment) as wiring:
        plans = plans_of(wiring.builder, moment)
        accounts, notices = notice_facts(config, wiring.on_record)
        audiences: dict[NoticeKey, tuple[Audience, Reach]] = {}
        if any(p.upcoming is not None and p.upcoming.material for p in plans.policies):
            # (no database: nothing to count; counted once per change of the database)
            groups = wiring.on_record.audience_groups()
            if groups is not None:
                from ..workflows.audiences import plan_audiences

                audiences = plan_audiences(config, groups, plans.policies)
    wanted, variant = split_name(policy) if policy is not None else (None, None)
    chosen = [p for p in plans.policies if wanted is None or (
        p.policy == wanted and (variant is None or p.variant_id == variant))]
    if policy is not None and not chosen:
        from ..errors import NotFoundError

        known = ", ".join(p.policy for p in plans.policies) or "none"
        raise NotFoundError(f"no policy '{policy}' in the history (policies: {known})")
    if as_json:
        echo_json({"now": moment.isoformat(), "timezone": config.timezone,
                   "notice_days": config.notice_days, "accounts": accounts,
                   "policies": [_plan_json(p, config, notices, audiences) for p in chosen],
                   "warnings": list(plans.state.skipped)})
        return
    # The moment used, in the configured zone (a bare --now date is midnight there).
    click.echo(f"As of {moment.astimezone(config.zone):%Y-%m-%d %H:%M} {config.timezone} "
               f"(notice period: {config.notice_days} days):")
    for p in chosen:
        for line in describe(p, plans, config, accounts, notices, audiences):
            click.echo(line)
    for why in plans.state.skipped:
        click.echo(f"warning: {why}")


def _logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    # APScheduler says "Running job ..." at every tick; the tick's own lines say more.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.command()
@click.option("--once", is_flag=True, help="Run a single tick (no web server) and exit: for "
              "rehearsals, cron-style deployments and tests.")
@click.option("--wait", "wait", type=float, default=0.0, show_default=True, metavar="SECONDS",
              help="With --once: how long to wait while another scheduler is ticking.")
@click.option("--host", metavar="HOST", help="Address of the site (default: site.host).")
@click.option("--port", type=int, metavar="PORT", help="Port of the site (default: site.port).")
@now_option
@pass_env
def run(env: Env, once: bool, wait: float, host: str | None, port: int | None,
        now: str | None) -> int:
    """The main job: the website and the scheduler in one process.

    Every tick (scheduler.tick_seconds) syncs the plan from git, creates each due notice
    once, sends what is due, publishes the site notice and records every transition.
    Of several `run` processes, one ticks and the others wait. With --now the clock
    starts at that moment and runs on (a rehearsal). A --once tick that finds that
    nothing changed since a tick that had nothing to do (same commit, database and
    settings, no event due since) says so without opening the database.

    \b
    Examples:
      policybook run
      policybook run --once --now 2026-12-16T00:00:00Z
    """
    # A single tick prints its report on stdout; the log then only carries warnings.
    _logging(logging.WARNING if once else logging.INFO)
    if once:
        return _quiet_or_once(env.config, now, wait)
    ticker, wiring = _ticker(env.config, now)
    try:
        return _forever(env, ticker, wiring, host, port)
    finally:
        ticker.close()
        wiring.close()


def _quiet_or_once(config: Config, now: str | None, wait: float) -> int:
    """One tick, unless the last quiet tick tells that this one has nothing to do
    (same git head, database, configuration, and no event due yet: workflows/quiet.py);
    then neither the store nor SQLAlchemy is loaded."""
    from ..workflows.quiet import inputs, quiet_lines, remember

    moment = parse_now(now, config.zone)
    before = inputs(config)
    lines = quiet_lines(config, moment, before)
    if lines is not None:
        for line in lines:
            click.echo(line)
        return 0
    ticker, wiring = _ticker(config, now, fixed=True)
    try:
        code = _once(ticker, wait)
    finally:
        ticker.close()
        wiring.close()
    if ticker.last is not None:  # (after the store closed: the stamp is the database's)
        remember(config, before, ticker.last)
    return code


def _ticker(config: Config, now: str | None, fixed: bool = False) -> tuple[Ticker, Wiring]:
    """The wiring (store, state) and the scheduler's tick for `run` and `scheduler`."""
    from ..scheduler import Ticker, rehearsal_clock, system_clock
    from ..workflows.publish import StaticPublisher

    start = parse_now(now, config.zone)
    # A single tick happens exactly at --now; a long run's clock starts there and runs on.
    clock = (lambda: start) if fixed and now else rehearsal_clock(start) if now \
        else system_clock
    wiring = Wiring.open(config, start, create_store=True)
    store = wiring.store
    assert store is not None
    publisher = StaticPublisher(store, lambda out, at: wiring.build(out, at).pages)
    return Ticker(config, store, clock, publisher, builder=wiring.builder), wiring


def _once(ticker: Ticker, wait: float) -> int:
    deadline = time.monotonic() + wait
    while True:
        report = ticker.run()
        if report is not None:
            break
        if not ticker.leading and time.monotonic() >= deadline:
            raise PolicybookError("another policybook scheduler is ticking (it holds the "
                                  "scheduler lock); nothing done. Try again, or pass --wait")
        if ticker.leading:  # the tick itself failed: its error is in the log
            raise PolicybookError("the tick failed; see the messages above")
        time.sleep(0.5)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        errors = "; ".join(s.error or "" for s in report.sends if s.error)
        raise PolicybookError(f"some notices could not be sent: {errors}")
    return 0


def _forever(env: Env, ticker: Ticker, wiring: Wiring, host: str | None,
             port: int | None) -> int:
    import uvicorn

    from ..scheduler import background
    from .site import bind, listen_address

    config, host, port = listen_address(env, host, port)
    sock = bind(host, port)  # a busy port stops here, before the scheduler starts
    ticker.config = config  # links in e-mails follow the address actually served
    wiring.config = config
    scheduler = background(ticker, config.tick_seconds)
    app = wiring.site_app(ticker.clock)
    scheduler.start()
    click.echo(f"policybook: the site is on http://{host}:{port}/ and the scheduler ticks "
               f"every {config.tick_seconds} s (Ctrl+C to stop)", err=True)
    try:
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    finally:
        scheduler.shutdown(wait=True)
        sock.close()
    return 0


@click.command()
@now_option
@pass_env
def scheduler(env: Env, now: str | None) -> int:
    """The scheduler alone (no website): for a deployment that serves the site elsewhere.

    \b
    Example:
      policybook scheduler
    """
    from ..scheduler import blocking

    _logging()
    config = env.config
    ticker, wiring = _ticker(config, now)
    click.echo(f"policybook: the scheduler ticks every {config.tick_seconds} s "
               "(Ctrl+C to stop)", err=True)
    try:
        blocking(ticker, config.tick_seconds).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        ticker.close()
        wiring.close()
    return 0
