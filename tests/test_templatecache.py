"""Compiled templates are kept between builds, and a changed template is compiled again."""

from __future__ import annotations

import pytest
from conftest import post, sphinx_build, write_site

from deepdive.pipeline.templatecache import FOLDER

# These are the caches beside the doctrees, without the test run's shared folder.
pytestmark = pytest.mark.usefixtures("no_shared_cache")
LAYOUT = (
    '{% extends "!layout.html" %}{% block footer %}{{ super() }}<p>Edition NUMBER</p>{% endblock %}'
)


def test_a_changed_template_is_compiled_again(tmp_path):
    srcdir = write_site(
        tmp_path / "site",
        {"posts/2024/a.md": post()},
        'templates_path.insert(0, "_templates_extra")\n',
    )
    (srcdir / "_templates_extra").mkdir()
    (srcdir / "_templates_extra/layout.html").write_text(LAYOUT.replace("NUMBER", "1"))
    first = sphinx_build(srcdir)
    assert first.returncode == 0, first.output
    cache = srcdir / "_build/html-doctrees" / FOLDER
    assert any(cache.glob("*.cache"))
    assert "Edition 1" in first.text("posts/2024/a/index.html")

    (srcdir / "_templates_extra/layout.html").write_text(LAYOUT.replace("NUMBER", "2"))
    second = sphinx_build(srcdir)
    assert second.returncode == 0, second.output
    for page in ("posts/2024/a/index.html", "archive/index.html", "index.html"):
        assert "Edition 2" in second.text(page), page


def test_a_damaged_cache_file_means_compiling_again(tmp_path):
    srcdir = write_site(tmp_path / "site", {"posts/2024/a.md": post(title="Kept title")})
    assert sphinx_build(srcdir).returncode == 0
    cached = list((srcdir / "_build/html-doctrees" / FOLDER).glob("*.cache"))
    assert cached
    for path in cached:
        path.write_bytes(path.read_bytes()[:30])  # cut short, as by a full disk
    (srcdir / "posts/2024/a.md").write_text(post(title="New title"))
    rebuilt = sphinx_build(srcdir)
    assert rebuilt.returncode == 0, rebuilt.output
    assert "New title" in rebuilt.text("posts/2024/a/index.html")
