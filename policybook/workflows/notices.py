"""Sending notices (shell): the workflow the CLI and the scheduler share.

The scheduler (every tick) calls `send_due(config, now)`; `policybook notices send`
calls `send_notice`. Both are safe to run in several processes at once and to kill at
any moment (see `store.ledger` for the guarantee).

Time: `now` is where the run's clock starts, and it advances with the monotonic clock
from there, so a lease taken ten minutes into a long run expires ten minutes later than
one taken at its start, also in a rehearsal with `--now`.

Pipelining: while the provider works on one batch, the next is claimed and prepared
(one request in flight at a time, so a crash can duplicate at most that one batch).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ..addresses import redact
from ..alerts import AlertKind, notify
from ..audience import Reach, everyone, reach_of
from ..config import Config
from ..delivery import BatchResult, Recipient
from ..document import parse_front_matter
from ..errors import HistoryError, NotFoundError, PolicybookError, UsageError
from ..history import History, policy_text_at
from ..mail import Mailer, make_mailer
from ..mail.compose import Letter, letter_for
from ..notice import notice_key
from ..store import Notice, NoticeState, Store, audit, find_notice, get_notice, ledger, proof
from ..store.accounts import SqlAccountSource
from ..store.notices import (
    delivery_totals,
    due_notices,
    notice_is_open,
    set_notice_state,
    stop_leftovers,
)
from ..store.schema import install_id
from .letters import letter_texts

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (recipients handled so far, total expected)
EMPTY_CLAIM_WAITS = 50  # x EMPTY_CLAIM_PAUSE: how long rows locked by others are awaited
EMPTY_CLAIM_PAUSE = 0.1


class Clock:
    """The run's clock: `start`, advancing in real time."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.start = start
        self._t0 = time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self._t0)


@dataclass(frozen=True)
class SendReport:
    notice_id: int
    notice: str  # policy@effective, policy:variant@effective (`notice_key`)
    provider: str
    added: int = 0  # deliveries created for accounts (new or not seen before)
    sent: int = 0
    failed: int = 0
    requests: int = 0
    batches: int = 0
    remaining: int = 0  # pending or sending after the run
    state: NoticeState = NoticeState.SENDING
    seconds: float = 0.0
    error: str | None = None

    def summary(self) -> str:
        text = (f"notice {self.notice_id} ({self.notice}): {self.sent} sent, {self.failed} "
                f"failed, {self.added} recipients added, {self.remaining} remaining "
                f"[{self.provider}, {self.requests} requests, {self.seconds:.1f} s]")
        return text + (f"; stopped: {self.error}" if self.error else "")


@dataclass(frozen=True)
class DryRun:
    notice: Notice
    provider: str
    pending: int  # deliveries that a run would send now
    to_add: int  # accounts that a run would add first
    handled: dict[str, int] = field(default_factory=dict)  # state -> count, already
    subject: str = ""
    locale: str = "en"
    # Who the notice reaches now, per language: `audience.plan_line`'s sentence.
    audience: str = ""


def open_store(config: Config, store: Store | None, now: dt.datetime) -> tuple[Store, bool]:
    if store is not None:
        return store, False
    return Store.open(config.db_url, now), True


# (repository, policy, commit) -> the version's `disagree:` front matter (None: none)
_DISAGREE: dict[tuple[str, str, str], str | None] = {}


def version_disagree(config: Config, policy: str, commit: str) -> str | None:
    """The `disagree:` front matter of the version a notice announces (read from git once
    per process; None when it has none, or git does not have the commit)."""
    key = (str(config.root), policy, commit)
    if key not in _DISAGREE:
        try:
            path, text = policy_text_at(config.root, policy, commit, config.content_dir)
        except PolicybookError:
            _DISAGREE[key] = None
        else:
            _DISAGREE[key] = parse_front_matter(text, path)[0].disagree
    return _DISAGREE[key]


def _letter(config: Config, store: Store, notice: Notice,
            history: History | None = None) -> Letter:
    with store.read() as conn:
        install = install_id(conn)
    letter = letter_for(config, notice, install,
                        disagree=version_disagree(config, notice.policy, notice.version),
                        texts=letter_texts(config, notice, history))
    letter.rendered(config.default_locale)  # template errors surface before any claim
    return letter


