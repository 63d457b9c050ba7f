"""The delivery guarantee, tested with real processes: kill -9 the sender at random
moments, start it again, and every account gets the notice, with duplicates never more
than one batch per killed process. Several processes sending one notice at once never
send anything twice (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from policybook.store import Store, ledger
from policybook.store.notices import delivery_totals
from tests.support.fixtures import NOW, accounts, add_accounts, add_notice, sendgrid_env
from tests.support.sendgrid_server import SendGridServer

REPO = Path(__file__).resolve().parent.parent
ACCOUNTS = 1000
BATCH = 40
LEASE = 60


def sender(db_url: str, server: SendGridServer, root: Path, notice_id: int,
           now: dt.datetime) -> subprocess.Popen[bytes]:
    env = {**os.environ, **sendgrid_env(server), "POLICYBOOK_DATABASE_URL": db_url,
           "POLICYBOOK_MAIL_BATCH": str(BATCH), "POLICYBOOK_LEASE_SECONDS": str(LEASE),
           "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "policybook", "-C", str(root), "notices",
                             "send", str(notice_id), "--now", now.isoformat()],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def ledger_states(store: Store, notice_id: int) -> dict[str, str]:
    with store.read() as conn:
        return {str(r["account_id"]): str(r["state"]) for r in ledger.report_rows(conn, notice_id)}


@pytest.mark.parametrize("seed", [20270101])
def test_kill_9_at_random_points_loses_nothing(db_url: str, sendgrid: SendGridServer,
                                               tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    with Store.open(db_url, NOW) as store:
        add_accounts(store, accounts(ACCOUNTS, locales=("en", "de")))
        notice = add_notice(store)
    sendgrid.delay = 0.03  # a whole run takes ~1 s of sending: room for kills mid-batch
    kills = 0
    now = NOW
    for attempt in range(12):
        before = sendgrid.stats.requests
        process = sender(db_url, sendgrid, tmp_path, notice.id, now)
        if attempt < 5:
            # wait until this process is sending, then kill it at a random moment
            deadline = time.monotonic() + 30
            while sendgrid.stats.requests == before and process.poll() is None:
                assert time.monotonic() < deadline, "the sender never reached the server"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.15))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
        out, err = process.communicate(timeout=60)
        if attempt >= 5 or process.returncode == 0:
            assert process.returncode == 0, err.decode()
            if b" 0 remaining" in out:
                break
        # the next run acts after the killed process's leases have expired
        now += dt.timedelta(seconds=LEASE + 1)
    else:
        pytest.fail("the notice was never completed")
    assert kills == 5, "the test did not kill enough runs to prove anything"

    accepted = {a for n, a in sendgrid.stats.accounts if n == str(notice.id)}
    everyone = {a.id for a in accounts(ACCOUNTS)}
    assert accepted == everyone  # every account got the notice
    with Store.open(db_url, NOW) as store:
        states = ledger_states(store, notice.id)
        with store.read() as conn:
            assert delivery_totals(conn, notice.id)[notice.id] == {"sent": ACCOUNTS}
    assert set(states) == everyone and set(states.values()) == {"sent"}
    duplicates = sum(c - 1 for (n, _), c in sendgrid.stats.deliveries.items()
                     if n == str(notice.id))
    # at most the batch in flight of each killed process is sent twice
    assert duplicates <= BATCH * kills, (duplicates, kills)


def test_several_processes_share_a_notice_without_sending_twice(
        db_url: str, sendgrid: SendGridServer, tmp_path: Path) -> None:
    with Store.open(db_url, NOW) as store:
        add_accounts(store, accounts(ACCOUNTS))
        notice = add_notice(store)
    sendgrid.delay = 0.02
    processes = [sender(db_url, sendgrid, tmp_path, notice.id, NOW) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [e.decode() for _, e in outputs]
    sent_by = [int(out.decode().split(": ", 1)[1].split(" sent")[0]) for out, _ in outputs]
    assert sum(sent_by) == ACCOUNTS
    assert sum(1 for n in sent_by if n > 0) >= 2, [o.decode() for o, _ in outputs]
    summary = sendgrid.stats.summary()
    assert summary["duplicates"] == 0 and summary["unique"] == ACCOUNTS


def test_concurrent_claims_are_disjoint(store: Store) -> None:
    add_accounts(store, accounts(400))
    notice = add_notice(store)
    ledger.add_local_recipients(store, notice, NOW)
    claimed: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            while True:
                claim = ledger.claim(store, notice.id, 7, NOW, 600)
                if not claim.recipients:
                    return
                claimed[index].extend(r.delivery_id for r in claim.recipients)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    every = [i for part in claimed for i in part]
    assert len(every) == len(set(every)) == 400
