"""Each known ABlog fault, shown fixed: parallel reads, stale pages, shared state, escaping."""

from __future__ import annotations

import json
import pickle
import re

import feedparser
from conftest import post, sphinx_build
from test_build import make_html


def posts(count: int) -> dict[str, str]:
    return {
        f"posts/2024/post-{n}.md": post(
            f"2024-01-{n + 1:02d}", f"Post {n}", f"Body {n}.", tags="[shared]"
        )
        for n in range(count)
    }


def test_parallel_reading_is_allowed_and_listings_are_complete(build_site):
    build = build_site(posts(12), "", "-j", "2")
    assert build.returncode == 0, build.output
    assert "not safe for parallel reading" not in build.output
    # Sphinx names a range of documents per line only when worker processes read them.
    assert re.search(r"reading sources\.\.\. \[\s*\d+%\] \S+ \.\. \S+", build.output), build.output
    archive = [a.get_text() for a in build.html("archive/").select(".dd-archive-list a")]
    assert archive == [f"Post {n}" for n in reversed(range(12))]
    tagged = build.html("tags/shared/").select(".dd-teaser__title a")
    assert len(tagged) == 12
    assert len(feedparser.parse(build.text("atom.xml")).entries) == 12


def newer_link(build, page: str) -> str | None:
    link = build.html(page).select_one(".dd-post-nav__newer")
    return link.get_text(" ", strip=True) if link else None


def test_adding_a_post_rewrites_the_neighbour_pages_on_an_incremental_build(built_site):
    first = built_site(posts(3))
    srcdir = first.srcdir
    assert newer_link(first, "posts/2024/post-2/") is None

    (srcdir / "posts/2024/post-9.md").write_text(
        post("2024-02-01", "Brand new", "New."), encoding="utf-8"
    )
    second = sphinx_build(srcdir)
    assert second.returncode == 0, second.output
    assert "1 added, 0 changed, 0 removed" in second.output
    assert newer_link(second, "posts/2024/post-2/") == "Newer Brand new"
    assert second.html().select(".dd-teaser__title a")[0].get_text() == "Brand new"


def test_deleting_a_post_removes_it_from_neighbours_and_listings(built_site):
    srcdir = built_site(posts(3)).srcdir
    (srcdir / "posts/2024/post-2.md").unlink()
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert newer_link(build, "posts/2024/post-1/") is None
    assert "Post 2" not in build.html().get_text()


def test_two_builds_in_one_process_do_not_share_ablog_posts(make_site, tmp_path):
    from sphinx.application import Sphinx

    index = "# Home\n\n```{postlist}\n```\n"
    first = make_site({**posts(1), "index.md": index})
    Sphinx(first, first, tmp_path / "a", tmp_path / "a-doctrees", "dirhtml", status=None).build()

    second = tmp_path / "second"
    second.mkdir()
    for name in ("conf.py", "index.md"):
        (second / name).write_text((first / name).read_text())
    (second / "posts/2024").mkdir(parents=True)
    (second / "posts/2024/only.md").write_text(post("2024-05-01", "Only here", "Text."))
    Sphinx(second, second, tmp_path / "b", tmp_path / "b-doctrees", "dirhtml", status=None).build()
    listed = (tmp_path / "b" / "index.html").read_text()
    assert "Only here" in listed
    assert "Post 0" not in listed


TITLE = r'\<script>alert(1)\</script> & "quotes"'
SHOWN = "<script>alert(1)</script> & “quotes”"  # Sphinx's smartquotes curl the quotes


def test_a_hostile_title_is_text_everywhere(build_site):
    build = build_site(
        {
            "posts/2024/evil.md": post(
                "2024-01-02",
                TITLE,
                "Body.",
                tags='[t, "<b>bold</b>"]',
                series="S",
                category="S",
                description="'<img src=x onerror=alert(2)> described'",
            ),
            "posts/2024/nice.md": post(
                "2024-01-03", "Nice", "Body.", tags="[t]", series="S", category="S"
            ),
            "categories/s.md": "# S\n\nIntro.\n",
        }
    )
    assert build.returncode == 0, build.output
    pages = [
        "",
        "archive/",
        "tags/t/",
        "posts/2024/evil/",
        "posts/2024/nice/",
        "series/s/",
        "categories/s/",
    ]
    for page in pages:
        soup = build.html(page)
        # A schema.org data block holds the title as text, with "<" escaped; it never runs.
        runnable = [s for s in soup.find_all("script") if s.get("type") != "application/ld+json"]
        assert not [s for s in runnable if "alert(1)" in s.get_text()], page
        for data in soup.select('script[type="application/ld+json"]'):
            assert "<" not in data.string and json.loads(data.string)["headline"]
        assert SHOWN in soup.get_text(), page
    evil = build.html("posts/2024/evil/")
    assert evil.title.get_text().startswith(SHOWN)
    assert evil.find("b") is None or "bold" not in evil.find("b").get_text()
    assert "#<b>bold</b>" in [a.get_text() for a in evil.select(".dd-tag")]
    assert evil.find("img", src="x") is None
    assert (
        evil.select_one('meta[name="description"]')["content"]
        == "<img src=x onerror=alert(2)> described"
    )
    for feed in ("atom.xml", "rss.xml", "tags/t/atom.xml"):
        parsed = feedparser.parse(build.text(feed))
        assert not parsed.bozo
        assert SHOWN in [e.title for e in parsed.entries]


def test_incremental_build_removes_pages_and_feeds_that_lost_their_source(make_site):
    srcdir = make_site(
        {**posts(2), "posts/2024/lonely.md": post("2024-03-01", "Lonely", "x", tags="[rare]")}
    )
    first = sphinx_build(srcdir)
    assert (first.outdir / "tags/rare/atom.xml").exists() and (
        first.outdir / "posts/2024/lonely"
    ).exists()
    (srcdir / "posts/2024/lonely.md").unlink()
    second = sphinx_build(srcdir)
    assert second.returncode == 0, second.output
    assert not (second.outdir / "posts/2024/lonely").exists()
    assert not (second.outdir / "tags/rare").exists()
    assert (second.outdir / "tags/shared/atom.xml").exists()


def test_the_saved_environment_keeps_no_copy_of_a_post_s_document(build_site) -> None:
    # ABlog copies each post's whole document into its record; nothing reads the copy, so it is
    # dropped before the environment is saved (or sent back from a parallel reader).
    build = build_site(posts(8), "", "-j", "2")
    assert build.returncode == 0, build.output[-3000:]
    doctrees = build.outdir.parent / (build.outdir.name + "-doctrees")
    record = pickle.loads((doctrees / "environment.pickle").read_bytes())
    assert sorted(record.ablog_posts) == [f"posts/2024/post-{n}" for n in range(8)]
    posted = record.ablog_posts["posts/2024/post-1"][0]
    assert posted["title"] == "Post 1"
    assert posted["doctree"] is None
    assert [node.astext() for node in posted["excerpt"]] == ["Body 1."]


def test_make_html_tells_a_site_that_also_loads_ablog_in_one_line_to_drop_it(make_site) -> None:
    # An ABlog site's conf.py lists "ablog"; deepdive registers ABlog's parts itself.
    build = make_html(make_site(posts(1), 'extensions.insert(0, "ablog")\n'))
    assert build.returncode != 0
    assert "remove 'ablog' from `extensions`" in build.output
    assert "Traceback" not in build.output
