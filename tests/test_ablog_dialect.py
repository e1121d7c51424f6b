"""A post written for ABlog is a valid post here: its front matter, its dates, its `post` directive
and its notebooks' metadata; what is really wrong is still one error at its line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import feedparser
import pytest

from deepdive.post.frontmatter import parse_front_matter, read_metadata

NOW = datetime(2026, 11, 21, tzinfo=UTC)
CONF = """
extensions = ["myst_nb", "deepdive", "sphinx_copybutton", "sphinxext.opengraph", "sphinx_design"]
myst_enable_extensions.append("colon_fence")
nb_execution_mode = "off"
ogp_site_url = "https://blog.example.org/"
"""

# Written the way ABlog's documentation and its users write posts.
WASM = """---
blogpost: true
date: Jan 14, 2022
author: Ada Quant, Bo Chen
category: Tooling
tags: jupyter, webassembly
language: English
location: Pittsburgh
excerpt: 2
---

# Python kernels in the browser

Pyodide compiles CPython to WebAssembly, so a notebook can run with no server at all.

The kernel starts in a web worker and loads packages from a wheel index on demand.

Everything after the second paragraph stays on the post page only.
"""

DIRECTIVE = """# Sampling from a mixture in the browser

```{post} 2022/02/03
:tags: jupyter, sampling
:category: Tooling
```

A two-component Gaussian mixture sampled with a Metropolis walk that runs in the page.
"""

TITLED = """---
blogpost: true
date: 14 March 2021
title: Notes from a reading group on Stein's method
tags: probability
---

We read Chen, Goldstein and Shao over six weeks; these are the notes I kept.
"""

# Blogs of the ABlog + MyST stack lay posts out with sphinx-design: a card grid, a folded proof,
# tabs of equivalent code.
DESIGNED = """---
blogpost: true
date: Mar 08, 2022
category: Tooling
tags: numerics, sphinx-design
---

# Two ways to compute a running variance

::::{grid} 1 2 2 2
:gutter: 2

:::{grid-item-card} Two passes
Mean first, then $\\frac{1}{n-1}\\sum_i (x_i - \\bar x)^2$.
:::

:::{grid-item-card} Welford
One pass, numerically stable.
:::
::::

:::{dropdown} Why Welford's update is exact
With $\\delta = x_n - \\bar x_{n-1}$, the new mean is $\\bar x_n = \\bar x_{n-1} + \\delta / n$ and
$M_n = M_{n-1} + \\delta\\,(x_n - \\bar x_n)$ is the sum of squared deviations.
:::

::::{tab-set}
:::{tab-item} NumPy
```python
np.var(x, ddof=1)
```
:::
:::{tab-item} statistics
```python
statistics.variance(x)
```
:::
::::
"""


def metadata_notebook(metadata: dict) -> str:
    """A notebook whose post metadata sits at the top level of its metadata, as Jupyter writes it."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "id": "c1", "source": ["# Bootstrap intervals"]},
        {
            "cell_type": "markdown",
            "metadata": {},
            "id": "c2",
            "source": ["Resampling the data gives an interval without a formula for its variance."],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "id": "c3",
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["0.42 0.58\n"]}],
            "source": ["print(0.42, 0.58)"],
        },
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    language = {"name": "python", "version": "3.11.6", "file_extension": ".py"}
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": kernel, "language_info": language, **metadata},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1) + "\n"


NOTEBOOK = metadata_notebook(
    {"blogpost": True, "date": "2022-01-20", "tags": "jupyter, statistics", "category": "Notes"}
)


def ablog_site() -> dict[str, str]:
    return {
        "posts/2022/pyodide.md": WASM,
        "posts/2022/mixture.md": DIRECTIVE,
        "posts/2021/stein.md": TITLED,
        "posts/2022/bootstrap.ipynb": NOTEBOOK,
        "posts/2022/running-variance.md": DESIGNED,
    }


# -- the forms, one by one ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["Jan 14, 2022", "14 January 2022", "2022-01-14", "2022/01/14", "14 Jan, 2022"]
)
def test_ablogs_date_forms_mean_the_same_day(written):
    front = parse_front_matter(f"blogpost: true\ndate: {written}", 2, now=NOW)
    assert front.problems == []
    assert front.date == datetime(2022, 1, 14, tzinfo=UTC)


