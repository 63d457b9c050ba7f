"""An assessment as text, Markdown or JSON (pure core; HTML is in templates/site/).

- `render_text`: a terminal redline; ANSI colours when asked (`color=True`), else the
  `[-deleted-]{+inserted+}` marks of `git diff --word-diff`, readable in any log.
- `render_markdown`: a pull-request comment: the verdict, the reasons, then each
  changed section's redline (~~deleted~~ **inserted**) in collapsible details.
- `to_json`: everything a script needs, including the redline spans.

Long runs of purely structural editorial changes (69 headings one level up) are
summarised in one line, so that the material changes stay visible.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .diff import BlockChange, BlockChangeKind, ChangeKind, ItemChange, ItemKind
from .document import Document
from .materiality import Assessment, ChangeAssessment, Reason
from .redline import Op, Redline

_GROUPABLE = (ChangeKind.RELEVELED, ChangeKind.RENUMBERED, ChangeKind.MOVED)


@dataclass(frozen=True)
class Group:
    """Three or more editorial changes of one structural kind in a row."""

    kind: ChangeKind
    items: tuple[ChangeAssessment, ...]


def grouped(assessment: Assessment) -> Iterator[ChangeAssessment | Group]:
    """The changes in order, with runs of structural editorial changes grouped."""
    run: list[ChangeAssessment] = []

    def flush() -> Iterator[ChangeAssessment | Group]:
        if len(run) >= 3:
            yield Group(run[0].change.kind, tuple(run))
        else:
            yield from run
        run.clear()

    for item in assessment.changes:
        if item.change.kind in _GROUPABLE and not item.material and \
                (not run or run[0].change.kind is item.change.kind):
            run.append(item)
            continue
        yield from flush()
        if item.change.kind in _GROUPABLE and not item.material:
            run.append(item)
        else:
            yield item
    yield from flush()


def _doc_label(doc: Document) -> str:
    effective = f", effective {doc.front.effective.isoformat()}" if doc.front.effective else ""
    return f"{doc.path}{effective}"


def _headline(a: Assessment) -> str:
    from .regions import label, read_declaration  # (the JSON format has no headline)

    cs = a.changeset
    name = label(cs.new.policy_id, read_declaration(cs.new.source).variant)
    return f"{name}: {_doc_label(cs.old)} → {_doc_label(cs.new)}"


def _group_line(group: Group) -> str:
    names = ", ".join(i.change.heading for i in group.items[:6])
    more = f" and {len(group.items) - 6} more" if len(group.items) > 6 else ""
    return f"{group.kind} in {len(group.items)} sections ({names}{more}) — editorial"


# ---------------------------------------------------------------- text

_RED, _GREEN, _BOLD, _DIM, _YELLOW, _RESET = (
    "\x1b[31;9m", "\x1b[32;4m", "\x1b[1m", "\x1b[2m", "\x1b[1;33m", "\x1b[0m")


class _Text:
    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []

    def paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and text else text

    def spans(self, redline: Redline) -> str:
        out: list[str] = []
        for span in redline.spans:
            if span.op is Op.EQUAL:
                out.append(span.text)
            elif self.color:
                out.append(self.paint(span.text, _RED if span.op is Op.DELETE else _GREEN))
            else:
                mark = ("[-", "-]") if span.op is Op.DELETE else ("{+", "+}")
                body = span.text.rstrip()
                out.append(f"{mark[0]}{body}{mark[1]}{span.text[len(body):]}")
        return "".join(out).rstrip()

    def reason(self, r: Reason, indent: str = "  ") -> None:
        tag = self.paint("material", _YELLOW) if r.material else "editorial"
        self.lines.append(f"{indent}- {tag}: {r}")
        if r.material:
            self.lines.append(f"{indent}  {self.paint(r.explanation, _DIM)}")


def _item_prefix(item: ItemChange) -> str:
    return {ItemKind.ADDED: "+ ", ItemKind.REMOVED: "- ", ItemKind.MOVED: "↕ ",
            ItemKind.CHANGED: "~ ", ItemKind.UNCHANGED: "  "}[item.kind]


def _block_text(out: _Text, block: BlockChange) -> None:
    pad = "    "
    if block.kind is BlockChangeKind.RESTYLED:
        styles = ", ".join(block.style) or "markup"
        out.lines.append(f"{pad}(formatting only: {styles}) "
                         + out.paint(_short(block.redline.new, 14), _DIM))
        return
    if block.kind is BlockChangeKind.MOVED:
        where = "from" if block.new is not None else "to"
        out.lines.append(f"{pad}(moved {where} {block.elsewhere}) "
                         + out.paint(_short(block.redline.new, 14), _DIM))
        return
    if block.items and block.kind is BlockChangeKind.CHANGED:
        for item in block.items:
            if item.kind is ItemKind.UNCHANGED:
                continue
            cells = " | ".join(out.spans(c) for c in item.cells) if item.cells else None
            out.lines.append(f"{pad}{_item_prefix(item)}{cells or out.spans(item.redline)}")
        return
    if block.items:
        for item in block.items:
            out.lines.append(f"{pad}{_item_prefix(item)}{out.spans(item.redline)}")
        return
    out.lines.append(pad + out.spans(block.redline))


def _short(text: str, limit: int) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def render_text(assessment: Assessment, color: bool = False) -> str:
    """A terminal redline of the whole assessment."""
    a, out = assessment, _Text(color)
    out.lines.append(out.paint(_headline(a), _BOLD))
    verdict = out.paint(str(a.verdict).upper(), _YELLOW if a.material else _BOLD)
    out.lines.append(f"verdict: {verdict} — {a.summary()}")
    if a.override_note:
        out.lines.append(f"override: {a.override_note}")
    if a.reasons:
        out.lines.append("")
        out.lines.append(out.paint("Why it is material (the first reason of each material "
                                   "change):", _BOLD))
        for r in a.main_reasons:
            out.reason(r)
    if a.front:
        out.lines.append("")
        out.lines.append(out.paint("Front matter (editorial):", _BOLD))
        for f in a.changeset.front:
            out.lines.append(f"    {f.field}: {_quote(f.old)} → {_quote(f.new)}")
    if a.changes:
        out.lines.append("")
        out.lines.append(out.paint("Changes:", _BOLD))
    for entry in grouped(a):
        if isinstance(entry, Group):
            out.lines.append(f"  · {_group_line(entry)}")
            continue
        c = entry.change
        verdict_word = out.paint("MATERIAL", _YELLOW) if entry.material else "editorial"
        detail = f" ({c.detail})" if c.detail and c.kind is not ChangeKind.MODIFIED else ""
        out.lines.append(f"  {out.paint(c.where, _BOLD)} [{c.kind}{detail} · {verdict_word}]"
                         f" line {c.line}")
        if c.kind is ChangeKind.RETITLED and c.redline is not None:
            out.lines.append("    title: " + out.spans(c.redline))
        for block in c.blocks:
            _block_text(out, block)
        for r in entry.reasons:
            out.reason(r, "    ")
    if a.changeset.empty:
        out.lines.append("no change to the words or the structure")
    return "\n".join(out.lines) + "\n"


def _quote(text: str | None) -> str:
    return "(none)" if text is None else f"“{_short(text, 20)}”"


# ---------------------------------------------------------------- markdown

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~"})


def _md(text: str) -> str:
    return text.translate(_MD_SPECIAL)


def _md_spans(redline: Redline) -> str:
    out: list[str] = []
    for span in redline.spans:
        body = span.text.rstrip()
        tail = span.text[len(body):]
        if span.op is Op.EQUAL or not body:
            out.append(_md(span.text))
        elif span.op is Op.DELETE:
            out.append(f"~~{_md(body)}~~{tail}")
        else:
            out.append(f"**{_md(body)}**{tail}")
    return "".join(out).strip()


def _md_block(block: BlockChange) -> list[str]:
    if block.kind is BlockChangeKind.RESTYLED:
        return [f"*(formatting only: {', '.join(block.style) or 'markup'})* "
                f"{_md(_short(block.redline.new, 14))}", ""]
    if block.kind is BlockChangeKind.MOVED:
        where = "from" if block.new is not None else "to"
        return [f"*(moved {where} `{block.elsewhere}`)* {_md(_short(block.redline.new, 14))}",
                ""]
    if block.items:
        lines: list[str] = []
        for item in block.items:
            if item.kind is ItemKind.UNCHANGED:
                continue
            body = " \\| ".join(_md_spans(c) for c in item.cells) if item.cells \
                else _md_spans(item.redline)
            if item.kind is ItemKind.MOVED:
                body = f"*(moved)* {body}"
            lines.append(f"- {body}")
        return [*lines, ""]
    return [_md_spans(block.redline), ""]


def _md_reason(r: Reason) -> str:
    """A material reason reads as customers will read it (`Reason.plain`), then the rule
    and line for the editor; an editorial one as the rule, the place and the words."""
    place = f"*{_md(r.where)}*" + (f", line {r.line}" if r.line else "")
    note = f" ({_md(r.note)})" if r.note else ""
    if r.material:
        return f"- {_md(r.plain)} — `{r.rule}`{note}" + (f", line {r.line}" if r.line else "")
    words = f": {_md(r.words)}" if r.words else ""
    return f"- **{r.rule}**{note} — {place}{words}"


# GitHub refuses comments over 65,536 characters; stay well below.
COMMENT_LIMIT = 60_000
_LISTED = 40  # reasons listed in each collapsible list before "and N more"


def _md_reasons(reasons: Sequence[Reason]) -> list[str]:
    lines = [_md_reason(r) for r in reasons[:_LISTED]]
    if len(reasons) > _LISTED:
        lines.append(f"- … and {len(reasons) - _LISTED} more")
    return lines


def render_markdown(assessment: Assessment, limit: int | None = COMMENT_LIMIT) -> str:
    """A pull-request comment: verdict, reasons, and a redline per changed section.
    Sections that would take it past `limit` characters are named, not shown."""
    a = assessment
    cs = a.changeset
    title = "Material change" if a.material else "Editorial change"
    lines = [f"### {title}: `{cs.new.policy_id}`", "",
             f"**Verdict: {a.verdict}** — {_md(a.summary())}", "",
             f"`{_md(cs.old.path)}` → `{_md(cs.new.path)}`"]
    if cs.old.front.effective or cs.new.front.effective:
        lines[-1] += (f" · effective {cs.old.front.effective or '—'} → "
                      f"{cs.new.front.effective or '—'}")
    lines.append("")
    if a.override_note:
        lines += [f"> **Override:** {_md(a.override_note)}", ""]
    if a.reasons:
        lines += ["**Why it is material**", "", *_md_reasons(a.main_reasons)]
        if len(a.reasons) > len(a.main_reasons):
            lines += ["", f"<details><summary>All material reasons ({len(a.reasons)})"
                          "</summary>", "", *_md_reasons(a.reasons), "", "</details>"]
        lines.append("")
    editorial = a.editorial_reasons
    if editorial:
        lines += [f"<details><summary>Editorial changes ({len(editorial)})</summary>", "",
                  *_md_reasons(editorial), "", "</details>", ""]
    # Material sections first, then editorial ones, while the comment has room; shown
    # in document order.
    entries = list(grouped(a))
    parts = [[f"- {_md(_group_line(e))}", ""] if isinstance(e, Group) else _md_change(e)
             for e in entries]
    budget = None if limit is None else limit - 3000 - sum(len(x) + 1 for x in lines)
    chosen: set[int] = set()
    first = [k for k, e in enumerate(entries) if isinstance(e, ChangeAssessment) and e.material]
    for k in first + [k for k in range(len(entries)) if k not in first]:
        cost = sum(len(x) + 1 for x in parts[k])
        if budget is None or cost <= budget:
            chosen.add(k)
            budget = None if budget is None else budget - cost
    left_out: list[str] = []
    for k, entry in enumerate(entries):
        if k in chosen:
            lines += parts[k]
        else:
            left_out.append(_md(entry.change.where) if isinstance(entry, ChangeAssessment)
                            else _md(_group_line(entry)))
    if left_out:
        names = "; ".join(left_out[:10]) + (" …" if len(left_out) > 10 else "")
        lines += [f"*{len(left_out)} more changed sections are not shown, to keep this "
                  f"comment within its size limit ({names}); run `policybook diff` for the "
                  "whole redline.*", ""]
    if cs.empty:
        lines += ["No change to the words or the structure.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _md_change(entry: ChangeAssessment) -> list[str]:
    c = entry.change
    verdict = "**material**" if entry.material else "editorial"
    detail = f" ({_md(c.detail)})" if c.detail else ""
    heading = f"{_md(c.where)} — {c.kind}{detail} · {verdict}"
    body: list[str] = []
    if c.kind is ChangeKind.RETITLED and c.redline is not None:
        body += [f"Title: {_md_spans(c.redline)}", ""]
    for block in c.blocks:
        body += _md_block(block)
    if not body:
        return [f"- {heading}", ""]
    state = " open" if entry.material else ""
    return [f"<details{state}><summary>{heading}</summary>", "", *body, "</details>", ""]


# ---------------------------------------------------------------- JSON


def _redline_json(redline: Redline | None) -> list[dict[str, str]]:
    return [{"op": str(s.op), "text": s.text} for s in redline.spans] if redline else []


def _reason_json(r: Reason) -> dict[str, Any]:
    return {"rule": str(r.rule), "verdict": str(r.verdict), "material": r.material,
            "section": r.section, "where": r.where, "line": r.line, "words": r.words,
            "terms": list(r.terms), "note": r.note, "explanation": r.explanation,
            "concept": r.concept, "old_words": r.old_words, "new_words": r.new_words,
            "plain": r.plain}


def _item_json(item: ItemChange) -> dict[str, Any]:
    return {"kind": str(item.kind), "old_index": item.old_index, "new_index": item.new_index,
            "redline": _redline_json(item.redline),
            "cells": [_redline_json(c) for c in item.cells]}


def _block_json(block: BlockChange) -> dict[str, Any]:
    return {
        "kind": str(block.kind), "block": str(block.block_kind),
        "old_line": block.old.line if block.old else None,
        "line": block.new.line if block.new else None,
        "style": [str(s) for s in block.style],
        "links": [{"old": old, "new": new} for old, new in block.links],
        "elsewhere": block.elsewhere,
        "redline": _redline_json(block.redline),
        "items": [_item_json(i) for i in block.items if i.kind is not ItemKind.UNCHANGED],
    }


def _doc_json(doc: Document, label: str | None) -> dict[str, Any]:
    return {"label": label or doc.path, "path": doc.path, "policy": doc.policy_id,
            "title": doc.title,
            "effective": doc.front.effective.isoformat() if doc.front.effective else None}


# 2: structured reasons (rule, concept, section, line, old and new words, explanation,
# plain-language text) in "material_reasons" and each change's "findings".
SCHEMA_VERSION = 2


def to_json(assessment: Assessment, labels: Sequence[str] = ()) -> dict[str, Any]:
    """The assessment as JSON-ready data (`labels`: how the two sides were named)."""
    a = assessment
    cs = a.changeset
    old_label = labels[0] if len(labels) > 0 else None
    new_label = labels[1] if len(labels) > 1 else None
    return {
        "schema_version": SCHEMA_VERSION,
        "material": a.material,
        "verdict": str(a.verdict),
        "detected": str(a.detected),
        "summary": a.summary(),
        "override": None if a.override is None and not a.override_note else {
            "applied": a.override is not None,
            "verdict": str(a.override.verdict) if a.override else None,
            "reason": a.override.reason if a.override else None,
            "note": a.override_note,
        },
        "policy": cs.new.policy_id,
        "old": _doc_json(cs.old, old_label),
        "new": _doc_json(cs.new, new_label),
        "reasons": [str(r) for r in a.reasons],
        "material_reasons": [_reason_json(r) for r in a.reasons],
        "front_matter": [{"field": f.field, "old": f.old, "new": f.new, "line": f.line,
                          "material": False, "reasons": [str(r)]}
                         for f, r in zip(cs.front, a.front, strict=True)],
        "changes": [{
            "kind": str(c.change.kind),
            "section": c.change.section,
            "title": c.change.title,
            "where": c.change.where,
            "old_section": c.change.old.id if c.change.old else None,
            "line": c.change.line,
            "detail": c.change.detail,
            "material": c.material,
            "verdict": str(c.verdict),
            "reasons": [str(r) for r in c.reasons],
            "findings": [_reason_json(r) for r in c.reasons],
            "title_redline": _redline_json(c.change.redline),
            "blocks": [_block_json(b) for b in c.change.blocks],
        } for c in a.changes],
    }
