"""The package's data files: parsed as TOML, and kept parsed for the next process only
for the very text they were parsed from (`packaged.py`)."""

from __future__ import annotations

import marshal
import os
import sys
import tomllib
from pathlib import Path

import pytest

from policybook import packaged

NAMES = ("concepts.toml", "vocabulary.toml", "rulecases.toml")


def parse(name: str) -> dict[str, object]:
    """`data_toml` as a new process runs it (its per-process cache bypassed)."""
    result: dict[str, object] = packaged.data_toml.__wrapped__(name)
    return result


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "__pycache__"
    folder.mkdir()  # as installing or compiling the package makes it
    monkeypatch.setattr(packaged, "KEPT", folder)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # whatever the environment says
    return folder


@pytest.mark.parametrize("name", NAMES)
def test_a_data_file_reads_as_tomllib_parses_it_first_and_then(kept: Path, name: str) -> None:
    expected = tomllib.loads(packaged.data_text(name))
    assert parse(name) == expected  # parsed, and kept
    assert len(list(kept.glob(f"{name}.*.marshal"))) == 1
    assert parse(name) == expected  # from what was kept
    assert not list(kept.glob("*.partial"))


def test_what_is_kept_serves_only_the_text_it_was_parsed_from(kept: Path) -> None:
    name = "concepts.toml"
    text = packaged.data_text(name)
    parse(name)
    (file,) = kept.glob(f"{name}.*.marshal")
    # A kept file is read: one that says something else for this very text is believed...
    file.write_bytes(marshal.dumps((text, {"kept": True})))
    assert parse(name) == {"kept": True}
    # ... and one kept for another text (the data file edited since) is not.
    file.write_bytes(marshal.dumps((text + "\n# edited\n", {"kept": True})))
    assert parse(name) == tomllib.loads(text)
    file.write_bytes(b"not marshal data")
    assert parse(name) == tomllib.loads(text)


def test_without_a_bytecode_folder_or_a_writable_one_each_process_parses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = tomllib.loads(packaged.data_text("vocabulary.toml"))
    monkeypatch.setattr(packaged, "KEPT", tmp_path / "__pycache__")
    assert parse("vocabulary.toml") == expected
    assert os.listdir(tmp_path) == []  # no folder made
    folder = tmp_path / "__pycache__"
    folder.mkdir()
    # A kept file that cannot be written (here a folder stands in its way; also what a
    # read-only installation does, whoever runs the tests): parsed, nothing left behind.
    in_the_way = folder / f"vocabulary.toml.{sys.implementation.cache_tag}.marshal"
    in_the_way.mkdir()
    assert parse("vocabulary.toml") == expected
    assert parse("vocabulary.toml") == expected
    assert os.listdir(folder) == [in_the_way.name]


def test_a_process_told_not_to_write_bytecode_keeps_nothing_unless_asked(
        kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # PYTHONDONTWRITEBYTECODE (or -B) holds for the kept data as for the modules...
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    expected = tomllib.loads(packaged.data_text("vocabulary.toml"))
    assert parse("vocabulary.toml") == expected
    assert list(kept.iterdir()) == []
    # ... and `python -m policybook.packaged` keeps them, as compileall compiles modules.
    assert packaged.keep_all() == sorted(NAMES)
    assert sorted(f.name.split(".")[0] for f in kept.iterdir()) == \
        sorted(n.split(".")[0] for n in NAMES)
    assert parse("vocabulary.toml") == expected  # from what was kept
