"""A post's old addresses (``redirect:``, ``permalink:``) and the feed's old addresses keep working."""

from __future__ import annotations

import pytest
from conftest import post, sphinx_build, write_site

from deepdive.post.frontmatter import parse_front_matter
from deepdive.site.redirects import redirect_files, relative_url

SITEMAP_CONF = """
extensions += ["sphinx_sitemap"]
sitemap_url_scheme = "{link}"
"""


def moved_posts() -> dict[str, str]:
    return {
        "posts/2024/gamblers-fallacy.md": post(
            "2017-01-27T09:05:00-05:00",
            "The gambler's fallacy, revisited",
            "Independent coin flips have no memory.",
            tags="[probability]",
            redirect="/posts/gamblers-fallacy/",
        ),
        "posts/2019/kalman.md": post(
            "2019-03-04",
            "A Kalman filter in one page",
            "Predict, then correct.",
            permalink="/2019/03/04/kalman-filter.html",
        ),
        "posts/2021/sampling.md": post(
            "2021-06-01",
            "Importance sampling",
            "Weights fix the proposal.",
            redirect="blog/importance-sampling, blog/is-notes",
        ),
    }


def test_each_old_address_has_a_page_that_sends_readers_to_the_new_one(built_site):
    build = built_site(moved_posts(), SITEMAP_CONF)
    assert build.returncode == 0, build.output[-3000:]

    nikola = build.html("posts/gamblers-fallacy/")
    refresh = nikola.find("meta", attrs={"http-equiv": "refresh"})
    assert refresh["content"] == "0; url=../2024/gamblers-fallacy/"
    assert nikola.find("link", rel="canonical")["href"] == (
        "https://blog.example.org/posts/2024/gamblers-fallacy/"
    )
    link = nikola.find("body").find("a")
    assert link["href"] == "../2024/gamblers-fallacy/"
    assert link.text == "The gambler’s fallacy, revisited"  # as the post page titles it
    assert nikola.find("meta", attrs={"name": "robots"})["content"] == "noindex"

    jekyll = (build.outdir / "2019/03/04/kalman-filter.html").read_text(encoding="utf-8")
    assert 'content="0; url=../../../posts/2019/kalman/"' in jekyll

    # ABlog names a page without a suffix: its html builder served name.html, dirhtml name/.
    for old in ("blog/importance-sampling.html", "blog/is-notes/index.html"):
        page = (build.outdir / old).read_text(encoding="utf-8")
        assert "posts/2021/sampling/" in page


def test_redirect_pages_pass_the_policy_and_stay_out_of_sitemap_and_search(built_site):
    build = built_site(moved_posts(), SITEMAP_CONF)
    assert build.returncode == 0, build.output[-3000:]
    page = build.html("posts/gamblers-fallacy/")
    policy = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert policy is not None and "script-src 'self'" in policy["content"]
    assert page.find("script") is None and page.find("style") is None
    sitemap = build.text("sitemap.xml")
    assert "posts/2024/gamblers-fallacy/" in sitemap
    assert "posts/gamblers-fallacy/" not in sitemap.replace("posts/2024/gamblers-fallacy/", "")
    assert "kalman-filter.html" not in sitemap and "importance-sampling" not in sitemap
    assert "gamblers-fallacy/" not in build.text("searchindex.js").replace("2024/gambler", "")


def test_an_old_address_that_is_a_page_of_the_site_is_an_error_at_its_line(build_site):
    files = moved_posts()
    files["posts/2021/sampling.md"] = post(
        "2021-06-01", "Importance sampling", "Weights.", redirect="/archive/"
    )
    build = build_site(files)
    assert build.returncode != 0
    assert "posts/2021/sampling.md:3:" in build.output
    assert "'/archive/' is a page of this site (archive/index.html)" in build.output
    assert "Traceback" not in build.output


def test_two_posts_claiming_one_old_address_is_an_error_naming_both(build_site):
    files = moved_posts()
    files["posts/2019/kalman.md"] = post(
        "2019-03-04", "Kalman", "Predict.", redirect="[/posts/gamblers-fallacy/]"
    )
    build = build_site(files)
    assert build.returncode != 0
    assert "posts/2024/gamblers-fallacy.md:4:" in build.output  # the `redirect:` line
    assert "also claimed by posts/2019/kalman.md" in build.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://old.example.org/posts/x/", "names a host"),
        ("/posts/x/?p=12", "query"),
        ("/feed.xml", "not a page (.html) or a folder"),
        ("/", "home page"),
        ("/posts/../x/", "`..`"),
        ("{a: 1}", "must be an address or a list"),
    ],
)
def test_an_old_address_of_the_wrong_form_is_a_front_matter_error(value, message):
    front = parse_front_matter(f"date: 2024-03-01\nredirect: {value}", 2)
    assert [p.line for p in front.problems] == [3]
    assert message in front.problems[0].message


def test_addresses_map_to_the_files_a_static_host_serves():
    assert redirect_files("/posts/old/") == ["posts/old/index.html"]
    assert redirect_files("/2017/01/27/title.html") == ["2017/01/27/title.html"]
    assert redirect_files("blog/old") == ["blog/old.html", "blog/old/index.html"]
    assert relative_url("posts/old/index.html", "posts/2024/new/") == "../2024/new/"
    assert relative_url("old.html", "posts/2024/new/") == "posts/2024/new/"


def test_an_edited_redirect_moves_its_page_on_an_incremental_build(tmp_path):
    files = moved_posts()
    srcdir = write_site(tmp_path / "site", files)
    first = sphinx_build(srcdir)
    assert first.returncode == 0, first.output[-3000:]
    assert (first.outdir / "posts/gamblers-fallacy/index.html").exists()

    (srcdir / "posts/2024/gamblers-fallacy.md").write_text(
        post(
            "2017-01-27T09:05:00-05:00",
            "The gambler's fallacy, revisited",
            "Independent coin flips have no memory.",
            tags="[probability]",
            redirect="/posts/gamblers-fallacy.html",
        ),
        encoding="utf-8",
    )
    second = sphinx_build(srcdir)
    assert second.returncode == 0, second.output[-3000:]
    assert not (second.outdir / "posts/gamblers-fallacy").exists()
    moved = (second.outdir / "posts/gamblers-fallacy.html").read_text(encoding="utf-8")
    assert 'url=2024/gamblers-fallacy/"' in moved
    # The other posts were not read again, and their redirect pages are still there.
    assert (second.outdir / "2019/03/04/kalman-filter.html").exists()


def test_old_feed_addresses_serve_the_current_feed(build_site):
    conf = 'deepdive_feed_aliases = {"blog/atom.xml": "atom.xml", "feed.rss": "rss.xml"}\n'
    build = build_site(moved_posts(), conf)
    assert build.returncode == 0, build.output[-3000:]
    assert build.text("blog/atom.xml") == build.text("atom.xml")
    assert build.text("feed.rss") == build.text("rss.xml")


def test_a_feed_alias_must_name_one_of_the_feeds(build_site):
    build = build_site(moved_posts(), 'deepdive_feed_aliases = {"blog/atom.xml": "feed.xml"}\n')
    assert build.returncode != 0
    assert "deepdive_feed_aliases entry 'blog/atom.xml': 'feed.xml' is not valid" in build.output
