"""CI skips the test suite only for a push that changes nothing but what an author writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deepdive.tools.contentonly import only_content

SCRIPT = Path(__file__).resolve().parents[1] / "deepdive/tools/contentonly.py"


@pytest.mark.parametrize(
    "paths",
    [
        ["posts/2026/new-post.md"],
        ["posts/2026/new-post/index.md", "posts/2026/new-post/figure.png", "references.bib"],
        ["posts/2025/notebook.ipynb", "categories/research-deep-dives.md", "about.md"],
        ["index.md"],
    ],
)
def test_posts_pages_and_the_bibliography_are_content(paths):
    assert only_content(paths)


@pytest.mark.parametrize(
    "paths",
    [
        [],  # nothing known to have changed
        ["conf.py"],
        ["posts/2026/new-post.md", "deepdive/site/feeds.py"],
        ["_templates/layout.html"],
        ["_static/custom.css"],
        ["requirements/py3.13.txt"],
        ["README.md"],
        [".github/workflows/build.yml"],
        ["tests/test_build.py"],
        ["Makefile"],
    ],
)
def test_anything_else_runs_the_suite(paths):
    assert not only_content(paths)


def test_the_script_runs_before_anything_is_installed_and_answers_by_exit_code(tmp_path):
    def answer(listing: str) -> int:
        # -I: no site-packages and no current folder on the path, as on a fresh runner.
        return subprocess.run(
            [sys.executable, "-I", str(SCRIPT)], input=listing, text=True, cwd=tmp_path
        ).returncode

    assert answer("posts/2026/a.md\nreferences.bib\n") == 0
    assert answer("posts/2026/a.md\nconf.py\n") == 1
    assert answer("") == 1