def keep_copies(store: Store, letter: Letter, recipients: Sequence[Recipient],
                kept: set[str], now: dt.datetime) -> None:
    """Before a batch goes out, the notice keeps a copy of each rendered message it
    uses (once; one per language, and per site with `[[sites]]`): the proof of what
    every delivery said (see store.proof)."""
    fresh = {letter.rendered_for(r).key for r in recipients} - kept
    if fresh:
        copies = [letter.proof_copy(r) for r in letter.all_rendered if r.key in fresh]
        with store.write() as conn:
            proof.keep_messages(conn, letter.notice.id, copies, now)
        kept.update(fresh)


# (repository, policy, commit) whose text git does not have
_NO_TEXT: set[tuple[str, str, str]] = set()


def keep_version(config: Config, store: Store, notice: Notice, now: dt.datetime) -> None:
    """The notice keeps the SHA-256 of the text it announces (once, from git)."""
    with store.read() as conn:
        if proof.version_record(conn, notice.id) is not None:
            return
    key = (str(config.root), notice.key, notice.version)
    if key in _NO_TEXT:
        return
    try:
        path, text = policy_text_at(config.root, notice.policy, notice.version,
                                    config.content_dir, notice.variant)
    except PolicybookError as exc:
        _NO_TEXT.add(key)  # said once per process, not at every tick
        log.warning("notice %d: the text of commit %s is not in git (%s); its hash is not "
                    "kept", notice.id, notice.version[:10], exc.message)
        return
    with store.write() as conn:
        proof.keep_version(conn, notice.id, notice.version, path,
                           hashlib.sha256(text.encode("utf-8")).hexdigest(), now)


def notice_reach(config: Config, notice: Notice, history: History | None = None) -> Reach:
    """The accounts `notice` goes to: `audience.reach_of(the notice's Variant, the
    policy's Variants)`, the variants as the committed files declare them now (`history`:
    the one the caller's state was built from, else read). A regional variant reaches
    the accounts of its countries; the general text every account no other variant
    claims (those without a country included)."""
    from ..history import read_history
    from ..regions import Variant
    from ..versions import by_timeline
    from .state import timeline_variants

    try:
        history = history or read_history(config.root, None, config.content_dir, config.zone)
    except HistoryError:
        if notice.variant is None:  # no repository to ask: one text for everybody
            return everyone(notice.policy)
        raise
    timelines = {k: v for k, v in by_timeline(history.versions).items()
                 if k[0] == notice.policy}
    variants = timeline_variants(config, timelines)
    mine = variants.get((notice.policy, notice.variant))
    if mine is None:
        if notice.variant is not None:
            # Sending a regional notice to everybody would tell the wrong people: stop.
            raise NotFoundError(
                f"notice {notice.id} announces the variant '{notice.variant}' of "
                f"{notice.policy}, which no committed file declares any more; restore its "
                f"file (variant: {notice.variant}) or cancel the notice with 'policybook "
                f"notices cancel {notice.id} --reason TEXT'")
        mine = Variant(notice.policy, None, None, "")
    return reach_of(mine, tuple(variants.values()))


def add_recipients(config: Config, store: Store, notice: Notice, now: dt.datetime,
                   refresh: bool = True, *, stop: threading.Event | None = None,
                   on_added: Callable[[int], None] | None = None,
                   reach: Reach | None = None) -> int:
    """Create the deliveries of accounts that have none yet (see the module docs), for
    the accounts `reach` covers (default: `notice_reach`).

    Recipients are added on the first run and on every run before the version takes
    effect: an account opened after that agreed to the new text.
    """
    reach = reach or notice_reach(config, notice)
    first = notice.accounts_read_at is None
    if not first and now >= notice.effective_at:
        return 0
    if config.accounts_sql_query:
        synced = notice.accounts_read_at
        if not refresh and synced is not None and \
                (now - synced).total_seconds() < config.accounts_refresh_seconds:
            return 0
        source = SqlAccountSource(config.accounts_sql_url, config.accounts_sql_query,
                                  config.accounts_batch, config.default_locale)
        return ledger.add_source_recipients(store, notice, source, now, stop=stop,
                                            on_added=on_added, reach=reach)
    return ledger.add_local_recipients(store, notice, now, stop=stop, on_added=on_added,
                                       reach=reach)


