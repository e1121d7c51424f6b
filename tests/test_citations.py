"""Citations: {cite:p}/{cite:t} from BibTeX, a References section per post, a Bibliography page."""

from __future__ import annotations

import re

import pytest
from conftest import post, sphinx_build

BIB = r"""
@inproceedings{welling2011bayesian,
  author    = {Welling, Max and Teh, Yee Whye},
  title     = {Bayesian Learning via Stochastic Gradient {Langevin} Dynamics},
  booktitle = {Proceedings of the 28th International Conference on Machine Learning},
  pages     = {681--688},
  year      = {2011},
  url       = {https://www.icml-2011.org/papers/398_icmlpaper.pdf},
}

@article{hoffman2014nuts,
  author    = {Hoffman, Matthew D. and Gelman, Andrew},
  title     = {The {No-U-Turn} Sampler},
  journal   = {Journal of Machine Learning Research},
  volume    = {15},
  pages     = {1593--1623},
  year      = {2014},
  doi       = {10.5555/2627435.2638586},
}

@article{neal2011mcmc,
  author    = {Neal, Radford M.},
  title     = {{MCMC} Using {Hamiltonian} Dynamics},
  journal   = {Handbook of {Markov} Chain {Monte} {Carlo}},
  year      = {2011},
  doi       = {10.1201/b10905-6},
}
"""

# Post A cites Welling first; post B cites the same two works in the other order.
POST_A = post(
    "2024-01-01",
    "Post A",
    """
    Stochastic gradients {cite:p}`welling2011bayesian`, and as {cite:t}`hoffman2014nuts` show,
    no tuning.

    ## Later

    Again {cite:p}`hoffman2014nuts`.
""",
)
POST_B = post(
    "2024-02-01",
    "Post B",
    "NUTS {cite:p}`hoffman2014nuts`, then SGLD {cite:p}`welling2011bayesian`.",
)


def site(**posts: str) -> dict[str, str]:
    return {
        "references.bib": BIB,
        **{f"posts/2024/{name}.md": text for name, text in posts.items()},
    }


def references(build, page: str) -> list[tuple[str, str]]:
    """(label, text) of each entry in the References section of ``page``."""
    section = build.html(page).select_one("section.dd-references")
    assert section is not None, f"{page} has no References section"
    entries = section.select(".citation") or section.select("li")
    return [
        (
            (
                e.select_one(".label").get_text("", strip=True).strip("[]")
                if e.select_one(".label")
                else ""
            ),
            " ".join(e.select_one("p").get_text(" ", strip=True).replace("\xa0", " ").split()),
        )
        for e in entries
    ]


def in_text(build, page: str) -> list[str]:
    return [
        " ".join(c.get_text("", strip=False).split())
        for c in build.html(page).select(".bibtex-citation")
    ]


def assert_clean(build) -> None:
    assert build.returncode == 0, build.output
    assert "WARNING" not in build.output and "ERROR" not in build.output, build.output


# -- Styles ---------------------------------------------------------------------------------------


def test_numeric_style_numbers_each_post_in_order_of_first_citation(built_site):
    build = built_site(site(a=POST_A, b=POST_B))
    assert_clean(build)
    a, b = references(build, "posts/2024/a/"), references(build, "posts/2024/b/")
    assert [(label, text.split(".")[0]) for label, text in a] == [
        ("1", "Max Welling and Yee Whye Teh"),
        ("2", "Matthew D"),
    ]
    assert [label for label, _ in b] == ["1", "2"]
    assert b[0][1].startswith("Matthew D. Hoffman") and b[1][1].startswith("Max Welling")
    assert in_text(build, "posts/2024/a/") == ["[1]", "Hoffman and Gelman [2]", "[2]"]
    assert in_text(build, "posts/2024/b/") == ["[1]", "[2]"]


def test_citations_link_to_the_entry_in_the_same_post(built_site):
    build = built_site(site(a=POST_A, b=POST_B))
    assert_clean(build)
    page = build.html("posts/2024/b/")
    links = [a["href"] for a in page.select(".bibtex-citation a")]
    assert links == ["#ref-hoffman2014nuts", "#ref-welling2011bayesian"]
    for href in links:
        assert page.select_one(f"section.dd-references {href}") is not None


