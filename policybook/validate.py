"""The content rules of `policybook check` (pure core).

`document.parse_document` is lenient so that any Markdown policy can be diffed;
a policy in a policybook repository must also satisfy these rules. Every problem is
reported with its line and a way to fix it, all at once.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence

from .document import KNOWN_KEYS, SUMMARY_CONFIRMED, Document, Section
from .errors import Problem
from .regions import read_declaration


def validate(doc: Document) -> list[Problem]:
    """Every problem of one policy file (parse problems included)."""
    problems = list(doc.problems)
    problems += _front_matter(doc)
    problems += _structure(doc)
    problems += _anchors(doc)
    return sorted(set(problems))


def validate_all(docs: Sequence[Document]) -> list[Problem]:
    """Problems of each file plus those across files (duplicate policy ids)."""
    problems: list[Problem] = []
    for doc in docs:
        problems += validate(doc)
    # A policy's regional variants share its id: one file per (policy, variant).
    first: dict[tuple[str, str | None], Document] = {}
    for doc in docs:
        pid = doc.front.policy
        if not pid:
            continue
        key = (pid, read_declaration(doc.source).variant)
        if key in first:
            what = f"policy id '{pid}'" + (f" with variant '{key[1]}'" if key[1] else "")
            problems.append(Problem(doc.path, doc.front.line_of("policy"),
                                    f"{what} is already used by {first[key].path}; each "
                                    "policy (and each of its variants) needs its own file"))
        else:
            first[key] = doc
    return sorted(set(problems))


def _front_matter(doc: Document) -> Iterable[Problem]:
    fm, path = doc.front, doc.path
    if not fm.present:
        yield Problem(path, 1, "no front matter; start the file with '---', then 'policy: <id>', "
                      "'title: <title>', 'effective: YYYY-MM-DD' and a closing '---'")
        return
    if any(p.line <= fm.end_line for p in doc.problems):
        return  # the YAML itself is broken or a field is invalid; already reported
    keys = dict(fm.lines)
    for key, hint in (("policy", "policy: privacy-policy"),
                      ("title", "title: Privacy Policy"),
                      ("effective", "effective: 2027-01-15")):
        if key not in keys:
            yield Problem(path, 1, f"front matter has no '{key}'; add a line such as '{hint}'")
    known = (*KNOWN_KEYS, SUMMARY_CONFIRMED)
    for key, line in fm.lines:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if close:
            yield Problem(path, line, f"unknown front matter key '{key}'; did you mean "
                          f"'{close[0]}'?")
    for key, value in (("title", fm.title), ("summary", fm.summary), ("reason",
                       fm.override.reason if fm.override else None)):
        bad = _hidden_character(value or "", allow_newlines=key != "title")
        if bad:
            yield Problem(path, fm.line_of(key), f"'{key}' contains {bad}; it would be "
                          "invisible or garble the pages, the feed and the e-mails; remove it")
    if "reason" in keys and "change" not in keys:
        yield Problem(path, keys["reason"], "'reason' explains a 'change: material|editorial' "
                      "override, but there is no 'change' line")


# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source").
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _hidden_character(text: str, allow_newlines: bool) -> str:
    """A description of the first control character in `text` ("" if none)."""
    for ch in text:
        if ch in "\n\t" and allow_newlines:
            continue
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return f"the control character U+{ord(ch):04X}"
    return ""


def _structure(doc: Document) -> Iterable[Problem]:
    path = doc.path
    previous_level = 0
    siblings: dict[tuple[str, str], int] = {}
    for parent in doc.root.walk():
        for child in parent.children:
            key = (parent.id, child.title.lower())
            if child.explicit_id:
                continue
            if key in siblings:
                yield Problem(path, child.line, f"a section titled '{child.title}' already "
                              f"exists at line {siblings[key]} in the same place; give one of "
                              "them an explicit id, e.g. '{#" + child.id + "}' after the title")
            siblings.setdefault(key, child.line)
    for section in doc.sections():
        if section.level > previous_level + 1 and previous_level > 0:
            yield Problem(path, section.line, f"heading level {section.level} follows level "
                          f"{previous_level}; use {'#' * (previous_level + 1)} (headings "
                          "must not skip a level)")
        previous_level = section.level
        if not section.title.strip():
            yield Problem(path, section.line, "empty heading; give the section a title")
        if _is_empty(section):
            yield Problem(path, section.line, f"section '{section.heading}' is empty; add its "
                          "text or remove the heading")
    if not any(True for _ in doc.sections()) and not doc.root.blocks:
        yield Problem(path, max(doc.front.end_line + 1, 1), "the policy has no text")


def _is_empty(section: Section) -> bool:
    return not section.blocks and not section.children


def _anchors(doc: Document) -> Iterable[Problem]:
    anchors = doc.anchors()
    for link in doc.links():
        if link.href.startswith("#") and len(link.href) > 1:
            target = link.href[1:]
            if target not in anchors:
                close = difflib.get_close_matches(target, sorted(anchors), n=1)
                hint = f"; did you mean '#{close[0]}'?" if close else \
                    "; link to an existing section id"
                yield Problem(doc.path, link.line, f"link '{link.text}' points to '#{target}', "
                              f"which is not a section of this policy{hint}")
