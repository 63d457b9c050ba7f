"""Every version of every policy, from the git history of `content/` (shell).

How it reads git, and why:
- One `git log --first-parent --raw` over `content/` gives, for each commit that landed on
  the branch, the blob of every policy file it added, changed, renamed or deleted. The
  first-parent walk is what "landed on main" means: a merged feature branch counts once,
  at its merge commit, with the text as merged (`--diff-merges=first-parent`).
- Blobs are read through GitPython's persistent `git cat-file` process, once per distinct
  blob, and only their front matter is parsed to learn the `policy` id and `effective`.
- Versions are keyed by the `policy` id of the front matter, never by path, so renames,
  moves and delete-and-add renames all keep a policy's history together; and by its
  `variant` (docs/languages.md): a regional variant is a timeline of its own, with its
  own versions, so `content/privacy-policy.eea.md` never replaces the general text.

A version's *introduced* commit is the first one that carried its effective date; its
*final* commit is the newest one that changed its text while it still had that date.

A policy file states the policy's (or its variant's) next version. When a commit gives the
file another effective date while the date it carried has not arrived yet, the earlier version is
*withdrawn* (rescheduled or replaced before it took effect): it never takes effect and
is listed apart (`History.withdrawn`). So a policy has at most one pending version: the
one in the file. To schedule two changes, commit the second after the first took effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, cast
from zoneinfo import ZoneInfo

import git

from .blobs import Front, blob_reader, forget_blobs, front_of, read_blob
from .cache import DiskCache, cache_folder, digest, stats
from .document import decode_text, default_policy_id, parse_front_matter
from .errors import HistoryError, Problem
from .gitrepo import (
    first_parent_after,
    head_sha,
    log_first_parent,
    open_repo,
    require_full_history,
    resolve_ref,
)
from .regions import read_declaration
from .versions import (
    Commit,
    LazyText,
    Translated,
    Version,
    effective_moment,
    follow_renames,
    rename_map,
)

_NULL_SHA = "0" * 40
_FILE_MODES = ("100644", "100755")


@dataclass(frozen=True)
class History:
    """What the history holds: versions, the head it was read at, and skipped files."""

    versions: tuple[Version, ...]
    head: str | None
    problems: tuple[Problem, ...] = ()
    withdrawn: tuple[tuple[Version, Commit], ...] = ()  # (version, the commit replacing it)
    # Every translation on the branch, including those that name no version (`check`
    # reports them); each version also carries its own.
    translations: tuple[Translated, ...] = ()
    # (policy, variant, effective) -> the `renamed-from:` its text declares, known from the
    # walk (so that following renames reads no text).
    declared_renames: Mapping[tuple[str, str | None, dt.date], str | None] = field(
        default_factory=dict, compare=False, repr=False)


@dataclass
class _Building:
    """A version being assembled while walking the log (frozen into `Version` at the end)."""

    policy: str
    effective: dt.date
    path: str
    blob: str  # of its final text (read from git when a reader first needs it)
    introduced: Commit
    commits: list[Commit] = field(default_factory=list)
    variant: str | None = None
    renamed: str | None = None  # the `renamed-from:` its final text declares


def _is_policy_path(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix == ".md" and p.name.lower() != "readme.md" and \
        not any(part.startswith(".") for part in p.parts)


# ---------------------------------------------------------------- the walk, resumable

_histories: dict[tuple[str, str, str, str], History] = {}  # (root, head, dir, zone)


# The walk kept on disk: bumped whenever its JSON changes (2: timelines keyed by variant).
WALK_FORMAT = 3


def forget() -> None:
    """Drop what this process remembers of histories (as if it had just started)."""
    _histories.clear()
    forget_blobs()


def _commit_json(c: Commit) -> list[str]:
    return [c.sha, c.author, c.date.isoformat(), c.message]


def _commit(data: list[str]) -> Commit:
    sha, author, date, message = data
    return Commit(str(sha), str(author), dt.datetime.fromisoformat(date), str(message))


@dataclass
class _Walk:
    """The state of the first-parent walk after some commit: what it takes to go on from
    there with only the commits that came after (kept on disk as JSON)."""

    zone: ZoneInfo
    head: str | None = None
    # Timelines are (policy, variant): the variant None is the general one.
    # path -> (policy, variant, blob)
    live: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)
    building: dict[tuple[str, str | None, dt.date], _Building] = field(default_factory=dict)
    # (policy, variant) -> its file's date
    carried: dict[tuple[str, str | None], dt.date] = field(default_factory=dict)
    withdrawn: dict[tuple[str, str | None, dt.date], Commit] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    # (policy, variant, language, translates) -> the translation being assembled
    translating: dict[tuple[str, str | None, str, dt.date], _Building] = \
        field(default_factory=dict)

    def translate(self, front: Front, path: str, blob: str, commit: Commit) -> None:
        """A translation's text: kept like a version's, under its language and date."""
        assert front.policy is not None and front.language is not None \
            and front.translates is not None
        key = (front.policy, front.variant, front.language, front.translates)
        current = self.translating.get(key)
        if current is None:
            self.translating[key] = _Building(front.policy, front.translates, path, blob,
                                              commit, [commit], front.variant)
        elif current.blob != blob:
            current.blob, current.path = blob, path
            if current.commits[-1].sha != commit.sha:
                current.commits.append(commit)

    def carry(self, policy: str, variant: str | None, effective: dt.date | None,
              commit: Commit) -> None:
        before = self.carried.pop((policy, variant), None)
        if before is not None and before != effective \
                and commit.date < effective_moment(before, self.zone):
            self.withdrawn.setdefault((policy, variant, before), commit)
        if effective is not None:
            self.carried[(policy, variant)] = effective
            self.withdrawn.pop((policy, variant, effective), None)

    def step(self, repo: git.Repo, commit: Commit, entries: list[list[str]]) -> None:
        stats["history.commit"] += 1
        for entry in entries:
            status, mode, new_blob = entry[0], entry[1], entry[2]
            paths = entry[3:]
            if status == "R":
                self.live.pop(paths[0], None)
                self.problems.pop(paths[0], None)
            path = paths[-1]
            if not _is_policy_path(path):
                continue
            if status == "D" or new_blob == _NULL_SHA:
                self.problems.pop(path, None)
                gone = self.live.pop(path, None)
                if gone is not None and all((p, v) != gone[:2] for p, v, _ in self.live.values()):
                    self.carry(gone[0], gone[1], None, commit)
                continue
            if mode not in _FILE_MODES:
                # A committed symbolic link's blob is its target's name, a submodule's is a
                # commit of another repository: neither is a policy's text.
                self.problems[path] = Problem(path, 0, f"skipped from the history since "
                                              f"commit {commit.short}: a symbolic link or "
                                              "submodule, not a file; commit the file itself")
                self.live.pop(path, None)
                continue
            front = front_of(repo, new_blob, path)
            if front.problem or front.policy is None or (front.effective is None
                                                         and front.translates is None):
                self.problems[path] = Problem(path, front.line, f"skipped from the history "
                                              f"since commit {commit.short}: {front.problem}")
                self.live.pop(path, None)
                continue
            self.problems.pop(path, None)
            if front.translates is not None or front.effective is None:
                self.translate(front, path, new_blob, commit)
                continue
            policy, variant = front.policy, front.variant
            twin = next((p for p, (pid, var, _) in self.live.items()
                         if (pid, var) == (policy, variant) and p != path), None)
            if twin is not None:
                # Two files claim one policy id: `check` refuses this, but history may
                # hold it; the newer write wins and the conflict is reported.
                what = f"policy id '{policy}'" + (f" with variant '{variant}'" if variant
                                                   else "")
                self.problems[path] = Problem(path, 1, f"{what} is also used by "
                                              f"{twin} in commit {commit.short}")
            before = self.live.get(path)
            if before is not None and before[0] == policy and before[1] != variant and \
                    all((pid, var) != before[:2]
                        for p, (pid, var, _) in self.live.items() if p != path):
                # The file now states another variant of its policy (or the general
                # text): the timeline it stated ends, as if the file had been deleted.
                self.live.pop(path)
                self.carry(before[0], before[1], None, commit)
            self.live[path] = (policy, variant, new_blob)
            self.carry(policy, variant, front.effective, commit)
            key = (policy, variant, front.effective)
            current = self.building.get(key)
            if current is None:
                self.building[key] = _Building(policy, front.effective, path, new_blob,
                                               commit, [commit], variant, front.renamed)
            elif current.blob != new_blob:
                current.blob, current.path, current.renamed = new_blob, path, front.renamed
                if current.commits[-1].sha != commit.sha:
                    current.commits.append(commit)
        self.head = commit.sha

    def history(self, repo: git.Repo, head: str, root: Path) -> History:
        read = blob_reader(root)

        def version(b: _Building, translations: tuple[Translated, ...] = ()) -> Version:
            # The text is read when a reader first needs it: a warm `versions` or `plan`
            # needs the verdicts (kept by blob) and the newest text's summary, not 500 texts.
            text = cast(str, LazyText(b.blob, read))
            return Version(b.policy, b.effective, b.path, text, b.introduced, b.commits[-1],
                           tuple(b.commits), translations, variant=b.variant)

        translations = tuple(
            Translated(b.policy, language, b.effective, b.path, read_blob(repo, b.blob)[0],
                       b.introduced, b.commits[-1], tuple(b.commits), b.variant)
            for (_, _, language, _), b in sorted(self.translating.items(),
                                                 key=lambda kv: _sortable(kv[0])))
        of: dict[tuple[str, str | None, dt.date], tuple[Translated, ...]] = {}
        for t in translations:
            key = (t.policy, t.variant, t.translates)
            of[key] = (*of.get(key, ()), t)
        every = sorted(self.building.values(),
                       key=lambda b: (b.policy, b.variant or "", b.effective))
        versions = tuple(version(b, of.get((b.policy, b.variant, b.effective), ()))
                         for b in every if (b.policy, b.variant, b.effective)
                         not in self.withdrawn)
        replaced = tuple((version(b), self.withdrawn[(b.policy, b.variant, b.effective)])
                         for b in every if (b.policy, b.variant, b.effective) in self.withdrawn)
        return History(versions, head, tuple(sorted(self.problems.values())), replaced,
                       translations, {(b.policy, b.variant, b.effective): b.renamed
                                      for b in every})

    def to_json(self) -> dict[str, Any]:
        return {
            "format": WALK_FORMAT,
            "head": self.head,
            "live": {p: list(v) for p, v in self.live.items()},
            "building": [[b.policy, b.variant, b.effective.isoformat(), b.path, b.blob,
                          [_commit_json(c) for c in b.commits],
                          _commit_json(b.introduced), b.renamed]
                         for b in self.building.values()],
            "carried": [[p, v, d.isoformat()] for (p, v), d in self.carried.items()],
            "withdrawn": [[p, v, d.isoformat(), _commit_json(c)]
                          for (p, v, d), c in self.withdrawn.items()],
            "problems": [[p.path, p.line, p.message] for p in self.problems.values()],
            "translating": [[p, v, lang, d.isoformat(), b.path, b.blob,
                             [_commit_json(c) for c in b.commits], _commit_json(b.introduced)]
                            for (p, v, lang, d), b in self.translating.items()],
        }

    @classmethod
    def from_json(cls, data: Any, zone: ZoneInfo) -> _Walk:
        """Raises KeyError, TypeError or ValueError on anything but what `to_json` wrote."""
        if data["format"] != WALK_FORMAT:  # kept by an older policybook: read afresh
            raise ValueError("another format of the walk")
        walk = cls(zone, head=str(data["head"]))
        walk.live = {str(p): (str(v[0]), _variant(v[1]), str(v[2]))
                     for p, v in data["live"].items()}
        for policy, variant, day, path, blob, commits, introduced, renamed \
                in data["building"]:
            effective = dt.date.fromisoformat(day)
            walk.building[(policy, _variant(variant), effective)] = _Building(
                str(policy), effective, str(path), str(blob), _commit(introduced),
                [_commit(c) for c in commits], _variant(variant),
                None if renamed is None else str(renamed))
        walk.carried = {(str(p), _variant(v)): dt.date.fromisoformat(d)
                        for p, v, d in data["carried"]}
        walk.withdrawn = {(str(p), _variant(v), dt.date.fromisoformat(d)): _commit(c)
                          for p, v, d, c in data["withdrawn"]}
        walk.problems = {str(path): Problem(str(path), int(line), str(message))
                         for path, line, message in data["problems"]}
        for policy, variant, language, day, path, blob, commits, introduced \
                in data["translating"]:
            effective = dt.date.fromisoformat(day)
            walk.translating[(str(policy), _variant(variant), str(language), effective)] = \
                _Building(str(policy), effective, str(path), str(blob), _commit(introduced),
                          [_commit(c) for c in commits], _variant(variant))
        return walk


def _variant(value: Any) -> str | None:
    return None if value is None else str(value)


def _sortable(key: tuple[str, str | None, str, dt.date]) -> tuple[str, str, str, dt.date]:
    policy, variant, language, day = key
    return policy, variant or "", language, day


def read_history(root: Path, ref: str | None = None, content_dir: str = "content",
                 zone: ZoneInfo | None = None) -> History:
    """Every version of every policy on the branch (`ref`, default the current one);
    `zone` is the time zone of effective dates (default UTC), to tell a pending version.

    The walk is kept on disk (`policybook.cache`): for a head already read nothing is
    walked, and for a head that descends from one read before (its first-parent line),
    only the commits after it are; anything else is read from the start."""
    zone = zone or ZoneInfo("UTC")
    with open_repo(root) as repo:
        sha = resolve_ref(repo, ref)
        if sha is None:
            return History((), None)
        require_full_history(repo)
        memo = (str(root.resolve()), sha, content_dir, zone.key)
        if memo in _histories:
            return _histories[memo]
        disk = DiskCache(cache_folder(root), "history")
        slot = digest(f"history-{WALK_FORMAT}", content_dir, zone.key, ref or "HEAD")
        walk = _load_walk(disk, slot, zone)
        if walk is None or walk.head is None or (
                walk.head != sha and not first_parent_after(repo, walk.head, sha)):
            walk, since = _Walk(zone), None
        else:
            since = walk.head
        if walk.head != sha:
            for commit, entries in log_first_parent(repo, sha, content_dir, since):
                walk.step(repo, commit, entries)
            walk.head = sha
            disk.put(slot, walk.to_json())
        history = _renamed(walk.history(repo, sha, root))
        if len(_histories) > 16:
            _histories.clear()
        _histories[memo] = history
        return history


def _renamed(history: History) -> History:
    """The history with renamed policies' versions under their new ids (`renamed-from:`)."""
    declared = history.declared_renames
    renames = rename_map(history.versions,
                         lambda v: declared.get((v.policy, v.variant, v.effective)))
    if not renames:
        return history
    withdrawn = tuple((replace(v, policy=renames.get(v.policy, v.policy)), c)
                      for v, c in history.withdrawn)
    return replace(history, versions=follow_renames(history.versions, renames),
                   withdrawn=withdrawn)


