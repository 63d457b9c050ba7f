"""The static site (shell): every page as `DIR/<path>/index.html`, written atomically.

The pages are those of the live site at one moment (`--now`, default the clock), from
the same `Site` object. The whole site is written to a temporary folder next to DIR and
swapped in only when complete, so a failed build leaves the previous site untouched.
A folder that is neither empty nor an earlier build is never replaced (it is not ours).
`compare/` needs the live server; the static site says so and links each version's
changes instead. The API and draft previews are live-only too.

A build that would write what the folder already holds re-renders nothing: the marker
file records a key of every input of the pages (policybook's code, the templates, the
config, the git head and notices on record that the wiring hands over as `inputs`, and
what each policy's pages show at `now`, the same key the live site caches pages by) and
the size and modification time of every file written. When the key matches and the
files are as written, only the marker's date is updated.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_folder, digest, fingerprint
from ..config import Config
from ..errors import UsageError
from ..files import write_atomically
from ..sites import Site as SiteSpec
from ..templating import default_templates
from . import comparing, machine, pages
from .changes import Compare
from .site import ASSETS, Page, PageNotFound, Site
from .source import StateSource

MARKER = ".policybook-site"  # marks a folder as a build of ours, safe to replace


@dataclass(frozen=True)
class BuildReport:
    out: Path
    pages: int
    files: int
    policies: int
    versions: int


def plan_pages(site: Site, now: dt.datetime) -> list[tuple[str, Page]]:
    """(path under DIR, page) for every file of the static site: the pages of its default
    language at the root, each other language's under its prefix (`fr/privacy-policy/`)."""
    out: list[tuple[str, Page]] = []
    for lang in site.languages(now):
        out += _pages_in(site, now, lang)
    model = site.model(now)
    for policy in model.states:
        if model.versions(policy):  # (the live site compares any two; here, each change)
            out.append((pages.compare_path(policy) + "index.html",
                        comparing.compare_versions(site, policy, None, None, now, live=False)))
    out.append(("feed.xml", machine.feed(site, now)))
    out.append(("sitemap.xml", machine.sitemap(site, now)))
    out.append(("notice.json", machine.notice_json(site, now)))
    out.append(("notice.js", site.asset("notice.js")))
    out.extend((f"assets/{name}", site.asset(name)) for name in ASSETS)
    out.append(("404.html", site.error(404)))
    return out


def _pages_in(site: Site, now: dt.datetime, lang: str) -> list[tuple[str, Page]]:
    """One language's pages (`Site.planned`: the list the sitemap names too)."""
    at = "" if lang == site.default_language else f"{lang}/"
    return [(at + path + "index.html", render()) for path, render in site.planned(now, lang)]


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; give a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{out} is not empty and is not a site built by policybook (no "
                         f"{MARKER} file); give a new or empty folder so nothing of yours is "
                         "replaced")


def build_sites(config: Config, source: StateSource, out: Path, now: dt.datetime, *,
                compare: Compare | None = None, inputs: str | None = None) -> BuildReport:
    """Every site of the config at `now`: the one site in `out`, or, with several
    `[[sites]]`, each in `out/<host>/` (`policies.example.ca/`), the folder a web server's
    virtual host for that name serves. Each is built (and swapped in) on its own."""
    if len(config.sites) <= 1:
        return build_site(config, source, out, now, compare=compare, inputs=inputs,
                          spec=config.sites[0] if config.sites else None)
    if (out / MARKER).exists():
        raise UsageError(f"{out} holds the build of one site; with several [[sites]] each is "
                         "written to a folder of its own inside it: give a new folder")
    reports = [build_site(config, source, out / spec.folder, now, compare=compare, spec=spec,
                          inputs=None if inputs is None else f"{inputs} {spec!r}")
               for spec in config.sites]
    return BuildReport(out, sum(r.pages for r in reports), sum(r.files for r in reports),
                       reports[0].policies, reports[0].versions)


def build_site(config: Config, source: StateSource, out: Path, now: dt.datetime, *,
               compare: Compare | None = None, inputs: str | None = None,
               spec: SiteSpec | None = None) -> BuildReport:
    """The site at `now` in `out`. `inputs`: a token that changes whenever the history or
    the notices on record change (see the module's docstring); without it, every page is
    rendered. `spec`: which of the `[[sites]]` (None: the one site of `site.base_url`)."""
    out = out.resolve()
    _check_target(out)
    site = Site(config, source, compare=compare, live=False, spec=spec,
                keep=cache_folder(config.root))
    key = None if inputs is None else _build_key(config, source, now, inputs)
    if key is not None:
        kept = _kept_build(out, key)
        if kept is not None:
            marker = (out / MARKER).read_text(encoding="utf-8").split("\n", 1)
            write_atomically(out / MARKER, (_built_line(now, site) + marker[1]).encode("utf-8"),
                             mode=0o644)
            return kept
    planned = plan_pages(site, now)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for rel, page in planned:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(page.body)
        model = site.model(now)
        report = BuildReport(out, sum(1 for rel, _ in planned if rel.endswith(".html")),
                             len(planned), len(model.states),
                             sum(len(model.versions(p)) for p in model.states))
        lines = [_built_line(now, site).rstrip("\n")]
        if key is not None:
            lines.append(f"key {key}")
            lines.append(f"report {report.pages} {report.files} {report.policies} "
                         f"{report.versions}")
            for rel, _ in planned:
                st = (tmp / rel).stat()
                lines.append(f"file {st.st_size} {st.st_mtime_ns} {rel}")
        (tmp / MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)  # noqa: S103 (mkdtemp makes it private; a web server reads it)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _built_line(now: dt.datetime, site: Site) -> str:
    return f"built {now.isoformat()} from {site.snapshot().revision}\n"


def _build_key(config: Config, source: StateSource, now: dt.datetime, inputs: str) -> str:
    """Every input of the pages: a different key means a page may differ."""
    templates = []
    for folder in (config.root / "templates", default_templates()):
        for file in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if file.is_file():
                templates += [str(file.relative_to(folder)), file.read_bytes().hex()]
    # What each policy's pages show at `now` (the key the live site caches its pages by).
    shown = [(p.policy, p.key()) for p in source.state(now).policies]
    return digest("site-build", fingerprint(), inputs, repr(config), *templates, repr(shown))


def _kept_build(out: Path, key: str) -> BuildReport | None:
    """The report of the build in `out` if it was made with `key` and its files are as
    written (none changed, added or removed since); else None."""
    try:
        lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) < 3 or lines[1] != f"key {key}" or not lines[2].startswith("report "):
        return None
    try:
        pages, files, policies, versions = (int(n) for n in lines[2].split()[1:])
        written: dict[str, tuple[int, int]] = {}
        for line in lines[3:]:
            tag, size, mtime, rel = line.split(" ", 3)
            if tag != "file":
                return None
            written[rel] = (int(size), int(mtime))
    except ValueError:
        return None
    found: set[str] = set()
    for folder, _, names in os.walk(out):
        for name in names:
            path = Path(folder) / name
            rel = path.relative_to(out).as_posix()
            if rel == MARKER:
                continue
            st = path.stat()
            if written.get(rel) != (st.st_size, st.st_mtime_ns):
                return None
            found.add(rel)
    if found != set(written) or len(written) != files:
        return None
    return BuildReport(out, pages, files, policies, versions)


def _swap(new: Path, out: Path) -> None:
    """Put `new` in place of `out` with renames (atomic for readers of each path)."""
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["BuildReport", "PageNotFound", "build_site", "build_sites", "plan_pages"]
