"""The proof-of-notice bundle (shell): `notices report NOTICE --bundle FILE.zip` and
`notices verify FILE.zip`.

A bundle is one zip file that stands on its own, for a regulator or a court:

    manifest.json      the notice, the version (commit, text hash), the timeline, the
                       totals, and the SHA-256 of every other file
    messages/*.json    one copy of each distinct message the notice sent (per language)
    messages/*.txt|html  the same, readable (greeting "Dear customer,")
    version/<path>     the text announced, when git still has it
    deliveries.csv     one row per account: address, state, provider ids and times, the
                       copy used and the SHA-256 of the message it was sent
    events.csv         the provider's events (delivered, bounced...) per delivery
    audit.json         the audit log of the notice and its version
    summary.html       a printable summary

`verify` recomputes every file's hash, every copy's hash, every delivery's message
hash from its copy and its row, the version text's hash and the totals, and lists every
mismatch. Without a signature a determined forger could recompute all of them; what
the bundle proves is internal consistency (nothing was edited by hand, no row was
changed or dropped without the totals, no message altered), which the database behind
it (and its backups) can confirm.

CSV cells are neutralised against formula injection: a cell that starts with `=`, `+`,
`-`, `@`, a tab, a carriage return or a quote gets a leading `'`, which `verify` removes
(so the escaping is reversible and the hashes still check).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from .errors import NotFoundError, PolicybookError, ProofError, UsageError
from .history import policy_text_at
from .mail.rendered import Rendered, copy_digest, digest_from_copy
from .store import Store, find_notice, proof
from .store.notices import audit_entries, delivery_totals
from .store.schema import deliveries, provider_events
from .templating import make_environment

# Format 2 adds, per delivery, the variant of the policy the account was told about, its
# country, and the language its message was written in; bundles of format 1 still verify.
FORMAT = "policybook-proof/2"
DELIVERY_COLUMNS = ("delivery_id", "account_id", "email", "name", "locale", "country",
                    "variant", "language", "state", "provider", "provider_message_id",
                    "message_id", "message_copy", "message_sha256", "attempts", "created_at",
                    "sent_at", "delivered_at", "last_event", "event_at", "error")
FORMATS = {"policybook-proof/1": tuple(c for c in DELIVERY_COLUMNS
                                       if c not in ("country", "variant", "language")),
           FORMAT: DELIVERY_COLUMNS}
EVENT_COLUMNS = ("delivery_id", "event", "at", "received_at", "event_id")
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutral(value: object) -> str:
    """A CSV cell no spreadsheet runs as a formula (reversible: see `unneutral`)."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return "'" + text if text.startswith(_TRIGGERS) else text