def _load_walk(disk: DiskCache, slot: str, zone: ZoneInfo) -> _Walk | None:
    data = disk.get(slot)
    if data is None:
        return None
    try:
        return _Walk.from_json(data, zone)
    except (KeyError, TypeError, ValueError, AttributeError):
        stats["history.corrupt"] += 1
        return None


def policy_text_at(root: Path, policy: str, rev: str, content_dir: str = "content",
                   variant: str | None = None) -> tuple[str, str]:
    """(path, text) of the file that holds `policy` (its `variant`) in commit `rev`."""
    with open_repo(root) as repo:
        sha = resolve_ref(repo, rev)
        assert sha is not None
        commit = repo.commit(sha)
        try:
            tree = commit.tree / content_dir
        except KeyError:
            raise HistoryError(f"revision '{rev}' has no {content_dir}/ folder") from None
        found: list[str] = []
        for item in tree.traverse():
            if not isinstance(item, git.Blob):
                continue
            path = str(item.path)
            if not _is_policy_path(path):
                continue
            text, _ = decode_text(item.data_stream.read())
            front, _ = parse_front_matter(text, path)
            if "translates" in dict(front.extra):
                continue  # a translation of the policy, not the policy's own file
            pid = front.policy or default_policy_id(path)
            if pid == policy and read_declaration(text).variant == variant:
                return path, text
            if pid:
                found.append(pid)
        known = ", ".join(sorted(set(found))) or "none"
        what = f"policy '{policy}'" + (f" (variant '{variant}')" if variant else "")
        raise HistoryError(f"no {what} in revision '{rev}' (policies there: {known})")


class HistoryCache:
    """Versions of a repository, re-read only when the branch head moves."""

    def __init__(self, root: Path, ref: str | None = None, content_dir: str = "content",
                 zone: ZoneInfo | None = None) -> None:
        self.root, self.ref, self.content_dir, self.zone = root, ref, content_dir, zone
        self._history: History | None = None

    def get(self) -> History:
        head = head_sha(self.root, self.ref)
        if self._history is None or self._history.head != head:
            self._history = read_history(self.root, self.ref, self.content_dir, self.zone)
        return self._history
