"""A reader who follows an old link of an imported blog lands on the post's new page in Chromium,
from each kind of blog `make import` takes in, under the production base path."""

from __future__ import annotations

import contextlib

import pytest
from conftest import sphinx_build
from test_import import imported_site

from deepdive.tools.serve import serve_site

pytestmark = pytest.mark.browser

# (blog, its old address, the imported post's new page)
OLD_LINKS = [
    ("jekyll", "estimation/2019/03/04/kalman-filter.html", "posts/2019/kalman-filter/"),
    ("jekyll", "notes/bias-variance/", "posts/2019/bias-variance/"),
    ("nikola", "posts/gamblers-fallacy/", "posts/2017/gamblers-fallacy/"),
    ("ablog", "blog/entropy-of-a-die.html", "posts/2023/entropy-of-a-die/"),
    ("ablog", "blog/kl-not-distance/", "posts/2023/kl-divergence/"),
    ("ablog", "blog/aep/", "posts/2023/typical-set/"),  # a notebook's own `redirect:`
    ("ablog", "blog/fano-inequality.html", "posts/2024/fano-inequality/"),  # an rST post
]


@pytest.fixture(scope="module")
def imported_sites(tmp_path_factory):
    """Each fixture blog imported into its own small site and built strict."""
    outdirs = {}
    for kind in sorted({kind for kind, _, _ in OLD_LINKS}):
        site, _ = imported_site(tmp_path_factory.mktemp(kind), kind)
        build = sphinx_build(site)
        assert build.returncode == 0, build.output[-3000:]
        outdirs[kind] = build.outdir
    return outdirs


@pytest.fixture(scope="module")
def reader(imported_sites, browser):
    """For each imported blog: its site, served, and one tab that follows its old links in turn,
    as a reader does (a tab of its own for each link would start a renderer for each)."""
    with contextlib.ExitStack() as opened:
        tabs: dict[str, tuple] = {}

        def tab_for(kind: str) -> tuple:
            if kind not in tabs:
                server = opened.enter_context(serve_site(imported_sites[kind]))
                page = browser.new_page()
                opened.callback(page.close)
                tabs[kind] = server, page
            return tabs[kind]

        yield tab_for


@pytest.mark.parametrize(("kind", "old", "new"), OLD_LINKS, ids=[old for _, old, _ in OLD_LINKS])
def test_an_old_address_lands_on_the_new_page(reader, kind, old, new):
    server, page = reader(kind)
    page.goto(server.url(old))
    page.wait_for_url(server.url(new))
    assert page.locator("article h1").first.is_visible()
