"""Generated listing pages are rendered again only when something they show, or how they are
shown, changed; otherwise the page written by the last build stays as it is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import post, sphinx_build, write_site

from deepdive.cache import Unknowable, plain
from deepdive.site.pagecache import SIGNATURES

FILES = {
    "index.md": "# Home\n\nWelcome.\n\n```{toctree}\n:hidden:\n\nabout\n```\n",
    "about.md": "# About\n\nWho writes here.\n",
    "posts/2024/alpha.md": post("2024-01-10", "Alpha", "Alpha body.", tags="[sampling]"),
    "posts/2024/beta.md": post(
        "2024-02-10", "Beta", "Beta summary.\n\nBeta body.", tags="[inference]"
    ),
    "posts/2024/gamma.md": post("2024-03-10", "Gamma", "Gamma body.", tags="[inference]"),
}
CONF = """
deepdive_posts_per_page = 2
html_static_path = ["_static"]
html_css_files = ["extra.css"]
templates_path.insert(0, "_templates_extra")
"""
LISTINGS = [
    "page/2/index.html",
    "archive/index.html",
    "tags/index.html",
    "tags/sampling/index.html",
    "tags/inference/index.html",
    "categories/index.html",
    "bibliography/index.html",
]


@pytest.fixture
def site(first_build) -> Path:
    """The site's folder after its first build."""

    def make(place: Path) -> None:
        srcdir = write_site(place / "site", FILES, CONF)
        (srcdir / "_static").mkdir()
        (srcdir / "_templates_extra").mkdir()
        (srcdir / "_static/extra.css").write_text("body { margin: 0; }\n")
        first = sphinx_build(srcdir)
        assert first.returncode == 0, first.output

    return first_build("pagecache", make) / "site"


def rebuild(srcdir: Path):
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    return build


def stamps(srcdir: Path) -> dict[str, int]:
    outdir = srcdir / "_build/html"
    return {page: (outdir / page).stat().st_mtime_ns for page in LISTINGS}


def rendered_again(before: dict[str, int], srcdir: Path) -> set[str]:
    after = stamps(srcdir)
    return {page for page in LISTINGS if after[page] != before[page]}


def kept_count(output: str) -> tuple[int, int]:
    found = re.search(r"deepdive: (\d+) of (\d+) generated pages unchanged", output)
    assert found, output
    return int(found[1]), int(found[2])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_body_edit_renders_no_listing_page_again(site):
    before = stamps(site)
    edit(site / "posts/2024/beta.md", "Beta body.", "Beta body, now longer.")
    build = rebuild(site)
    assert rendered_again(before, site) == set()
    kept, total = kept_count(build.output)
    assert kept == total == len(LISTINGS)
    assert "Beta body, now longer." in build.text("posts/2024/beta/index.html")


def test_a_retitled_post_renders_again_the_listings_that_show_it(site):
    before = stamps(site)
    edit(site / "posts/2024/alpha.md", "# Alpha", "# Alpha, retitled")
    build = rebuild(site)
    assert rendered_again(before, site) == {
        "page/2/index.html",  # alpha is the oldest post: the second page of two per page
        "archive/index.html",
        "tags/sampling/index.html",
    }
    assert "Alpha, retitled" in build.text("tags/sampling/index.html")
    assert "Alpha, retitled" not in build.text("tags/inference/index.html")


def test_a_new_tag_renders_again_the_tag_index(site):
    before = stamps(site)
    edit(site / "posts/2024/gamma.md", "tags: [inference]", "tags: [inference, geometry]")
    build = rebuild(site)
    assert {"tags/index.html", "tags/inference/index.html"} <= rendered_again(before, site)
    assert "geometry" in build.text("tags/index.html")
    assert (build.outdir / "tags/geometry/index.html").is_file()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda s: (s / "_static/extra.css").write_text("body { margin: 1px; }\n"),
            id="a static file's checksum",
        ),
        pytest.param(
            lambda s: (s / "_templates_extra/layout.html").write_text(
                '{% extends "!layout.html" %}{% block footer %}Edition 2{% endblock %}'
            ),
            id="a template",
        ),
        pytest.param(
            lambda s: edit(s / "about.md", "# About", "# About me"),
            id="a navigation title",
        ),
        pytest.param(
            lambda s: edit(
                s / "conf.py",
                "deepdive_posts_per_page",
                "html_title = 'Renamed'\ndeepdive_posts_per_page",
            ),
            id="the configuration",
        ),
    ],
)
def test_what_every_page_shows_renders_every_listing_again(site, change):
    before = stamps(site)
    change(site)
    rebuild(site)
    assert rendered_again(before, site) == set(LISTINGS)


