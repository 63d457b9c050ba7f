"""How each changed block of a change set is judged (pure core): paragraphs run by run
of changed words, list items and table rows one by one, with the words each reason
quotes copied from the source text. `materiality.assess` turns these findings into
reasons."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from . import lexicon
from .diff import BlockChange, BlockChangeKind, Change, ItemChange, ItemKind, Style, clean
from .document import Block, BlockKind
from .lexicon import summary_label
from .redline import Hunk, Redline, tokens, word_redline, words_of
from .rules import (
    EDITORIAL,
    MATERIAL,
    PRICE_CHANGED,
    Finding,
    Rule,
    Texts,
    alnum,
    channel_gone,
    editorial_hunk,
    material_hunk,
    name_core,
    whole_text,
)
from .rules import sentence as _sentence
from .signals import vocabulary

# What flips a practice in words that only restate or label it (a summary, a heading): a
# negation, a duty made weaker or stronger, a list narrowed or widened, a word turned to
# its opposite, a number, a period or a price changed (`flips`). A concept named there
# ("Flying hours" -> "Flying hours and fees") labels what the text below says.
FLIPS = frozenset({Rule.NEGATION, Rule.MODAL_WEAKENING, Rule.MODAL_STRENGTHENING,
                   Rule.NARROWED_LIST, Rule.WIDENED_LIST, Rule.OPPOSITE, Rule.NUMBERS})


def flips(finding: Finding) -> bool:
    return finding.rule in FLIPS or (finding.rule is Rule.FEES and
                                     finding.note == PRICE_CHANGED)
_STYLE_RULES = {
    Style.WHITESPACE: Rule.WHITESPACE,
    Style.LIST_MARKERS: Rule.LIST_MARKERS,
    Style.LINKS: Rule.LINK_TARGET,
    Style.BLOCK_KIND: Rule.MARKUP,
    Style.MARKUP: Rule.MARKUP,
}


def quote(text: str | None, limit: int = 40) -> str:
    if text is None:
        return "(none)"
    words = text.split()
    short = " ".join(words[:limit]) + (" …" if len(words) > limit else "")
    return f"“{short}”"


def _source(tokens: Sequence[str], lo: int, hi: int) -> str:
    """Tokens lo..hi as the source wrote them ("US$ 10", "5%", "30 days' notice", CJK
    without spaces): the tokens keep their own whitespace, which is only folded into
    single spaces (a line break inside a paragraph reads as a space)."""
    return " ".join("".join(tokens[lo:hi]).split())


def _snippet(tokens: Sequence[str], start: int, end: int, context: int = 4) -> str:
    lo, hi = max(0, start - context), min(len(tokens), end + context)
    text = _source(tokens, lo, hi)
    return ("…" if lo > 0 else "") + text + ("…" if hi < len(tokens) else "")


def _in_sentence(tokens: Sequence[str], words: Sequence[str], start: int, end: int,
                 context: int = 15) -> str:
    """The sentence around words[start:end], clipped to `context` words on each side, as
    the source wrote it."""
    begin = start
    while begin > 0 and words[begin - 1] not in (".", "!", "?", ";"):
        begin -= 1
    stop = begin + len(_sentence(words, start, end))
    lo, hi = max(begin, start - context), min(stop, end + context)
    return ("…" if lo > begin else "") + _source(tokens, lo, hi) + ("…" if hi < stop else "")


Judged = tuple[Finding, int, str]


def judge_block(block: BlockChange, change: Change, texts: Texts) -> Iterator[Judged]:
    line = block.line
    context = words_of(" ".join(change.path))
    off = texts.disabled
    if block.kind is BlockChangeKind.RESTYLED:
        # The same words: a style whose rule is switched off explains nothing, and when
        # none is left the words decide (they are the same: a clarification that names
        # the rules skipped).
        styles = block.style or (Style.MARKUP,)
        kept = [s for s in styles if _STYLE_RULES[s] not in off]
        for style in kept:
            yield Finding(_STYLE_RULES[style], EDITORIAL), line, _style_words(block, style)
        if not kept:
            skipped = ", ".join(dict.fromkeys(str(_STYLE_RULES[s]) for s in styles))
            yield Finding(Rule.CLARIFICATION, EDITORIAL, note=f"{skipped} switched off"), \
                line, quote(block.redline.new or block.redline.old, 12)
        return
    if block.kind is BlockChangeKind.MOVED:
        where = "from" if block.new is not None else "to"
        if Rule.REORDERING not in off:
            yield Finding(Rule.REORDERING, EDITORIAL), line, \
                f"{quote(block.redline.new, 12)} moved {where} section {block.elsewhere}"
            return
        # Reordering switched off: the moved text is read as text added (or removed) here.
        added = block.new is not None
        text = block.redline.new if added else block.redline.old
        yield whole_text(words_of(text), texts, added, context, paragraph=True), line, \
            f"{'added' if added else 'removed'} {quote(text)}"
        return
    for style in block.style:
        if _STYLE_RULES[style] not in off:
            yield Finding(_STYLE_RULES[style], EDITORIAL), line, _style_words(block, style)
    label = next((summary_label(b.text) for b in (block.old, block.new)
                  if b is not None and summary_label(b.text)), None)
    if label is not None and "summaries" in texts.profiles and Rule.SUMMARY not in off \
            and block.kind is BlockChangeKind.CHANGED:
        # Opt-in profile: a summary restates the binding text, so its rewording is
        # editorial; but a practice it flips (a negation, a duty) is material anyway.
        flipped = [j for j in _hunks(block.redline, texts, context, line)
                   if flips(j[0])]
        text = block.redline.new or block.redline.old
        yield from flipped or [(Finding(Rule.SUMMARY, EDITORIAL, note=f"“{label}”"), line,
                              quote(text, 16))]
        return
    if block.kind in (BlockChangeKind.ADDED, BlockChangeKind.REMOVED):
        added = block.kind is BlockChangeKind.ADDED
        if block.items and block.block_kind is BlockKind.TABLE:
            yield from _table_items(block, texts, context)
        elif block.items:
            lead = _lead_in(block, change)
            links = _navigation_links(block, change, lead)
            for item in block.items:
                text = item.redline.new if added else item.redline.old
                yield _linked_item(text, links) or whole_text(
                    words_of(text), texts, added, context, lead), _item_line(block, item), \
                    f"{'added' if added else 'removed'} item {quote(text)}"
        else:
            text = block.redline.new if added else block.redline.old
            finding = _with_channel(text, change, off) if not added else None
            yield finding or whole_text(words_of(text), texts, added, context,
                                        paragraph=True), line, \
                f"{'added' if added else 'removed'} {quote(text)}"
        return
    if block.items:
        lead = _lead_in(block, change)
        yield from _table_items(block, texts, context) if block.is_table else \
            _list_items(block, texts, context, lead, _navigation_links(block, change, lead))
        return
    if block.old is not None and block.new is not None and block.old.kind is not \
            block.new.kind and (block.old.items or block.new.items):
        # A paragraph made a list (or a list a paragraph): a run that is a whole item of
        # the list is an item added or removed, governed by the list's lead-in.
        yield from _hunks(block.redline, texts, context, line, links=_link_words(block),
                          items=_item_words(block), lead=_lead_in(block, change))
        return
    judged = _hunks(block.redline, texts, context, line, links=_link_words(block))
    if label is not None and Rule.SUMMARY not in off and block.kind is BlockChangeKind.CHANGED:
        judged = (_summarised(j, block, change) for j in judged)
    yield from judged


def _summarised(judged: Judged, block: BlockChange, change: Change) -> Judged:
    """An item of a summary's list that now agrees with the binding text of its section:
    one dropped that the section's other text never names while it limits the practice
    to what it lists ("we read it to give support or to bill you" -> "to give support",
    where the section says "we only read it: … to give support"), or one added that it names
    already. What the section binds you to is unchanged. Where the section is silent and
    open, the summary was the only place that said it: judged as text, like any other
    change of a summary."""
    finding = judged[0]
    if finding.rule not in _SCOPES or block.old is None or block.new is None:
        return judged
    terms = {w.lower() for w in finding.terms if len(w) > 2} - lexicon.ARTICLES - \
        lexicon.GRAMMAR_WORDS - _LINKING
    if not terms:
        return judged
    old, new = (set(w.lower() for w in words_of(b.words)) for b in (block.old, block.new))
    texts = [[w.lower() for w in words_of(b.words)]
             for section in (change.old, change.new) if section is not None
             for part in section.walk() for b in part.blocks
             if b is not block.old and b is not block.new and not summary_label(b.text)]
    binding = {w for text in texts for w in text}
    # Said there as a practice, not ruled out ("we never open it for advertising").
    said = any(terms <= set(text) and not lexicon.negations(text) for text in texts)
    if terms <= old and not terms <= new and not terms & binding and binding & _EXCLUSIVE:
        note = f"{_listed(terms)} is not in the text it summarises"
    elif terms <= new and not terms <= old and said:
        note = f"{_listed(terms)} is in the text it summarises already"
    else:
        return judged
    return Finding(Rule.SUMMARY, EDITORIAL, finding.terms, note=note), judged[1], judged[2]


_SCOPES = frozenset({Rule.LIST_SCOPE, Rule.NARROWED_LIST, Rule.WIDENED_LIST})
_EXCLUSIVE = frozenset({"only", "solely", "exclusively"})
_LINKING = frozenset({"and", "or", "for", "with", "our", "your", "their", "its", "from"})


def _listed(terms: set[str]) -> str:
    return ", ".join(f"“{t}”" for t in sorted(terms))


def _with_channel(text: str, change: Change, off: frozenset[Rule]) -> Finding | None:
    """A paragraph removed that speaks of an address the same change removed
    (`rules_passages.channel_gone`): a contact detail, gone with its channel."""
    if Rule.CONTACT in off or change.old is None or change.new is None or \
            not channel_gone(words_of(text), change.old, change.new):
        return None
    return Finding(Rule.CONTACT, EDITORIAL, note="about an address removed with it")


def _item_words(block: BlockChange) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """The words of each list item of the old and of the new block (lower case)."""
    def of(b: Block | None) -> set[tuple[str, ...]]:
        if b is None or b.kind is not BlockKind.LIST:
            return set()
        return {tuple(w.lower() for w in alnum(words_of(clean(item)))) for item in b.items}
    return of(block.old), of(block.new)


def judge_words(redline: Redline, texts: Texts, context: Sequence[str], line: int
                ) -> Iterator[Judged]:
    """The changed runs of a heading's words (a title or a number whose structural rule
    is switched off), judged like those of a paragraph."""
    yield from _hunks(redline, texts, context, line)


def _style_words(block: BlockChange, style: Style) -> str:
    if style is Style.LINKS and block.links:
        return "; ".join(f"{old or '(no link)'} → {new or '(no link)'}"
                         for old, new in block.links)
    text = block.redline.new or block.redline.old
    return quote(text, 12)


def _link_words(block: BlockChange) -> tuple[str, str]:
    """The words of each side's links, for the link-wording rule."""
    def words(b: Block | None) -> str:
        texts = [" ".join(words_of(clean(link.text))).lower() for link in b.links] if b else []
        return f" {' | '.join(texts)} "
    return words(block.old), words(block.new)


