"""The git plumbing policybook needs (shell): open a repository, resolve a revision, walk
the first-parent log of `content/`, and refuse histories that would mislead (a shallow
clone, a `--base` from another history). `history.py` builds the versions from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import git

from .errors import HistoryError
from .versions import Commit

_RS, _US = "\x1e", "\x1f"
_FORMAT = f"{_RS}%H{_US}%an{_US}%cI{_US}%s"

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


def log_first_parent(repo: git.Repo, sha: str, content_dir: str,
         since: str | None = None) -> Iterator[tuple[Commit, list[list[str]]]]:
    revs = f"{since}..{sha}" if since else sha
    out = repo.git.log(revs, "--first-parent", "--reverse", "--raw", "--no-abbrev", "-M", "-z",
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
            # [status, new mode, new blob, path(s)]
            entries.append([status[0], parts[1], parts[3], *fields[i + 1 : i + 1 + n_paths]])
            i += 1 + n_paths
        yield commit, entries


def _is_shallow(repo: git.Repo) -> bool:
    return (Path(repo.common_dir) / "shallow").exists()


def require_full_history(repo: git.Repo) -> None:
    """Refuse a shallow clone: its missing commits would silently turn a pending material
    version into a "first version" (no notice), so nothing is read from it."""
    if _is_shallow(repo):
        raise HistoryError(
            "this is a shallow clone: the history of the policies is cut off, so versions and "
            "notices cannot be told; fetch the full history with 'git fetch --unshallow' (in "
            "GitHub Actions: actions/checkout with 'fetch-depth: 0')")


def ensure_full_history(root: Path) -> None:
    """`require_full_history` for a folder (no error outside a git repository)."""
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return
    with repo:
        require_full_history(repo)


def is_repository(root: Path) -> bool:
    try:
        git.Repo(root).close()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return False
    return True


def require_common_history(root: Path, base: str) -> None:
    """Refuse a `--base` that shares no history with HEAD (fetched without its history,
    or another repository's branch): the versions on record there say nothing of this."""
    with open_repo(root) as repo:
        require_full_history(repo)
        sha = resolve_ref(repo, base)
        head = resolve_ref(repo, None)
        if sha is None or head is None:
            return
        try:
            repo.git.merge_base(sha, head)
        except git.GitCommandError:
            raise HistoryError(
                f"revision '{base}' shares no history with HEAD, so what is on record there "
                "cannot be compared; fetch the full history ('git fetch --unshallow', or "
                "'fetch-depth: 0' in actions/checkout) and give the branch this one was "
                "made from") from None


def first_parent_after(repo: git.Repo, base: str, head: str) -> bool:
    """Whether `base` is on the first-parent line of `head` (then the walk goes on from
    it with only the commits after it); False after a force-push or another branch."""
    try:
        out = repo.git.rev_list("--first-parent", "--parents", f"{base}..{head}")
    except git.GitCommandError:
        return False
    lines = out.splitlines()
    if not lines:
        return False
    oldest = lines[-1].split()
    return len(oldest) > 1 and oldest[1] == base


def changed_files(root: Path, base: str) -> frozenset[str]:
    """The files a pull request changes: from where it left `base` (their merge base) to
    the working tree, untracked files included; paths from the repository's root."""
    with open_repo(root) as repo:
        head = resolve_ref(repo, None)
        start = repo.git.merge_base(base, head) if head is not None else base
        names = repo.git.diff("--name-only", "--no-renames", start, "--").splitlines()
        return frozenset(names) | frozenset(repo.untracked_files)
