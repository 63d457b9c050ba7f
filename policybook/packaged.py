"""The data files shipped in the package (`policybook/data/`: the concepts and the
editorial vocabulary), read once per process, and each TOML file parsed once: two
modules read `vocabulary.toml`, and parsing it is a millisecond or two of a command's
start-up (tomllib is pure Python).

Read with `pkgutil.get_data` rather than `importlib.resources`, which would load
tempfile and zipfile into every start-up (a `diff` of two files included). The core
modules that hold the vocabularies ask here, so that they do no file I/O of their own
(tests/test_architecture.py)."""

from __future__ import annotations

import pkgutil
import tomllib
from functools import cache
from typing import Any


@cache
def data_text(name: str) -> str:
    """The text of `policybook/data/<name>` (a file of the package: never user input)."""
    found = pkgutil.get_data(__package__ or "policybook", f"data/{name}")
    if found is None:  # a broken installation, not a user mistake
        raise FileNotFoundError(f"policybook/data/{name} is missing: reinstall policybook")
    return found.decode("utf-8")


@cache
def data_toml(name: str) -> dict[str, Any]:
    """`policybook/data/<name>` parsed as TOML, once per process: shared by its readers,
    which must not change it."""
    return tomllib.loads(data_text(name))
