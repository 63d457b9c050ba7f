"""Preview and test-send a notice at any time (shell): the exact message an account
would get, from the version on record, whether or not its notice exists yet.

`notice_facts` is the one place that finds what a notice says for `POLICY@DATE`: the
stored notice when there is one (what was, or is being, sent), else exactly what the
scheduler would create from the policy's state as of `now` (`tick.notice_spec`).

A test send goes through the configured provider (the production checks apply) to the
addresses given, and nowhere else: subject prefixed `[TEST]`, an `X-Policybook-Test`
header and a banner in the text; it is recorded in `pb_test_sends` with each message's
digest, never as a delivery (so it proves nothing to a regulator, and counts nowhere).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace

import sqlalchemy as sa

from ..addresses import normalize_email, normalize_locale, redact
from ..config import Config
from ..delivery import Recipient
from ..errors import NotFoundError, UsageError
from ..mail import Mailer, make_mailer
from ..mail.compose import Letter, letter_for
from ..mail.facts import PlainReason
from ..notice import Notice, NoticeState
from ..regions import split_name
from ..store import Store, audit, get_notice, proof
from ..store.schema import accounts, current_version, deliveries, install_id, notices
from .letters import letter_texts
from .notices import version_disagree
from .planning import optional_store
from .state import StateBuilder, plans_of
from .tick import notice_spec

# POLICY@DATE, or POLICY:VARIANT@DATE for a regional variant's version
_REF = re.compile(r"^(?P<policy>[a-z0-9][a-z0-9-]*(?::[a-z0-9][a-z0-9-]*)?)"
                  r"@(?P<date>\d{4}-\d{2}-\d{2})$")
MAX_TEST_ADDRESSES = 20


@dataclass(frozen=True)
class DraftNotice:
    """What the scheduler would create for a version whose notice does not exist yet
    (the fields the e-mail needs; `id` 0: not on record)."""

    policy: str
    effective: dt.date
    version: str
    title: str
    summary: str
    reasons: tuple[PlainReason, ...]
    upcoming_url: str
    changes_url: str
    due_at: dt.datetime
    effective_at: dt.datetime
    id: int = 0
    variant: str | None = None  # the regional variant (None: the general text)


@dataclass(frozen=True)
class NoticeFacts:
    notice: Notice | DraftNotice
    on_record: bool  # the notice exists (then it is what was or will be sent)


def parse_ref(ref: str) -> tuple[str, dt.date]:
    m = _REF.match(ref.strip())
    if not m:
        raise UsageError(f"{ref!r} is not POLICY@YYYY-MM-DD (a policy id and the effective "
                         "date of its version, e.g. privacy-policy@2027-01-15)")
    try:
        return m["policy"], dt.date.fromisoformat(m["date"])
    except ValueError:
        raise UsageError(f"{ref!r}: {m['date']} is not a date") from None


def parse_policy_ref(ref: str | None) -> tuple[str | None, dt.date | None]:
    """`POLICY` or `POLICY@YYYY-MM-DD` (a filter: either part may be absent)."""
    if not ref:
        return None, None
    if "@" in ref:
        return parse_ref(ref)
    return ref, None


def notice_facts(config: Config, ref: str, now: dt.datetime, store: Store | None) -> NoticeFacts:
    """What the notice of `POLICY@DATE` says as of `now` (see the module docs)."""
    name, effective = parse_ref(ref)
    policy, variant = split_name(name)
    plans = plans_of(StateBuilder(config, store), now)
    state = plans.policy(policy, variant)
    if state is None:
        known = ", ".join(p.policy for p in plans.policies) or "none"
        raise NotFoundError(f"no policy {policy!r} in git (policies: {known})")
    vp = state.plan(effective)
    if vp is None:
        dates = ", ".join(p.version.effective.isoformat() for p in state.versions)
        raise NotFoundError(f"{policy} has no version effective {effective} on record "
                            f"(versions: {dates}); see 'policybook versions {policy}'")
    if store is not None:
        with store.read() as conn:
            row = conn.execute(sa.select(notices.c.id).where(
                notices.c.policy == policy, notices.c.variant == (variant or ""),
                notices.c.effective == effective,
                notices.c.state != NoticeState.CANCELLED.value,
            ).order_by(notices.c.id.desc()).limit(1)).scalar_one_or_none()
            if row is not None:
                return NoticeFacts(get_notice(conn, row), True)
    if vp.notice_due_at is None:
        raise UsageError(f"{vp.version.key} is not a material change: no notice is sent for "
                         "it (see 'policybook plan')")
    # Exactly what the scheduler would create: at its due moment, or now if that has
    # passed (a late notice announces the postponed switch).
    spec = notice_spec(config, plans, vp, max(now, vp.notice_due_at))
    return NoticeFacts(DraftNotice(
        policy=spec.policy, effective=spec.effective, version=spec.version, title=spec.title,
        summary=spec.summary, reasons=tuple(PlainReason(r.text, r.section) for r in spec.reasons),
        upcoming_url=spec.upcoming_url, changes_url=spec.changes_url, due_at=spec.due_at,
        effective_at=spec.effective_at, variant=spec.variant), False)


@dataclass(frozen=True)
class Preview:
    facts: NoticeFacts
    letter: Letter
    recipient: Recipient
    date: dt.datetime

    def text(self) -> str:
        return self.letter.rendered_for(self.recipient).personal(self.recipient.name)[0]

    def html(self) -> str:
        return self.letter.rendered_for(self.recipient).personal(self.recipient.name)[1]

    def eml(self) -> bytes:
        return self.letter.message_bytes(self.recipient, self.date)

    @property
    def subject(self) -> str:
        return self.letter.rendered_for(self.recipient).subject


def _install(store: Store | None) -> str:
    if store is None:
        return "preview"
    with store.read() as conn:
        return install_id(conn) if current_version(conn) is not None else "preview"


def _account(config: Config, store: Store | None, account_id: str, notice_id: int
             ) -> Recipient:
    """The account as the notice would address it (its delivery, if it has one)."""
    if store is None:
        raise NotFoundError(f"account {account_id!r}: there is no database yet "
                            "(import accounts first: policybook accounts import FILE.csv)")
    with store.read() as conn:
        d = conn.execute(sa.select(deliveries.c.id, deliveries.c.email, deliveries.c.name,
                                   deliveries.c.locale, deliveries.c.country).where(
            deliveries.c.notice_id == notice_id, deliveries.c.account_id == account_id)
        ).one_or_none() if notice_id else None
        if d is not None:
            return Recipient(d.id, account_id, d.email, d.name, d.locale, d.country or "")
        a = conn.execute(sa.select(accounts.c.email, accounts.c.name, accounts.c.locale,
                                   accounts.c.country)
                         .where(accounts.c.id == account_id)).one_or_none()
    if a is None:
        raise NotFoundError(f"no account {account_id!r} in the store; see "
                            "'policybook accounts count'")
    return Recipient(0, account_id, a.email, a.name, a.locale or config.default_locale,
                     a.country or "")


def preview(config: Config, ref: str, now: dt.datetime, *, account: str | None = None,
            locale: str | None = None) -> Preview:
    """The message for `account` (or an account of `locale`, name unknown) as of `now`."""
    if account and locale:
        raise UsageError("give --account or --locale, not both")
    store = optional_store(config, now)
    try:
        facts = notice_facts(config, ref, now, store)
        letter = letter_for(config, facts.notice, _install(store), disagree=version_disagree(
            config, facts.notice.policy, facts.notice.version),
            texts=letter_texts(config, facts.notice))
        if account:
            recipient = _account(config, store, account, facts.notice.id)
        else:
            chosen = locale or config.default_locale
            normal, problem = normalize_locale(chosen)
            if normal is None:
                raise UsageError(f"--locale {chosen!r}: {problem or 'not a locale'} "
                                 "(e.g. en, en_GB, pt_BR)")
            recipient = Recipient(0, "preview", "account.holder@example.com", "", normal)
        letter.rendered_for(recipient)  # template errors here, as a PolicybookError
        return Preview(facts, letter, recipient, now)
    finally:
        if store is not None:
            store.close()


@dataclass(frozen=True)
class SendTestReport:
    test_id: int
    provider: str
    sent: tuple[str, ...]  # the addresses the provider accepted
    failed: tuple[tuple[str, str], ...]  # (address, reason)
    subject: str
    error: str | None


def who(by: str | None) -> str:
    """Who acts: `--by`, else POLICYBOOK_ACTOR, else the login name."""
    return (by or os.environ.get("POLICYBOOK_ACTOR") or os.environ.get("USER")
            or os.environ.get("USERNAME") or "unknown")[:200]


def send_test(config: Config, ref: str, now: dt.datetime, addresses: list[str], *,
              locale: str | None = None, by: str | None = None, store: Store | None = None,
              mailer: Mailer | None = None) -> SendTestReport:
    """Send the notice of `POLICY@DATE`, marked as a test, to `addresses` only."""
    if not addresses:
        raise UsageError("give at least one address with --to")
    if len(addresses) > MAX_TEST_ADDRESSES:
        raise UsageError(f"a test goes to at most {MAX_TEST_ADDRESSES} addresses")
    problems, clean = [], []
    for value in addresses:
        address, problem = normalize_email(value)
        if address is None:
            problems.append(f"--to {value!r}: {problem}")
        elif address not in clean:
            clean.append(address)
    if problems:
        raise UsageError("; ".join(problems))
    chosen = locale or config.default_locale
    own_store = store is None
    store = store or Store.open(config.db_url, now)
    own_mailer = mailer is None
    try:
        facts = notice_facts(config, ref, now, store)
        # id 0: the provider's events for a test never match a delivery of a notice
        letter = letter_for(config, replace(facts.notice, id=0), _install(store), test=True,
                            disagree=version_disagree(config, facts.notice.policy,
                                                      facts.notice.version),
                            texts=letter_texts(config, facts.notice))
        recipients = [Recipient(-(i + 1), "test", a, "", chosen) for i, a in enumerate(clean)]
        subject = letter.rendered(chosen).subject
        mailer = mailer or make_mailer(config)  # the production checks apply
        result = mailer.send(letter, recipients, now)
        by_id = {r.delivery_id: r for r in recipients}
        accepted = dict(result.accepted)
        refused = dict(result.failed)
        rows = [{"email": r.email, "locale": r.locale, "message_id": letter.message_id(r),
                 "provider_message_id": accepted.get(r.delivery_id),
                 "sha256": letter.digest(r) if r.delivery_id in accepted else None,
                 "error": refused.get(r.delivery_id)} for r in recipients]
        error = redact(result.error) if result.error else None
        with store.write() as conn:
            test_id = proof.record_test_send(
                conn, at=now, policy=facts.notice.policy, effective=facts.notice.effective,
                commit=facts.notice.version, notice_id=facts.notice.id or None,
                provider=mailer.name, by=who(by), recipients=rows, error=error)
            audit(conn, "notice.test_sent", f"version:{facts.notice.policy}@"
                  f"{facts.notice.effective.isoformat()}", now,
                  {"test_send": test_id, "provider": mailer.name, "by": who(by),
                   "accepted": len(accepted), "refused": len(refused), "error": error})
        return SendTestReport(test_id, mailer.name,
                              tuple(by_id[i].email for i in accepted),
                              tuple((by_id[i].email, why) for i, why in refused.items()),
                              subject, error)
    finally:
        if own_mailer and mailer is not None:
            mailer.close()
        if own_store:
            store.close()
