"""With social cards off, building the site never imports matplotlib (a tenth of a rebuild)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import post, write_site

BUILD_AND_REPORT = """
import sys
from sphinx.cmd.build import main
code = main(["-b", "dirhtml", "-W", "-q", "-d", "_build/doctrees", ".", "_build/html"])
print("matplotlib imported:", "matplotlib" in sys.modules)
sys.exit(code)
"""

OPENGRAPH = """
extensions += ["sphinxext.opengraph"]
ogp_site_url = html_baseurl
ogp_social_cards = {cards}
deepdive_social_cards = False  # our own cards name an og:image (tests/test_social_cards.py)
"""


def build(tmp_path: Path, cards: str) -> subprocess.CompletedProcess:
    srcdir = write_site(
        tmp_path / "site",
        {"posts/2024/one.md": post(title="One", body="A first paragraph.")},
        OPENGRAPH.format(cards=cards),
    )
    return subprocess.run(
        [sys.executable, "-c", BUILD_AND_REPORT], cwd=srcdir, capture_output=True, text=True
    )


def test_cards_off_means_no_matplotlib_and_the_same_tags(tmp_path: Path) -> None:
    result = build(tmp_path, '{"enable": False}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matplotlib imported: False" in result.stdout
    page = (tmp_path / "site/_build/html/posts/2024/one/index.html").read_text()
    assert '<meta property="og:title" content="One" />' in page
    assert "og:image" not in page
