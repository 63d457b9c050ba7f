"""Tokenising for word redlines: policybook.segment against the regex of policybook.redline.

    python benchmarks/segment.py [--repeat N]

Prints `name: value unit` lines: tokens per second for the sample privacy policy in
English (both tokenisers; they agree on it), its French translation, and a Japanese
and an Arabic text made by repeating sentences written for this benchmark; then the
catalog load (read + compile in memory) of the French UI strings.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from policybook import i18n, redline, segment

REPO = Path(__file__).resolve().parent.parent
JAPANESE = "当社は、お客様の個人データを三十日間保存し、第三者には提供しません。" * 400
ARABIC = "نحن لا نبيع بياناتك الشخصية لأي طرف ثالث، ونحتفظ بها لمدة ثلاثين يوما. " * 400


def rate(fn: Callable[[str], list[str]], text: str, repeat: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        count = len(fn(text))
        best = min(best, time.perf_counter() - t0)
    return count / best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    t0 = time.perf_counter()
    segment.tokens("当")  # builds the full token pattern once per process (CJK needs it)
    print(f"segment_patterns_build: {(time.perf_counter() - t0) * 1000:.1f} ms")
    english = (REPO / "content" / "privacy-policy.md").read_text(encoding="utf-8")
    french = (REPO / "samples" / "translations" / "fr" / "privacy-policy.md").read_text(
        encoding="utf-8")
    for name, text in (("english", english), ("french", french), ("japanese", JAPANESE),
                       ("arabic", ARABIC)):
        ours, n = rate(segment.tokens, text, args.repeat)
        print(f"segment_{name}_tokens: {n} tokens")
        print(f"segment_{name}_rate: {ours / 1e6:.2f} Mtokens/s")
        theirs, m = rate(redline.tokens, text, args.repeat)
        print(f"redline_regex_{name}_tokens: {m} tokens")
        print(f"redline_regex_{name}_rate: {theirs / 1e6:.2f} Mtokens/s")
    t0 = time.perf_counter()
    i18n.compile_catalog(i18n.read_catalog(i18n.catalog_text("fr"), "fr"))
    print(f"catalog_fr_load: {(time.perf_counter() - t0) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