def test_a_listing_page_changed_by_hand_is_rendered_again(site):
    page = site / "_build/html/archive/index.html"
    page.write_text(page.read_text().replace("Alpha", "Vandalised"))
    rebuild(site)
    assert "Vandalised" not in page.read_text()
    assert "Alpha" in page.read_text()


def test_a_failed_build_forgets_every_signature(site):
    signatures = site / "_build/html-doctrees" / SIGNATURES
    assert set(json.loads(signatures.read_text())) >= {"archive", "tags/sampling"}
    (site / "_templates_extra/layout.html").write_text('{% extends "!layout.html" %}{% block %}')
    assert sphinx_build(site).returncode != 0
    assert not signatures.exists()


def test_kept_pages_stay_in_the_sitemap_and_the_output(tmp_path):
    conf = CONF + 'extensions += ["sphinx_sitemap"]\nsitemap_url_scheme = "{link}"\n'
    srcdir = write_site(tmp_path / "site", FILES, conf)
    (srcdir / "_static").mkdir()
    (srcdir / "_static/extra.css").write_text("body { margin: 0; }\n")
    (srcdir / "_templates_extra").mkdir()
    assert sphinx_build(srcdir).returncode == 0
    sitemap = (srcdir / "_build/html/sitemap.xml").read_text()
    edit(srcdir / "posts/2024/beta.md", "Beta body.", "Beta body, again.")
    build = rebuild(srcdir)
    assert kept_count(build.output)[0] == len(LISTINGS)
    assert build.text("sitemap.xml") == sitemap
    assert "https://blog.example.org/archive/" in sitemap
    assert all((build.outdir / page).is_file() for page in LISTINGS)


@dataclass
class Card:
    title: str
    tags: list[str]


def test_context_values_are_described_by_what_they_hold():
    assert plain(Card("A", ["x", "y"])) != plain(Card("A", ["y", "x"]))  # order is shown
    assert plain({"b": 1, "a": {2, 1}}) == {"a": [1, 2], "b": 1}
    assert plain(Path("a/b")) == "a/b"
    assert plain(plain) == "deepdive.cache.plain"


def test_a_value_that_cannot_be_described_means_the_page_is_always_rendered():
    class Opaque:
        __slots__ = ()

    with pytest.raises(Unknowable):
        plain({"deepdive_teasers": [Opaque()]})


def test_an_excerpt_linking_in_a_way_not_followed_is_always_rendered():
    """Only the reference kinds whose targets the link index tracks can stand in for the HTML."""
    from datetime import datetime

    from docutils import nodes
    from sphinx import addnodes

    from deepdive.post.model import Post
    from deepdive.site.listings import excerpt_inputs

    paragraph = nodes.paragraph("", "See ")
    paragraph += addnodes.pending_xref("", refdomain="std", reftype="term", reftarget="leapfrog")
    post = Post("posts/2024/a", "A", datetime(2024, 1, 1), excerpt=[paragraph])
    with pytest.raises(Unknowable):
        excerpt_inputs(None, post)


def test_a_signature_file_this_module_did_not_write_renders_every_listing(site):
    (site / "_build/html-doctrees" / SIGNATURES).write_text("[1, 2]")
    before = stamps(site)
    rebuild(site)
    assert rendered_again(before, site) == set(LISTINGS)


@pytest.mark.parametrize("full", [["-E"], ["-a"], ["-E", "-a"]])
def test_a_full_rebuild_renders_every_generated_page_and_writes_every_feed(site, full):
    before = stamps(site)
    feed = site / "_build/html/atom.xml"
    feed_before = feed.stat().st_mtime_ns
    build = sphinx_build(site, None, *full)
    assert build.returncode == 0, build.output
    kept, total = kept_count(build.output)
    assert kept == 0 and total >= len(LISTINGS)
    assert rendered_again(before, site) == set(LISTINGS)
    assert feed.stat().st_mtime_ns != feed_before
    # and the next ordinary build trusts the records again
    assert kept_count(rebuild(site).output)[0] == total
