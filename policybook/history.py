"""Every version of every policy, from the git history of `content/` (shell).

How it reads git, and why:
- One `git log --first-parent --raw` over `content/` gives, for each commit that landed on
  the branch, the blob of every policy file it added, changed, renamed or deleted. The
  first-parent walk is what "landed on main" means: a merged feature branch counts once,
  at its merge commit, with the text as merged (`--diff-merges=first-parent`).
- Blobs are read through GitPython's persistent `git cat-file` process, once per distinct
  blob, and only their front matter is parsed to learn the `policy` id and `effective`.
- Versions are keyed by the `policy` id of the front matter, never by path, so renames,
  moves and delete-and-add renames all keep a policy's history together.

A version's *introduced* commit is the first one that carried its effective date; its
*final* commit is the newest one that changed its text while it still had that date.

A policy file states the policy's next version. When a commit gives the file another
effective date while the date it carried has not arrived yet, the earlier version is
*withdrawn* (rescheduled or replaced before it took effect): it never takes effect and
is listed apart (`History.withdrawn`). So a policy has at most one pending version: the
one in the file. To schedule two changes, commit the second after the first took effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import git

from .document import FrontMatter, parse_front_matter
from .errors import HistoryError, Problem
from .versions import Commit, Version, effective_moment

_RS, _US = "\x1e", "\x1f"
_FORMAT = f"{_RS}%H{_US}%an{_US}%cI{_US}%s"
_NULL_SHA = "0" * 40


@dataclass(frozen=True)
class History:
    """What the history holds: versions, the head it was read at, and skipped files."""

    versions: tuple[Version, ...]
    head: str | None
    problems: tuple[Problem, ...] = ()
    withdrawn: tuple[tuple[Version, Commit], ...] = ()  # (version, the commit replacing it)


@dataclass
class _Building:
    """A version being assembled while walking the log (frozen into `Version` at the end)."""

    policy: str
    effective: dt.date
    path: str
    text: str
    blob: str
    introduced: Commit
    commits: list[Commit] = field(default_factory=list)


def open_repo(root: Path) -> git.Repo:
    try:
        return git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HistoryError(f"{root} is not a git repository; policybook reads policy versions "
                           "from git (run 'git init' and commit content/)") from None


def resolve_ref(repo: git.Repo, ref: str | None) -> str | None:
    """The commit sha of `ref` (default HEAD); None for a repository with no commit yet."""
    name = ref or "HEAD"
    try:
        return str(repo.commit(name).hexsha)
    except (git.BadName, ValueError, git.GitCommandError):
        if ref is None:
            return None
        raise HistoryError(f"revision '{ref}' is not in this repository; give a branch, tag "
                           "or commit (see 'git log')") from None


def head_sha(root: Path, ref: str | None = None) -> str | None:
    """The current sha of the branch: a cheap check for caches."""
    with open_repo(root) as repo:
        return resolve_ref(repo, ref)


def _log(repo: git.Repo, sha: str, content_dir: str) -> Iterator[tuple[Commit, list[list[str]]]]:
    out = repo.git.log(sha, "--first-parent", "--reverse", "--raw", "--no-abbrev", "-M", "-z",
                       "--diff-merges=first-parent", f"--format={_FORMAT}", "--",
                       f"{content_dir}/")
    for chunk in out.split(_RS):
        if not chunk:
            continue
        header, _, raw = chunk.partition("\0")
        sha_, author, date, subject = header.split(_US, 3)
        commit = Commit(sha=sha_, author=author, date=dt.datetime.fromisoformat(date),
                        message=subject)
        fields = raw.lstrip("\n").split("\0")
        entries: list[list[str]] = []
        i = 0
        while i < len(fields):
            meta = fields[i].strip()
            if not meta.startswith(":"):
                i += 1
                continue
            parts = meta[1:].split()
            status = parts[4]
            n_paths = 2 if status[0] in "RC" else 1
            entries.append([status[0], parts[2], parts[3], *fields[i + 1 : i + 1 + n_paths]])
            i += 1 + n_paths
        yield commit, entries


def _is_policy_path(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix == ".md" and p.name.lower() != "readme.md" and \
        not any(part.startswith(".") for part in p.parts)


def read_history(root: Path, ref: str | None = None, content_dir: str = "content",
                 zone: ZoneInfo | None = None) -> History:
    """Every version of every policy on the branch (`ref`, default the current one);
    `zone` is the time zone of effective dates (default UTC), to tell a pending version."""
    zone = zone or ZoneInfo("UTC")
    with open_repo(root) as repo:
        sha = resolve_ref(repo, ref)
        if sha is None:
            return History((), None)
        blobs: dict[str, str] = {}
        fronts: dict[str, FrontMatter] = {}
        problems: dict[str, Problem] = {}
        live: dict[str, tuple[str, str]] = {}  # path -> (policy id, blob) in the current tree
        building: dict[tuple[str, dt.date], _Building] = {}
        carried: dict[str, dt.date] = {}  # policy -> the effective date its file carries
        withdrawn: dict[tuple[str, dt.date], Commit] = {}

        def carry(policy: str, effective: dt.date | None, commit: Commit) -> None:
            before = carried.pop(policy, None)
            if before is not None and before != effective \
                    and commit.date < effective_moment(before, zone):
                withdrawn.setdefault((policy, before), commit)
            if effective is not None:
                carried[policy] = effective
                withdrawn.pop((policy, effective), None)

        def text_of(blob: str) -> str:
            if blob not in blobs:
                data = repo.odb.stream(bytes.fromhex(blob)).read()
                blobs[blob] = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
            return blobs[blob]

        for commit, entries in _log(repo, sha, content_dir):
            for entry in entries:
                status, _old_blob, new_blob = entry[0], entry[1], entry[2]
                paths = entry[3:]
                if status == "R":
                    live.pop(paths[0], None)
                path = paths[-1]
                if not _is_policy_path(path):
                    continue
                if status == "D" or new_blob == _NULL_SHA:
                    gone = live.pop(path, None)
                    if gone is not None and all(p != gone[0] for p, _ in live.values()):
                        carry(gone[0], None, commit)
                    continue
                text = text_of(new_blob)
                if new_blob not in fronts:
                    fronts[new_blob], _ = parse_front_matter(text, path)
                front = fronts[new_blob]
                if front.effective is None:
                    problems[path] = Problem(path, 0, f"skipped from commit {commit.short} on: no "
                                             "valid 'effective' date in its front matter")
                    live.pop(path, None)
                    continue
                problems.pop(path, None)
                policy = front.policy or PurePosixPath(path).stem
                twin = next((p for p, (pid, _) in live.items() if pid == policy and p != path),
                            None)
                if twin is not None:
                    # Two files claim one policy id: `check` refuses this, but history may
                    # hold it; the newer write wins and the conflict is reported.
                    problems[path] = Problem(path, 0, f"policy id '{policy}' is also used by "
                                             f"{twin} in commit {commit.short}")
                live[path] = (policy, new_blob)
                carry(policy, front.effective, commit)
                key = (policy, front.effective)
                current = building.get(key)
                if current is None:
                    building[key] = _Building(policy, front.effective, path, text, new_blob,
                                              commit, [commit])
                elif current.blob != new_blob:
                    current.text, current.blob, current.path = text, new_blob, path
                    if current.commits[-1].sha != commit.sha:
                        current.commits.append(commit)
        every = [
            Version(policy=b.policy, effective=b.effective, path=b.path, text=b.text,
                    introduced=b.introduced, final=b.commits[-1], commits=tuple(b.commits))
            for b in sorted(building.values(), key=lambda b: (b.policy, b.effective))
        ]
        versions = tuple(v for v in every if (v.policy, v.effective) not in withdrawn)
        replaced = tuple((v, withdrawn[(v.policy, v.effective)]) for v in every
                         if (v.policy, v.effective) in withdrawn)
        return History(versions, sha, tuple(sorted(problems.values())), replaced)


def policy_text_at(root: Path, policy: str, rev: str,
                   content_dir: str = "content") -> tuple[str, str]:
    """(path, text) of the file that holds `policy` in commit `rev`."""
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
            text = item.data_stream.read().decode("utf-8", errors="replace")
            front, _ = parse_front_matter(text, path)
            if (front.policy or PurePosixPath(path).stem) == policy:
                return path, text
            found.append(front.policy or PurePosixPath(path).stem)
        known = ", ".join(sorted(set(found))) or "none"
        raise HistoryError(f"no policy '{policy}' in revision '{rev}' (policies there: {known})")


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
