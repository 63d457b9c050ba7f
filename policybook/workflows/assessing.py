"""The verdict of each version's change from the one before it, computed once (shell cache).

Parsing and diffing a long policy costs tens of milliseconds, and the same pairs are
judged again and again (every `plan`, every scheduler tick, every site page): the
results are cached by the texts themselves, so a new commit with new text is judged
afresh and nothing stale can be served.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from functools import lru_cache

from ..diff import diff_documents
from ..document import Document, parse_document
from ..materiality import Assessment, assess
from ..timeline import Verdict
from ..versions import Version


@lru_cache(maxsize=512)
def parsed(text: str, path: str) -> Document:
    return parse_document(text, path)


@lru_cache(maxsize=1024)
def assess_texts(old_text: str, old_path: str, new_text: str, new_path: str) -> Assessment:
    return assess(diff_documents(parsed(old_text, old_path), parsed(new_text, new_path)))


def assess_change(old: Version, new: Version) -> Assessment:
    return assess_texts(old.text, old.path, new.text, new.path)


def assessments(versions: Sequence[Version]) -> dict[dt.date, Assessment]:
    """For one policy's versions: each version's assessment against its predecessor."""
    ordered = sorted(versions, key=lambda v: v.effective)
    return {new.effective: assess_change(old, new) for old, new in itertools.pairwise(ordered)}


def verdict_of(assessment: Assessment) -> Verdict:
    return Verdict(material=assessment.material,
                   reasons=tuple(str(r) for r in assessment.reasons),
                   overridden=assessment.overridden)


def verdicts(versions: Sequence[Version]) -> dict[dt.date, Verdict]:
    return {day: verdict_of(a) for day, a in assessments(versions).items()}