def test_the_sites_post_date_format_reads_a_date_that_is_otherwise_ambiguous():
    european = parse_front_matter("date: 03/04/2022", 2, now=NOW, date_format="%d/%m/%Y")
    assert european.problems == [] and european.date == datetime(2022, 4, 3, tzinfo=UTC)
    [problem] = parse_front_matter("date: 03/04/2022", 2, now=NOW).problems
    assert "ambiguous" in problem.message


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Jan 2022", "does not name a day, a month and a year"),
        ("Feb 30, 2022", "is not a real date"),
        ("01-02-2022", "ambiguous"),
        ("someday soon", "Write it as 2024-03-01"),
    ],
)
def test_a_date_that_is_not_one_day_is_still_refused_at_its_line(written, expected):
    [problem] = parse_front_matter(f"blogpost: true\ndate: {written}", 2, now=NOW).problems
    assert expected in problem.message and problem.line == 3


def test_comma_separated_tags_and_authors_are_lists():
    front = parse_front_matter(
        "date: 2022-01-14\ntags: jupyter, webassembly\nauthor: Ada Quant, Bo Chen", 2, now=NOW
    )
    assert front.problems == []
    assert front.tags == ["jupyter", "webassembly"]
    assert front.author == "Ada Quant, Bo Chen"


def test_two_categories_say_a_post_has_one_here():
    [problem] = parse_front_matter(
        "date: 2022-01-14\ncategory: Tooling, Notes", 2, now=NOW
    ).problems
    assert "one category" in problem.message and "make the others tags" in problem.message
    assert problem.line == 3


def test_ablogs_other_keys_are_checked_not_just_accepted():
    front = parse_front_matter(
        "date: 2022-01-14\nexcerpt: 2\nimage: 1\nlanguage: English\nlocation: Pittsburgh\n"
        "title: A title",
        2,
        now=NOW,
    )
    assert front.problems == []
    assert (front.excerpt, front.image, front.language, front.location, front.title) == (
        2,
        1,
        "English",
        "Pittsburgh",
        "A title",
    )
    bad = parse_front_matter("date: 2022-01-14\nexcerpt: two\nblogpost: false", 2, now=NOW)
    assert [(p.line, p.message.split(":")[0]) for p in bad.problems] == [
        (3, "`excerpt`"),
        (4, "`blogpost`"),
    ]


def test_the_post_directive_is_validated_like_front_matter_at_its_lines():
    text = "# Title\n\n```{post} Jan 14, 2022\n:tags: a, b\n:catagory: Notes\n```\n\nText.\n"
    front = read_metadata(text, now=NOW)
    assert front.date == datetime(2022, 1, 14, tzinfo=UTC) and front.tags == ["a", "b"]
    [problem] = front.problems
    assert problem.line == 5 and "Did you mean `category`?" in problem.message


def test_metadata_in_front_matter_and_in_a_post_directive_is_one_too_many():
    text = "---\ndate: 2022-01-14\n---\n# Title\n\n```{post} 2022-01-14\n```\n"
    [problem] = read_metadata(text, now=NOW).problems
    assert problem.line == 6 and "written twice" in problem.message


# -- a whole ABlog blog, built ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ablog_build(tmp_path_factory):
    from conftest import sphinx_build, write_site

    srcdir = write_site(tmp_path_factory.mktemp("ablog") / "site", ablog_site(), CONF)
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    return build


def titles(soup, selector: str) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select(selector)]


def test_every_ablog_post_reaches_the_archive_newest_first(ablog_build):
    archive = ablog_build.html("archive/")
    assert titles(archive, ".dd-archive-list a") == [
        "Two ways to compute a running variance",
        "Sampling from a mixture in the browser",
        "Bootstrap intervals",
        "Python kernels in the browser",
        "Notes from a reading group on Stein's method",
    ]
    dates = [t["datetime"] for t in archive.select(".dd-archive-list time")]
    assert dates == ["2022-03-08", "2022-02-03", "2022-01-20", "2022-01-14", "2021-03-14"]


def test_comma_separated_tags_make_one_tag_page_each(ablog_build):
    jupyter = titles(ablog_build.html("tags/jupyter/"), ".dd-teaser__title a")
    assert jupyter == [
        "Sampling from a mixture in the browser",
        "Bootstrap intervals",
        "Python kernels in the browser",
    ]
    assert titles(ablog_build.html("tags/webassembly/"), ".dd-teaser__title a") == [
        "Python kernels in the browser"
    ]
    assert titles(ablog_build.html("tags/statistics/"), ".dd-teaser__title a") == [
        "Bootstrap intervals"
    ]
    tooling = titles(ablog_build.html("categories/tooling/"), ".dd-teaser__title a")
    assert tooling == [
        "Two ways to compute a running variance",
        "Sampling from a mixture in the browser",
        "Python kernels in the browser",
    ]