def _hunks(redline: Redline, texts: Texts, context: Sequence[str], line: int,
           table: bool = False, lead: Sequence[str] = (),
           links: tuple[str, str] = ("", ""),
           items: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] = (set(), set())
           ) -> Iterator[Judged]:
    # The tokens keep their whitespace: quotes are cut from them, as written.
    old_tokens, new_tokens = tokens(redline.old), tokens(redline.new)
    old, new = words_of(redline.old), words_of(redline.new)  # the tokens without their space
    for hunk in _merge_names(redline.hunks(), old, new):
        whole = _whole_item(hunk, items)
        if whole is not None:
            added = whole is hunk.inserted
            text = " ".join(whole)
            yield whole_text(list(whole), texts, added, context, lead), line, \
                f"{'added' if added else 'removed'} item {quote(text)}"
            continue
        finding = editorial_hunk(hunk, old, new, texts, links, table) or \
            material_hunk(hunk, old, new, context, table, lead, texts.extra,
                          texts.disabled)
        if finding.rule is Rule.RENAME:
            words = finding.note
        else:
            words = (f"“{_snippet(old_tokens, hunk.old_start, hunk.old_end)}” → "
                     f"“{_snippet(new_tokens, hunk.new_start, hunk.new_end)}”")
        if finding.verdict is MATERIAL:
            # Show the sentence for material findings: the lawyer reads it there.
            words = (f"“{_in_sentence(old_tokens, old, hunk.old_start, hunk.old_end)}” → "
                     f"“{_in_sentence(new_tokens, new, hunk.new_start, hunk.new_end)}”")
        yield finding, line, words