def test_citations_in_an_excerpt_keep_their_post_labels_and_links(built_site):
    build = built_site(site(a=POST_A, b=POST_B))
    assert_clean(build)
    teasers = {
        teaser.select_one(".dd-teaser__title a").get_text(strip=True): [
            (c.get_text("", strip=True), c.a["href"]) for c in teaser.select(".bibtex-citation")
        ]
        for teaser in build.html().select(".dd-teaser")
    }
    assert teasers["Post B"] == [
        ("[1]", "posts/2024/b/#ref-hoffman2014nuts"),
        ("[2]", "posts/2024/b/#ref-welling2011bayesian"),
    ]
    assert teasers["Post A"][:2] == [
        ("[1]", "posts/2024/a/#ref-welling2011bayesian"),
        ("Hoffman and Gelman [2]", "posts/2024/a/#ref-hoffman2014nuts"),
    ]


def test_label_style_labels_entries_by_key_sorted_by_key(build_site):
    build = build_site(site(a=POST_A), conf='deepdive_citation_style = "label"\n')
    assert_clean(build)
    assert [label for label, _ in references(build, "posts/2024/a/")] == [
        "hoffman2014nuts",
        "welling2011bayesian",
    ]
    assert in_text(build, "posts/2024/a/") == [
        "[welling2011bayesian]",
        "Hoffman and Gelman [hoffman2014nuts]",
        "[hoffman2014nuts]",
    ]


def test_author_year_style_cites_by_name_and_lists_by_author_without_labels(build_site):
    build = build_site(site(a=POST_A), conf='deepdive_citation_style = "author-year"\n')
    assert_clean(build)
    assert in_text(build, "posts/2024/a/") == [
        "(Welling and Teh, 2011)",
        "Hoffman and Gelman (2014)",
        "(Hoffman and Gelman, 2014)",
    ]
    entries = references(build, "posts/2024/a/")
    assert [label for label, _ in entries] == ["", ""]
    assert entries[0][1].startswith("Matthew D. Hoffman") and entries[1][1].startswith(
        "Max Welling"
    )
    page = build.html("posts/2024/a/")
    for link in page.select(".bibtex-citation a"):
        assert page.select_one(f"section.dd-references li{link['href']}") is not None
    # Each entry links back to every place the post cites it.
    cites = {c["id"]: c.a["href"] for c in page.select(".bibtex-citation")}
    backrefs = {
        item["id"]: [a["href"].lstrip("#") for a in item.select(".dd-backref")]
        for item in page.select("section.dd-references li")
    }
    assert backrefs == {
        "ref-hoffman2014nuts": [i for i, href in cites.items() if href == "#ref-hoffman2014nuts"],
        "ref-welling2011bayesian": [i for i, h in cites.items() if h == "#ref-welling2011bayesian"],
    }
    assert len(backrefs["ref-hoffman2014nuts"]) == 2


def test_each_post_s_entries_link_back_only_to_its_own_citations(build_site):
    # Each post's References are made from that post's own citations while it is read, not by
    # scanning every citation of the site; the entries and back-references must not change.
    conf = 'deepdive_citation_style = "author-year"\n'
    build = build_site(site(a=POST_A, b=POST_B, c=POST_A.replace("Post A", "Post C")), conf)
    assert_clean(build)
    for page, cited in (("posts/2024/a/", 3), ("posts/2024/b/", 2), ("posts/2024/c/", 3)):
        html = build.html(page)
        cites = {c["id"]: c.a["href"].lstrip("#") for c in html.select(".bibtex-citation")}
        assert len(cites) == cited
        backrefs = {
            item["id"]: [a["href"].lstrip("#") for a in item.select(".dd-backref")]
            for item in html.select("section.dd-references li")
        }
        assert backrefs == {
            entry: [i for i, target in cites.items() if target == entry]
            for entry in ("ref-hoffman2014nuts", "ref-welling2011bayesian")
        }


def test_an_unknown_style_is_a_configuration_error_naming_the_choices(build_site):
    build = build_site(site(a=POST_A), conf='deepdive_citation_style = "apa"\n')
    assert build.returncode != 0
    assert (
        "deepdive_citation_style = 'apa' is not valid; "
        "expected 'numeric' or 'label' or 'author-year'" in build.output
    )
    assert "Traceback" not in build.output


# -- One References section per post ---------------------------------------------------------------


