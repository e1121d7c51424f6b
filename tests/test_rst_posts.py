"""reStructuredText posts are posts like Markdown ones: metadata, listings, feeds, excerpts, math
typeset at build time, citations, cross-references, previews, and errors at file:line."""

from __future__ import annotations

import feedparser
import pytest

CONF = 'bibtex_bibfiles = ["references.bib"]\n'

BIB = """@article{geman1984,
  author  = {Geman, Stuart and Geman, Donald},
  title   = {Stochastic Relaxation, {Gibbs} Distributions, and the {Bayesian} Restoration of Images},
  journal = {IEEE Transactions on Pattern Analysis and Machine Intelligence},
  year    = {1984},
  volume  = {6},
  pages   = {721--741},
}
"""

# ABlog's rST form: the docinfo field list above the title.
GIBBS = r""":blogpost: true
:date: 2024-03-01
:tags: mcmc, sampling
:category: Research

Gibbs sampling, one coordinate at a time
========================================

Each step draws :math:`x_i` from :math:`p(x_i \mid x_{-i})`, the idea of :cite:p:`geman1984`.

.. raw:: html

   <!-- more -->

For two variables the conditionals alternate:

.. math::
   :label: gibbs-conditional

   x^{(t+1)}_1 \sim p\left(x_1 \mid x^{(t)}_2\right)

Equation :eq:`gibbs-conditional` is all there is to it.
"""

# ABlog's directive form, with its content as the excerpt.
HMC = r"""Hamiltonian Monte Carlo without tears
=====================================

.. post:: Apr 2, 2024
   :tags: mcmc, hamiltonian
   :category: Research

   Momentum lets the chain travel far in one step, unlike :doc:`gibbs`.

The leapfrog integrator keeps :math:`H(q, p)` nearly constant.
"""


def files() -> dict[str, str]:
    return {"posts/2024/gibbs.rst": GIBBS, "posts/2024/hmc.rst": HMC, "references.bib": BIB}


@pytest.fixture(scope="module")
def rst_build(tmp_path_factory):
    from conftest import sphinx_build, write_site

    srcdir = write_site(tmp_path_factory.mktemp("rst") / "site", files(), CONF)
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    return build


def titles(soup, selector: str) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select(selector)]


def reader_text(element) -> str:
    """The text a reader sees: KaTeX's TeX annotations (inside MathML) left out."""
    for annotation in element.select("annotation"):
        annotation.decompose()
    return element.get_text(" ", strip=True)


def test_rst_posts_are_listed_on_home_archive_tag_and_category_pages(rst_build):
    expected = ["Hamiltonian Monte Carlo without tears", "Gibbs sampling, one coordinate at a time"]
    assert titles(rst_build.html(), ".dd-teaser__title a") == expected
    assert titles(rst_build.html("archive/"), ".dd-archive-list a") == expected
    assert titles(rst_build.html("tags/mcmc/"), ".dd-teaser__title a") == expected
    assert titles(rst_build.html("tags/hamiltonian/"), ".dd-teaser__title a") == expected[:1]
    assert titles(rst_build.html("categories/research/"), ".dd-teaser__title a") == expected


def test_the_rst_post_page_has_its_header_and_no_metadata_fields(rst_build):
    page = rst_build.html("posts/2024/gibbs/")
    header = page.select_one(".dd-post-header").get_text(" ", strip=True)
    assert "March 1, 2024" in header
    assert titles(page, '.dd-post-header a[href*="tags/"]') == ["#mcmc", "#sampling"]
    article = page.select_one("article").get_text(" ", strip=True)
    assert "blogpost" not in article and ":tags:" not in article


def test_rst_math_is_typeset_at_build_time_with_no_tex_left(rst_build):
    for page in ("posts/2024/gibbs/", "posts/2024/hmc/", ""):
        soup = rst_build.html(page)
        article = soup.select_one("main")
        assert article.select(".katex"), page
        seen = reader_text(article)
        for raw in (":math:", "\\mid", "\\sim", "\\left", ".. math::", "H(q, p)"):
            assert raw not in seen, (page, raw)
    gibbs = rst_build.html("posts/2024/gibbs/")
    assert gibbs.select_one("div.math#equation-gibbs-conditional .katex math") is not None
    links = [a.get_text() for a in gibbs.select('a[href="#equation-gibbs-conditional"]')]
    assert "(1)" in links


def test_rst_citations_get_the_posts_references(rst_build):
    page = rst_build.html("posts/2024/gibbs/")
    first = next(p for p in page.select("article p") if "Each step draws" in p.get_text())
    assert "[1]" in first.get_text()
    references = page.select_one("#references").get_text(" ", strip=True)
    assert "Stuart Geman and Donald Geman" in references


