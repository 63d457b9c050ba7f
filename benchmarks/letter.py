"""Per-recipient cost of the notice e-mail: the proof digest, SendGrid's substitutions
and the whole message for SMTP or the outbox, against building it whole with the e-mail
package (the peer).

    python benchmarks/letter.py [--recipients N]

Prints `name: value unit` lines (microseconds per recipient, best of 3 runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path

from policybook.delivery import Recipient
from policybook.mail.compose import Company, compose
from policybook.store import Notice, NoticeReason, NoticeState

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)


def notice() -> Notice:
    return Notice(1, "privacy-policy", dt.date(2027, 2, 1), "f" * 40, "Privacy Notice",
                  "We will keep support tickets for three years instead of one.",
                  (NoticeReason("1. Retention: An amount, a period or another number "
                                "changed.", "retention"),),
                  "https://legal.example.org/privacy-policy/upcoming/",
                  "https://legal.example.org/privacy-policy/changes/2027-02-01/", NOW,
                  dt.datetime(2027, 2, 1, tzinfo=dt.UTC), NOW, NoticeState.SENDING)


def per_recipient(run: Callable[[Recipient], object], people: list[Recipient]) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for r in people:
            run(r)
        best = min(best, time.perf_counter() - t0)
    return best / len(people) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    args = parser.parse_args()
    letter = compose(notice(), REPO, "Legal <legal@mail.example.org>", None, "bench001",
                     company=Company("Example Ltd", "1 Main St", "help@example.org"))
    people = [Recipient(i, f"a{i}", f"user{i}@example.org", f"User {i}", "en")
              for i in range(args.recipients)]
    rendered = letter.rendered("en")

    def whole(r: Recipient) -> bytes:  # the peer: every message built from scratch
        msg = EmailMessage(policy=policy.SMTP)
        msg["To"] = letter.to_address(r)
        msg["Subject"] = rendered.subject
        msg["From"] = letter.sender
        text, html = rendered.personal(r.name)
        msg.set_content(text, cte="quoted-printable")
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
        return msg.as_bytes()

    print(f"letter_digest: {per_recipient(letter.digest, people):.1f} us/recipient")
    print(f"letter_substitutions: {per_recipient(letter.substitutions, people):.1f} "
          "us/recipient")
    print(f"letter_message_bytes: "
          f"{per_recipient(lambda r: letter.message_bytes(r, NOW), people):.1f} us/recipient")
    print(f"peer_whole_message: {per_recipient(whole, people):.1f} us/recipient")


if __name__ == "__main__":
    main()