def _whole_item(hunk: Hunk, items: tuple[set[tuple[str, ...]], set[tuple[str, ...]]]
                ) -> tuple[str, ...] | None:
    """The run's words when they are a whole list item on one side and nothing on the
    other (punctuation aside): an item added or removed."""
    old_items, new_items = items
    if not (old_items or new_items):
        return None  # (most blocks: no list on either side)
    d, i = alnum(hunk.deleted), alnum(hunk.inserted)
    if i and not d and tuple(w.lower() for w in i) in new_items:
        return hunk.inserted
    if d and not i and tuple(w.lower() for w in d) in old_items:
        return hunk.deleted
    return None


def _merge_names(hunks: Sequence[Hunk], old: Sequence[str], new: Sequence[str]
                 ) -> Iterator[Hunk]:
    """Runs split only by capitalised words are one change of a name ("a Business plan"
    -> "GitHub Business Cloud"): judge them together."""
    pending: Hunk | None = None
    for hunk in hunks:
        if pending is not None:
            gap = old[pending.old_end: hunk.old_start]
            if 0 < len(gap) <= 2 and all(w[:1].isupper() for w in gap):
                pending = Hunk(pending.old_start, hunk.old_end, pending.new_start, hunk.new_end,
                               tuple(old[pending.old_start: hunk.old_end]),
                               tuple(new[pending.new_start: hunk.new_end]))
                continue
            yield pending
        pending = hunk
    if pending is not None:
        yield pending