def test_the_excerpt_stops_at_the_more_marker_or_is_the_directive_content(rst_build):
    teasers = {
        t.select_one(".dd-teaser__title a").get_text(strip=True): t
        for t in rst_build.html().select(".dd-teaser")
    }
    gibbs = teasers["Gibbs sampling, one coordinate at a time"].select_one(".dd-teaser__excerpt")
    assert "Each step draws" in gibbs.get_text() and gibbs.select(".katex")
    assert "conditionals alternate" not in gibbs.get_text()
    hmc = teasers["Hamiltonian Monte Carlo without tears"].select_one(".dd-teaser__excerpt")
    assert reader_text(hmc).startswith("Momentum lets the chain travel far")
    assert "leapfrog" not in hmc.get_text()


def test_rst_cross_references_make_backlinks_and_get_previews(rst_build):
    hmc = rst_build.html("posts/2024/hmc/")
    link = hmc.select_one('article a[href="../gibbs/"]')
    assert link is not None and "Gibbs sampling" in link.get_text()
    assert titles(rst_build.html("posts/2024/gibbs/"), ".dd-backlinks a") == [
        "Hamiltonian Monte Carlo without tears"
    ]
    scripts = [s.get("src", "") for s in hmc.select("script")]
    assert any("previews.js" in src for src in scripts)


def test_rst_posts_are_in_the_feeds(rst_build):
    feed = feedparser.parse(rst_build.text("atom.xml"))
    assert [e.title for e in feed.entries] == [
        "Hamiltonian Monte Carlo without tears",
        "Gibbs sampling, one coordinate at a time",
    ]
    body = feed.entries[1].content[0].value
    assert "<math" in body and ":math:" not in body


def test_a_draft_rst_post_is_not_built(build_site):
    draft = GIBBS.replace(":category: Research", ":category: Research\n:draft: true")
    build = build_site({"posts/2024/gibbs.rst": draft, "references.bib": BIB}, CONF)
    assert build.returncode == 0, build.output
    assert not (build.outdir / "posts" / "2024" / "gibbs").exists()
    assert "Gibbs" not in build.text("index.html")


# -- errors at file:line ------------------------------------------------------------------------


def failed(build, *fragments: str) -> None:
    assert build.returncode != 0, build.output
    assert "Traceback" not in build.output, build.output
    for fragment in fragments:
        assert fragment in build.output, build.output


def test_a_bad_date_in_the_field_list_is_one_error_at_its_line(build_site):
    build = build_site({"posts/2024/gibbs.rst": GIBBS.replace("2024-03-01", "2024-02-30")}, CONF)
    failed(build, "posts/2024/gibbs.rst:2: WARNING: `date`: '2024-02-30' is not a real date")


def test_a_misspelled_field_says_did_you_mean(build_site):
    build = build_site({"posts/2024/gibbs.rst": GIBBS.replace(":category:", ":catgory:")}, CONF)
    failed(build, "posts/2024/gibbs.rst:4:", "Did you mean `category`?")


def test_a_bad_option_of_the_post_directive_is_an_error_at_its_line(build_site):
    text = HMC.replace(":category: Research", ":category: Research\n   :excerpt: first")
    build = build_site({"posts/2024/hmc.rst": text, "posts/2024/gibbs.rst": GIBBS}, CONF)
    failed(build, "posts/2024/hmc.rst:7:", "`excerpt`: must be a number of paragraphs")


def test_an_rst_post_without_metadata_says_how_to_add_it(build_site):
    build = build_site({"posts/2024/plain.rst": "Plain\n=====\n\nText.\n"})
    failed(build, "posts/2024/plain.rst:1:", "`:date: 2024-03-01`, above its title")


def test_an_rst_post_without_a_title_says_how_to_give_it_one(build_site):
    build = build_site({"posts/2024/untitled.rst": ":date: 2024-03-01\n\nJust text.\n"})
    failed(build, "posts/2024/untitled.rst:3:", "the post has no title", "underlined with `=`")


def test_an_unknown_citation_key_in_rst_is_an_error_at_its_line(build_site):
    text = GIBBS.replace(":cite:p:`geman1984`", ":cite:p:`geman1948`")
    build = build_site({"posts/2024/gibbs.rst": text, "references.bib": BIB}, CONF)
    failed(build, "posts/2024/gibbs.rst:9:", "geman1948", "geman1984")


def test_bad_tex_in_rst_math_is_an_error_at_its_line(build_site):
    text = GIBBS.replace(r"x^{(t)}_2\right)", r"x^{(t)}_2)")  # \left( never closed
    build = build_site({"posts/2024/gibbs.rst": text, "references.bib": BIB}, CONF)
    failed(build, "posts/2024/gibbs.rst:17:", "math cannot be typeset")  # the `.. math::` line
