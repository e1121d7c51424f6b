"""The real blog in this repository builds strictly and is a complete, private site."""

from __future__ import annotations

from urllib.parse import urlparse

import feedparser

OWN_HOST = "deep-dives.github.io"


def test_real_site_has_posts_on_the_home_page_and_in_the_feed(real_site):
    teasers = real_site.html().select(".dd-teaser")
    assert len(teasers) >= 3
    feed = feedparser.parse(real_site.text("atom.xml"))
    assert not feed.bozo and len(feed.entries) >= 3


def test_the_build_prints_no_warning_of_any_kind(real_site):
    # Not only Sphinx's (those fail the build): also those of the Jupyter kernels that run the
    # notebook posts, which print to the build's output directly.
    warnings = [line for line in real_site.output.splitlines() if "WARNING" in line]
    assert warnings == []


def test_a_post_waits_on_one_stylesheet_of_ours_and_none_for_previews_or_print(real_site):
    page = real_site.html("posts/2024/hamiltonian-monte-carlo/")
    links = page.select('link[rel="stylesheet"]')
    blocking = [link["href"].split("?")[0] for link in links if link.get("media", "all") == "all"]
    ours = [
        href for href in blocking if href.rsplit("/", 1)[-1].startswith(("deepdive", "previews"))
    ]
    # deepdive-pages.css (the extension's) and deepdive.css (the site's own, in conf.py)
    assert sorted(href.rsplit("/", 1)[-1] for href in ours) == [
        "deepdive-pages.css",
        "deepdive.css",
    ]
    assert len(blocking) <= 9, blocking  # 13 before the extension's were bundled
    media = {link["href"].split("?")[0].rsplit("/", 1)[-1]: link.get("media") for link in links}
    assert media["previews.css"] == "not all"  # previews.js applies it
    assert media["deepdive-print.css"] == "print"


def test_navbar_has_the_sections_and_the_feed(real_site):
    page = real_site.html("archive/")
    assert [a.get_text() for a in page.select(".bd-header .dd-navbar-links a")] == [
        "Blog",
        "Archive",
        "Tags",
        "About",
    ]
    assert (
        page.select_one(".bd-header .dd-navbar-links [aria-current=page]").get_text() == "Archive"
    )
    assert page.select_one(".dd-feed-icon")["href"] == "../atom.xml"
    assert page.select_one(".search-button") is not None


def test_pages_load_nothing_from_third_party_hosts(real_site):
    offenders = []
    for path in real_site.outdir.rglob("*.html"):
        soup = real_site.html(str(path.relative_to(real_site.outdir)))
        for tag, attribute in (
            ("script", "src"),
            ("link", "href"),
            ("img", "src"),
            ("iframe", "src"),
        ):
            for element in soup.find_all(tag):
                url = element.get(attribute) or ""
                host = urlparse(url).hostname
                if (
                    host
                    and host != OWN_HOST
                    and not (  # links a browser does not load
                        tag == "link"
                        and element.get("rel") in (["canonical"], ["alternate"], ["license"])
                    )
                ):
                    offenders.append(
                        f"{path.relative_to(real_site.outdir)}: <{tag} {attribute}={url}>"
                    )
    assert offenders == []


def test_the_draft_on_the_real_site_is_nowhere_in_the_published_build(real_site):
    drafts = [
        p for p in (real_site.srcdir / "posts").rglob("*.md") if "\ndraft: true" in p.read_text()
    ]
    assert drafts, "the real site keeps one draft as an example"
    for draft in drafts:
        slug = draft.stem
        assert not any(real_site.outdir.rglob(f"{slug}/index.html"))
        for published in ("sitemap.xml", "atom.xml", "rss.xml", "searchindex.js", "index.html"):
            assert slug not in real_site.text(published), published


# Linked by the search page's template itself, which never adds a checksum.
UNVERSIONED_BY_TEMPLATE = {"searchtools.js", "language_data.js", "searchindex.js"}


def test_every_stylesheet_and_script_link_carries_its_checksum(real_site):
    """Sphinx appends ``?v=<checksum>`` only to files already in the output when a page is
    written; an extension copying its file at the end of the build (myst-nb and sphinx-proof do)
    leaves a clean build's links without it and later builds' with it."""
    missing = set()
    for path in real_site.outdir.rglob("*.html"):
        soup = real_site.html(str(path.relative_to(real_site.outdir)))
        links = [e["href"] for e in soup.select("link[rel~=stylesheet][href]")]
        links += [e["src"] for e in soup.select("script[src]")]
        for url in links:
            name = url.rsplit("/", 1)[-1]
            if "://" not in url and "?" not in url and name not in UNVERSIONED_BY_TEMPLATE:
                missing.add(name)
    assert missing == set()


def test_every_page_has_one_viewport_tag_a_favicon_and_a_blog_search_box(real_site):
    for path in [*real_site.outdir.glob("*.html"), *real_site.outdir.rglob("index.html")][:40]:
        soup = real_site.html(str(path.relative_to(real_site.outdir)))
        assert len(soup.select('meta[name="viewport"]')) == 1, path
        icon = soup.select_one('link[rel="icon"]')
        assert icon is not None, path
        assert (path.parent / icon["href"]).resolve().is_file() or icon["href"].startswith("/")
    search = real_site.html().select_one("input[type=search]")
    assert "docs" not in search.get("placeholder", "") and "posts" in search["placeholder"]


def test_the_home_page_is_titled_by_the_site_alone_and_other_pages_by_theirs(real_site):
    assert real_site.html().title.get_text() == "Deep Dives"
    assert real_site.html("archive/").title.get_text() == "Archive — Deep Dives"
