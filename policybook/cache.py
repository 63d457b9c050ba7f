"""A cache on disk for work that depends only on immutable inputs (shell).

What is kept: the index of the git history (per branch head), the verdict of each pair
of texts, and (for the static build) each redline, the comparison a changes page draws.
All are pure functions of git objects (which never change) and of
policybook's own code, so an entry is keyed by its inputs and by a *fingerprint* of the
installed policybook: its version and a hash of its source and data files. A different
policybook (an upgrade, a local edit) never trusts an entry written by another one.

Rules that make the cache safe to have:
- It is only ever a shortcut. Deleting the folder (`.policybook/cache/` of the
  repository, or `$POLICYBOOK_CACHE_DIR`; `off` turns it off) changes no result.
- Entries are JSON, never pickle: a cache folder that came from somewhere else (a
  careless `git add -f`) cannot run code, it can at worst be ignored.
- Every file is written to a temporary name and renamed into place (atomic on POSIX),
  so a reader sees a whole entry or none. A file that cannot be read, is not JSON, or
  does not carry its own key and fingerprint is ignored and rewritten.
- A cache that cannot be written (a read-only checkout) only costs time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .files import write_atomically

CACHE_ENV = "POLICYBOOK_CACHE_DIR"
_OFF = {"off", "none", "0", "false", "no"}

# How much work the caches saved or cost in this process (tests and benchmarks read it).
stats: Counter[str] = Counter()


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """policybook's version and a hash of every source and data file of the package."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for file in sorted(package.rglob("*")):
        if file.is_file() and file.suffix not in (".pyc", ".pyo") and \
                "__pycache__" not in file.parts:
            digest.update(str(file.relative_to(package)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:20]


def cache_folder(root: Path, env: dict[str, str] | None = None) -> Path | None:
    """The cache folder of a repository (None when turned off)."""
    value = (os.environ if env is None else env).get(CACHE_ENV, "").strip()
    if value.lower() in _OFF and value:
        return None
    if value:
        return Path(value).expanduser() / hashlib.sha256(
            str(root.resolve()).encode()).hexdigest()[:16]
    return root / ".policybook" / "cache"


def digest(*parts: str) -> str:
    """A key from text parts (length-prefixed, so that no two tuples collide)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(f"{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()


class DiskCache:
    """JSON entries under `folder/<fingerprint>/<kind>/`; every failure is a miss."""

    def __init__(self, folder: Path | None, kind: str) -> None:
        self.base = folder
        self.folder = folder / fingerprint() / kind if folder is not None else None
        self.kind = kind

    def _file(self, key: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        file = self._file(key)
        if file is None:
            return None
        try:
            entry = json.loads(file.read_bytes())
        except FileNotFoundError:
            stats[f"{self.kind}.miss"] += 1
            return None
        except (OSError, ValueError):
            stats[f"{self.kind}.corrupt"] += 1
            return None
        if not isinstance(entry, dict) or entry.get("key") != key \
                or entry.get("policybook") != fingerprint() or "value" not in entry:
            stats[f"{self.kind}.corrupt"] += 1
            return None
        stats[f"{self.kind}.hit"] += 1
        return entry["value"]

    def put(self, key: str, value: Any) -> None:
        file = self._file(key)
        if file is None:
            return
        data = json.dumps({"policybook": fingerprint(), "key": key, "value": value},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            if not file.parent.is_dir():
                self._forget_other_fingerprints()
                file.parent.mkdir(parents=True, exist_ok=True)
                # Never committed by a careless `git add -A`: the folder ignores itself.
                ignore = self.base / ".gitignore" if self.base is not None else None
                if ignore is not None and not ignore.exists():
                    ignore.write_text("*\n", encoding="utf-8")
            write_atomically(file, data)
        except OSError:
            stats[f"{self.kind}.unwritable"] += 1
            return
        stats[f"{self.kind}.write"] += 1

    def _forget_other_fingerprints(self) -> None:
        """Entries of another policybook are never read again: free their space."""
        if self.base is None or not self.base.is_dir():
            return
        for other in self.base.iterdir():
            if other.is_dir() and other.name != fingerprint() and len(other.name) == 20:
                shutil.rmtree(other, ignore_errors=True)


# ------------------------------------------------------------------ plain values
# What a cache keeps of a computed value (a redline's assessment, say): the value as JSON,
# rebuilt equal to the original. Only policybook's own frozen dataclasses and enums are
# rebuilt, never any other type named in a file, so an entry can at worst be ignored.
# Objects the reader already holds (the two parsed documents and their sections and
# blocks) are written as references to them: the entry stays small, and what the pages
# read from them (a block's rendered HTML) is the very same object.


def to_plain(value: Any, refs: Mapping[int, str]) -> Any:
    """`value` as JSON; raises TypeError for a type it cannot rebuild (then keep nothing)."""
    name = refs.get(id(value))
    if name is not None:
        return {"@ref": name}
    if isinstance(value, Enum):
        return {"@enum": _type_name(type(value)), "v": value.value}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, tuple):
        return [to_plain(v, refs) for v in value]
    if isinstance(value, frozenset):  # (sorted: a set's order changes with the process)
        return {"@set": sorted((to_plain(v, refs) for v in value), key=stable_text)}
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"@date": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"@dc": _type_name(type(value)),
                "f": {f.name: to_plain(getattr(value, f.name), refs)
                      for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot keep a {type(value).__name__}")


def stable_text(value: Any) -> str:
    """Plain values as one text, the same in every process (a key part: `repr` of a set
    follows the process's string hashing, so it differs from one run to the next)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def from_plain(data: Any, objects: Mapping[str, object]) -> Any:
    """The value `to_plain` wrote; raises KeyError, TypeError or ValueError on anything
    else (a corrupt or foreign entry)."""
    if isinstance(data, list):
        return tuple(from_plain(v, objects) for v in data)
    if not isinstance(data, dict):
        if data is None or isinstance(data, (str, bool, int, float)):
            return data
        raise TypeError("not a plain value")
    if "@ref" in data:
        return objects[data["@ref"]]
    if "@enum" in data:
        kind = _type_of(data["@enum"])
        if not issubclass(kind, Enum):
            raise TypeError("not an enum")
        return kind(data["v"])
    if "@set" in data:
        return frozenset(from_plain(v, objects) for v in data["@set"])
    if "@date" in data:
        return dt.date.fromisoformat(data["@date"])
    kind = _type_of(data["@dc"])
    if not dataclasses.is_dataclass(kind):
        raise TypeError("not a dataclass")
    values = data["f"]
    names = [f.name for f in dataclasses.fields(kind)]
    if not isinstance(values, dict) or sorted(values) != sorted(names):
        raise ValueError("fields differ")
    # Rebuilt as it was (not through __init__: a field may be init=False, and
    # __post_init__ already ran when the original was made).
    made = object.__new__(kind)
    for field_name in names:
        object.__setattr__(made, field_name, from_plain(values[field_name], objects))
    return made


def _type_name(kind: type) -> str:
    if not kind.__module__.startswith("policybook."):
        raise TypeError(f"cannot keep a {kind.__name__}")
    return f"{kind.__module__}:{kind.__qualname__}"


def _type_of(name: Any) -> type:
    module, _, qualname = str(name).partition(":")
    if not module.startswith("policybook.") or not qualname:
        raise ValueError(f"not a type of policybook: {name}")
    # Only a module already loaded (the one the value came from is, in any process that
    # holds values to read): a name in a file never makes a module run.
    found: Any = sys.modules[module]
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type):
        raise TypeError(f"not a type: {name}")
    return found
