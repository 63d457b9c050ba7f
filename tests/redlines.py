"""Readable dumps of change sets and assessments, for assertions (no opaque snapshots)."""

from __future__ import annotations

from policybook.diff import ChangeSet, diff_documents
from policybook.document import parse_document
from policybook.materiality import Assessment, assess
from policybook.redline import Op, Redline


def marks(redline: Redline) -> str:
    """`[-deleted-]{+inserted+}` marks, as git's word diff writes them."""
    out = []
    for span in redline.spans:
        body = span.text.rstrip()
        tail = span.text[len(body):]
        if span.op is Op.EQUAL:
            out.append(span.text)
        elif span.op is Op.DELETE:
            out.append(f"[-{body}-]{tail}")
        else:
            out.append(f"{{+{body}+}}{tail}")
    return "".join(out).rstrip()


def dump(cs: ChangeSet) -> list[str]:
    """One line per change, one indented line per block and item change."""
    lines: list[str] = []
    for c in cs.changes:
        detail = f" ({c.detail})" if c.detail else ""
        lines.append(f"{c.kind} {c.section}{detail}")
        if c.redline is not None and c.kind == "retitled":
            lines.append(f"  title: {marks(c.redline)}")
        for b in c.blocks:
            style = f" [{','.join(b.style)}]" if b.style else ""
            where = f" <{b.elsewhere}>" if b.elsewhere else ""
            if b.items and b.kind == "changed":
                lines.append(f"  {b.kind} {b.block_kind}{style}")
                for item in b.items:
                    if item.kind == "unchanged":
                        continue
                    cells = " | ".join(marks(x) for x in item.cells) if item.cells else ""
                    lines.append(f"    {item.kind}: {cells or marks(item.redline)}")
            else:
                lines.append(f"  {b.kind} {b.block_kind}{style}{where}: {marks(b.redline)}")
    for f in cs.front:
        lines.append(f"front {f.field}: {f.old!r} -> {f.new!r}")
    return lines


def changes(old: str, new: str) -> ChangeSet:
    return diff_documents(parse_document(old, "old.md"), parse_document(new, "new.md"))


def judge(old: str, new: str) -> Assessment:
    return assess(changes(old, new))


def rules(a: Assessment) -> list[str]:
    """`verdict rule` for every reason, in order (front matter first)."""
    return [f"{r.verdict} {r.rule}" for r in (*a.front, *(r for c in a.changes
                                                            for r in c.reasons))]