def send_notice(config: Config, notice_ref: int | str, now: dt.datetime, *,
                store: Store | None = None, mailer: Mailer | None = None,
                progress: Progress | None = None, refresh: bool = True,
                max_batches: int | None = None, reach: Reach | None = None,
                history: History | None = None) -> SendReport:
    """Send what is open of one notice (by id or `policy@YYYY-MM-DD`) and return counts;
    `reach`: the accounts it goes to (default: `notice_reach`); `history`: the git history
    the caller's state was read from (the tick's), else read when needed.

    Provider failures do not raise: the report's `error` says why the run stopped, and
    everything not confirmed is back to pending for the next run.
    """
    clock = Clock(now)
    store, own_store = open_store(config, store, now)
    own_mailer = mailer is None
    try:
        with store.read() as conn:
            notice = (get_notice(conn, notice_ref) if isinstance(notice_ref, int)
                      else find_notice(conn, notice_ref))
        if notice.state is NoticeState.CANCELLED:
            raise UsageError(f"notice {notice.id} ({notice.key}) was cancelled; nothing to send "
                             "(to notify again, see 'policybook plan')")
        if notice.state is NoticeState.PAUSED:
            by = f" by {notice.control_by}" if notice.control_by else ""
            raise UsageError(f"notice {notice.id} ({notice.key}) is paused{by}; nothing is "
                             f"sent until 'policybook notices resume {notice.id}'")
        letter = _letter(config, store, notice, history)
        keep_version(config, store, notice, clock())
        if notice.state is NoticeState.SCHEDULED:
            with store.write() as conn:
                set_notice_state(conn, notice.id, NoticeState.SENDING, clock())
                audit(conn, "notice.sending", f"notice:{notice.id}", clock(),
                      {"provider": config.mail.value, "due_at": notice.due_at.isoformat()})
            notify(config, AlertKind.STARTED, notice.id, notice.key, clock(),
                   f"notice {notice.id} started sending through {config.mail.value}")
        if mailer is None:
            mailer = make_mailer(config)
        if reach is None and (notice.accounts_read_at is None or clock() < notice.effective_at):
            reach = notice_reach(config, notice, history)  # once, for every adding step

        def adder(stop: threading.Event, on_added: Callable[[int], None]) -> int:
            return add_recipients(config, store, notice, clock(), refresh, stop=stop,
                                  on_added=on_added, reach=reach)

        report = _send_batches(config, store, mailer, letter, clock, adder, progress,
                               max_batches)
        if notice.state is NoticeState.COMPLETE:  # a run after completion changes nothing
            report = replace(report, state=NoticeState.COMPLETE)
        with store.write() as conn:
            now_state = get_notice(conn, notice.id).state
            if now_state in (NoticeState.PAUSED, NoticeState.CANCELLED):
                # Legal acted while this run sent: what it held was recorded or given back;
                # a cancel's leftovers (given back just now) are cancelled too.
                if now_state is NoticeState.CANCELLED:
                    stop_leftovers(conn, notice.id, clock(), "the notice was cancelled")
                report = replace(report, state=now_state,
                                 remaining=ledger.unsettled_count(conn, notice.id))
            elif report.error is None and report.remaining == 0 \
                    and clock() >= notice.effective_at:
                set_notice_state(conn, notice.id, NoticeState.COMPLETE, clock())
                report = replace(report, state=NoticeState.COMPLETE)
                totals = delivery_totals(conn, notice.id).get(notice.id, {})
                audit(conn, "notice.completed", f"notice:{notice.id}", clock(),
                      {"deliveries": totals})
                notify(config, AlertKind.FINISHED, notice.id, notice.key, clock(),
                       f"notice {notice.id} finished: {sum(totals.values())} deliveries",
                       deliveries=totals)
            if report.sent or report.failed or report.added or report.error:
                audit(conn, "notice.sent", f"notice:{notice.id}", clock(), {
                    "provider": report.provider, "added": report.added, "sent": report.sent,
                    "failed": report.failed, "requests": report.requests,
                    "remaining": report.remaining, "error": report.error})
        if report.error or report.failed > config.alerts_failed_threshold:
            notify(config, AlertKind.FAILED, notice.id, notice.key, clock(),
                   f"notice {notice.id}: {report.failed} refused"
                   + (f"; stopped: {report.error}" if report.error else ""),
                   sent=report.sent, failed=report.failed, error=report.error)
        active = report.sent or report.failed or report.added or report.error
        log.log(logging.INFO if active else logging.DEBUG, "%s", report.summary())
        return report
    finally:
        if own_mailer and mailer is not None:
            mailer.close()
        if own_store:
            store.close()


