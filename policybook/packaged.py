"""The data files shipped in the package (`policybook/data/`: the concepts and the
editorial vocabulary), read once per process.

They are read beside this module rather than through `importlib.resources`, which would
load tempfile and zipfile into every start-up: policybook is always installed as files.
The core modules that hold the vocabularies ask here, so that they do no file I/O of
their own (tests/test_architecture.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data"


@cache
def data_text(name: str) -> str:
    """The text of `policybook/data/<name>` (a file of the package: never user input)."""
    return (_DATA / name).read_text("utf-8")
