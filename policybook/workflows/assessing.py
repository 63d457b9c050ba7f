"""The verdict of each version's change from the one before it, computed once (shell cache).

Parsing and diffing a long policy costs tens of milliseconds, and the same pairs are
judged again and again (every `plan`, every scheduler tick, every site page, every
process started by cron). Two caches, both keyed by the texts themselves so that a new
commit with new text is judged afresh and nothing stale can be served:
- in the process, the full `Assessment` (with its change set, for redlines);
- on disk (`policybook.cache`), its `Judgement`: the verdict and the reasons, which is
  all that `versions`, `plan`, `check` and the tick read. A warm process judges nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

# `..cache` (json, hashlib, tempfile) is imported where used: `diff` of two files, which
# judges one pair in memory, never needs it.
from ..document import (
    ChangeVerdict,
    Document,
    FrontMatter,
    Override,
    parse_document,
    parse_front_matter,
)
from ..reasons import Reason
from ..rulebook import Rule
from ..rulebook import Settings as MaterialitySettings

if TYPE_CHECKING:  # `diff` of two files judges without the timeline
    from ..timeline import Verdict
    from ..versions import Version

if TYPE_CHECKING:  # the differ and the rules load only when a change is judged
    from ..changeset import ChangeSet
    from ..materiality import Assessment


@lru_cache(maxsize=1024)
def parsed(text: str, path: str) -> Document:
    return parse_document(text, path)


@lru_cache(maxsize=4096)
def front_matter(text: str, path: str) -> FrontMatter:
    """A text's front matter alone (a fraction of parsing the whole policy)."""
    return parse_front_matter(text, path)[0]


# The repository's `[materiality]` settings (extra terms, rules switched off, profiles):
# one per process, set where the configuration is loaded (`use_settings`), so that every
# verdict of the process (check, plan, the tick, the site, diff) is reached the same way,
# and part of every cache key (another setting never reads a judgement made without it).
_settings: MaterialitySettings | None = None
_settings_key = ""


def use_settings(settings: MaterialitySettings | None) -> None:
    """Judge with `settings` from now on (None: the defaults)."""
    from ..cache import digest, stable_text, to_plain

    global _settings, _settings_key
    # (not `repr`: its sets are in an order that changes from one process to the next,
    # and then no process would find another's judgements)
    key = "" if settings is None else digest("materiality",
                                             stable_text(to_plain(settings, {})))
    if key != _settings_key:
        _settings, _settings_key = settings, key
        forget()


def judge(changes: ChangeSet) -> Assessment:
    """The verdict on a change set, with this process's `[materiality]` settings."""
    from ..materiality import assess  # the rules load when a change is to be judged

    return assess(changes, settings=_settings)


_ASSESSED_MAX = 1024
_assessed: dict[tuple[str, str, str, str], Assessment] = {}  # in this process, by texts


def assess_texts(old_text: str, old_path: str, new_text: str, new_path: str) -> Assessment:
    """The full assessment of one change (with its change set), once per process."""
    return _assess((old_text, old_path, new_text, new_path),
                   lambda: (parsed(old_text, old_path), parsed(new_text, new_path)))


def assess_documents(old: Document, new: Document) -> Assessment:
    """`assess_texts` for documents a caller parsed already (the site's pages): the same
    cache, so the state, `plan` and the pages judge each pair once, and no text is parsed
    twice (a static build used to parse every version once for its page and once more
    for its diff)."""
    return _assess((old.source, old.path, new.source, new.path), lambda: (old, new))


def _assess(key: tuple[str, str, str, str],
            documents: Callable[[], tuple[Document, Document]]) -> Assessment:
    from ..cache import stats

    found = _assessed.get(key)
    if found is not None:
        return found
    from ..diff import diff_documents  # deepdiff and the differ load only when one is due

    stats["assess.diff"] += 1
    found = judge(diff_documents(*documents()))
    if len(_assessed) >= _ASSESSED_MAX:
        _assessed.pop(next(iter(_assessed)))  # the oldest entry
    _assessed[key] = found
    return found


