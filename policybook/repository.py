"""Policy files in the working tree (shell): find them, read them safely, parse them.

Reading is where binary files, non-UTF-8 bytes and missing paths are caught, so that
the core only ever sees text and every such file becomes a `Problem`, not a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .document import Document, parse_document
from .errors import NotFoundError, Problem

POLICY_SUFFIX = ".md"
_SKIP_NAMES = {"README.md", "readme.md"}


def decode_policy(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    """Bytes of a policy file -> text, or a problem saying what is wrong with it."""
    if b"\x00" in data[:8192]:
        return None, Problem(path, 0, "is a binary file, not Markdown text; remove it from "
                             "the content folder")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(path, line, f"is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                             "save the file as UTF-8")
    return text, None


def find_policy_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Markdown files under the given files or folders (sorted), and missing-path problems."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.rglob(f"*{POLICY_SUFFIX}")
                                if p.is_file() and p.name not in _SKIP_NAMES
                                and not any(part.startswith(".") for part in
                                            p.relative_to(path).parts)))
        else:
            problems.append(Problem(str(path), 0, "does not exist; give a policy file or a "
                                    "folder of policies"))
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
    files, problems = find_policy_files(list(paths))
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