Adder = Callable[[threading.Event, Callable[[int], None]], int]


def _send_batches(config: Config, store: Store, mailer: Mailer, letter: Letter, clock: Clock,
                  adder: Adder, progress: Progress | None, max_batches: int | None
                  ) -> SendReport:
    """Claim, send, record, batch after batch, while `adder` adds the recipients that
    have no delivery yet in a thread of its own: the first e-mails go out at once
    instead of after a million inserts."""
    notice = letter.notice
    started = time.monotonic()
    with store.read() as conn:
        total = ledger.open_count(conn, notice.id, clock())
    if progress:
        progress(0, total)
    adding_total = [0]

    def on_added(n: int) -> None:
        adding_total[0] += n
        if progress:
            progress(done, total + adding_total[0])

    sent = failed = requests = batches = done = 0
    error: str | None = None
    in_flight: tuple[ledger.Claim, Future[BatchResult]] | None = None

    def settle(claim: ledger.Claim, result: BatchResult) -> None:
        nonlocal sent, failed, requests, batches, done, error
        digests = {i: digest_of.pop(i) for i, _ in result.accepted if i in digest_of}
        for r in claim.recipients:
            digest_of.pop(r.delivery_id, None)
        # The language each message was written in: the proof says which text it was.
        languages = {r.delivery_id: letter.rendered_for(r).language
                     for r in claim.recipients}
        ledger.record(store, claim, result, mailer.name, clock(), digests, languages)
        sent += len(result.accepted)
        failed += len(result.failed)
        requests += result.requests
        batches += 1
        done += len(result.accepted) + len(result.failed)
        # A provider's message may quote an address; reports and logs carry none.
        error = error or (redact(result.error) if result.error else None)
        log.info("notice %d: batch of %d: %d accepted, %d refused, %d given back",
                 notice.id, len(claim.recipients), len(result.accepted), len(result.failed),
                 len(result.unsent))
        if progress:
            progress(done, max(total + adding_total[0], done))

    nxt: ledger.Claim | None = None
    kept: set[str] = set()  # rendered messages (`Rendered.key`) the notice keeps already
    digest_of: dict[int, str] = {}  # delivery id -> digest of its message (claimed rows)
    stop_adding = threading.Event()
    adding_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policybook-add")
    adding = adding_pool.submit(adder, stop_adding, on_added)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="policybook-send") as pool:
        try:
            claimed = waits = 0
            while True:
                nxt = None
                if max_batches is None or claimed < max_batches:
                    nxt = ledger.claim(store, notice.id, config.send_batch, clock(),
                                       config.lease_seconds)
                    # Hashed while the previous batch is with the provider, not after.
                    digest_of.update((r.delivery_id, letter.digest(r))
                                     for r in nxt.recipients)
                if in_flight is not None:
                    claim, future = in_flight
                    result = future.result()
                    in_flight = None
                    settle(claim, result)
                    if error is not None:
                        break
                if nxt is None:
                    break
                # Paused or cancelled meanwhile: the batch claimed ahead is given back
                # (below), and nothing more goes out.
                with store.read() as conn:
                    if not notice_is_open(conn, notice.id):
                        break
                if not nxt.recipients:
                    if not adding.done():  # more recipients are on their way
                        time.sleep(EMPTY_CLAIM_PAUSE / 2)
                        continue
                    # Nothing to claim: done, unless open rows are locked by another
                    # process this instant (SKIP LOCKED skips them): look again shortly.
                    with store.read() as conn:
                        still_open = ledger.open_count(conn, notice.id, clock())
                    if still_open and waits < EMPTY_CLAIM_WAITS:
                        waits += 1
                        time.sleep(EMPTY_CLAIM_PAUSE)
                        continue
                    break
                claimed += 1
                waits = 0
                keep_copies(store, letter, nxt.recipients, kept, clock())
                in_flight = (nxt, pool.submit(mailer.send, letter, nxt.recipients, clock()))
                nxt = None
        except BaseException:
            stop_adding.set()  # Ctrl-C or a bug: the adder stops after its current chunk
            raise
        finally:
            # Stopped (a provider error, Ctrl-C, a bug): what the provider already took
            # is recorded, and a batch claimed but never handed over is given back now
            # rather than when its lease expires.
            if in_flight is not None:
                claim, future = in_flight
                settle(claim, future.result())
            if nxt is not None and nxt.recipients:
                ledger.release(store, nxt)
            adding_pool.shutdown(wait=True)
    added = adding.result()  # (raises what the adder raised)
    with store.read() as conn:
        remaining = ledger.unsettled_count(conn, notice.id)
    key = notice_key(notice.policy, notice.variant, notice.effective)
    return SendReport(notice.id, key, mailer.name, added=added, sent=sent, failed=failed,
                      requests=requests, batches=batches, remaining=remaining,
                      state=NoticeState.SENDING, seconds=time.monotonic() - started,
                      error=error)


