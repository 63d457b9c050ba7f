"""The view model of a redline between two versions of a policy (pure core).

`compare_documents(old, new)` is the one function the changes, compare and draft pages
call: the semantic diff (`policybook.diff`) judged by the materiality rules
(`policybook.materiality`), so the website, `policybook diff` and the notices always
show the same verdict with the same reasons. The pages render it with the redline
macros of `templates/site/_redline.html`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..diff import diff_documents
from ..document import ChangeVerdict, Document
from ..materiality import Assessment, assess


@dataclass(frozen=True)
class Comparison:
    """`new` against `old` (None for a first version, with nothing to compare).

    `verdict`, `reasons` and `overridden` are what the timeline and the archive read;
    `assessment` is what the redline pages draw (None for a first version)."""

    old: Document | None
    new: Document
    verdict: ChangeVerdict | None
    reasons: tuple[str, ...]
    overridden: bool = False
    assessment: Assessment | None = None
    # A translation's redline: `assessment` draws its own words, `judged` is the
    # source's assessment, the one verdict (a translation is never judged on its own).
    judged: Assessment | None = None


Compare = Callable[[Document | None, Document], Comparison]


def compare_documents(old: Document | None, new: Document) -> Comparison:
    if old is None:
        return Comparison(None, new, None, ("the first version of this policy",))
    return comparison_of(old, new, assess(diff_documents(old, new)))


def comparison_of(old: Document, new: Document, a: Assessment) -> Comparison:
    """The page's view of an assessment made elsewhere (a shared cache, say)."""
    # The timeline records the material reasons (a notice lists them), else the summary.
    reasons = tuple(str(r) for r in a.reasons) if a.material and not a.overridden \
        else (a.summary(),)
    return Comparison(old, new, a.verdict, reasons, a.overridden, a)
