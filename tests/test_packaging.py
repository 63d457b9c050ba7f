"""A plain, non-editable install carries the default templates and the sample policy."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_templates_and_sample_content(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path / "dist"), str(REPO)],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("policybook-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "policybook/_data/templates/site/document.html" in names
    assert "policybook/_data/content/terms-of-service.md" in names
    assert "policybook/locales/messages.pot" in names
    assert "policybook/locales/fr/LC_MESSAGES/messages.po" in names

    # Installed (not editable) into its own folder, it works away from this checkout.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = subprocess.run([sys.executable, "-m", "policybook", "init", "acme"], cwd=work, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    page = subprocess.run([sys.executable, "-c",
                           "import policybook, sys; print(policybook.__file__)"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert page.stdout.strip().startswith(str(target))
    # The gettext catalogs load from the installed package, compiled in memory.
    french = subprocess.run([sys.executable, "-c", "from policybook import i18n; "
                             "print(i18n.gettext('fr-CA', 'Dismiss'), i18n.available_languages())"],
                            cwd=work, env=env, capture_output=True, text=True)
    assert french.stdout.strip() == "Fermer ('en', 'de', 'es', 'fr')", french.stderr
    html = subprocess.run([sys.executable, "-m", "policybook", "render",
                           "content/terms-of-service.md"], cwd=work / "acme", env=env,
                          capture_output=True, text=True)
    assert html.returncode == 0, html.stderr
    assert '<h2 id="fees">' in html.stdout
