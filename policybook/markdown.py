"""The Markdown dialect of policybook, on markdown-it-py (pure core).

One configured parser for the whole product, so that what `check` validates, what the
diff compares and what the site renders are the same tokens:

- CommonMark with tables and strikethrough; raw HTML is *escaped*, never passed
  through (`html: False`; the default preset would pass it through).
- markdown-it's `validateLink` drops `javascript:`, `vbscript:`, `file:` and `data:`
  links: the link stays as visible text and is never rendered as an anchor.
- Source preparation keeps every line where it was, so that `token.map` gives file
  lines: front matter, HTML comments and Liquid-only lines (`{% note %}` in GitHub's
  policies) are blanked, and `{#id}` heading ids are taken out of the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, normalize
from markdown_it.token import Token

_ID = r"[A-Za-z][A-Za-z0-9_-]*"
# `## 1. Title {#stable-id}` (kramdown/pandoc style) ...
_TRAILING_ID = re.compile(r"^(?P<head> {0,3}#{1,6}[ \t].*?)[ \t]+\{#(?P<id>" + _ID + r")\}[ \t]*$")
# ... or an `{#stable-id}` line directly above the heading (markdown-it attrs style).
_ID_LINE = re.compile(r"^ {0,3}\{#(?P<id>" + _ID + r")\}[ \t]*$")
_ATX = re.compile(r"^ {0,3}#{1,6}([ \t]|$)")
_LIQUID_LINE = re.compile(r"^[ \t]*\{%-?.*?-?%\}[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _normalize(state: StateCore) -> None:
    """markdown-it's "normalize" core rule (CR and CRLF to LF, NUL to U+FFFD), run only
    when there is something to change: it substitutes every line end, with the same line
    end for a text that has only LF (every policy read: `normalize_source`)."""
    if "\r" in state.src or "\0" in state.src:
        normalize(state)


def make_parser() -> MarkdownIt:
    from . import mdinline

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # Without "html" these two rules never match, yet they are tried at every block and at
    # every "<" (a tenth of the block rules' calls): off, the tokens are the same.
    md.disable(["html_block", "html_inline"])
    md.core.ruler.at("normalize", _normalize)
    md.core.ruler.at("inline", mdinline.inline)  # the same tokens, each content parsed once
    md.core.ruler.disable("text_join")  # done by mdinline.inline, content by content
    return md


_PARSER = make_parser()


@dataclass(frozen=True)
class Prepared:
    """Source ready for markdown-it, line-aligned with the file."""

    text: str
    heading_ids: dict[int, str]  # 0-based line of a heading -> explicit id
    id_lines: dict[int, str]  # 0-based line of an `{#id}` line -> id (kept for messages)


def _blank(match: re.Match[str]) -> str:
    # Keep newlines so that every later line keeps its number.
    return re.sub(r"[^\n]", " ", match.group(0))


def prepare(body: str) -> Prepared:
    """Blank comments and Liquid lines, take `{#id}` out of headings; keep line numbers."""
    text = _COMMENT.sub(_blank, body)
    lines = text.split("\n")
    heading_ids: dict[int, str] = {}
    id_lines: dict[int, str] = {}
    fence: str | None = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if "{" not in line:  # each pattern below needs one ("{%", "{#")
            continue
        if _LIQUID_LINE.match(line):
            lines[i] = ""
            continue
        m = _TRAILING_ID.match(line)
        if m:
            heading_ids[i] = m.group("id")
            lines[i] = m.group("head")
            continue
        m = _ID_LINE.match(line)
        if m and i + 1 < len(lines) and _ATX.match(lines[i + 1]):
            id_lines[i] = m.group("id")
            heading_ids[i + 1] = m.group("id")
            lines[i] = ""
    return Prepared("\n".join(lines), heading_ids, id_lines)


def parse(text: str) -> list[Token]:
    return _PARSER.parse(text)


def render(tokens: Sequence[Token]) -> str:
    return str(_PARSER.renderer.render(list(tokens), _PARSER.options, {}))


def inline_text(token: Token) -> str:
    """Plain text of an inline token: words only, markup (emphasis, links) dropped, and
    words struck through (~~so~~): a reader sees them deleted."""
    parts: list[str] = []
    struck = 0
    for child in token.children or ():
        if child.type in ("s_open", "s_close"):
            struck += 1 if child.type == "s_open" else -1
        elif struck > 0:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return normalize_space("".join(parts))


# No-break spaces (U+202F, U+00A0, U+2007) are written on purpose: French binds « »,
# ":" and ";" to their words with them, and "30 jours" or "US$ 12" must not break
# across lines. A run of whitespace that holds one collapses to it (the first of
# _NO_BREAK it holds), not to a space.
_NO_BREAK = ("\u202f", "\u00a0", "\u2007")
_NO_BREAK_CHAR = re.compile("[\u202f\u00a0\u2007]")


def normalize_space(text: str) -> str:
    """Collapse whitespace to single spaces, keeping no-break spaces as written."""
    if "\u202f" not in text and "\u00a0" not in text and "\u2007" not in text:
        return " ".join(text.split())  # the common case, in C
    # Each run of whitespace around a no-break space (found in C; a text holds a few), and
    # the text between those runs as in the common case. (`str.isspace` is `\s`.)
    parts: list[str] = []
    at = end = 0
    size = len(text)
    for found in _NO_BREAK_CHAR.finditer(text):
        start = found.start()
        if start < end:  # in the run taken already
            continue
        end = start + 1
        while start > at and text[start - 1].isspace():
            start -= 1
        while end < size and text[end].isspace():
            end += 1
        run = text[start:end]
        parts += (" ".join(text[at:start].split()), next(c for c in _NO_BREAK if c in run))
        at = end
    parts.append(" ".join(text[at:].split()))
    return "".join(parts).strip()


def inline_links(token: Token) -> list[tuple[str, str]]:
    """(href, link text) for every link of an inline token."""
    links: list[tuple[str, str]] = []
    href: str | None = None
    words: list[str] = []
    for child in token.children or ():
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            words = []
        elif child.type == "link_close" and href is not None:
            links.append((href, normalize_space("".join(words))))
            href = None
        elif href is not None and child.type in ("text", "code_inline"):
            words.append(child.content)
    return links
