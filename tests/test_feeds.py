"""Atom and RSS feeds: valid, full content, absolute links, per tag, deterministic."""

from __future__ import annotations

import feedparser
from conftest import post, sphinx_build

BODY = """
First paragraph with a link to {ref}`a section of the other post <other-details>` and a figure:

![A plot](plot.png)

See [the other post](other.md).
"""


def site_files() -> dict[str, str]:
    return {
        "posts/2024/first.md": post("2024-01-10", "First & <best>", BODY, tags="[mcmc, theory]"),
        "posts/2024/other.md": post(
            "2024-02-10",
            "Other",
            "Other body.\n\n(other-details)=\n## Details\n\nMore.",
            tags="[mcmc]",
        ),
        "posts/2024/plot.png": "not really a png",
        "posts/2024/updated.md": post(
            "2024-03-01", "Updated", "Text.\n\n```{update} 2024-06-01\nFixed a sign.\n```\n"
        ),
    }


def test_site_feeds_are_valid_atom_and_rss_with_full_content(build_site):
    build = build_site(site_files())
    assert build.returncode == 0, build.output
    for name, version in (("atom.xml", "atom10"), ("rss.xml", "rss20")):
        feed = feedparser.parse(build.text(name))
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == version
        titles = [e.title for e in feed.entries]
        assert titles == ["Updated", "Other", "First & <best>"]
        first = feed.entries[2]
        assert first.link == "https://blog.example.org/posts/2024/first/"
        assert "First paragraph" in first.content[0].value


def test_every_link_and_image_in_a_feed_is_absolute(build_site):
    build = build_site(site_files())
    entry = feedparser.parse(build.text("atom.xml")).entries[2]
    html = entry.content[0].value
    assert 'href="https://blog.example.org/posts/2024/other/#other-details"' in html
    assert 'href="https://blog.example.org/posts/2024/other/"' in html
    assert 'src="https://blog.example.org/_images/plot.png"' in html
    assert 'href="../' not in html and 'src="../' not in html
    assert "headerlink" not in html


def test_feed_updated_is_the_newest_entry_not_the_build_time(build_site):
    build = build_site(site_files())
    feed = feedparser.parse(build.text("atom.xml"))
    assert feed.feed.updated.startswith("2024-06-01")
    updated_entry = feed.entries[0]
    assert updated_entry.updated.startswith("2024-06-01")
    assert updated_entry.published.startswith("2024-03-01")
    rss = feedparser.parse(build.text("rss.xml"))
    assert "01 Jun 2024" in rss.feed.updated


def test_each_tag_has_its_own_feeds(build_site):
    build = build_site(site_files())
    mcmc = feedparser.parse(build.text("tags/mcmc/atom.xml"))
    assert [e.title for e in mcmc.entries] == ["Other", "First & <best>"]
    theory = feedparser.parse(build.text("tags/theory/rss.xml"))
    assert [e.title for e in theory.entries] == ["First & <best>"]
    tag_page = build.html("tags/mcmc/")
    assert tag_page.select_one('.dd-feeds a[href="atom.xml"]') is not None


def test_pages_advertise_the_site_feeds(build_site):
    build = build_site(site_files())
    links = build.html().select('link[rel="alternate"]')
    assert {link["type"] for link in links} == {"application/atom+xml", "application/rss+xml"}


def test_feeds_are_identical_across_two_clean_builds(make_site, tmp_path):
    srcdir = make_site(site_files())
    one = sphinx_build(srcdir, tmp_path / "one")
    two = sphinx_build(srcdir, tmp_path / "two")
    assert one.returncode == two.returncode == 0
    for name in ("atom.xml", "rss.xml", "tags/mcmc/atom.xml"):
        assert one.text(name) == two.text(name)


def test_feed_math_is_mathml_without_katex_markup(build_site):
    build = build_site(
        {"posts/2024/m.md": post("2024-01-01", "Math", "Energy $E = mc^2$ and\n\n$$a^2+b^2=c^2$$")}
    )
    content = feedparser.parse(build.text("atom.xml")).entries[0].content[0].value
    assert "<math" in content and "katex" not in content