def test_the_post_page_shows_ablogs_metadata(ablog_build):
    page = ablog_build.html("posts/2022/pyodide/")
    header = page.select_one(".dd-post-header").get_text(" ", strip=True)
    assert "January 14, 2022" in header and "Ada Quant, Bo Chen" in header
    assert titles(page, '.dd-post-header a[href*="tags/"]') == ["#jupyter", "#webassembly"]
    assert "blogpost" not in page.select_one("article").get_text()


def test_excerpt_counts_paragraphs_as_in_ablog(ablog_build):
    teasers = {
        t.select_one(".dd-teaser__title a").get_text(strip=True): t
        for t in ablog_build.html().select(".dd-teaser")
    }
    excerpt = teasers["Python kernels in the browser"].select_one(".dd-teaser__excerpt")
    paragraphs = [p.get_text(" ", strip=True) for p in excerpt.select("p")]
    assert len(paragraphs) == 2 and paragraphs[1].startswith("The kernel starts in a web worker")
    assert "Everything after" not in excerpt.get_text()


def test_a_title_in_front_matter_is_the_posts_heading_and_its_title(ablog_build):
    page = ablog_build.html("posts/2021/stein/")
    assert page.select_one("article h1").get_text(strip=True).rstrip("#") == (
        "Notes from a reading group on Stein's method"
    )
    assert page.title.get_text().startswith("Notes from a reading group on Stein")
    assert "We read Chen, Goldstein and Shao" in page.select_one("article").get_text()


def test_the_post_directive_post_is_listed_and_its_page_has_no_directive_left(ablog_build):
    page = ablog_build.html("posts/2022/mixture/")
    assert "February 3, 2022" in page.select_one(".dd-post-header").get_text(" ", strip=True)
    assert titles(page, '.dd-post-header a[href*="tags/"]') == ["#jupyter", "#sampling"]
    assert "{post}" not in page.get_text() and ":tags:" not in page.get_text()


def test_the_notebook_with_metadata_front_matter_keeps_its_stored_output(ablog_build):
    page = ablog_build.html("posts/2022/bootstrap/")
    assert "0.42 0.58" in page.select_one("article").get_text()
    assert "January 20, 2022" in page.select_one(".dd-post-header").get_text(" ", strip=True)


def test_a_post_laid_out_with_sphinx_design_builds_in_place(ablog_build):
    page = ablog_build.html("posts/2022/running-variance/")
    cards = page.select(".sd-row .sd-card")
    assert [c.select_one(".sd-card-title").get_text(strip=True) for c in cards] == [
        "Two passes",
        "Welford",
    ]
    assert cards[0].select(".katex")  # math in a card is typeset at build time
    dropdown = page.select_one("details.sd-dropdown")
    assert dropdown.select(".katex") and not dropdown.has_attr("open")
    labels = page.select(".sd-tab-set > label.sd-tab-label")
    assert [label.get_text(strip=True) for label in labels] == ["NumPy", "statistics"]


def test_the_feed_carries_every_ablog_post_with_its_tags(ablog_build):
    feed = feedparser.parse(ablog_build.text("atom.xml"))
    entries = {entry.title: entry for entry in feed.entries}
    assert set(entries) == {
        "Two ways to compute a running variance",
        "Sampling from a mixture in the browser",
        "Bootstrap intervals",
        "Python kernels in the browser",
        "Notes from a reading group on Stein's method",
    }
    assert {t.term for t in entries["Python kernels in the browser"].tags} >= {
        "jupyter",
        "webassembly",
    }
    jupyter = feedparser.parse(ablog_build.text("tags/jupyter/atom.xml"))
    assert len(jupyter.entries) == 3


# -- images, and what is still an error ---------------------------------------------------------


