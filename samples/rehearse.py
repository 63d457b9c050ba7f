"""`make rehearse`: the demo's notice timeline played at chosen moments (a scratch copy).

The demo repository is made again under .policybook/rehearsal/ (dates counted from today,
like `make run`), then each command runs at a moment relative to the material version's
notice: the day before it is due nothing is sent; at the due moment the notice is created
once and the outbox fills with one e-mail per account; the plan and the proof follow.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from policybook.demo import make_demo

ROOT = Path(__file__).resolve().parent.parent
PLACE = ROOT / ".policybook" / "rehearsal"
NOTICE_DAYS = 30


def policybook(*args: str) -> None:
    print("$ policybook " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "policybook", "-C", str(PLACE), *args], check=True)


def main() -> None:
    demo = make_demo(PLACE, dt.datetime.now(dt.UTC), replace=True)
    material = demo.steps[-1]
    due_day = material.effective - dt.timedelta(days=NOTICE_DAYS)

    def at(day: dt.date, hour: int, minute: int = 0) -> str:
        return dt.datetime.combine(day, dt.time(hour, minute), demo.zone).isoformat()

    policy = material.path.removeprefix("content/").removesuffix(".md")
    policybook("accounts", "import", str(ROOT / "samples" / "accounts.csv"),
               "--now", at(demo.today, 9))
    policybook("run", "--once", "--now", at(due_day - dt.timedelta(days=1), 12))
    policybook("run", "--once", "--now", at(due_day, 0, 1))
    policybook("plan", "--now", at(due_day, 1))
    policybook("notices", "report", f"{policy}@{material.effective.isoformat()}")
    outbox = PLACE / ".policybook" / "outbox"
    count = sum(1 for _ in outbox.rglob("*.eml")) if outbox.exists() else 0
    print(f"e-mails in the outbox: {count} ({outbox.relative_to(ROOT)}/)")


if __name__ == "__main__":
    main()