def assess_change(old: Version, new: Version) -> Assessment:
    return assess_texts(old.text, old.path, new.text, new.path)


def assessments(versions: Sequence[Version]) -> dict[dt.date, Assessment]:
    """For one policy's versions: each version's assessment against its predecessor, with
    its change set (for redlines). `judgements` is the cheap form for verdicts."""
    ordered = sorted(versions, key=lambda v: v.effective)
    return {new.effective: assess_change(old, new) for old, new in itertools.pairwise(ordered)}


@dataclass(frozen=True)
class Judgement:
    """An assessment without its change set: the verdict, the reasons and the summary.

    It answers what readers of a verdict ask of an `Assessment` (the same names), and it
    is small enough to keep on disk, so a process that starts finds it ready."""

    verdict: ChangeVerdict
    detected: ChangeVerdict
    changes_reasons: tuple[tuple[Reason, ...], ...]  # per material change, its material reasons
    editorial_reasons: tuple[Reason, ...]
    override: Override | None
    override_note: str
    summary_text: str

    @property
    def material(self) -> bool:
        return self.verdict is ChangeVerdict.MATERIAL

    @property
    def overridden(self) -> bool:
        return self.override is not None

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(r for change in self.changes_reasons for r in change)

    @property
    def main_reasons(self) -> tuple[Reason, ...]:
        return tuple(change[0] for change in self.changes_reasons if change)

    def summary(self) -> str:
        return self.summary_text

    @classmethod
    def of(cls, a: Assessment) -> Judgement:
        return cls(a.verdict, a.detected,
                   tuple(c.material_reasons for c in a.changes if c.material),
                   a.editorial_reasons, a.override, a.override_note, a.summary())

    def to_json(self) -> dict[str, Any]:
        return {"verdict": str(self.verdict), "detected": str(self.detected),
                "changes": [[_reason_json(r) for r in c] for c in self.changes_reasons],
                "editorial": [_reason_json(r) for r in self.editorial_reasons],
                "override": None if self.override is None else
                [str(self.override.verdict), self.override.reason],
                "override_note": self.override_note, "summary": self.summary_text}

    @classmethod
    def from_json(cls, data: Any) -> Judgement:
        """Raises KeyError, TypeError or ValueError on anything but what `to_json` wrote."""
        override = data["override"]
        return cls(ChangeVerdict(data["verdict"]), ChangeVerdict(data["detected"]),
                   tuple(tuple(_reason(r) for r in c) for c in data["changes"]),
                   tuple(_reason(r) for r in data["editorial"]),
                   None if override is None else Override(ChangeVerdict(override[0]),
                                                          str(override[1])),
                   str(data["override_note"]), str(data["summary"]))


def _reason_json(r: Reason) -> list[Any]:
    return [str(r.rule), str(r.verdict), r.section, r.where, r.line, r.words, list(r.terms),
            r.note, r.old_words, r.new_words]


def _reason(data: Any) -> Reason:
    rule, verdict, section, where, line, words, terms, note, old_words, new_words = data
    if not isinstance(line, int) or not all(isinstance(t, str) for t in terms):
        raise TypeError("not a reason")
    return Reason(Rule(rule), ChangeVerdict(verdict), str(section), str(where), line,
                  str(words), tuple(terms), str(note), str(old_words), str(new_words))


_judged: dict[str, Judgement] = {}  # this process's judgements, by key


def forget() -> None:
    """Drop what this process remembers of judgements (as if it had just started)."""
    _judged.clear()
    _runs.clear()
    _text_keys.clear()
    parsed.cache_clear()
    front_matter.cache_clear()
    _assessed.clear()


def judge_texts(old_text: str, old_path: str, new_text: str, new_path: str,
                root: Path | None = None) -> Judgement:
    """The judgement of one change: from this process, else the disk cache of `root`'s
    repository, else by diffing (and then kept in both)."""
    from ..cache import digest

    key = digest("judgement", _text_key(old_text), old_path, _text_key(new_text), new_path,
                 _settings_key)
    return _judge(key, lambda: assess_texts(old_text, old_path, new_text, new_path), root)