def test_image_names_the_posts_image_for_social_cards(build_site, tmp_path):
    import base64

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    post = WASM.replace("excerpt: 2", "image: 2") + "\n![A chart](chart.png)\n\n![A map](map.png)\n"
    site = {"posts/2022/pyodide.md": post}
    from conftest import sphinx_build, write_site

    srcdir = write_site(tmp_path / "site", site, CONF)
    (srcdir / "posts/2022/chart.png").write_bytes(png)
    (srcdir / "posts/2022/map.png").write_bytes(png)
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    og = build.html("posts/2022/pyodide/").select_one('meta[property="og:image"]')
    assert og["content"] == "https://blog.example.org/_images/map.png"
    assert (build.outdir / "_images" / "map.png").is_file()


def failed(build, *fragments: str) -> None:
    assert build.returncode != 0, build.output
    assert "Traceback" not in build.output, build.output
    for fragment in fragments:
        assert fragment in build.output, build.output


def test_a_misspelled_key_in_ablog_front_matter_still_fails_with_did_you_mean(build_site):
    build = build_site({"posts/2022/pyodide.md": WASM.replace("category:", "catagory:")}, CONF)
    failed(build, "posts/2022/pyodide.md:5:", "`catagory`", "Did you mean `category`?")


def test_a_bad_ablog_date_is_one_error_at_its_line(build_site):
    build = build_site({"posts/2022/pyodide.md": WASM.replace("Jan 14, 2022", "Jan 41, 2022")})
    failed(build, "posts/2022/pyodide.md:3: WARNING: `date`: 'Jan 41, 2022' is not a real date")
    assert len([line for line in build.output.splitlines() if ": WARNING: " in line]) == 1


def test_a_bad_date_in_the_post_directive_is_an_error_at_the_directive(build_site):
    build = build_site({"posts/2022/mixture.md": DIRECTIVE.replace("2022/02/03", "2022/02/31")})
    failed(build, "posts/2022/mixture.md:3: WARNING: `date`: '2022/02/31' is not a real date")


def test_a_misspelled_key_in_a_notebooks_metadata_fails_at_its_line(build_site):
    notebook = metadata_notebook({"blogpost": True, "date": "2022-01-20", "tagz": "jupyter"})
    build = build_site({"posts/2022/bootstrap.ipynb": notebook}, CONF)
    line = next(i for i, text in enumerate(notebook.splitlines(), 1) if '"tagz"' in text)
    failed(build, f"posts/2022/bootstrap.ipynb:{line}:", "Did you mean `tags`?")


def test_an_image_number_beyond_the_posts_images_is_an_error(build_site):
    build = build_site({"posts/2022/pyodide.md": WASM.replace("excerpt: 2", "image: 3")}, CONF)
    failed(build, "posts/2022/pyodide.md", "`image`: 3 names the post's image number 3")


def post_cell_notebook(directive: str) -> str:
    """ABlog's documented notebook post: a title cell, then a raw cell with a `post` directive."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "id": "t", "source": ["# Jackknife variance"]},
        {
            "cell_type": "raw",
            "metadata": {"raw_mimetype": "text/restructuredtext"},
            "id": "p",
            "source": directive.splitlines(keepends=True),
        },
        {
            "cell_type": "markdown",
            "metadata": {},
            "id": "b",
            "source": ["Leaving one observation out at a time estimates the variance."],
        },
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4}
    return json.dumps({**notebook, "nbformat_minor": 5}, indent=1) + "\n"


def test_a_notebook_with_ablogs_post_cell_is_a_post(build_site):
    notebook = post_cell_notebook(
        ".. post:: 27 Oct 2018\n   :author: Ada Quant\n   :tags: jupyter, resampling\n"
    )
    build = build_site({"posts/2018/jackknife.ipynb": notebook}, CONF)
    assert build.returncode == 0, build.output
    page = build.html("posts/2018/jackknife/")
    header = page.select_one(".dd-post-header").get_text(" ", strip=True)
    assert "October 27, 2018" in header
    assert titles(page, '.dd-post-header a[href*="tags/"]') == ["#jupyter", "#resampling"]
    assert ".. post::" not in page.select_one("article").get_text()
    assert titles(build.html("tags/resampling/"), ".dd-teaser__title a") == ["Jackknife variance"]


def test_a_bad_date_in_a_notebooks_post_cell_names_the_cell_and_line(build_site):
    notebook = post_cell_notebook(".. post:: 31 Sep 2018\n   :tags: jupyter\n")
    build = build_site({"posts/2018/jackknife.ipynb": notebook}, CONF)
    failed(build, "posts/2018/jackknife.ipynb: WARNING: cell 2, line 1: `date`: '31 Sep 2018'")
