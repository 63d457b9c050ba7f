"""The pure core never imports the shell (git, databases, HTTP, mail, files, the clock)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "policybook"
CORE = ["errors", "markdown", "document", "frontmatter", "langtags", "validate", "versions",
        "diff", "materiality", "signals",
        "timeline", "redline", "addresses", "delivery", "lexicon", "rules", "report",
        "rules_words", "rules_editorial", "rules_material", "rules_passages", "rules_order",
        "rules_phrases", "materiality_blocks", "relayout", "rules_links",
        "changeset", "blockdiff", "rulebook", "site/pages", "site/changes", "state", "notice",
        "urls", "segment", "regions", "translations", "docmodel", "termsearch", "mdinline",
        "superseded"]
SHELL_MODULES = {"git", "sqlalchemy", "sendgrid", "smtplib", "apscheduler", "starlette",
                 "uvicorn", "click", "rich", "jinja2", "httpx", "requests", "os", "subprocess",
                 "socket", "logging", "time", "pathlib", "shutil", "tempfile"}
SHELL_PACKAGE = {"config", "repository", "history", "gitrepo", "blobs", "store", "mail",
                 "site", "scheduler", "workflows", "cli", "templating", "scaffold"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names.add(("." * node.level) + base)
            if node.level and not base:
                names.update("." + alias.name for alias in node.names)
    return names


def test_core_modules_import_no_shell() -> None:
    checked = 0
    for name in CORE:
        path = PACKAGE / f"{name}.py"
        if not path.exists():
            continue
        checked += 1
        for imported in imports(path):
            top = imported.lstrip(".").split(".")[0]
            if imported.startswith("."):
                assert top not in SHELL_PACKAGE, f"{name}.py imports the shell module {imported}"
            else:
                assert top not in SHELL_MODULES, f"{name}.py imports {imported}"
            assert "datetime.now" not in imported
        source = path.read_text(encoding="utf-8")
        for clock in ("datetime.now(", ".now(", "date.today(", "time.time("):
            assert clock not in source, f"{name}.py reads the clock ({clock})"
    assert checked >= 3
