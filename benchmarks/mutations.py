"""Generic edits applied to real policies: does the verdict catch the material ones and
leave the editorial ones alone?

    python benchmarks/mutations.py [--corpus DIR ...] [--docs N] [--errors]

Takes N policies (the `new.md` of distinct documents) from each corpus (default both
corpora beside the repository, or $POLICYBOOK_CORPUS) and applies to each every edit
that fits it: material edits (a negation removed, a period or a price changed, a country
or governing law swapped, a recipient added, a promise weakened, a right removed, a data
category added, a word turned to its opposite, an amount with its unit changed, a company
added to a list that a sharing sentence introduces, the bound of a number changed:
"within 30 days" -> "after 30 days", a condition dropped: "unless you opt out") and
editorial edits (a typo fixed, contact details
changed, a link target changed, a raw HTML wrapper, a wordy phrase shortened, a name
renamed throughout, a "Last updated" date changed, a heading's punctuation, a
contraction, a phone number written in groups changed, the future tense moved to the
present, "will be" become "is", a "here" link given a descriptive title, a link put
around words that stay, a grammar slip or a typo in a term fixed, an abbreviation
written out). The edits are written here, generically: no corpus sentence
is quoted. Prints `name: value unit` lines; goals: caught >= 98 % of material edits,
<= 5 % of editorial edits called material. `--docs 40` takes more policies per corpus
(more edits fit; slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policybook.diff import diff_documents  # noqa: E402
from policybook.document import parse_document  # noqa: E402
from policybook.materiality import assess  # noqa: E402
from policybook.signals import places  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus"
Edit = Callable[[str], tuple[str, str] | None]  # policy -> (old, new), or None: no fit


def _sub(pattern: str, repl: str | Callable[[re.Match[str]], str], flags: int = 0) -> Edit:
    def edit(text: str) -> tuple[str, str] | None:
        new, n = re.subn(pattern, repl, text, count=1, flags=flags)
        return (text, new) if n and new != text else None
    return edit


def _reverse(edit: Edit) -> Edit:
    """The edit undone: the old text has the flaw, the new one is the policy."""
    def run(text: str) -> tuple[str, str] | None:
        pair = edit(text)
        return (pair[1], pair[0]) if pair else None
    return run


def _remove_sentence_with(phrase: str) -> Edit:
    def edit(text: str) -> tuple[str, str] | None:
        m = re.search(r"(?<=[.!?] )[A-Z][^.!?\n]*\b" + phrase + r"\b[^.!?\n]*[.!?] ", text)
        return (text, text[:m.start()] + text[m.end():]) if m else None
    return edit


_PLACEHOLDER = re.compile(r"\[(?:here|click here|this page)\]\(([^)\s]*)\)", re.IGNORECASE)


def _placeholder_titled(text: str) -> tuple[str, str] | None:
    """A "here" link given a descriptive title: the first placeholder that Markdown makes
    a link a reader follows (not in an indented code block, not a `javascript:` target,
    which the page drops: there the brackets are text, and the edit changes words)."""
    for m in _PLACEHOLDER.finditer(text):
        line = text[text.rfind("\n", 0, m.start()) + 1: m.start()]
        if line.startswith(("    ", "\t")) or m.group(1).lower().startswith("javascript:"):
            continue
        new = text[:m.start()] + f"on [our privacy and data choices page]({m.group(1)})" + \
            text[m.end():]
        return text, new
    return None


def _swap_country(text: str) -> tuple[str, str] | None:
    for country, other in (("Ireland", "Singapore"), ("California", "Texas"),
                           ("England", "Germany"), ("Delaware", "Nevada"),
                           ("United States", "Brazil"), ("Netherlands", "Poland"),
                           ("Singapore", "Japan"), ("Canada", "Mexico"), ("Japan", "India")):
        m = re.search(r"\blaws? of (?:the )?(?:State of )?" + country + r"\b", text) or \
            next((m for m in re.finditer(r"(?<=[a-z,] )" + country + r"\b", text)
                  if not _address_or_link(text, m.start(), m.end())), None)
        if m:
            return text, text[:m.start()] + m.group(0).replace(country, other) + text[m.end():]
    return None


def _address_or_link(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands in a postal address ("Dublin 4, Ireland", "Mountain
    View, California 94043") or in a link's text: by the labelling rule an edit there is
    editorial (contact details, link text), so it is no jurisdiction swapped."""
    line_start = text.rfind("\n", 0, start) + 1
    before, after = text[max(line_start, start - 60):start], text[end:end + 12]
    if re.search(r"\d[^.;:\n]*, $", before) or re.match(r",? \d{4,5}\b", after):
        return True
    return text.rfind("[", line_start, start) > text.rfind("]", line_start, start)


