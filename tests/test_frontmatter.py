"""Front matter of plain `key: value` lines is read without PyYAML (`frontmatter._plain`):
it must read exactly what YAML reads, and leave to YAML everything it might read
otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from policybook.frontmatter import (
    _key_lines,
    _load_yaml,
    _plain,
    _split_front_matter,
    normalize_source,
    parse_front_matter,
)

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpus"


def by_yaml(raw: str) -> tuple[object, tuple[tuple[str, int], ...]]:
    data, node = _load_yaml(raw)
    return data, _key_lines(node, 1)


PLAIN = [
    "policy: privacy-policy\ntitle: Privacy Policy\neffective: 2027-01-15",
    "title: DRAFT - Acme Terms of Service (for teams, [beta] & {more})  ",
    "title: It's \"ours\" - 100% yours; see notes/faq?\nsummary: We now keep logs 30 days.",
    "change: editorial\nreason: A typo fixed in section 4",
    "renamed-from: none\ndisagree: Close your account before the date",
    "title: Yes we can",  # a true/false word inside a text is text
    "effective: 2027-02-30",  # no such day: a text to YAML too (our check reports it)
    "Title: x\ntitle_2: z\nenglishOnly: true\ndraft: FALSE",
    "redirect_from:\n  - /articles/terms\n  - /terms/\ntitle: Terms\ntopics:\n    - Legal",
    "versions:\n  cloud: '*'\n  server: '>=3.0 and # more: yes'\ntitle: 'yes'\nempty: ''",
    "list:   \n  - 2027-01-15\n  - '*'\n  -   spaced out  ",
    # A folded text, as policies write their summary: last, or followed by more keys.
    "title: Terms\nsummary: >\n  The plan costs US$ 12 (not 10): see § 4 # fees.\n  Nothing else.",
    "summary: >\n  Ce résumé: « rien ».\ntitle: x",
    "summary: >-\n  One line,\n  then another.\ntitle: x",
]
# Lines YAML may read as something else than the text written, or not at all.
NOT_PLAIN = [
    "title: yes", "title: Off", "title: NULL", "on: x", "title: 2027", "title: 1.5",
    "title: Acme: the terms", "title: Acme #1", "title: 'it''s'", "title: >\n  a\n\n  b",
    "title: >\n  a \n  b", "title: >\n  a\n    b", "title: >\n   a\n  b", "title: >\n\ta",
    "title: >+\n  a", "title: >2\n  a", "title: >",
    "title:", "title: x\n\nsummary: y", "title: x\ntitle: y", "title: Politique de confidentialité",
    "title:\tx", "- a\n- b", "# a comment\ntitle: x", "title: x # comment",
    "effective: 2027-01-15T10:00:00", "title: ~", "title: &a x", "%YAML 1.1", "title: [a, b]",
    "title: a text\n  continued", "list:\n  - a\n  b: c", "list:\n  - a\n   - b",
    "table:\n  a: x\n    b: y", "list:\ntitle: x", "table:\n  on: x", "table:\n  a: x\n  a: y",
    "list:\n  - yes", "draft: tRue", "draft: Off", "list:\n  - 'it''s'", "list:\n  - a: b",
    " title: x", "list:\n  -",
    "list:\n  - - a", "table:\n  a:\n    - b",
]


@pytest.mark.parametrize("raw", PLAIN)
def test_plain_front_matter_reads_as_yaml_does(raw: str) -> None:
    found = _plain(raw)
    assert found is not None
    assert found == by_yaml(raw)


@pytest.mark.parametrize("raw", NOT_PLAIN)
def test_anything_else_is_left_to_yaml(raw: str) -> None:
    assert _plain(raw) is None


def test_the_words_yaml_reads_otherwise_are_left_to_it() -> None:
    # Why they are excluded: YAML does not read them as the text written.
    assert by_yaml("title: yes")[0] == {"title": True}
    assert by_yaml("title: NULL")[0] == {"title": None}
    assert by_yaml("on: x")[0] == {True: "x"}
    assert by_yaml("list:\n  - no")[0] == {"list": [False]}
    assert by_yaml("title:")[0] == {"title": None}


def test_a_plain_front_matter_gives_the_fields_and_lines() -> None:
    front, problems = parse_front_matter(
        "---\npolicy: terms\ntitle: Terms of Service\neffective: 2027-01-15\n---\n\nText\n",
        "terms.md")
    assert problems == []
    assert (front.policy, front.title, str(front.effective)) == \
        ("terms", "Terms of Service", "2027-01-15")
    assert front.lines == (("policy", 2), ("title", 3), ("effective", 4))
    assert front.end_line == 5


def front_matters() -> list[tuple[str, str]]:
    files = sorted((REPO / "content").rglob("*.md")) + sorted(REPO.glob("samples/**/*.md"))
    if CORPORA.is_dir():
        files += sorted(CORPORA.glob("*/pairs/*/*.md"))
    found = []
    for file in files:
        raw, _ = _split_front_matter(normalize_source(file.read_text(encoding="utf-8")))
        if raw is not None:
            found.append((str(file), raw))
    return found


def test_every_front_matter_we_have_reads_the_same_either_way() -> None:
    seen = front_matters()
    assert seen  # content/ has policies with front matter
    plain = 0
    for name, raw in seen:
        found = _plain(raw)
        if found is not None:
            plain += 1
            assert found == by_yaml(raw), name
    assert plain  # the plain reading is used


def test_plain_front_matter_loads_no_yaml() -> None:
    import subprocess
    import sys

    script = ("import sys\n"
              "from policybook.frontmatter import parse_front_matter\n"
              "front, problems = parse_front_matter('---\\npolicy: terms\\ntopics:\\n  - Legal\\n"
              "---\\nText\\n', 'terms.md')\n"
              "assert front.policy == 'terms' and not problems\n"
              "print('yaml' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)
    assert done.stdout.strip() == "False"
