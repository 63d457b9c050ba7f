"""Validate the policies of a repository's working tree (`policybook check`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..document import SUMMARY_CONFIRMED, Document
from ..errors import HistoryError, Problem
from ..gitrepo import (
    changed_files,
    ensure_full_history,
    is_repository,
    require_common_history,
)
from ..history import History, HistoryCache, read_history
from ..regions import (
    Variant,
    check_declaration,
    check_variants,
    label,
    read_declaration,
    timeline_key,
)
from ..repository import Loaded, load_content, load_documents
from ..state import PolicyState
from ..translations import language_label
from ..validate import validate_all
from ..versions import Version
from .assessing import assess_texts, parsed
from .gates import gate_problems
from .planning import OnRecord
from .sources import PreviewHistory
from .state import StateBuilder
from .translating import file_problems, split, translation_check

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a database exists
    from ..store import Store


def unreadable_history(config: Config, loaded: Loaded, base: str | None) -> list[Problem]:
    """What the history of the branch cannot read: a shallow clone or a base that is not
    there is refused (HistoryError), and a committed policy file that the history skips
    (so that no version of it would ever take effect) is a problem of `check`, unless the
    file is in the working tree's check already (then its own problem says what to fix)."""
    try:
        ensure_full_history(config.root)
        if base is not None:
            require_common_history(config.root, base)
        history = read_history(config.root, None, config.content_dir, config.zone)
    except HistoryError:
        if base is not None or is_repository(config.root):
            raise
        return []  # not a repository yet: nothing is committed
    checked = {d.path for d in loaded.documents} | {p.path for p in loaded.problems}
    return [Problem(p.path, p.line, f"committed version: {p.message}")
            for p in history.problems if p.path not in checked]


@dataclass(frozen=True)
class CheckReport:
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        n = len({d.policy_id for d in self.documents})
        names = [label(d.policy_id, read_declaration(d.source).variant) for d in self.documents]
        regional = len(names) - n
        also = f" and {regional} regional variant{'s' if regional != 1 else ''}" \
            if regional > 0 else ""
        if self.ok:
            return (f"{n} polic{'y' if n == 1 else 'ies'}{also} checked, no problems "
                    f"({', '.join(names)})")
        files = len({p.path for p in self.problems})
        count = len(self.problems)
        return (f"{count} problem{'s' if count != 1 else ''} in {files} "
                f"file{'s' if files != 1 else ''}")


def check_content(config: Config, paths: list[Path] | None = None,
                  now: dt.datetime | None = None, base: str | None = None,
                  gate: bool = True) -> CheckReport:
    """Every content problem of the repository (or of the given files and folders), and,
    with `now`, every notice-period problem against the versions on record at `base`."""
    if paths:
        loaded = load_documents(paths, config.root)
        if not loaded.documents and not loaded.problems:
            missing = ", ".join(str(p) for p in paths)
            return CheckReport((), (Problem(missing, 0, "contains no policies (*.md files)"),))
    else:
        loaded = load_content(config.root, config.content_dir)
    # Translations are checked as translations (translating.py), never as policies.
    sources, translated = split(loaded.documents, config.source_language)
    problems = list(loaded.problems) + validate_all(sources)
    problems += variant_problems(config, sources, translated)
    if not paths:  # (a few files do not declare every variant)
        problems += site_problems(config, sources)
    problems += file_problems(config, translated, sources, _history_or_none(config))
    if gate and not paths:
        problems += unreadable_history(config, loaded, base)
    if gate and now is not None:
        store = OnRecord(config, now)  # opened only if the notices on record are not cached
        try:
            problems += gate_problems(config, sources, now, base, store)
            if base is None:  # a pull request's check judges only what it changes
                problems += committed_problems(config, sources, now, store,
                                               everything=not paths)
            if not paths:
                problems += translation_problems(config, sources, translated, now, store, base)
        finally:
            store.close()
    return CheckReport(sources, tuple(sorted(set(problems))))


def variant_problems(config: Config, sources: Sequence[Document],
                     translated: Sequence[Document]) -> list[Problem]:
    """Each file's `variant:` and `applies-to:` (an unknown region or code, a bad id), a
    country named by two variants of one policy, two translations of one (policy,
    variant, language), and a translation of a variant that no file declares."""
    regions = config.region_map
    policies = {d.policy_id for d in sources}
    out: list[Problem] = []
    variants: dict[str, dict[str | None, Variant]] = {}
    for doc in sources:
        variant, problems = check_declaration(read_declaration(doc.source), doc.path,
                                              doc.policy_id, regions, policies)
        out += problems
        # (two files of one variant: validate_all says so, once)
        variants.setdefault(doc.policy_id, {}).setdefault(variant.id, variant)
    for found in variants.values():
        out += check_variants(tuple(found.values()))
    seen: dict[tuple[str, str | None, str], Document] = {}
    for doc in translated:
        language = dict(doc.front.extra).get("language", "").strip()
        declared = read_declaration(doc.source)
        key = (doc.policy_id, declared.variant, language)
        line = doc.front.line_of("language")
        if key in seen:
            out.append(Problem(doc.path, line, f"{seen[key].path} is already the "
                               f"{language_label(language)} translation of "
                               f"{label(doc.policy_id, declared.variant)}; keep one file per "
                               "policy, variant and language"))
        else:
            seen[key] = doc
        if doc.policy_id in variants and declared.variant not in variants[doc.policy_id]:
            known = ", ".join(sorted(v for v in variants[doc.policy_id] if v)) or "none"
            out.append(Problem(doc.path, declared.variant_line, f"translates variant "
                               f"'{declared.variant}' of {doc.policy_id}, which no source file "
                               f"declares (its variants: {known})"))
    return out