def _typo(text: str) -> tuple[str, str] | None:
    m = re.search(r"(?<= )(?!(?:[A-Z]|not|never|no)\b)([a-z]{3})([a-z])([a-z])([a-z]{3,})(?= )",
                  text[len(text) // 3:])
    if not m:
        return None
    start = len(text) // 3 + m.start()
    word = m.group(0)
    wrong = m.group(1) + m.group(3) + m.group(2) + m.group(4)
    return text[:start] + wrong + text[start + len(word):], text


def _append(old_line: str, new_line: str) -> Edit:
    def edit(text: str) -> tuple[str, str] | None:
        return f"{text.rstrip()}\n\n{old_line}\n", f"{text.rstrip()}\n\n{new_line}\n"
    return edit


def _dated(text: str) -> tuple[str, str] | None:
    body = re.sub(r"^(---\n.*?\n---\n)", "", text, flags=re.S)
    head = text[: len(text) - len(body)]
    return (f"{head}Last updated: March 3, 2026\n\n{body}",
            f"{head}Last updated: June 9, 2026\n\n{body}")


def _rename(text: str) -> tuple[str, str] | None:
    names = re.findall(r"(?<=[a-z,] )([A-Z][a-z]{3,}|[A-Z][a-z]+[A-Z][a-z]+)(?=[ ,.])", text)
    counts = {n: names.count(n) for n in set(names)}
    # A company's or a product's name: not a common noun capitalised in a title
    # ("Data", "Return": the text writes it in lower case too), nor a word of a place
    # ("United", "Ireland": that moves a jurisdiction).
    prose = re.sub(r"\]\([^)\s]*\)|\S*(?:://|@|\.(?:com|org|net|io)\b)\S*", " ",
                   text)  # not in link targets and addresses
    lower = set(re.findall(r"(?<![\w/-])[a-z]{4,}(?![\w/-])", prose))
    placed = {w for p in places(text.split()) for w in p.split()}
    common = [n for n, k in sorted(counts.items(), key=lambda kv: -kv[1])
              if k >= 3 and n.lower() not in lower and n not in placed]
    if not common:
        return None
    # Throughout: also where Markdown emphasis touches the name ("_Acme_", a word
    # character for `\b`).
    return text, re.sub(r"(?<![A-Za-z0-9])" + common[0] + r"(?![A-Za-z0-9])", "Zentrix", text)


def _html(text: str) -> tuple[str, str] | None:
    m = re.search(r"\n\n([A-Z][^\n<>|#*\[]{60,400}[.])\n\n", text)
    if not m:
        return None
    return text, text[:m.start(1)] + "<span>" + m.group(1) + "</span><br>" + text[m.end(1):]


def _list_recipient(text: str) -> tuple[str, str] | None:
    """A company added to a list that a sharing sentence introduces ("We share your data
    with these partners:" followed by items)."""
    # The sentence that ends with the colon shares: not one before it in the paragraph.
    m = re.search(r"(?:^|(?<=[.!?] ))[^\n.!?]*\b(?:share|shares|disclose|discloses|provide|"
                  r"transfer|send)\b[^\n.!?]*\b(?:your|data|information)\b[^\n.!?]*:[*_]*"
                  r"\n\n?( {0,3}[-*+] )", text, re.IGNORECASE | re.MULTILINE)
    if not m:
        return None
    at = m.start(1)
    return text, text[:at] + m.group(1) + "Zentrix Labs\n" + text[at:]


MATERIAL: dict[str, Edit] = {
    "negation-removed": _sub(r"\b(do|does|will|shall|may|must|can|are|is) not\b", r"\1",
                             re.IGNORECASE),
    # Not in a "Last updated: 5 months ago" line: a date line is editorial by the rule.
    "period-changed": _sub(r"^(?!(?:[*_]*)(?:Last )?(?:updated|modified|revised)\b)(.*?)"
                           r"\b(\d{1,3})( (?:calendar |business )?(?:days|months|years))\b",
                           lambda m: f"{m.group(1)}{int(m.group(2)) + 7}{m.group(3)}",
                           re.MULTILINE | re.IGNORECASE),
    "price-changed": _sub(r"([$€£] ?)(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 5}"),
    "country-swapped": _swap_country,
    "recipient-added": _sub(r"\b(share|disclose|provide)( [^.\n]{0,60}?) with ",
                            r"\1\2 with data brokers and with ", re.IGNORECASE),
    "promise-weakened": _sub(r"\b(we|you) (will|must|shall)\b", r"\1 may", re.IGNORECASE),
    "right-removed": _remove_sentence_with("right to"),
    "data-category-added": _sub(r"\b(collect|process|receive)( your| the)? ",
                                r"\1 your precise location and\2 ", re.IGNORECASE),
    "opposite-word": _sub(r"\b(approximate|off|private) (location|by default)\b",
                          lambda m: {"approximate": "precise", "off": "on",
                                     "private": "public"}[m.group(1).lower()] + " "
                          + m.group(2), re.IGNORECASE),
    "list-recipient-added": _list_recipient,
    # A condition on what the sentence states, dropped: "... unless you opt out." -> "...".
    # (Not "even if", which concedes; not across brackets, which an example opens; a
    # clause of two words or more: "if available" sets no condition.)
    "condition-removed": _sub(r"(?<!even),? (?:if|when|after|unless|only if|provided that|"
                              r"as long as) [^.,;:()\s]+ [^.,;:()\n]{3,80}(?=[.;])", ""),
    "bound-changed": _sub(r"\b(within|at least|at most|up to|no more than|no later than)"
                          r"( \d{1,3} )",
                          lambda m: {"within": "after", "at least": "at most",
                                     "at most": "at least", "up to": "at least",
                                     "no more than": "at least",
                                     "no later than": "no earlier than"}[m.group(1).lower()]
                          + m.group(2), re.IGNORECASE),
    "amount-with-unit": _sub(r"\b(\d+) ?(GB|MB|TB|USD|EUR|GBP)\b",
                             lambda m: f"{int(m.group(1)) + 3} {m.group(2)}"),
}
EDITORIAL: dict[str, Edit] = {
    "typo-fixed": _typo,
    "contact-address": _append("Write to us at 10 Harbour Street, Leeds LS1 4AB.",
                               "Write to us at 22 Mill Lane, Leeds LS2 7HQ."),
    "contact-email": _append("Questions? E-mail privacy [at] example [dot] org.",
                             "Questions? E-mail legal [at] example [dot] org."),
    "link-target": _sub(r"\]\((https?://[^)\s]+)\)", "](https://example.org/moved)"),
    "html-wrapper": _html,
    "wordy-phrase": _reverse(_sub(r"\b to (?=[a-z]+ )", " in order to ")),
    "renamed-throughout": _rename,
    "last-updated": _dated,
    "heading-punctuation": _sub(r"^(#{2,4} [^\n]*[A-Za-z])$", r"\1:", re.MULTILINE),
    "contraction": _sub(r"\b(do|does|are|is) not\b", lambda m: m.group(1) + "n't"),
    "contact-phone": _append("Call us on +1 555 010 2000 with questions.",
                             "Call us on +1 555 010 3000 with questions."),
    "tense-to-present": _sub(r"\b(you|we) will (have|receive|get|need)\b", r"\1 \2",
                             re.IGNORECASE),
    "tense-verb-to-present": _sub(r"\b(it|this) will be\b", r"\1 is"),
    "link-placeholder-titled": _placeholder_titled,
    # A link put around words that stay (not inside a link already).
    "link-added": _sub(r"(?<![\[\w])(privacy policy|terms of service|cookie policy)(?![\w\]])",
                       r"[\1](https://example.org/legal)", re.IGNORECASE),
    # Grammar fixed: the old text has the slip, the new one is the policy.
    "grammar-fixed": _reverse(_sub(r"\b(If|When) your (account|order|request)\b",
                                   r"\1 you \2")),
    # A typo fixed in a word that is itself a term of a concept ("thrid parties").
    "term-typo-fixed": _reverse(_sub(r"\bthird part(y|ies)\b", r"thrid part\1")),
    "abbreviation-written-out": _sub(r"\bapps\b", "applications"),
}


def policies(corpus: Path, count: int) -> list[tuple[str, str]]:
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for line in (corpus / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc = row.get("document") or row.get("doc") or ""
        key = f"{row.get('service', '')}/{doc}"
        path = corpus / "pairs" / row["id"] / "new.md"
        if key in seen or path.stat().st_size > 200_000:
            continue
        seen.add(key)
        found.append((row["id"], path.read_text(encoding="utf-8")))
        if len(found) >= count:
            break
    return found


def material(old: str, new: str) -> bool:
    return assess(diff_documents(parse_document(old, "old.md"), parse_document(new, "new.md")),
                  override=None).material


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = [Path(os.environ["POLICYBOOK_CORPUS"])] if os.environ.get("POLICYBOOK_CORPUS") \
        else [SHARED / "site-policy-dev", SHARED / "ota-vlopses-dev"]
    parser.add_argument("--corpus", type=Path, action="append")
    parser.add_argument("--docs", type=int, default=12, help="policies per corpus")
    parser.add_argument("--errors", action="store_true", help="list every miss")
    args = parser.parse_args()
    totals = {"material": [0, 0], "editorial": [0, 0]}
    for corpus in args.corpus or default:
        for kind, edits in (("material", MATERIAL), ("editorial", EDITORIAL)):
            for name, edit in edits.items():
                hits = runs = 0
                for pid, text in policies(corpus, args.docs):
                    pair = edit(text)
                    if pair is None:
                        continue
                    runs += 1
                    called = material(*pair)
                    hits += called
                    if args.errors and called != (kind == "material"):
                        print(f"# miss: {corpus.name} {name} {pid}")
                totals[kind][0] += hits
                totals[kind][1] += runs
                if runs:
                    print(f"{corpus.name}_{kind}_{name}: {hits}/{runs} called material")
    caught, n = totals["material"]
    false, m = totals["editorial"]
    print(f"mutations_material_caught: {100 * caught / max(1, n):.1f} % ({caught}/{n})")
    print(f"mutations_editorial_called_material: {100 * false / max(1, m):.1f} % ({false}/{m})")


if __name__ == "__main__":
    main()