def unneutral(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv_line(row: Iterable[object]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([neutral(v) for v in row])
    return out.getvalue().encode("utf-8")


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class BundleReport:
    path: Path
    deliveries: int
    messages: int
    unmatched: int  # deliveries with a digest that no kept copy reproduces


class _Zip:
    """Entries written one after the other (a large CSV streamed, never whole in memory),
    each hashed as it is written; the file appears only when complete."""

    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        self.target = target
        fd, self.tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".tmp")
        self._handle = os.fdopen(fd, "wb")
        self._zip = zipfile.ZipFile(self._handle, "w", zipfile.ZIP_DEFLATED)
        self.hashes: dict[str, str] = {}

    def write(self, name: str, chunks: Iterable[bytes]) -> str:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        h = hashlib.sha256()
        with self._zip.open(info, "w", force_zip64=True) as entry:
            for chunk in chunks:
                h.update(chunk)
                entry.write(chunk)
        self.hashes[name] = h.hexdigest()
        return self.hashes[name]

    def commit(self) -> None:
        self._zip.close()
        self._handle.close()
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        self._zip.close()
        self._handle.close()
        Path(self.tmp).unlink(missing_ok=True)


def write_bundle(store: Store, ref: str, target: Path, root: Path, content_dir: str,
                 now: dt.datetime, batch: int = 5000) -> BundleReport:
    """Write the bundle of notice `ref` to `target` (atomically: all or nothing; the
    deliveries are streamed, so a notice to millions fits in little memory)."""
    if target.suffix.lower() != ".zip":
        raise UsageError(f"--bundle {target}: the bundle is a .zip file (e.g. proof.zip)")
    with store.read() as conn:
        n = find_notice(conn, ref)
        totals = delivery_totals(conn, n.id).get(n.id, {})
        copies = proof.messages(conn, n.id)
        version = proof.version_record(conn, n.id)
        audit = [e for subject in (f"notice:{n.id}", f"version:{n.key}")
                 for e in audit_entries(conn, subject)]
    out = _Zip(target)
    try:
        names = _write_messages(out, copies)
        counted, unmatched = _write_deliveries(out, store, n.id, copies, batch)
        _write_events(out, store, n.id, batch)
        out.write("audit.json", [json.dumps(
            [{"at": e.at.isoformat(), "kind": e.kind, "subject": e.subject,
              "details": dict(e.details)} for e in audit], indent=2, ensure_ascii=False,
            default=str).encode("utf-8")])
        version_info: dict[str, Any] = {"commit": n.version, "path": None,
                                        "text_sha256": None, "text_file": None}
        if version is not None:
            version_info.update(path=version.path, text_sha256=version.text_sha256)
            announced: str | None = None  # the commit may be gone from git: the hash stays
            with contextlib.suppress(PolicybookError):
                announced = policy_text_at(root, n.policy, n.version, content_dir,
                                           n.variant)[1]
            if announced is not None and _sha(announced.encode()) == version.text_sha256:
                name = f"version/{PurePosixPath(version.path).name}"
                out.write(name, [announced.encode("utf-8")])
                version_info["text_file"] = name
        timeline = {"created_at": _iso(n.created_at), "due_at": _iso(n.due_at),
                    "started_at": _iso(n.started_at), "effective_at": _iso(n.effective_at),
                    "completed_at": _iso(n.completed_at)}
        notice_info = {"id": n.id, "policy": n.policy, "variant": n.variant,
                       "effective": n.effective.isoformat(),
                       "title": n.title, "state": n.state.value, "summary": n.summary,
                       "upcoming_url": n.upcoming_url, "changes_url": n.changes_url}
        # The totals as written (the ledger may move on while the bundle is written).
        totals = counted
        summary = make_environment(root).get_template("proof/summary.html").render(
            notice={**notice_info, "version": n.version}, version=version_info,
            timeline=[(k.replace("_", " "), v) for k, v in timeline.items()],
            totals=sorted(totals.items()), total=sum(totals.values()),
            messages=copies, files=sorted(out.hashes.items()),
            bundle_name=target.name, generated_at=now.isoformat(timespec="seconds"))
        out.write("summary.html", [summary.encode("utf-8")])
        manifest = {"format": FORMAT, "generated_at": now.isoformat(),
                    "notice": notice_info, "version": version_info, "timeline": timeline,
                    "totals": dict(sorted(totals.items())),
                    "deliveries": sum(totals.values()),
                    "messages": [names[c["sha256"]] + ".json" for c in copies],
                    "files": dict(sorted(out.hashes.items()))}
        out.write("manifest.json", [json.dumps(manifest, indent=2, ensure_ascii=False)
                                    .encode("utf-8")])
    except BaseException:
        out.abort()
        raise
    out.commit()
    return BundleReport(target, sum(totals.values()), len(copies), unmatched)


def _write_messages(out: _Zip, copies: list[dict[str, Any]]) -> dict[str, str]:
    names = {}
    for copy in copies:
        stem = f"messages/{copy['locale']}-{copy['sha256'][:12]}"
        names[copy["sha256"]] = stem
        out.write(f"{stem}.json", [json.dumps(copy, indent=2, sort_keys=True,
                                              ensure_ascii=False).encode("utf-8")])
        text, html = Rendered.from_json(copy).personal("")
        out.write(f"{stem}.txt", [text.encode("utf-8")])
        out.write(f"{stem}.html", [html.encode("utf-8")])
    return names


def _write_deliveries(out: _Zip, store: Store, notice_id: int,
                      copies: list[dict[str, Any]], batch: int
                      ) -> tuple[dict[str, int], int]:
    """deliveries.csv, streamed; (count per state, rows whose digest no copy matches)."""
    totals: dict[str, int] = {}
    unmatched = [0]
    by_sha = {c["sha256"]: c for c in copies}
    last: dict[str, str] = {}  # locale -> the copy that matched its last delivery

    def lines() -> Iterator[bytes]:
        yield _csv_line(DELIVERY_COLUMNS)
        chunk: list[bytes] = []
        with store.read() as conn:
            result = conn.execution_options(yield_per=batch).execute(
                sa.select(deliveries).where(deliveries.c.notice_id == notice_id)
                .order_by(deliveries.c.id))
            for m in (dict(r._mapping) for r in result):
                totals[m["state"]] = totals.get(m["state"], 0) + 1
                copy_sha, mid = "", ""
                if m["message_sha256"]:
                    copy_sha = _matching_copy(copies, m, last.get(m["locale"]))
                    unmatched[0] += not copy_sha
                    if copy_sha:
                        last[m["locale"]] = copy_sha
                        match = by_sha[copy_sha]
                        domain = str(match["from"]).rpartition("@")[2].rstrip(">")
                        mid = f"<{match['message_id_prefix']}{m['id']}@{domain}>"
                chunk.append(_csv_line((
                    m["id"], m["account_id"], m["email"], m["name"], m["locale"],
                    m["country"], m["variant"], m["language"], m["state"], m["provider"],
                    m["provider_message_id"], mid, copy_sha,
                    m["message_sha256"], m["attempts"], m["created_at"], m["sent_at"],
                    m["delivered_at"], m["last_event"], m["event_at"], m["error"])))
                if len(chunk) >= 1000:
                    yield b"".join(chunk)
                    chunk = []
        yield b"".join(chunk)

    out.write("deliveries.csv", lines())
    return totals, unmatched[0]


def _write_events(out: _Zip, store: Store, notice_id: int, batch: int) -> None:
    def lines() -> Iterator[bytes]:
        yield _csv_line(EVENT_COLUMNS)
        with store.read() as conn:
            e = provider_events.c
            result = conn.execution_options(yield_per=batch).execute(
                sa.select(e.delivery_id, e.event, e.at, e.received_at, e.event_id)
                .join(deliveries, deliveries.c.id == e.delivery_id)
                .where(deliveries.c.notice_id == notice_id).order_by(e.at, e.id))
            for row in result:
                yield _csv_line(row)

    out.write("events.csv", lines())


def _matching_copy(copies: list[dict[str, Any]], row: Mapping[str, Any],
                   first: str | None) -> str:
    """The copy that reproduces the delivery's digest ('' if none does); `first` is
    tried first (deliveries of one locale almost always share a copy)."""
    ordered = sorted(copies, key=lambda c: c["sha256"] != first)
    for copy in ordered:
        if digest_from_copy(copy, row["id"], row["email"], row["name"]) \
                == row["message_sha256"]:
            return str(copy["sha256"])
    return ""


@dataclass(frozen=True)
class Verified:
    notice: Mapping[str, Any]
    files: int
    deliveries: int
    digests: int  # delivery digests recomputed


MAX_ROW_PROBLEMS = 50  # mismatching rows listed; the rest are counted


def _entry_sha(bundle: zipfile.ZipFile, name: str) -> str:
    h = hashlib.sha256()
    with bundle.open(name) as entry:
        for chunk in iter(lambda: entry.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_bundle(path: Path) -> Verified:
    """Recompute every hash of the bundle at `path` (streamed: a bundle of millions of
    deliveries needs little memory); raise ProofError listing every mismatch."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as bundle:
            return _verify(path, bundle)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ProofError([f"{path}: not a readable zip file ({exc})"]) from None


def _verify(path: Path, bundle: zipfile.ZipFile) -> Verified:
    present = set(bundle.namelist())
    try:
        manifest = json.loads(bundle.read("manifest.json"))
        listed: dict[str, str] = dict(manifest["files"])
    except (KeyError, ValueError, TypeError):
        raise ProofError([f"{path}: manifest.json is missing or unreadable"]) from None
    columns = FORMATS.get(str(manifest.get("format")))
    if columns is None:
        raise ProofError([f"{path}: not a {FORMAT} bundle"])
    problems: list[str] = []
    for name, digest in listed.items():
        if name not in present:
            problems.append(f"{name}: listed in the manifest, missing from the bundle")
        elif _entry_sha(bundle, name) != digest:
            problems.append(f"{name}: its SHA-256 differs from the manifest's (changed)")
    problems += [f"{name}: not listed in the manifest (added)" for name in sorted(present)
                 if name != "manifest.json" and name not in listed]
    copies: dict[str, dict[str, Any]] = {}
    for name in manifest.get("messages", []):
        try:
            copy = json.loads(bundle.read(name))
        except (KeyError, ValueError):
            problems.append(f"{name}: missing or unreadable")
            continue
        if copy_digest(copy) != copy.get("sha256"):
            problems.append(f"{name}: the copy does not match its own SHA-256 (changed)")
        copies[str(copy.get("sha256"))] = copy
    version = manifest.get("version") or {}
    text_file = version.get("text_file")
    if text_file and text_file in present and \
            _entry_sha(bundle, text_file) != version.get("text_sha256"):
        problems.append(f"{text_file}: the text's SHA-256 differs from the version's")
    count, digests = 0, 0
    if "deliveries.csv" not in present:
        problems.append("deliveries.csv: missing")
    else:
        with bundle.open("deliveries.csv") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            try:
                count, digests = _verify_rows(csv.reader(text), copies, manifest, problems,
                                              columns)
            except UnicodeDecodeError:
                problems.append("deliveries.csv: not UTF-8 text")
    if problems:
        raise ProofError(problems)
    return Verified(manifest["notice"], len(listed) + 1, count, digests)


def _verify_rows(reader: Iterator[list[str]], copies: Mapping[str, Mapping[str, Any]],
                 manifest: Mapping[str, Any], problems: list[str],
                 columns: tuple[str, ...] = DELIVERY_COLUMNS) -> tuple[int, int]:
    header = next(reader, None)
    if header is None or tuple(header) != columns:
        problems.append("deliveries.csv: unexpected columns")
        return 0, 0
    totals: dict[str, int] = {}
    count = digests = bad = 0

    def row_problem(text: str) -> None:
        nonlocal bad
        bad += 1
        if bad <= MAX_ROW_PROBLEMS:
            problems.append(text)

    for line, raw in enumerate(reader, start=2):
        row = dict(zip(columns, (unneutral(v) for v in raw), strict=False))
        count += 1
        totals[row.get("state", "")] = totals.get(row.get("state", ""), 0) + 1
        if len(raw) != len(columns):
            row_problem(f"deliveries.csv:{line}: {len(raw)} columns, not "
                        f"{len(columns)}")
            continue
        if not row["message_sha256"]:
            continue
        copy = copies.get(row["message_copy"])
        if copy is None:
            row_problem(f"deliveries.csv:{line}: its message copy "
                        f"{row['message_copy'][:12] or '(none)'} is not in the bundle")
            continue
        try:
            digest = digest_from_copy(copy, int(row["delivery_id"]), row["email"], row["name"])
        except (ValueError, KeyError):
            row_problem(f"deliveries.csv:{line}: unreadable row")
            continue
        digests += 1
        if digest != row["message_sha256"]:
            row_problem(f"deliveries.csv:{line}: account {row['account_id']}: the message "
                        "hash does not match the message rebuilt from its copy and this row "
                        "(the row or the copy was changed)")
    if bad > MAX_ROW_PROBLEMS:
        problems.append(f"deliveries.csv: and {bad - MAX_ROW_PROBLEMS} more rows that do "
                        "not verify")
    if totals != dict(manifest.get("totals") or {}) or count != manifest.get("deliveries"):
        problems.append(f"deliveries.csv: {count} rows by state {dict(sorted(totals.items()))} "
                        f"do not match the manifest's totals {manifest.get('totals')}")
    return count, digests


__all__ = ["BundleReport", "ProofError", "Verified",
           "verify_bundle", "write_bundle"]
