"""HTML through the Jinja2 templates: anchors, table of contents, escaping, overrides."""

from __future__ import annotations

import re
from pathlib import Path

from policybook.document import parse_document
from policybook.templating import make_environment


def render(text: str, root: Path | None = None) -> str:
    doc = parse_document(text, "p.md")
    return make_environment(root).get_template("site/document.html").render(doc=doc)


def test_seed_page_has_anchors_and_a_table_of_contents(seed_text: str) -> None:
    html = render(seed_text)
    toc = html[html.index('<nav class="toc"'): html.index("</nav>")]
    assert toc.count('<a href="#') == 17 + 8  # 17 sections and the 8 labelled clauses
    assert '<a href="#your-consent">Your Consent</a>' in toc
    assert re.search(r'<h2 id="disclosure">.*?Disclosure of Personally', html)
    assert '<h3 id="your-consent">' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "HTML ids must be unique"
    assert '<a href="#contact">here</a>' in html


def test_script_in_content_is_escaped() -> None:
    html = render("---\npolicy: p\ntitle: T <script>x</script>\neffective: 2027-01-01\n---\n"
                  "## A\n\nHello <script>alert('x')</script>\n")
    assert "<script>" not in html
    assert "&lt;script&gt;alert" in html
    assert "<title>T &lt;script&gt;x&lt;/script&gt;</title>" in html


def test_heading_levels_follow_the_tree_not_the_markdown() -> None:
    html = render("#### Deep first\n\nText.\n\n##### Deeper\n\nMore.\n")
    assert '<h2 id="deep-first">' in html and '<h3 id="deeper">' in html


def test_github_style_aliases_keep_old_links_working() -> None:
    html = render("## A. Definitions\n\nText.\n")
    assert '<span id="a-definitions" class="alias"></span>' in html
    assert '<h2 id="definitions">' in html


def test_repository_templates_override_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "templates" / "site").mkdir(parents=True)
    (tmp_path / "templates" / "site" / "document.html").write_text(
        "CUSTOM {{ doc.title }}", encoding="utf-8")
    assert render("---\npolicy: p\ntitle: Mine\neffective: 2027-01-01\n---\n## A\n\nx\n",
                  tmp_path) == "CUSTOM Mine"
    # A template the repository does not override still comes from the defaults.
    env = make_environment(tmp_path)
    assert env.get_template("site/_document.html") is not None
