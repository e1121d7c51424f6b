"""The suite's shared first builds (``first_build``, ``built_site`` in conftest.py): each test gets
a site as its first build left it, whatever an earlier test did to its copy, and the next build
of that copy is incremental, as it would be after building the site in place."""

from __future__ import annotations

import pytest
from conftest import post, sphinx_build

FILES = {"posts/2024/a.md": post(title="Alpha"), "posts/2024/b.md": post(title="Beta")}


def test_a_copy_of_a_first_build_rebuilds_only_what_changed(built_site):
    build = built_site(FILES)
    (build.srcdir / "posts/2024/a.md").write_text(post(title="Alpha, edited"), encoding="utf-8")
    (build.outdir / "posts/2024/b/index.html").write_text("damaged by this test")
    again = sphinx_build(build.srcdir)
    assert again.returncode == 0, again.output
    assert "0 added, 1 changed, 0 removed" in again.output
    assert "Alpha, edited" in again.html("posts/2024/a/").title.get_text()


def test_the_next_test_gets_the_first_build_not_what_the_last_one_left(built_site):
    build = built_site(FILES)
    assert "edited" not in (build.srcdir / "posts/2024/a.md").read_text(encoding="utf-8")
    assert "Beta" in build.html("posts/2024/b/").title.get_text()
    again = sphinx_build(build.srcdir)
    assert again.returncode == 0, again.output
    assert "0 added, 0 changed, 0 removed" in again.output


def test_a_test_asks_for_each_site_once(built_site):
    built_site(FILES)
    with pytest.raises(AssertionError, match="one copy per test"):
        built_site(FILES)