def _item_line(block: BlockChange, item: ItemChange) -> int:
    """The line of a list item or table row (the new file's; the old one's if removed)."""
    for b, index in ((block.new, item.new_index), (block.old, item.old_index)):
        if b is not None and index is not None and index < len(b.item_lines):
            return b.item_lines[index]
    return block.line


def _lead_in(block: BlockChange, change: Change) -> list[str]:
    """The last sentence of the paragraph just before a list: it governs the items."""
    for b, section in ((block.new, change.new), (block.old, change.old)):
        if b is None or section is None:
            continue
        index = next((k for k, x in enumerate(section.blocks) if x is b), None)
        if index:
            before = words_of(section.blocks[index - 1].words)
            return _sentence(before, len(before) - 1, len(before) - 1) if before else []
    return []


def _navigation_links(block: BlockChange, change: Change, lead: Sequence[str]
                      ) -> frozenset[str]:
    """The texts of the links to other pages of a list that a navigation label heads
    ("Related articles", "See also": `[navigation]` of the vocabulary), by its heading or
    its lead-in; empty for any other list."""
    label = " ".join([*(change.path[-1:] or ("",)), *lead]).lower()
    if not any(x in label for x in vocabulary().navigation):
        return frozenset()
    return frozenset(" ".join(words_of(clean(link.text))).lower()
                     for b in (block.old, block.new) if b is not None
                     for link in b.links if not link.href.startswith("#"))


def _linked_item(text: str, links: frozenset[str]) -> Finding | None:
    """An item of a navigation list that is a whole link to another page: where to read
    next, no term of the policy."""
    if links and " ".join(words_of(text)).lower() in links:
        return Finding(Rule.LINK_WORDING, EDITORIAL, note="a list of links to other pages")
    return None


def _list_items(block: BlockChange, texts: Texts, context: Sequence[str],
                lead: Sequence[str], links: frozenset[str] = frozenset()
                ) -> Iterator[Judged]:
    renamed = _renamed_items(block.items, texts)
    for item in block.items:
        if item.kind is ItemKind.UNCHANGED or id(item) in renamed:
            continue
        if item.kind is ItemKind.ADDED and id(item) in renamed.values():
            gone = next(i for i in block.items if renamed.get(id(i)) == id(item))
            yield from _hunks(word_redline(gone.redline.old, item.redline.new), texts,
                              context, _item_line(block, item), lead=lead,
                              links=_link_words(block))
            continue
        if item.kind is ItemKind.MOVED and Rule.REORDERING not in texts.disabled:
            yield Finding(Rule.REORDERING, EDITORIAL), _item_line(block, item), \
                f"item {quote(item.redline.new, 12)} moved within the list"
        elif item.kind is ItemKind.MOVED:
            # Reordering switched off: the item is read at its new place, as added text.
            yield whole_text(words_of(item.redline.new), texts, True, context, lead), \
                _item_line(block, item), f"moved item {quote(item.redline.new)}"
        elif item.kind is ItemKind.CHANGED:
            yield from _hunks(item.redline, texts, context, _item_line(block, item), lead=lead,
                              links=_link_words(block))
        else:
            added = item.kind is ItemKind.ADDED
            text = item.redline.new if added else item.redline.old
            yield _linked_item(text, links) or whole_text(
                words_of(text), texts, added, context, lead), \
                _item_line(block, item), f"{'added' if added else 'removed'} item {quote(text)}"


