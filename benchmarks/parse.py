"""Parse-and-render time of the seed policy and the median over the corpus files.

    python benchmarks/parse.py [--corpus DIR] [--repeat N]

Prints `name: value unit` lines. Parse = Markdown -> Document (front matter, section
tree, blocks with their HTML); render = the Document through the site templates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from policybook.document import forget_parsed, parse_document
from policybook.templating import make_environment

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "site-policy-dev"


def best_of(text: str, name: str, repeat: int) -> tuple[float, float]:
    template = make_environment(None).get_template("site/document.html")
    parse_times, render_times = [], []
    for _ in range(repeat):
        forget_parsed()  # a first parse: not the sections parsed in the round before
        t0 = time.perf_counter()
        doc = parse_document(text, name)
        t1 = time.perf_counter()
        template.render(doc=doc)
        t2 = time.perf_counter()
        parse_times.append(t1 - t0)
        render_times.append(t2 - t1)
    return min(parse_times), min(render_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    seed = (REPO / "content" / "privacy-policy.md").read_text(encoding="utf-8")
    p, r = best_of(seed, "privacy-policy.md", args.repeat * 4)
    print(f"seed_size: {len(seed.encode()) / 1024:.1f} KiB")
    print(f"seed_parse: {p * 1000:.2f} ms")
    print(f"seed_render: {r * 1000:.2f} ms")
    print(f"seed_parse_and_render: {(p + r) * 1000:.2f} ms")

    files = sorted((args.corpus / "pairs").glob("*/*.md"))
    totals, sizes = [], []
    for file in files:
        text = file.read_text(encoding="utf-8")
        p, r = best_of(text, str(file), args.repeat)
        totals.append(p + r)
        sizes.append(len(text.encode()))
    if totals:
        print(f"corpus_files: {len(files)} files")
        print(f"corpus_median_size: {statistics.median(sizes) / 1024:.1f} KiB")
        print(f"corpus_median_parse_and_render: {statistics.median(totals) * 1000:.2f} ms")
        print(f"corpus_max_parse_and_render: {max(totals) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