def test_references_section_ends_the_post_and_lists_exactly_what_it_cites(build_site):
    only_neal = post(
        "2024-03-01", "Neal only", "See {cite:p}`neal2011mcmc`.\n\n## Discussion\n\nDone."
    )
    build = build_site(
        site(a=POST_A, n=only_neal, plain=post("2024-04-01", "No citations", "Just text."))
    )
    assert_clean(build)
    assert [text.split(".")[0] for _, text in references(build, "posts/2024/n/")] == ["Radford M"]
    assert len(references(build, "posts/2024/a/")) == 2
    page = build.html("posts/2024/n/")
    headings = [
        h.get_text("", strip=True).rstrip("#")
        for h in page.select("article section:not(.dd-cite) h2")
    ]  # "Cite this post" follows the content
    assert headings == ["Discussion", "References"]
    assert page.select_one(".bd-toc a[href='#references']") is not None
    assert build.html("posts/2024/plain/").select_one("section.dd-references") is None


def test_the_references_heading_can_be_renamed(build_site):
    build = build_site(site(a=POST_A), conf='deepdive_references_title = "Works cited"\n')
    assert_clean(build)
    heading = build.html("posts/2024/a/").select_one("section.dd-references h2")
    assert heading.get_text("", strip=True).rstrip("#") == "Works cited"


def test_many_posts_cite_the_same_keys_without_any_warning(build_site):
    posts = {
        f"p{n}": post(
            f"2024-01-{n + 1:02d}",
            f"Post {n}",
            "{cite:p}`hoffman2014nuts,welling2011bayesian` and {cite:t}`neal2011mcmc`.",
        )
        for n in range(4)
    }
    for style in ("numeric", "label", "author-year"):
        build = build_site(site(**posts), f'deepdive_citation_style = "{style}"\n')
        assert_clean(build)
        assert "duplicate" not in build.output
        for name in posts:
            assert len(references(build, f"posts/2024/{name}/")) == 3


def test_entries_link_their_doi_and_url(build_site):
    build = build_site(site(a=POST_A))
    assert_clean(build)
    section = build.html("posts/2024/a/").select_one("section.dd-references")
    hrefs = {a["href"] for a in section.select("a.reference.external")}
    assert "https://doi.org/10.5555/2627435.2638586" in hrefs
    assert "https://www.icml-2011.org/papers/398_icmlpaper.pdf" in hrefs


def test_pre_and_post_text_and_the_plain_cite_role(build_site):
    text = "See {cite:p}`{see}hoffman2014nuts{p. 3}` and {cite}`welling2011bayesian`."
    build = build_site(site(a=post("2024-01-01", "Post A", text)))
    assert_clean(build)
    assert in_text(build, "posts/2024/a/") == ["[see 1, p. 3]", "[2]"]


def test_a_hand_written_bibliography_is_kept_and_not_doubled(build_site):
    reading = (
        "# Reading list\n\nStart with {cite:t}`hoffman2014nuts`.\n\n```{bibliography}\n:all:\n```\n"
    )
    files = {**site(a=POST_A), "reading.md": reading}
    files["index.md"] = "# Home\n\n```{toctree}\n:hidden:\n\nreading\n```\n"
    build = build_site(files)
    assert_clean(build)
    page = build.html("reading/")
    assert page.select_one("section.dd-references") is None
    assert len(page.select(".citation")) == 3  # every entry, as :all: asks
    assert len(references(build, "posts/2024/a/")) == 2


# -- Mistakes --------------------------------------------------------------------------------------


TYPO = post(
    "2024-05-01",
    "Typo",
    """
    First paragraph.

    Cites {cite:p}`welling2011bayesain` here.
""",
)


def test_an_unknown_key_fails_the_build_naming_file_line_key_and_close_matches(build_site):
    build = build_site(site(a=POST_A, typo=TYPO))
    assert build.returncode != 0
    line = next(n for n, text in enumerate(TYPO.splitlines(), 1) if "bayesain" in text)
    message = next(m for m in build.output.splitlines() if "welling2011bayesain" in m)
    assert re.search(rf"posts/2024/typo\.md:{line}: WARNING", message), message
    assert "Did you mean 'welling2011bayesian'?" in message
    assert "references.bib" in message and "posts/2024/typo.bib" in message
    assert "could not find bibtex key" not in build.output  # reported once, by us
    assert "Traceback" not in build.output


