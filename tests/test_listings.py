"""The home page, pagination, archive, tags and categories of a small blog."""

from __future__ import annotations

import base64

import pytest
from conftest import post, sphinx_build


def test_home_lists_posts_newest_first_with_excerpt_and_read_more(build_site):
    build = build_site(
        {
            "posts/2024/older.md": post(
                "2024-01-01", "Older post", "First *emphasised* paragraph with $x^2$.\n\nSecond."
            ),
            "posts/2024/newer.md": post("2024-02-01", "Newer post", "Newer body."),
        }
    )
    assert build.returncode == 0, build.output
    home = build.html()
    titles = [a.get_text(strip=True) for a in home.select(".dd-teaser__title a")]
    assert titles == ["Newer post", "Older post"]
    older = home.select(".dd-teaser")[1]
    excerpt = older.select_one(".dd-teaser__excerpt")
    assert excerpt.select_one("em").get_text() == "emphasised"
    assert excerpt.select_one(".math") is not None
    assert "Second." not in excerpt.get_text()
    assert older.select_one(".dd-read-more a")["href"] == "posts/2024/older/"


def test_excerpt_footnotes_and_section_links_point_into_the_post(build_site):
    body = "A claim[^1] that links to {ref}`later`.\n\n(later)=\n## Later\n\nText.\n\n[^1]: The footnote."
    build = build_site(
        {
            "posts/2024/one.md": post("2024-01-01", "One", body),
            "posts/2024/two.md": post("2024-01-02", "Two", body.replace("later", "later2")),
        }
    )
    assert build.returncode == 0, build.output
    home = build.html()
    excerpts = home.select(".dd-teaser__excerpt")
    hrefs = [a["href"] for a in excerpts[1].select("a")]
    assert hrefs[0].startswith("posts/2024/one/#") and hrefs[1] == "posts/2024/one/#later"
    ids = [e["id"] for e in home.select("[id]")]
    assert len(ids) == len(set(ids))


# A 1x1 PNG, as a plotting library would save one beside the post.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_excerpt_images_downloads_and_math_work_on_every_listing_page(make_site):
    srcdir = make_site(
        {
            "posts/2024/chains.md": post(
                "2024-04-02",
                "Watching chains mix",
                """
                The trace ![trace of the first chain](trace.png) settles after burn-in, the
                draws are in {download}`samples.csv`, and $\\bbox[yellow]{\\hat R}$ is near 1.

                The rest stays on the post page.
                """,
                tags="[mcmc]",
            ),
        }
    )
    (srcdir / "posts/2024/trace.png").write_bytes(PIXEL)
    (srcdir / "posts/2024/samples.csv").write_text("draw,theta\n1,0.42\n", encoding="utf-8")
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    for page, to_root in [("", ""), ("tags/mcmc/", "../../"), ("archive/", "../")]:
        soup = build.html(page)
        excerpt = soup.select_one(".dd-teaser__excerpt")
        if excerpt is None:  # the archive lists titles only
            continue
        image = excerpt.select_one("img")
        assert image["src"] == f"{to_root}_images/trace.png", page
        assert (build.outdir / page / image["src"]).resolve().is_file(), page
        download = excerpt.select_one("a.download")
        assert download["href"].startswith(f"{to_root}_downloads/"), page
        assert download["href"].endswith("/samples.csv") and download.has_attr("download")
        assert (build.outdir / page / download["href"]).resolve().is_file(), page
        # KaTeX has no \\bbox: the excerpt's math falls back to MathJax, on this page too.
        assert excerpt.select_one(".dd-math--fallback") is not None, page
        sources = [script["src"].lower() for script in soup.select("script[src]")]
        assert any("mathjax" in source for source in sources), page


def test_tags_in_other_scripts_get_readable_pages_feeds_and_sitemap_entries(build_site):
    from urllib.parse import quote
    from xml.etree import ElementTree

    import feedparser

    build = build_site(
        {
            "posts/2024/a.md": post(title="Bayes in Tokyo", tags="[統計, ベイズ]"),
            "posts/2024/b.md": post("2024-04-01", "Статистика", tags="[Статистика, 統計]"),
        },
        'extensions += ["sphinx_sitemap"]\nsitemap_url_scheme = "{link}"\n',
    )
    assert build.returncode == 0, build.output[-3000:]
    # Readable addresses; lower case where the script has case.
    for slug, titles in {
        "統計": ["Статистика", "Bayes in Tokyo"],
        "ベイズ": ["Bayes in Tokyo"],
        "статистика": ["Статистика"],
    }.items():
        page = build.html(f"tags/{slug}/")
        assert [a.get_text() for a in page.select(".dd-teaser h2 a, .dd-teaser h3 a")] == titles
        feed = feedparser.parse(build.text(f"tags/{slug}/atom.xml"))
        assert not feed.bozo and [e.title for e in feed.entries] == titles
        # RSS wants an ASCII URL: the tag page's address is percent-encoded.
        rss = feedparser.parse(build.text(f"tags/{slug}/rss.xml"))
        assert rss.feed.link == f"https://blog.example.org/tags/{quote(slug)}/"
    post_links = [a["href"] for a in build.html("posts/2024/b/").select('a[href*="tags/"]')]
    assert "../../../tags/статистика/" in post_links and "../../../tags/統計/" in post_links
    index_links = {a.get_text(): a["href"] for a in build.html("tags/").select("main a")}
    assert index_links["統計"] == "統計/" and index_links["Статистика"] == "статистика/"
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    sitemap = ElementTree.parse(build.outdir / "sitemap.xml")
    locations = {e.text for e in sitemap.iter(f"{namespace}loc")}
    assert "https://blog.example.org/tags/%E7%B5%B1%E8%A8%88/" in locations
    assert all(location.isascii() for location in locations)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Monte Carlo (HMC)", "monte-carlo-hmc"),  # Latin addresses are what they were
        ("Café crème", "cafe-creme"),
        ("Straße", "strasse"),
        ("統計", "統計"),
        ("Статистика", "статистика"),
        ("ベイズ推定", "ベイズ推定"),  # NFC: the voiced kana stay one character each
        ("Ελληνικά κείμενα", "ελληνικά-κείμενα"),
        ("?!", ""),
    ],
)
def test_slugs_keep_every_script_readable(text, slug):
    from deepdive.post.slugs import slugify

    assert slugify(text) == slug


def test_a_tag_page_shows_a_post_without_description_by_its_first_paragraph_typeset(build_site):
    build = build_site(
        {
            "posts/2024/gauss.md": post(
                title="Gaussian integral",
                tags="[calculus]",
                body="The integral of $e^{-x^2}$ over the line is $\\sqrt{\\pi}$, see *below*.",
            ),
            "posts/2024/plain.md": post(
                title="Described", tags="[calculus]", description="A summary.", body="Text."
            ),
        }
    )
    assert build.returncode == 0, build.output
    descriptions = build.html("tags/calculus/").select(".dd-teaser__description")
    typeset = next(d for d in descriptions if "integral" in d.get_text())
    assert typeset.select(".katex") and typeset.select_one("em").get_text() == "below"
    for hidden in typeset.select("annotation"):
        hidden.decompose()
    assert "$" not in typeset.get_text() and "\\sqrt" not in typeset.get_text()
    assert any(d.get_text(strip=True) == "A summary." for d in descriptions)
