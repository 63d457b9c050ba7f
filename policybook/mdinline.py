"""markdown-it's "inline" core rule, cached and with a plain-text fast path (pure core).

markdown-it parses the inline content of every paragraph, heading, list item and table
cell on its own (`MarkdownIt.inline.parse`); that is about half of the time a policy
takes to parse. Two things make most of it unnecessary, without changing a token:

- The inline tokens of a content depend on that content alone (and on the link
  reference definitions of the document, `env["references"]`: with any, this rule does
  what markdown-it does). Two versions of a policy share most of their paragraphs, and
  a document repeats short contents (table cells, "Yes"): each content is parsed once
  per process, as the parts of `document.py` are, and its tokens are shared, as the
  parts' tokens already are (nothing mutates them after the parse).
- A content without any character that can start an inline rule of the dialect
  (`markdown.make_parser`: line breaks, escapes, code spans, emphasis, strikethrough,
  links, images, autolinks and entities) is one text token: it is made directly.

`tests/test_markdown_inline.py` checks that the tokens are those of the stock rule.
"""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore, text_join
from markdown_it.token import Token

# The first characters of the inline rules enabled (see the module docstring): newline,
# escape, backticks, strikethrough, emphasis, link, image, autolink/html, entity.
_RULE_START = re.compile(r"[\n\\`~*_\[!<&]")

# Inline content -> its tokens (after markdown-it's text_join). Bounded: oldest out first.
_PARSED: dict[str, list[Token]] = {}
_PARSED_MAX = 65536


def inline(state: StateCore) -> None:
    """The core rules "inline" and "text_join" (see the module docstring): fills
    `children` of each inline token as markdown-it's rule followed by its "text_join"
    would (the parser runs no "text_join" of its own)."""
    if state.env.get("references"):
        _stock(state)
        text_join(state)
        return
    for token in state.tokens:
        if token.type != "inline":
            continue
        found = _PARSED.get(token.content)
        if found is None:
            found = _parse(token.content, state)
            if len(_PARSED) >= _PARSED_MAX:
                del _PARSED[next(iter(_PARSED))]
            _PARSED[token.content] = found
        token.children = list(found)


def _parse(content: str, state: StateCore) -> list[Token]:
    if not _RULE_START.search(content):
        if not content:
            return []
        text = Token("text", "", 0)
        text.content = content
        return [text]
    holder = Token("inline", "", 0)
    holder.content = content
    holder.children = []
    state.md.inline.parse(content, state.md, state.env, holder.children)
    text_join(StateCore("", state.md, state.env, [holder]))
    return holder.children


def _stock(state: StateCore) -> None:
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


def forget() -> None:
    """Empty the cache (for benchmarks that time a first parse)."""
    _PARSED.clear()