def judge_change(old: Version, new: Version, root: Path | None = None) -> Judgement:
    """`judge_texts` for two versions, keyed without reading a text whose blob is known."""
    from ..cache import digest

    key = digest("judgement", _version_key(old), old.path, _version_key(new), new.path,
                 _settings_key)
    return _judge(key, lambda: assess_texts(old.text, old.path, new.text, new.path), root)


def _judge(key: str, compute: Callable[[], Assessment], root: Path | None) -> Judgement:
    from ..cache import DiskCache, cache_folder, stats

    found = _judged.get(key)
    if found is not None:
        return found
    disk = DiskCache(cache_folder(root), "judgements") if root is not None else None
    if disk is not None:
        data = disk.get(key)
        if data is not None:
            try:
                found = Judgement.from_json(data)
            except (KeyError, TypeError, ValueError):
                stats["judgements.corrupt"] += 1
    if found is None:
        found = Judgement.of(compute())
        if disk is not None:
            disk.put(key, found.to_json())
    _judged[key] = found
    return found


def judgements(versions: Sequence[Version], root: Path | None = None) -> dict[dt.date, Judgement]:
    """For one policy's versions: each version's judgement against its predecessor, kept
    on disk in `root`'s cache folder (so that only a new pair is ever diffed).

    Besides one entry per pair, the judgements of the whole sequence are kept as one
    entry, so that a process that starts reads one file, not one per version."""
    from ..cache import DiskCache, cache_folder, digest, stats

    ordered = sorted(versions, key=lambda v: v.effective)
    pairs = list(itertools.pairwise(ordered))
    run_key = digest("run", _settings_key,
                     *(part for v in ordered for part in (_version_key(v), v.path)))
    found = _runs.get(run_key)
    if found is not None:
        return dict(found)
    disk = DiskCache(cache_folder(root), "judgement-runs") if root is not None else None
    if disk is not None and pairs:
        data = disk.get(run_key)
        if isinstance(data, list) and len(data) == len(pairs):
            try:
                found = {new.effective: Judgement.from_json(d)
                         for (_, new), d in zip(pairs, data, strict=True)}
            except (KeyError, TypeError, ValueError):
                stats["judgement-runs.corrupt"] += 1
    if found is None:
        found = {new.effective: judge_change(old, new, root) for old, new in pairs}
        if disk is not None and pairs:
            disk.put(run_key, [found[new.effective].to_json() for _, new in pairs])
    if len(_runs) > 256:
        _runs.clear()
    _runs[run_key] = found
    return dict(found)


_runs: dict[str, dict[dt.date, Judgement]] = {}  # this process's runs of judgements


_text_keys: dict[int, tuple[str, str]] = {}  # id(text) -> (text, its digest)


def _version_key(v: Version) -> str:
    """What names a version's text in a cache key: the git blob that holds exactly this
    text when the history says so (then the text need not be read at all), else the
    digest of the text itself. A version given another text (a held-back edit's text in
    effect) carries a plain text and no blob, so it is keyed by that text."""
    from ..versions import text_blob  # runtime import: `diff` of two files never gets here

    blob = text_blob(v)
    return f"blob:{blob}" if blob is not None else _text_key(v.text)


def _text_key(text: str) -> str:
    """The digest of a text, computed once per text object (a version's text is one
    object for the life of its history; the entry keeps it alive, so ids are not reused)."""
    from ..cache import digest

    found = _text_keys.get(id(text))
    if found is not None and found[0] is text:
        return found[1]
    key = digest(text)
    if len(_text_keys) > 8192:
        _text_keys.clear()
    _text_keys[id(text)] = (text, key)
    return key


def verdict_of(assessment: Assessment | Judgement) -> Verdict:
    from ..timeline import Verdict

    return Verdict(material=assessment.material,
                   reasons=tuple(str(r) for r in assessment.reasons),
                   overridden=assessment.overridden)


def verdicts(versions: Sequence[Version], root: Path | None = None) -> dict[dt.date, Verdict]:
    return {day: verdict_of(a) for day, a in judgements(versions, root).items()}
