"""The verdict on pairs of versions written for policybook (`benchmarks/data/sentences.toml`:
no corpus sentence and no company's phrase), each labelled material or editorial.

    python benchmarks/sentences.py [--errors]

They probe the classes of issue 12 one sentence at a time: a negation, a bound or a
condition dropped, a place abbreviated, a clause moved, a heading that states a practice,
a list whose lead-in says what it names... Prints `name: value unit` lines: how many
verdicts are right, and with `--errors` each wrong one with the reason that decided it.
A rule changed for these pairs is checked on both corpora (`benchmarks/classify.py`).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's policybook, even without an install

from policybook.diff import diff_documents  # noqa: E402
from policybook.document import parse_document  # noqa: E402
from policybook.materiality import assess  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "sentences.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list the wrong verdicts")
    args = parser.parse_args()
    pairs = tomllib.loads(DATA.read_text(encoding="utf-8"))["pair"]
    wrong = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for pair in pairs:
        label = bool(pair["material"])
        found = assess(diff_documents(parse_document(pair["old"]), parse_document(pair["new"])))
        total[label] += 1
        if found.material == label:
            continue
        wrong[label] += 1
        if args.errors:
            reasons = found.reasons or tuple(r for c in found.changes for r in c.reasons)
            print(f"  {'missed' if label else 'false alarm'}: {pair['old'].strip()[-70:]!r}"
                  f" -> {pair['new'].strip()[-70:]!r}")
            for reason in reasons[:1]:
                print(f"      {str(reason)[:160]}")
    print(f"sentences_material_caught: {total[True] - wrong[True]}/{total[True]}")
    print(f"sentences_editorial_kept: {total[False] - wrong[False]}/{total[False]}")
    right = sum(total.values()) - sum(wrong.values())
    print(f"sentences_right: {right}/{sum(total.values())} "
          f"({100 * right / sum(total.values()):.1f} %)")


if __name__ == "__main__":
    main()