def test_an_unknown_key_inside_a_paragraph_is_reported_at_its_own_line(build_site):
    text = post(
        "2024-05-01",
        "Deep",
        """
        A paragraph that runs
        over three lines and cites
        {cite:p}`welling2011bayesian` and then {cite:t}`nosuchkey2020` on its third.
    """,
    )
    build = build_site(site(a=POST_A, deep=text))
    assert build.returncode != 0
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "nosuchkey2020" in row)
    assert re.search(rf"posts/2024/deep\.md:{line}: WARNING: unknown citation key", build.output)


def test_an_unknown_key_suggests_the_key_spelled_another_way(build_site):
    build = build_site(site(a=post("2024-01-01", "Post A", "{cite:p}`Hoffman2014NUTS`")))
    assert build.returncode != 0
    assert "unknown citation key 'Hoffman2014NUTS'. Did you mean 'hoffman2014nuts'?" in build.output


def test_without_references_bib_a_citation_says_where_to_add_the_entry(build_site):
    build = build_site({"posts/2024/a.md": POST_A})
    assert build.returncode != 0
    assert (
        "unknown citation key 'welling2011bayesian'. Add an entry with this key to references.bib"
        in (build.output)
    )
    assert "Traceback" not in build.output


def test_an_unknown_key_is_still_an_error_on_the_next_build(build_site):
    first = build_site(site(typo=TYPO))
    assert first.returncode != 0
    again = sphinx_build(first.srcdir)
    assert again.returncode != 0
    assert "welling2011bayesain" in again.output


def test_a_malformed_citation_is_a_located_error_not_a_traceback(build_site):
    bad = post("2024-05-01", "Bad", "Cites {cite:p}`hoffman2014nuts welling2011bayesian` here.")
    build = build_site(site(bad=bad))
    assert build.returncode != 0
    assert re.search(r"posts/2024/bad\.md:\d+: WARNING: malformed citation", build.output), (
        build.output
    )
    assert "Traceback" not in build.output
    again = sphinx_build(build.srcdir)
    assert again.returncode != 0 and "malformed citation" in again.output


def test_a_broken_bib_file_is_a_clear_error_not_a_traceback(build_site):
    files = site(a=POST_A)
    files["references.bib"] = BIB + "\n@article{broken,\n  title = {Unclosed,\n"
    build = build_site(files)
    assert build.returncode != 0
    line = len((BIB + "\n@article{broken,").splitlines())
    assert re.search(
        rf"references\.bib:{line}: WARNING: references\.bib: syntax error.*'broken'", build.output
    ), build.output
    assert "Traceback" not in build.output
    assert len(references(build, "posts/2024/a/")) == 2  # the good entries still work
    again = sphinx_build(build.srcdir)
    assert again.returncode != 0 and "references.bib: syntax error" in again.output


# -- A post's own .bib file ------------------------------------------------------------------------


LOCAL_BIB = r"""
@misc{localnote2023,
  author = {Doe, Jane},
  title  = {Lab Notes on Samplers},
  year   = {2023},
  url    = {https://example.org/notes},
}
"""


def test_a_post_can_cite_entries_from_a_bib_file_beside_it(build_site):
    mine = post("2024-06-01", "Mine", "Notes {cite:p}`localnote2023` and {cite:p}`neal2011mcmc`.")
    files = {**site(mine=mine, a=POST_A), "posts/2024/mine.bib": LOCAL_BIB}
    build = build_site(files)
    assert_clean(build)
    texts = [text for _, text in references(build, "posts/2024/mine/")]
    assert texts[0].startswith("Jane Doe. Lab notes on samplers") and texts[1].startswith(
        "Radford M. Neal"
    )
    works = build.html("bibliography/").select(".dd-bibliography__work")
    assert "localnote2023" in [w["data-key"] for w in works]


def test_entries_of_a_post_bib_file_belong_to_that_post_only(build_site):
    other = post("2024-06-02", "Other", "Borrowing {cite:p}`localnote2023`.")
    files = {
        **site(mine=post("2024-06-01", "Mine", "{cite:p}`localnote2023`"), other=other),
        "posts/2024/mine.bib": LOCAL_BIB,
    }
    build = build_site(files)
    assert build.returncode != 0
    assert re.search(
        r"posts/2024/other\.md:\d+: WARNING: unknown citation key 'localnote2023'", build.output
    )


# -- The Bibliography page -------------------------------------------------------------------------


