"""Policy files as git stores them (shell): each blob's text, read once per process and
normalised as the working tree's files are, and what its front matter says (policy id,
effective date, variant, translation), for the history walk (`history.py`).
"""

from __future__ import annotations

import atexit
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import git

from .cache import stats
from .document import decode_text, default_policy_id, parse_front_matter
from .errors import HistoryError, Problem
from .gitrepo import open_repo
from .regions import read_declaration, valid_variant_id
from .versions import renamed_from

_TEXTS_BUDGET = 128 * 1024 * 1024  # characters of texts kept in the process
_texts: dict[str, str] = {}  # blob sha -> normalised text (blobs never change)
_texts_size = 0
_fronts: dict[tuple[str, str], Front] = {}  # (blob, path) -> what its front matter says




@dataclass(frozen=True)
class Front:
    policy: str | None
    effective: dt.date | None
    line: int  # where the problem is (0: none)
    problem: str
    # A translation (`translates:` in its front matter): its language and the date of
    # the source version it translates. It is walked beside the sources, never a version.
    language: str | None = None
    translates: dt.date | None = None
    variant: str | None = None  # the regional variant (None: the general one)
    renamed: str | None = None  # `renamed-from:` (see versions.rename_map)


def _translation_front(extra: dict[str, str], policy: str | None) -> Front | None:
    """What a translation's front matter says (None: the file is not a translation).
    Its problems are `check`'s to report (translations.read_translation)."""
    if "translates" not in extra:
        return None
    language, day = extra.get("language", "").strip(), extra["translates"].strip()
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        date = None
    if policy is None or not language or date is None:
        return Front(policy, None, 1, "a translation needs 'policy', 'language' and "
                      "'translates: YYYY-MM-DD' in its front matter")
    return Front(policy, None, 0, "", language, date)


def read_blob(repo: git.Repo, blob: str) -> tuple[str, Problem | None]:
    """A blob's text, normalised as the working tree's files are (`decode_text`)."""
    global _texts_size
    text = _texts.get(blob)
    if text is not None:
        return text, None
    stats["history.blob"] += 1
    text, problem = decode_text(repo.odb.stream(bytes.fromhex(blob)).read())
    if problem is None:
        if _texts_size > _TEXTS_BUDGET:  # a long-running server on a huge history
            _texts.clear()
            _texts_size = 0
        _texts[blob] = text
        _texts_size += len(text)
    return text, problem


def front_of(repo: git.Repo, blob: str, path: str) -> Front:
    found = _fronts.get((blob, path))
    if found is not None:
        return found
    stats["history.front"] += 1
    text, problem = read_blob(repo, blob)
    declared = read_declaration(text) if problem is None else None
    if problem is not None:
        found = Front(None, None, max(problem.line, 1), problem.message)
    elif declared is not None and declared.variant is not None \
            and not valid_variant_id(declared.variant):
        found = Front(None, None, declared.variant_line, f"variant {declared.variant!r} is not "
                       "a variant id (lower-case letters, digits and hyphens, e.g. 'eea')")
    else:
        front, problems = parse_front_matter(text, path)
        policy = front.policy or default_policy_id(path)
        translated = _translation_front(dict(front.extra), policy)
        if translated is not None:
            found = translated
        elif front.effective is None:
            first = min(problems, default=None)
            found = Front(policy, None, first.line if first else front.line_of("effective"),
                           first.message if first else "no 'effective: YYYY-MM-DD' date in "
                           "its front matter")
        elif policy is None:
            found = Front(None, front.effective, 1,
                           "no 'policy' id in its front matter, and the file name is not a "
                           "valid id (lower-case letters, digits and hyphens); add a line "
                           "such as 'policy: privacy-policy'")
        else:
            found = Front(policy, front.effective, 0, "", renamed=renamed_from(text))
        if declared is not None and declared.variant is not None:
            found = replace(found, variant=declared.variant)
    if len(_fronts) > 8192:
        _fronts.clear()
    _fronts[(blob, path)] = found
    return found


class _Reader:
    """Reads blobs' texts in one repository (for `LazyText`): one `git cat-file` process,
    opened on the first read and kept, under a lock (the live site's threads may ask for
    texts at once, and one cat-file process answers one request at a time)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._repo: git.Repo | None = None

    def __call__(self, blob: str) -> str:
        text = _texts.get(blob)
        if text is not None:
            return text
        with self._lock:
            if self._repo is None:
                self._repo = open_repo(self.root)
            text, problem = read_blob(self._repo, blob)
        if problem is not None:  # it was read once, by the walk, where it was accepted
            raise HistoryError(f"the blob {blob[:10]} can no longer be read: {problem}")
        return text

    def close(self) -> None:
        """Stop its cat-file process (a later read opens another)."""
        with self._lock:
            if self._repo is not None:
                self._repo.close()
                self._repo = None


_READERS_MAX = 8
_readers: dict[str, _Reader] = {}  # root -> its reader (the newest last)


def blob_reader(root: Path) -> Callable[[str], str]:
    """The blob reader of `root`'s repository, shared by every history of that root. A
    process that reads many repositories (tests) keeps the processes of the newest few."""
    key = str(root.resolve())
    found = _readers.pop(key, None)
    if found is None:
        found = _Reader(Path(key))
        while len(_readers) >= _READERS_MAX:
            _readers.pop(next(iter(_readers))).close()
    _readers[key] = found
    return found


@atexit.register
def _close_readers() -> None:
    for reader in _readers.values():
        reader.close()


def forget_blobs() -> None:
    """Drop the texts and front matters read, and stop the readers' git processes."""
    global _texts_size
    _texts.clear()
    _fronts.clear()
    _texts_size = 0
    _close_readers()