def _renamed_items(items: Sequence[ItemChange], texts: Texts) -> dict[int, int]:
    """Short items that look removed and added but differ only by names the document
    replaces elsewhere too ("Acme Pay" -> "Zentrix Pay" where "Acme" became "Zentrix"
    twice or more): id of the removed item -> id of the added one, to be judged as one
    changed item (a rename, if the rules find it one), not as a list narrowed and widened.
    Item alignment cannot pair them: in a two-word item one name is half the words."""
    gone = [i for i in items if i.kind is ItemKind.REMOVED]
    came = [i for i in items if i.kind is ItemKind.ADDED]
    if not gone or not came or not texts.substitutions:
        return {}
    paired: dict[int, int] = {}
    taken: set[int] = set()
    for old_item in gone:
        old = words_of(old_item.redline.old)
        for new_item in came:
            if id(new_item) in taken:
                continue
            if _only_names_replaced(old, words_of(new_item.redline.new), texts):
                paired[id(old_item)] = id(new_item)
                taken.add(id(new_item))
                break
    return paired


def _only_names_replaced(old: Sequence[str], new: Sequence[str], texts: Texts) -> bool:
    if len(old) != len(new) or not 0 < len(old) <= 6:
        return False
    swapped = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    if not swapped:
        return False
    for a, b in swapped:
        (name_a, tail_a), (name_b, tail_b) = name_core(a), name_core(b)
        if tail_a != tail_b or texts.substitutions.get(((name_a,), (name_b,)), 0) < 2:
            return False
    return True


def _first_cells(block: BlockChange, item: ItemChange) -> list[str]:
    """The first cell of a row on each side: a row that names a section is a table of
    contents entry."""
    cells: list[str] = []
    for b, index in ((block.old, item.old_index), (block.new, item.new_index)):
        if b is not None and index is not None and b.rows[index]:
            cells.append(clean(b.rows[index][0]))
    return cells


def _contents_row(block: BlockChange, item: ItemChange, texts: Texts) -> bool:
    """A row whose first cell names a section (or links to one, `[C. Use](#c-use)`)."""
    anchors = {clean(link.text) for b in (block.old, block.new) if b is not None
               for link in b.links if link.href.startswith("#")}
    return any(texts.is_heading(cell) or cell in anchors for cell in _first_cells(block, item))


def _table_items(block: BlockChange, texts: Texts, context: Sequence[str]
                 ) -> Iterator[Judged]:
    for item in block.items:
        if item.kind is ItemKind.UNCHANGED:
            continue
        off = texts.disabled
        if item.kind is ItemKind.MOVED:
            if Rule.REORDERING not in off:
                yield Finding(Rule.REORDERING, EDITORIAL), _item_line(block, item), \
                    f"row {quote(item.redline.new, 12)} moved within the table"
            else:
                # Reordering switched off: the row is read at its new place, as added text.
                yield _row(item.redline.new, texts, True, context), _item_line(block, item), \
                    f"moved row {quote(item.redline.new)}"
            continue
        # A row naming a section is a contents entry, unless its other cells changed:
        # a summary table ("3. Sharing | We never sell your data") is text users read.
        others = item.kind is ItemKind.CHANGED and any(c.changed for c in item.cells[1:])
        if _contents_row(block, item, texts) and not others and Rule.CONTENTS not in off:
            yield Finding(Rule.CONTENTS, EDITORIAL), _item_line(block, item), \
                f"{item.kind} row {quote(item.redline.new or item.redline.old, 12)}"
        elif item.kind is ItemKind.CHANGED:
            for cell in item.cells or (item.redline,):
                if cell.changed:
                    yield from _hunks(cell, texts, context, _item_line(block, item),
                                      table=True, links=_link_words(block))
        else:
            added = item.kind is ItemKind.ADDED
            text = item.redline.new if added else item.redline.old
            if any(c.isalnum() for c in text):
                yield _row(text, texts, added, context), _item_line(block, item), \
                    f"{'added' if added else 'removed'} row {quote(text)}"


def _row(text: str, texts: Texts, added: bool, context: Sequence[str]) -> Finding:
    """An added or removed row: moved from elsewhere, else an entry of a register
    (`table-entry`); with those rules switched off, what its words say (`whole_text`)."""
    words = words_of(text)

    skipped: list[str] = []
    if texts.has_passage("old" if added else "new", words):
        if Rule.REORDERING not in texts.disabled:
            return Finding(Rule.REORDERING, EDITORIAL, note="row moved")
        skipped.append(str(Rule.REORDERING))
    if Rule.TABLE_ENTRY not in texts.disabled:
        cells = tuple(w for w in words if any(c.isalnum() for c in w))
        return Finding(Rule.TABLE_ENTRY, MATERIAL, cells[:6],
                       note=f"{', '.join(skipped)} switched off" if skipped else "")
    skipped.append(str(Rule.TABLE_ENTRY))
    fallen = whole_text(words, texts, added, context)
    return replace(fallen, note="; ".join(x for x in (fallen.note,
                                                        f"{', '.join(skipped)} switched off") if x))