def bibliography(build) -> dict[str, list[tuple[str, str]]]:
    """key -> [(post title, link)] as the Bibliography page shows them."""
    page = build.html("bibliography/")
    return {
        work["data-key"]: [
            (a.get_text(strip=True), a["href"]) for a in work.select(".dd-bibliography__cited-in a")
        ]
        for work in page.select(".dd-bibliography__work")
    }


def test_bibliography_page_lists_every_cited_work_with_links_to_the_citing_posts(build_site):
    only_neal = post("2024-03-01", "Neal only", "See {cite:p}`neal2011mcmc`.")
    build = build_site(site(a=POST_A, b=POST_B, n=only_neal))
    assert_clean(build)
    works = bibliography(build)
    assert list(works) == ["hoffman2014nuts", "neal2011mcmc", "welling2011bayesian"]  # by author
    assert works["hoffman2014nuts"] == [  # newest post first, linked to its References entry
        ("Post B", "../posts/2024/b/#ref-hoffman2014nuts"),
        ("Post A", "../posts/2024/a/#ref-hoffman2014nuts"),
    ]
    assert works["neal2011mcmc"] == [("Neal only", "../posts/2024/n/#ref-neal2011mcmc")]
    page = build.html("bibliography/")
    assert (
        page.select_one("#hoffman2014nuts a[href='https://doi.org/10.5555/2627435.2638586']")
        is not None
    )
    assert page.select_one("h1").get_text(strip=True) == "Bibliography"


def test_bibliography_page_follows_incremental_builds(built_site):
    build = built_site(site(a=POST_A, b=POST_B))
    assert_clean(build)
    assert [t for t, _ in bibliography(build)["welling2011bayesian"]] == ["Post B", "Post A"]
    (build.srcdir / "posts/2024/b.md").write_text(
        post("2024-02-01", "Post B", "Now only {cite:p}`neal2011mcmc`."), encoding="utf-8"
    )
    again = sphinx_build(build.srcdir)
    assert_clean(again)
    works = bibliography(again)
    assert [t for t, _ in works["welling2011bayesian"]] == ["Post A"]
    assert [t for t, _ in works["neal2011mcmc"]] == ["Post B"]
    assert [t.split(".")[0] for _, t in references(again, "posts/2024/b/")] == ["Radford M"]
    (build.srcdir / "posts/2024/a.md").write_text(
        post("2024-01-01", "Post A", "No citations now."), encoding="utf-8"
    )
    third = sphinx_build(build.srcdir)
    assert_clean(third)
    assert list(bibliography(third)) == ["neal2011mcmc"]
    assert third.html("posts/2024/a/").select_one("section.dd-references") is None


def test_editing_references_bib_updates_the_posts_that_cite_it(build_site):
    build = build_site(site(b=POST_B))
    assert_clean(build)
    bib = build.srcdir / "references.bib"
    bib.write_text(
        bib.read_text().replace("Journal of Machine Learning Research", "Revised Journal")
    )
    again = sphinx_build(build.srcdir)
    assert_clean(again)
    assert "Revised Journal" in references(again, "posts/2024/b/")[0][1]


def test_editing_references_bib_updates_excerpts_on_the_home_page(build_site):
    build = build_site(site(b=POST_B), 'deepdive_citation_style = "author-year"\n')
    assert_clean(build)
    excerpt = build.html().select_one(".dd-teaser__excerpt .bibtex-citation")
    assert excerpt.get_text("", strip=True) == "(Hoffman and Gelman, 2014)"
    bib = build.srcdir / "references.bib"
    bib.write_text(bib.read_text().replace("year      = {2014}", "year      = {2015}"))
    again = sphinx_build(build.srcdir)
    assert_clean(again)
    excerpt = again.html().select_one(".dd-teaser__excerpt .bibtex-citation")
    assert excerpt.get_text("", strip=True) == "(Hoffman and Gelman, 2015)"


def test_the_bibliography_page_can_be_renamed_or_turned_off(build_site, make_site):
    build = build_site(site(a=POST_A), conf='deepdive_bibliography_page = "works-cited"\n')
    assert_clean(build)
    assert (build.outdir / "works-cited/index.html").is_file()
    assert not (build.outdir / "bibliography").exists()
    off = sphinx_build(
        make_site(site(a=POST_A), 'deepdive_bibliography_page = ""\n'), build.outdir.parent / "off"
    )
    assert_clean(off)
    assert not (off.outdir / "works-cited").exists() and not (off.outdir / "bibliography").exists()


