"""What a reader finds on a small blog: home pages, archive, tags, categories, post pages, SEO."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from conftest import post, sphinx_build, write_site

UPDATE = "\n\n```{update} 2024-09-30\nCorrected the constant in the bound.\n```\n"
FILES = {
    **{
        f"posts/2024/note-{n:02d}.md": post(
            f"2024-03-{n:02d}",
            f"Note {n}",
            f"Body of note {n}.",
            tags="[notes]",
            category="Field Notes",
        )
        for n in range(1, 12)
    },
    "posts/2023/deep.md": post(
        "2023-06-01",
        "A deep dive",
        "Opening with $e^{i\\pi}+1=0$."
        + UPDATE
        + "\n\n## Section one\n\nzanzibarword appears only here.\n\n## Section two\n\nMore.\n",
        tags="[theory, notes]",
        category="Research Deep Dives",
        description="A one-line summary.",
    ),
    "posts/2024/elsewhere.md": post(
        "2024-04-01",
        "Talk notes elsewhere",
        "I wrote about sampling over at another site.",
        external_url="https://example.com/article",
        tags="[talks]",
    ),
    "categories/research-deep-dives.md": "# Research Deep Dives\n\nWhat these long posts are for.\n",
    "about.md": "# About\n\nWho writes here.\n",
    "index.md": "# Home\n\nWelcome.\n\n```{toctree}\n:hidden:\n\nabout\n```\n",
}
CONF = """
deepdive_posts_per_page = 5
deepdive_author_bio = "Writes about sampling."
deepdive_social_links = [{"name": "GitHub", "url": "https://github.com/someone"}]
deepdive_newsletter_url = "https://newsletter.example.org/"
extensions += ["sphinxext.opengraph", "sphinx_sitemap", "notfound.extension"]
ogp_site_url = html_baseurl
ogp_social_cards = {"enable": False}
ogp_enable_meta_description = False
sitemap_url_scheme = "{link}"
notfound_urls_prefix = "/"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    srcdir = write_site(tmp_path_factory.mktemp("pages") / "site", FILES, CONF)
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    return build


def titles(soup) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select(".dd-teaser__title a")]


def test_home_is_paginated_newest_first(site):
    assert titles(site.html()) == ["Talk notes elsewhere", "Note 11", "Note 10", "Note 9", "Note 8"]
    assert titles(site.html("page/2/")) == ["Note 7", "Note 6", "Note 5", "Note 4", "Note 3"]
    assert titles(site.html("page/3/")) == ["Note 2", "Note 1", "A deep dive"]
    middle = site.html("page/2/").select_one(".dd-pagination")
    assert middle.select_one(".dd-pagination__newer")["href"] == "../../"
    assert middle.select_one(".dd-pagination__older")["href"] == "../3/"
    assert [li.get_text(strip=True) for li in middle.select("li")] == ["1", "2", "3"]
    assert middle.select_one('[aria-current="page"]').get_text() == "2"
    assert site.html("page/3/").select_one(".dd-pagination__older") is None


def test_home_has_the_author_card(site):
    card = site.html().select_one(".dd-author-card")
    assert "Writes about sampling." in card.get_text()
    assert card.select_one('a[href="https://github.com/someone"]') is not None
    assert card.select_one('a.dd-newsletter[href="https://newsletter.example.org/"]') is not None
    assert site.html("about/").select_one(".dd-author-card") is not None


def test_excerpt_keeps_math_and_read_more_links_to_the_post(site):
    deep = site.html("page/3/").select(".dd-teaser")[-1]
    assert deep.select_one(".dd-teaser__excerpt .math") is not None
    assert deep.select_one(".dd-read-more a")["href"] == "../../posts/2023/deep/"
    assert "updated September 30, 2024" in deep.select_one(".dd-meta").get_text(" ", strip=True)


def test_external_post_links_out(site):
    teaser = site.html().select(".dd-teaser")[0]
    assert teaser.select_one(".dd-teaser__title a")["href"] == "https://example.com/article"
    assert teaser.select_one(".dd-badge").get_text() == "external"


def test_archive_groups_by_year(site):
    archive = site.html("archive/")
    years = [h.get_text() for h in archive.select(".dd-archive-year h2")]
    assert years == ["2024", "2023"]
    assert archive.select(".dd-archive-year")[1].select_one("a").get_text() == "A deep dive"


def test_tag_index_counts_and_tag_pages(site):
    index = {
        a.get_text(): a.find_next("span").get_text()
        for a in site.html("tags/").select(".dd-index a")
    }
    assert index == {"notes": "(12)", "talks": "(1)", "theory": "(1)"}
    assert titles(site.html("tags/theory/")) == ["A deep dive"]