def site_problems(config: Config, sources: Sequence[Document]) -> list[Problem]:
    """A `[[sites]]` entry listing a variant no policy declares."""
    if not config.sites:
        return []
    from ..config import CONFIG_FILE
    from ..sites import unknown_variants

    path = config.root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:  # (the sites came from it a moment ago)
        return []
    declared = {v for d in sources if (v := read_declaration(d.source).variant)}
    return [Problem(CONFIG_FILE, line, message)
            for line, message in unknown_variants(config.sites, declared, text)]


def _history_or_none(config: Config) -> History | None:
    try:
        return read_history(config.root, None, config.content_dir, config.zone)
    except HistoryError:
        return None


def committed_problems(config: Config, docs: tuple[Document, ...], now: dt.datetime,
                       store: Store | OnRecord | None, everything: bool = True
                       ) -> list[Problem]:
    """What is wrong with the committed state at `now` (see `state.py`): an overdue
    material notice, a material edit held back, a missing or stale summary. A policy whose
    file has uncommitted edits is judged on the file instead (the gate, and its summary);
    given files, only their policies are judged."""
    builder = StateBuilder(config, store)
    try:
        state = builder.state(now)
    except HistoryError:
        return []  # not a repository yet: nothing is committed
    history, _ = builder.refresh()
    newest: dict[str, Version] = {}  # timeline -> the version of its newest commit
    for v in sorted(history.versions, key=lambda v: v.final.date):
        newest[v.timeline] = v  # (its text is read below, for a policy with a file only)
    files = {timeline_key(d.policy_id, read_declaration(d.source).variant): d for d in docs}
    out: list[Problem] = []
    for ps in state.policies:
        doc = files.get(ps.timeline)
        if doc is None and not everything:
            continue
        if doc is not None and ps.timeline in newest and doc.source != newest[ps.timeline].text:
            out += _file_summary(doc, ps, now)
            continue
        for p in ps.problems:
            if not p.kind.blocking:
                continue
            path, line = (doc.path, doc.front.line_of(p.field)) if doc is not None \
                else (p.path, 0)
            # A regional variant's problem names it (its file says which, but the
            # reader of a CI log should not have to know the layout).
            named = "" if p.variant is None else f" {p.policy} ({p.variant}) " \
                f"@{p.effective}:"
            out.append(Problem(path, line, f"(as committed){named} {p.message}"))
    return out


def translation_problems(config: Config, sources: Sequence[Document],
                         translated: Sequence[Document], now: dt.datetime,
                         store: Store | OnRecord | None, base: str | None) -> list[Problem]:
    """Missing, stale and orphan translations (docs/languages.md) of the state as it will
    be once the working tree lands: the branch with its uncommitted edits, so that an
    edit that makes a new version asks for its translations before it is committed. With
    `base` (a pull request), only the problems of the files the pull request changes."""
    cache = HistoryCache(config.root, None, config.content_dir, config.zone)
    proposed = PreviewHistory(cache, config.root, config.content_dir, config.zone,
                              clock=lambda: now)
    builder = StateBuilder(config, store, history=proposed)
    try:
        state = builder.state(now)
    except HistoryError:
        return []  # not a repository yet: nothing is committed
    history, _ = builder.refresh()
    found = translation_check(config, state, history, translated, now).problems
    if base is None:
        return list(found)
    # A pull request answers for every translation of a policy it touches: a source
    # edit that withdraws a date leaves the translations of that date without a version.
    changed = changed_files(config.root, base)
    timeline = {d.path: (d.policy_id, read_declaration(d.source).variant)
                for d in (*sources, *translated)}
    touched = {timeline[path] for path in changed if path in timeline}
    return [p for p in found if p.path in changed or timeline.get(p.path) in touched]


def _file_summary(doc: Document, ps: PolicyState, now: dt.datetime) -> list[Problem]:
    """A material edit in the working tree needs a summary that covers it."""
    effective = doc.front.effective
    if effective is None or ps.in_force is None:
        return []
    pending = ps.plan(effective)
    before = pending if pending is not None and pending is not ps.in_force else ps.in_force
    base = ps.in_force.version
    if not assess_texts(base.text, base.path, doc.source, doc.path).material:
        return []
    line = doc.front.line_of("summary") if doc.front.summary else doc.front.line_of("effective")
    if not (doc.front.summary or "").strip():
        return [Problem(doc.path, line, "this version is MATERIAL and has no summary: the "
                        "notice e-mail and the banner tell every account holder what "
                        "changes; add a plain-language `summary:` to its front matter")]
    if before is ps.in_force:
        return []  # a new version: its summary is being written now
    old = parsed(before.version.text, before.version.path).front
    same = (old.summary == doc.front.summary and dict(old.extra).get(SUMMARY_CONFIRMED)
            == dict(doc.front.extra).get(SUMMARY_CONFIRMED))
    change = assess_texts(before.version.text, before.version.path, doc.source, doc.path)
    if not same or not change.material:
        return []
    reasons = "; ".join(str(r) for r in change.main_reasons[:3])
    return [Problem(doc.path, line, f"your edit makes material changes ({reasons}) and the "
                    "summary is unchanged: update `summary:` to cover them, or, if it still "
                    f"holds, add `{SUMMARY_CONFIRMED}: {now.date()}` to the front matter")]
