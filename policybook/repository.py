"""Policy files in the working tree (shell): find them, read them safely, parse them.

Reading is where binary files, non-UTF-8 bytes and missing paths are caught, so that
the core only ever sees text and every such file becomes a `Problem`, not a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .document import Document, decode_text, parse_document
from .errors import NotFoundError, Problem

POLICY_SUFFIX = ".md"
_SKIP_NAMES = {"readme.md"}  # compared in lower case, as the history does


def decode_policy(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    """Bytes of a policy file -> normalised text, or a problem saying what is wrong with it
    (`document.decode_text`: the same reading as for the versions in git)."""
    text, problem = decode_text(data, path)
    return (None, problem) if problem is not None else (text, None)


def outside(path: Path, root: Path) -> bool:
    """Whether `path`, which lies in the repository, leaves it once symbolic links are
    followed (a path given outside the repository on purpose is the user's choice)."""
    def under(p: Path, top: Path) -> bool:
        return p == top or top in p.parents

    literal = Path(os.path.abspath(path))
    if not (under(literal, Path(os.path.abspath(root))) or under(literal, root.resolve())):
        return False
    try:
        return not under(path.resolve(), root.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return True


def _literal(path: Path, root: Path) -> str:
    """`path` as written, relative to `root` (not where its links lead)."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return display_path(path, root)


def _markdown_under(folder: Path) -> list[Path]:
    """Policy files under `folder`, sorted; symbolic links to folders are not followed
    (a link to '..' would loop, a link to '/' would read the machine)."""
    found: list[Path] = []
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(top) / n for n in names
                     if n.endswith(POLICY_SUFFIX) and n.lower() not in _SKIP_NAMES
                     and not n.startswith("."))
    return sorted(p for p in found if p.is_file())


def find_policy_files(paths: Sequence[Path], root: Path | None = None
                      ) -> tuple[list[Path], list[Problem]]:
    """Markdown files under the given files or folders (sorted), and problems: missing
    paths, and files that are links to outside `root` (default: a folder's parent, the
    repository of its `content/`)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_file():
            candidates, limit = [path], root
        elif path.is_dir():
            candidates, limit = _markdown_under(path), root or path.resolve().parent
        else:
            problems.append(Problem(str(path), 0, "does not exist; give a policy file or a "
                                    "folder of policies"))
            continue
        for file in candidates:
            if limit is not None and outside(file, limit):
                # A link in a shared repository must not make `check`, `render` or the
                # preview read (and show) a file elsewhere on this machine.
                problems.append(Problem(_literal(file, limit), 0, "is a symbolic link to "
                                        "a file outside the repository; policybook reads only "
                                        "the repository's own files (copy the file in instead)"))
            else:
                files.append(file)
    return files, problems


@dataclass(frozen=True)
class Loaded:
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]  # files that could not be read at all


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def load_documents(paths: Iterable[Path], root: Path) -> Loaded:
    """Read and parse every policy under `paths`; unreadable files become problems."""
    files, problems = find_policy_files(list(paths), root)
    docs: list[Document] = []
    for file in files:
        shown = display_path(file, root)
        try:
            data = file.read_bytes()
        except OSError as exc:
            problems.append(Problem(shown, 0, f"cannot be read ({exc.strerror})"))
            continue
        text, problem = decode_policy(data, shown)
        if problem is not None:
            problems.append(problem)
            continue
        assert text is not None
        docs.append(parse_document(text, shown))
    return Loaded(tuple(docs), tuple(problems))


def load_content(root: Path, content_dir: str = "content") -> Loaded:
    """Every policy of a repository's content folder; a missing or empty folder is an error."""
    folder = root / content_dir
    if not folder.is_dir():
        raise NotFoundError(f"{content_dir}/: no such folder in {root}; run policybook from the "
                            "root of a policy repository, or create one with 'policybook init DIR'")
    loaded = load_documents([folder], root)
    if not loaded.documents and not loaded.problems:
        raise NotFoundError(f"{content_dir}/: no policies (*.md files) found; add one, for "
                            "example with 'policybook init' as a model")
    return loaded