def test_category_index_and_author_written_introduction(site):
    index = [a.get_text() for a in site.html("categories/").select(".dd-index a")]
    assert index == ["Field Notes", "Research Deep Dives"]
    intro = site.html("categories/research-deep-dives/")
    assert "What these long posts are for." in intro.get_text()
    entry = intro.select_one(".dd-category-post")
    assert entry.select_one("a").get_text() == "A deep dive"
    assert "Published on June 1, 2023" in entry.get_text()
    assert "A one-line summary." in entry.get_text()
    assert len(site.html("categories/field-notes/").select(".dd-teaser")) == 11


def test_post_page_header_toc_update_and_neighbours(site):
    page = site.html("posts/2023/deep/")
    header = page.select_one("h1 + .dd-post-header")
    text = header.get_text(" ", strip=True)
    assert "June 1, 2023" in text and "Version 2 · updated September 30, 2024" in text
    assert "Tess Author" in text and "1 min read" in text
    assert [a.get_text() for a in header.select(".dd-tag")] == ["#theory", "#notes"]
    assert header.select_one(".dd-category")["href"] == "../../../categories/research-deep-dives/"
    toc = [a.get_text(strip=True) for a in page.select(".bd-toc a.nav-link")]
    assert toc == ["Section one", "Section two"]
    note = page.select_one("div.update")
    assert (
        "Corrected the constant" in note.get_text()
        and "2024" in note.select_one(".admonition-title").get_text()
    )
    newer = page.select_one(".dd-post-nav__newer")
    assert "Note 1" in newer.get_text() and page.select_one(".dd-post-nav__older") is None


def test_footer_dark_mode_switch_and_copy_buttons(site):
    page = site.html("posts/2023/deep/")
    assert "2026, Tess Author" in page.select_one(".bd-footer").get_text()
    assert page.select_one(".theme-switch-button") is not None
    assert page.find("script", src=lambda s: s and "copybutton" in s) is not None


def test_search_index_knows_a_word_from_a_post_body(site):
    index = site.text("searchindex.js")
    assert '"zanzibarword"' in index


def test_canonical_opengraph_and_description(site):
    page = site.html("posts/2023/deep/")
    assert (
        page.select_one('link[rel="canonical"]')["href"]
        == "https://blog.example.org/posts/2023/deep/"
    )
    assert (
        page.select_one('meta[property="og:url"]')["content"]
        == "https://blog.example.org/posts/2023/deep/"
    )
    assert page.select_one('meta[property="og:title"]')["content"] == "A deep dive"
    assert page.select_one('meta[name="description"]')["content"] == "A one-line summary."
    assert page.select_one('meta[property="og:type"]')["content"] == "article"
    assert site.html().select_one('meta[property="og:type"]')["content"] == "website"
    published = page.select_one('meta[property="article:published_time"]')["content"]
    assert published == "2023-06-01T00:00:00+00:00"
    # The newest update note is the modified time.
    assert (
        page.select_one('meta[property="article:modified_time"]')["content"]
        == "2024-09-30T00:00:00+00:00"
    )


def test_the_sitemap_dates_each_post_by_its_last_change(site):
    lastmod = {}
    for url in ElementTree.parse(site.outdir / "sitemap.xml").getroot():
        fields = {child.tag.rsplit("}", 1)[-1]: child.text for child in url}
        lastmod[fields["loc"]] = fields.get("lastmod")
    # Published 2023-06-01, updated by a note of 2024-09-30.
    assert lastmod["https://blog.example.org/posts/2023/deep/"] == "2024-09-30"
    assert lastmod["https://blog.example.org/"] is None


def test_custom_domain_writes_cname(tmp_path):
    srcdir = write_site(
        tmp_path / "site", {"posts/2024/a.md": post()}, 'deepdive_cname = "blog.example.org"\n'
    )
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert build.text("CNAME") == "blog.example.org\n"


def test_no_cname_for_a_project_site(site):
    assert not (site.outdir / "CNAME").exists()


def test_sitemap_robots_and_404(site):
    urls = {
        e.text
        for e in ElementTree.parse(site.outdir / "sitemap.xml").iter()
        if e.tag.endswith("loc")
    }
    assert "https://blog.example.org/posts/2023/deep/" in urls
    # Pages that are not content are not listed.
    for page in ("search/", "genindex/", "404/"):
        assert f"https://blog.example.org/{page}" not in urls
    assert "Sitemap: https://blog.example.org/sitemap.xml" in site.text("robots.txt")
    not_found = site.html("404.html")
    assert not_found.find("link", href=lambda h: h and h.startswith("/_static/")) is not None


def test_the_not_found_page_is_only_at_the_root_where_github_pages_looks(site):
    # GitHub Pages answers every unknown address with /404.html and status 404; a 404/index.html
    # would make /404/ a page that says "not found" with status 200.
    assert site.html("404.html").find("h1").get_text(strip=True)
    assert site.html("404.html").find("link", rel="canonical") is None  # it has no address
    assert not (site.outdir / "404").exists()
    again = sphinx_build(site.srcdir)  # Sphinx writes the page on every build, to 404/ again
    assert again.returncode == 0, again.output
    assert (site.outdir / "404.html").is_file()
    assert not (site.outdir / "404").exists()
