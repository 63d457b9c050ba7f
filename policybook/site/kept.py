"""Redlines kept on disk (shell): a comparison of two texts is computed once per policybook
version and materiality settings, and read back by the next static build, so that a
build after one new commit diffs one pair, not every pair of the history.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import DiskCache, digest, from_plain, stable_text, to_plain
from ..cache import stats as cache_stats
from ..document import Document
from .changes import Compare, Comparison

if TYPE_CHECKING:
    from ..rulebook import Settings


class KeptComparisons:
    """`compare_fn` with its results kept in the cache folder `folder` (None: nothing kept)."""

    def __init__(self, folder: Path | None, compare_fn: Compare,
                 materiality: Settings | None) -> None:
        self.compare_fn = compare_fn
        self.folder = DiskCache(folder, "comparisons") if folder is not None else None
        self.key = digest(
            "compare", f"{getattr(compare_fn, '__module__', '')}."
            f"{getattr(compare_fn, '__qualname__', type(compare_fn).__qualname__)}",
            stable_text(to_plain(materiality, {})))

    def compared(self, old: Document | None, new: Document) -> Comparison:
        """`compare_fn(old, new)`, read from the cache folder when it was kept there (by
        both texts, their paths, the compare function and the materiality settings; the
        folder is per policybook version), else computed and kept."""
        if old is None or self.folder is None:
            return self.compare_fn(old, new)
        key = digest(self.key, digest(old.source), old.path, digest(new.source),
                     new.path)
        names = kept_names(old, "old") | kept_names(new, "new")
        data = self.folder.get(key)
        if data is not None:
            objects = {name: obj for obj, name in names.values()}
            try:
                found = from_plain(data, objects)
            except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
                found = None
            if isinstance(found, Comparison):
                return found
            cache_stats["comparisons.corrupt"] += 1
        made = self.compare_fn(old, new)
        # The assessment may hold its own parse of the same texts (a process-wide cache
        # judged them first): equal documents, so written as the same references.
        changeset = made.assessment.changeset if made.assessment is not None else None
        for doc, side in ((changeset.old, "old"), (changeset.new, "new")) if changeset else ():
            mine = old if side == "old" else new
            if doc is not mine and (doc.source, doc.path) == (mine.source, mine.path):
                names |= kept_names(doc, side)
        try:
            plain = to_plain(made, {ident: name for ident, (_, name) in names.items()})
        except (TypeError, RecursionError):
            return made  # (a value the cache cannot rebuild: computed each time)
        self.folder.put(key, plain)
        return made


def kept_names(doc: Document, side: str) -> dict[int, tuple[object, str]]:
    """The document, each of its sections and blocks: id -> (object, its name in a kept
    comparison, "old", "old.s3", "old.s3.b1")."""
    out: dict[int, tuple[object, str]] = {id(doc): (doc, side)}
    for i, section in enumerate(doc.root.walk()):
        out[id(section)] = (section, f"{side}.s{i}")
        for j, block in enumerate(section.blocks):
            out[id(block)] = (block, f"{side}.s{i}.b{j}")
    return out
