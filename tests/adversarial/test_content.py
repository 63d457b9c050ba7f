"""Hostile and careless policy content: every case becomes `path:line: message`, fast,
never a traceback, never a silent skip, and the working tree and the history agree."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from policybook.document import MAX_FRONT_MATTER, parse_document
from policybook.errors import Problem
from policybook.history import read_history
from policybook.repository import find_policy_files, load_documents
from policybook.validate import validate_all
from tests.helpers import GitRepo, policy

BODY = "## Data\n\nWe collect your name.\n"
GOOD = policy("privacy-policy", "2026-02-01", BODY, title="Privacy")


def check_bytes(tmp_path: Path, data: bytes, name: str = "p.md") -> list[Problem]:
    """What `check` says of one file with these bytes (its content rules, no gate)."""
    folder = tmp_path / "content"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    loaded = load_documents([folder], tmp_path)
    return sorted(set(loaded.problems) | set(validate_all(loaded.documents)))


def front(lines: str, body: str = BODY) -> bytes:
    return f"---\n{lines}\n---\n\n{body}".encode()


BILLION_LAUGHS = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]"
       for i in range(8)])

# (front matter lines, the line the problem is on, words of the message)
HOSTILE_FRONT = [
    (BILLION_LAUGHS, 2, "anchors and aliases"),
    ("policy: privacy-policy\ntitle: &t Privacy\neffective: 2026-02-01", 3, "anchors"),
    ("base: &b {title: x}\n<<: *b", 2, "anchors"),
    ("policy: " + "[" * 5000 + "]" * 5000, 2, "nest"),  # libyaml may stop it first
    ("summary: " + "{a: " * 50 + "1" + "}" * 50, 2, "nested more than"),
    ("policy: privacy-policy\neffective: " + "1" * 5000, 1, "not valid YAML"),
    ("policy: !!python/object/apply:os.system ['true']", 2, "not valid YAML"),
    ("policy: privacy-policy\ntitle: !!binary aGVsbG8=\neffective: 2026-02-01", 3,
     "'title' must be text"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: [2026-02-01]", 4, "is not a date"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: {day: 1}", 4, "is not a date"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: yes", 4, "is not a date"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: 2026-02-30", 4, "is not a date"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: 2026-02-01T00:00:00Z", 4,
     "without a time"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: 20260201", 4, "is not a date"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: +2026-02-01", 4, "is not a date"),
    ("policy: [a, b]\ntitle: Privacy\neffective: 2026-02-01", 2, "must be text"),
    ("policy: Privacy Policy\ntitle: Privacy\neffective: 2026-02-01", 2, "lower-case"),
    ("policy: privacy\u2010policy\ntitle: Privacy\neffective: 2026-02-01", 2, "lower-case"),
    ("policy: \u0440rivacy\ntitle: Privacy\neffective: 2026-02-01", 2, "lower-case"),
    ("policy: " + "a" * 81 + "\ntitle: Privacy\neffective: 2026-02-01", 2, "lower-case"),
    ("policy: ../../etc\ntitle: Privacy\neffective: 2026-02-01", 2, "lower-case"),
    ('policy: privacy-policy\ntitle: "Privacy\\e[31m red"\neffective: 2026-02-01', 3,
     "control character U+001B"),
    ('policy: privacy-policy\ntitle: "Privacy \\u202Eycilop"\neffective: 2026-02-01', 3,
     "control character U+202E"),
    ('policy: privacy-policy\ntitle: "Privacy\\0"\neffective: 2026-02-01', 3,
     "control character U+0000"),
    ('policy: privacy-policy\ntitle: "Pri\\nvacy"\neffective: 2026-02-01', 3,
     "control character U+000A"),
    ('policy: privacy-policy\ntitle: "Pri\\x85vacy"\neffective: 2026-02-01', 3,
     "control character U+0085"),
    ('policy: privacy-policy\ntitle: "Pri\\Lvacy"\neffective: 2026-02-01', 3,
     "control character U+2028"),
    ('policy: privacy-policy\ntitle: Privacy\neffective: 2026-02-01\nsummary: "a\\x07b"', 5,
     "control character U+0007"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: 2026-02-01\nsummary: "
     + "x" * (MAX_FRONT_MATTER + 10), 2, "limited to"),
    ("- policy\n- title", 2, "must be a mapping"),
    ("just text", 2, "must be a mapping"),
    ("policy: privacy-policy\n  title: bad indent", 3, "not valid YAML"),
    ("policy: privacy-policy\ntitel: Privacy\neffective: 2026-02-01", 3, "did you mean 'title'"),
    ("policy: privacy-policy\ntitle: Privacy\neffective: 2026-02-01\nchange: maybe\n"
     "reason: because", 5, "must be 'material' or 'editorial'"),
]


@pytest.mark.parametrize(("lines", "line", "words"), HOSTILE_FRONT,
                         ids=[f"front-{i}" for i in range(len(HOSTILE_FRONT))])
def test_hostile_front_matter_is_a_problem_on_its_line(tmp_path: Path, lines: str, line: int,
                                                       words: str) -> None:
    started = time.perf_counter()
    problems = check_bytes(tmp_path, front(lines))
    assert time.perf_counter() - started < 2  # no exponential blow-up
    assert any(p.path == "content/p.md" and p.line == line and words in p.message
               for p in problems), problems


@pytest.mark.parametrize(("data", "words"), [
    (b"", "no front matter"),
    (b"---\n", "never closed"),
    (b"---\npolicy: privacy-policy\n", "never closed"),
    (GOOD.encode().replace(b"Privacy", b"Priv\xe9cy"), "not valid UTF-8 (byte 0xe9)"),
    (b"\xff\xfe" + GOOD.encode("utf-16-le"), "UTF-16"),
    (b"\x00\x01\x02binary" * 10, "binary file"),
    (GOOD.encode().replace(b"\n## Data", b"\n## \n"), "empty heading"),
    (b"---\n" + b"\n" * 100_000 + b"---\n", "limited to 16 KB"),
])
def test_careless_files_are_problems_not_crashes(tmp_path: Path, data: bytes,
                                                 words: str) -> None:
    problems = check_bytes(tmp_path, data)
    assert any(words in p.message for p in problems), problems


@pytest.mark.parametrize("encode", [
    lambda t: t.encode(),
    lambda t: b"\xef\xbb\xbf" + t.encode(),  # a byte-order mark (Windows editors)
    lambda t: t.replace("\n", "\r\n").encode(),  # Windows line ends
    lambda t: t.replace("\n", "\r").encode(),  # classic Mac line ends
    lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r").encode(),
    lambda t: b"\xef\xbb\xbf" * 2 + t.encode(),  # an editor that adds a second mark
    lambda t: t.replace("\n", "\r\n", 3).encode(),  # mixed
], ids=["plain", "bom", "crlf", "cr", "bom-cr", "two-boms", "mixed"])
def test_one_reading_for_the_working_tree_and_the_history(policy_repo: GitRepo,
                                                          encode: object) -> None:
    """A file that `check` accepts is a version of the history, whatever its encoding."""
    data: bytes = encode(GOOD)  # type: ignore[operator]
    problems = check_bytes(policy_repo.path, data, "privacy.md")
    assert problems == []
    policy_repo.commit("v1")
    history = read_history(policy_repo.path)
    assert [v.key for v in history.versions] == ["privacy-policy@2026-02-01"]
    assert history.problems == ()
    working = parse_document(data.decode("utf-8"), "content/privacy.md")
    assert history.versions[0].text == working.source


def test_a_symbolic_link_out_of_the_repository_is_never_read(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD.replace("We collect your name.", "TOP SECRET"), encoding="utf-8")
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("content/privacy.md", GOOD)
    os.symlink(secret, repo.path / "content" / "leak.md")
    os.symlink(tmp_path, repo.path / "content" / "up")  # a folder out: not walked at all
    os.symlink(repo.path / "content", repo.path / "content" / "loop")  # a loop
    inside = repo.path / "docs" / "shared.md"
    inside.parent.mkdir()
    inside.write_text(GOOD.replace("privacy-policy", "shared"), encoding="utf-8")
    os.symlink(inside, repo.path / "content" / "shared.md")  # inside: fine
    result = cli(["check", "--no-gate"], cwd=repo.path)
    assert result.code == 1
    assert "content/leak.md: is a symbolic link to a file outside the repository" in result.err
    assert "TOP SECRET" not in result.out + result.err
    assert "up/" not in result.err and "loop" not in result.err
    rendered = cli(["render", "content/leak.md"], cwd=repo.path)
    assert rendered.code != 0 and "TOP SECRET" not in rendered.out
    assert "outside the repository" in rendered.err
    # The preview lists the content folder the same way.
    files, problems = find_policy_files([repo.path / "content"])
    assert sorted(f.name for f in files) == ["privacy.md", "shared.md"]
    assert [p.path for p in problems] == ["content/leak.md"]


def test_a_file_given_outside_the_repository_on_purpose_is_read(tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(GOOD, encoding="utf-8")
    loaded = load_documents([draft], tmp_path / "repo")
    assert [d.policy_id for d in loaded.documents] == ["privacy-policy"]


def test_the_cli_never_shows_a_traceback_for_hostile_content(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("content/bomb.md", front(BILLION_LAUGHS).decode())
    repo.write("content/deep.md", front("policy: " + "[" * 3000).decode())
    repo.write("content/title.md", front('policy: t\ntitle: "a\\e]8;;http://x\\e\\\\b"\n'
                                         "effective: 2026-02-01").decode())
    for args in (["check"], ["check", "--no-gate"], ["render", "content/bomb.md"],
                 ["diff", "content/bomb.md", "content/deep.md"]):
        result = cli(args, cwd=repo.path)
        assert "Traceback" not in result.err and "Error:" not in result.out, args
        assert args[0] != "check" or result.code == 1, args  # render and diff are lenient
    check = cli(["check", "--no-gate"], cwd=repo.path)
    assert "content/bomb.md:2: front matter refused: anchors and aliases" in check.err
    assert "content/title.md:3: 'title' contains the control character U+001B" in check.err


@pytest.mark.parametrize(("lines", "words"), [
    (BILLION_LAUGHS, "anchors and aliases"),
    ("policy: " + "[" * 2000 + "]" * 2000, "nested more than 8"),
    ("a: {b: {c: {d: {e: {f: {g: {h: {i: 1}}}}}}}}", "nested more than 8"),
])
def test_without_libyaml_the_same_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           lines: str, words: str) -> None:
    from policybook import frontmatter

    monkeypatch.setattr(frontmatter, "USE_LIBYAML", False)  # PyYAML's pure-Python loader
    problems = check_bytes(tmp_path, front(lines))
    assert any(p.line == 2 and words in p.message for p in problems), problems
