"""How the diff scales on a table whose rows all change (issue 13, item 9).

    python benchmarks/tables.py [--rows 100,400,1000]

Builds a policy with one table of N rows (a key column, a recipient, a purpose and a
retention period), changes a value in every row, and times parse + diff + verdict in
process. Prints `table_rows_N: value ms` lines. Goal: 1,000 changed rows in under 1 s
(row matching by key column, then a bounded alignment).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policybook.diff import diff_documents
from policybook.document import forget_parsed, parse_document
from policybook.materiality import assess

_HEAD = "---\npolicy: privacy-policy\ntitle: Privacy policy\neffective: 2027-01-01\n---\n"


def policy(rows: int, days: int) -> str:
    lines = [_HEAD, "## Who receives your data", "",
             "| Service | Recipient | Purpose | Kept for |", "| --- | --- | --- | --- |"]
    lines += [f"| service-{n:04d} | Vendor {n} Ltd | hosting of region {n % 7} | "
              f"{days + n % 5} days |" for n in range(rows)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="100,400,1000")
    args = parser.parse_args()
    for rows in (int(n) for n in args.rows.split(",")):
        old, new = policy(rows, 30), policy(rows, 45)
        forget_parsed()
        t0 = time.perf_counter()
        assessment = assess(diff_documents(parse_document(old, "old.md"),
                                           parse_document(new, "new.md")))
        elapsed = time.perf_counter() - t0
        changed = sum(1 for r in assessment.reasons)
        print(f"table_rows_{rows}: {elapsed * 1000:.0f} ms")
        print(f"table_rows_{rows}_material_reasons: {changed} reasons")


if __name__ == "__main__":
    main()