def send_due(config: Config, now: dt.datetime, *, store: Store | None = None,
             mailer: Mailer | None = None, progress: Progress | None = None,
             history: History | None = None) -> tuple[SendReport, ...]:
    """Send every open notice that is due by `now` (the scheduler's tick).

    The SQL account source is re-read at most every `accounts.refresh_seconds` per
    notice; the store's own accounts are checked on every tick (cheaply: only accounts
    changed since the notice last looked).
    """
    store, own_store = open_store(config, store, now)
    own_mailer = mailer is None
    try:
        with store.read() as conn:
            notices = due_notices(conn, now)
        if not notices:
            return ()
        if mailer is None:
            mailer = make_mailer(config)
        reports = []
        for n in notices:
            # One notice's problem (a broken template, say) must not hold up the others.
            try:
                reports.append(send_notice(config, n.id, now, store=store, mailer=mailer,
                                           progress=progress, refresh=False, history=history))
            except PolicybookError as exc:
                log.error("notice %d (%s) not sent: %s", n.id, n.key, exc.message)
                reports.append(SendReport(n.id, n.key, mailer.name, state=n.state,
                                          error=exc.message))
        return tuple(reports)
    finally:
        if own_mailer and mailer is not None:
            mailer.close()
        if own_store:
            store.close()


def dry_run(config: Config, notice_ref: int | str, now: dt.datetime,
            store: Store | None = None, reach: Reach | None = None) -> DryRun:
    """What `send_notice` would do now, without writing anything or contacting anyone."""
    store, own_store = open_store(config, store, now)
    try:
        with store.read() as conn:
            notice = (get_notice(conn, notice_ref) if isinstance(notice_ref, int)
                      else find_notice(conn, notice_ref))
        reach = reach or notice_reach(config, notice)  # (reads git: outside the transaction)
        with store.read() as conn:
            pending = ledger.open_count(conn, notice.id, now)
            handled = delivery_totals(conn, notice.id).get(notice.id, {})
            first = notice.accounts_read_at is None
            adding = notice.state is not NoticeState.CANCELLED and \
                (first or now < notice.effective_at)
            to_add = 0
            if adding and not config.accounts_sql_query:
                to_add = ledger.missing_local_recipients(conn, notice.id, reach)
        if adding and config.accounts_sql_query:
            source = SqlAccountSource(config.accounts_sql_url, config.accounts_sql_query,
                                      config.accounts_batch, config.default_locale)
            to_add = max(0, source.count() - sum(handled.values()))
        letter = _letter(config, store, notice)
        rendered = letter.rendered(config.default_locale)
        from ..audience import count_audience, plan_line
        from .accounts import audience_groups

        told = count_audience(audience_groups(config, store), reach, letter.offered,
                              config.source_language)
        return DryRun(notice, config.mail.value, pending, to_add,
                      {k: v for k, v in handled.items() if k not in ("pending",)},
                      rendered.subject, rendered.locale,
                      plan_line(told, config.source_language, reach.variant, notice.policy))
    finally:
        if own_store:
            store.close()