# -- Parallel reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["numeric", "author-year"])
def test_a_parallel_build_gives_the_same_pages_as_a_serial_one(build_site, make_site, style):
    posts = {
        f"p{n}": post(
            f"2024-01-{n + 1:02d}",
            f"Post {n}",
            [
                "{cite:p}`welling2011bayesian,hoffman2014nuts`",
                "{cite:t}`neal2011mcmc`",
                "{cite:p}`hoffman2014nuts` then {cite:p}`neal2011mcmc`",
            ][n % 3],
        )
        for n in range(9)
    }
    conf = f'deepdive_citation_style = "{style}"\n'
    serial = build_site(site(**posts), conf)
    assert_clean(serial)
    parallel = sphinx_build(serial.srcdir, serial.outdir.parent / "parallel", "-j", "2")
    assert_clean(parallel)
    for name in posts:
        page = f"posts/2024/{name}/"
        assert references(parallel, page) == references(serial, page)
        assert in_text(parallel, page) == in_text(serial, page)
    assert bibliography(parallel) == bibliography(serial)
    assert len(bibliography(parallel)["hoffman2014nuts"]) == 6


# -- The real site ---------------------------------------------------------------------------------


def test_the_real_site_has_references_and_a_bibliography(real_site):
    page = real_site.html("bibliography/")
    works = page.select(".dd-bibliography__work")
    assert works, "the real site cites nothing"
    for work in works:
        assert work.select(".dd-bibliography__cited-in a")


def test_an_entry_that_cannot_be_formatted_is_reported_at_its_citation_on_every_build(make_site):
    srcdir = make_site(
        {
            "posts/2024/a.md": post("2024-01-01", "A", "See {cite:p}`broken2020`."),
            "references.bib": "@article{broken2020,\n  author = {Ann Author},\n  year = {2020}\n}\n",
        }
    )
    for _ in range(2):  # the second build reads nothing new: the problem is still reported
        build = sphinx_build(srcdir)
        assert build.returncode != 0
        assert (
            "posts/2024/a.md:6: WARNING: the entry 'broken2020' in references.bib cannot be "
            "formatted: missing title" in build.output
        )
        assert "Traceback" not in build.output


TEX_TITLE_BIB = r"""
@article{csiszar1975divergence,
  author  = {Csisz{\'a}r, Imre},
  title   = {{$I$}-Divergence Geometry of Probability Distributions and Minimization Problems},
  journal = {The Annals of Probability},
  year    = {1975},
}
"""


def test_math_in_a_cited_title_is_typeset_in_the_references_the_bibliography_and_the_feed(
    build_site,
):
    build = build_site(
        {
            "references.bib": TEX_TITLE_BIB,
            "posts/2024/projection.md": post(
                "2024-05-01", "Projection", "See {cite:p}`csiszar1975divergence`."
            ),
        }
    )
    assert build.returncode == 0, build.output
    for page, selector in (
        ("posts/2024/projection/", "section.dd-references"),
        ("bibliography/", ".dd-bibliography__work"),
    ):
        entry = build.html(page).select_one(selector)
        formula = entry.select_one("span.math .katex")
        assert formula is not None and formula.select_one("annotation").get_text() == "I", page
        assert "$" not in entry.get_text(), page
        assert "Csiszár" in entry.get_text(), page
    feed = build.text("atom.xml")
    assert "$I$" not in feed and "&lt;mi&gt;I&lt;/mi&gt;" in feed


def test_a_citation_style_is_made_without_reading_every_installed_packages_metadata():
    """pybtex finds a part named by a string by reading every installed distribution's entry points
    (about 12 ms a lookup, several per build); each style names its parts by class instead, and
    they are the parts pybtex's own style would have looked up."""
    from unittest import mock

    import pybtex.plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle

    from deepdive.research.bibtex_styles import STYLES

    pybtex_styles = {"numeric": UnsrtStyle, "label": UnsrtStyle, "author-year": PlainStyle}
    scan = AssertionError("a plugin was looked up by name")
    for name, style in STYLES.items():
        with mock.patch.object(pybtex.plugin, "entry_points", side_effect=scan):
            ours = style.entries()
        theirs = pybtex_styles[name]()
        for part in ("name_style", "label_style", "sorting_style"):
            assert type(getattr(ours, part)) is type(getattr(theirs, part)), (name, part)
