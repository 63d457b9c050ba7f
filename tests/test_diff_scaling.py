"""The near-linear diff: long texts and long tables keep a correct, readable alignment."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

from policybook.diff import ItemKind
from policybook.redline import opcodes, word_redline
from tests.redlines import changes


def _apply(ops: list[tuple[str, int, int, int, int]], a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
        assert (tag == "equal") == (a[i1:i2] == b[j1:j2] and i2 > i1)
        out.extend(b[j1:j2])
    return out


def test_long_word_sequences_diff_to_a_valid_script_as_good_as_difflib() -> None:
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(400)]
    a = [rng.choice(vocabulary) for _ in range(3000)]
    b = list(a)
    for _ in range(40):  # scattered edits
        k = rng.randrange(len(b))
        b[k: k + rng.randrange(1, 4)] = [rng.choice(vocabulary) for _ in range(rng.randrange(3))]
    ops = opcodes(a, b)
    assert _apply(ops, a, b) == b
    ours = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    best = sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False)
               .get_matching_blocks())
    assert ours >= 0.97 * best


def test_a_long_paragraph_redline_marks_only_the_changed_words() -> None:
    words = " ".join(f"clause{n} applies" for n in range(2000))
    changed = words.replace("clause1500 applies", "clause1500 never applies")
    hunks = word_redline(words, changed).hunks()
    assert [(h.deleted, h.inserted) for h in hunks] == [((), ("never",))]


def _table(rows: int, days: int, extra: str = "") -> str:
    lines = ["## Recipients", "", "| Service | Kept for |", "| --- | --- |"]
    if extra:
        lines.append(extra)
    lines += [f"| service-{n:04d} | {days + n % 3} days |" for n in range(rows)]
    return "\n".join(lines) + "\n"


def test_every_row_of_a_long_table_changed_pairs_rows_by_their_key_column() -> None:
    cs = changes(_table(300, 30), _table(300, 45, extra="| new-service | 10 days |"))
    (block,) = cs.changes[0].blocks
    kinds = [item.kind for item in block.items]
    assert kinds.count(ItemKind.CHANGED) == 300
    assert kinds.count(ItemKind.ADDED) == 1
    assert ItemKind.REMOVED not in kinds
    first = next(i for i in block.items if i.kind is ItemKind.CHANGED)
    assert first.redline.old.startswith("service-0000") and first.redline.new.startswith(
        "service-0000")
