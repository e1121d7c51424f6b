"""Notebook posts: executed at build time and cached, listed like any post, failing readably."""

from __future__ import annotations

import json
import re

import feedparser
import pytest
from conftest import sphinx_build

CONF = """
extensions = ["myst_nb", "deepdive", "sphinx_copybutton"]
nb_execution_mode = "cache"
nb_execution_raise_on_error = True
numfig = True
"""

KERNEL = "kernelspec:\n  name: python3\n  display_name: Python 3\n"


def text_notebook(title: str, body: str, front: str = "") -> str:
    """A MyST text notebook post; the date is unquoted, as in every other post."""
    front = f"date: 2024-03-01\ntags: [notebooks]\nfile_format: mystnb\n{KERNEL}{front}"
    return f"---\n{front}---\n# {title}\n\n{body}"


def cell(code: str, options: str = "") -> str:
    return f"```{{code-cell}} ipython3\n{options}{code}\n```\n"


SQUARES = "squares = [n * n for n in range(5)]\nprint('sum of squares', sum(squares))"
TEXT_POST = text_notebook(
    "Squares",
    "The squares notebook computes things.\n\n<!-- more -->\n\n"
    + cell(SQUARES)
    + "\nA figure:\n\n"
    + cell(
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(2, 1.5))\nax.plot(squares);",
        "---\nmystnb:\n  figure:\n    caption: The squares.\n    name: fig-squares\n---\n",
    )
    + "\nSee {numref}`fig-squares`.\n",
)


def ipynb_post() -> str:
    """A Jupyter notebook whose first Markdown cell holds the front matter."""

    def source(text: str) -> list[str]:
        return text.splitlines(keepends=True)

    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "cells": [
                {
                    "cell_type": "markdown",
                    "metadata": {},
                    "id": "a1",
                    "source": source("---\ndate: 2024-04-01\ntags: [notebooks, jupyter]\n---\n"),
                },
                {
                    "cell_type": "markdown",
                    "metadata": {},
                    "id": "a2",
                    "source": source("# Cubes\n\nThe cubes notebook has a first paragraph."),
                },
                {
                    "cell_type": "code",
                    "metadata": {},
                    "id": "a3",
                    "execution_count": None,
                    "outputs": [],
                    "source": source("print('sum of cubes', sum(n ** 3 for n in range(5)))"),
                },
            ],
        }
    )


@pytest.fixture
def nb_site(make_site):
    return lambda files: make_site(files, CONF)


def test_notebook_posts_run_at_build_time_and_show_their_outputs(nb_site):
    build = sphinx_build(
        nb_site({"posts/2024/squares.md": TEXT_POST, "posts/2024/cubes.ipynb": ipynb_post()})
    )
    assert build.returncode == 0, build.output
    squares = build.html("posts/2024/squares/")
    assert "sum of squares 30" in squares.select_one("article div.cell_output").get_text()
    figure = squares.select_one("article figure#fig-squares")
    assert figure.select_one("img")["src"].startswith("../../../_images/")
    assert (build.outdir / figure.select_one("img")["src"].removeprefix("../../../")).is_file()
    assert "Fig. 1" in figure.select_one("figcaption").get_text()
    cubes = build.html("posts/2024/cubes/")
    assert cubes.select_one("article h1").get_text(strip=True).rstrip("#") == "Cubes"
    assert "sum of cubes 100" in cubes.select_one("article div.cell_output").get_text()
    # The front-matter cell is metadata, not text on the page.
    assert "date:" not in cubes.select_one("article").get_text()
    assert not cubes.select("article hr")


def test_notebook_posts_are_listed_and_in_the_feed_like_any_post(nb_site):
    build = sphinx_build(
        nb_site({"posts/2024/squares.md": TEXT_POST, "posts/2024/cubes.ipynb": ipynb_post()})
    )
    assert build.returncode == 0, build.output
    home = build.html("").get_text(" ")
    assert "The squares notebook computes things." in home
    assert "The cubes notebook has a first paragraph." in home
    feed = feedparser.parse(build.text("atom.xml"))
    assert [e.title for e in feed.entries] == ["Cubes", "Squares"]
    assert "sum of squares 30" in feed.entries[1].content[0].value
    tag = build.html("tags/jupyter/").get_text(" ")
    assert "Cubes" in tag and "Squares" not in tag


def test_an_unchanged_notebook_is_not_run_again(nb_site):
    simple = text_notebook("Squares", "The squares notebook computes things.\n\n" + cell(SQUARES))
    srcdir = nb_site({"posts/2024/squares.md": simple})
    first = sphinx_build(srcdir)
    assert first.returncode == 0, first.output
    assert "Executed notebook" in first.output
    path = srcdir / "posts/2024/squares.md"
    path.write_text(path.read_text().replace("computes things.", "computes things, cached."))
    second = sphinx_build(srcdir)
    assert second.returncode == 0, second.output
    assert "Using cached notebook" in second.output and "Executed notebook" not in second.output
    assert "sum of squares 30" in second.html("posts/2024/squares/").get_text()
    path.write_text(path.read_text().replace("range(5)", "range(4)"))
    third = sphinx_build(srcdir)
    assert "Executed notebook" in third.output
    assert "sum of squares 14" in third.html("posts/2024/squares/").get_text()


FAILING = text_notebook(
    "Broken",
    "Text.\n\n"
    + cell("x = 1")  # lines 13-15
    + "\n"
    + cell("def f(y):\n    return y / 0\n\nf(x)"),  # lines 17-22: `f(x)` is line 21
)


# The Jupyter kernel shares the build's stderr. Now and then, as it shuts down, ipykernel logs
# a record of its own ("ERROR:tornado.general:Uncaught exception in ZMQStream callback"). That is
# the kernel's logging, not a diagnostic of the build.
KERNEL_LOG_RECORD = re.compile(r"(ERROR|WARNING):(tornado|asyncio|traitlets)[\w.]*:")


def test_a_failing_cell_fails_the_build_with_one_located_error(nb_site):
    srcdir = nb_site({"posts/2024/broken.md": FAILING})
    build = sphinx_build(srcdir)
    assert build.returncode == 1
    errors = [
        line
        for line in build.output.splitlines()
        if ("ERROR" in line or "WARNING:" in line) and not KERNEL_LOG_RECORD.match(line)
    ]
    assert len(errors) == 1, build.output
    assert (
        "posts/2024/broken.md:21: ERROR: code cell 2, line 4 of the cell: `f(x)` raised "
        in errors[0]
    )
    assert "ZeroDivisionError: division by zero" in errors[0]
    assert "Traceback" not in build.output and "CellExecutionError" not in build.output
    # The failure is not forgotten by the next (incremental) build, even without -W.
    again = sphinx_build(srcdir, None)
    assert again.returncode == 1
    assert "broken.md:21: ERROR" in again.output


def test_a_failing_cell_in_a_jupyter_notebook_is_named_by_its_position(nb_site):
    notebook = json.loads(ipynb_post())
    notebook["cells"][2]["source"] = ["import missing_module_xyz\n"]
    build = sphinx_build(nb_site({"posts/2024/cubes.ipynb": json.dumps(notebook)}))
    assert build.returncode == 1
    assert (
        "cubes.ipynb: ERROR: code cell 1 (cell 3 of the notebook), line 1 of the cell: "
        in build.output
    )
    assert "ModuleNotFoundError: No module named 'missing_module_xyz'" in build.output
    assert "Traceback" not in build.output


def test_execution_can_be_switched_off_per_post(nb_site):
    front = 'mystnb:\n  execution_mode: "off"\n'
    build = sphinx_build(
        nb_site(
            {"posts/2024/broken.md": text_notebook("Broken", "Text.\n\n" + cell("1 / 0"), front)}
        )
    )
    assert build.returncode == 0, build.output
    page = build.html("posts/2024/broken/")
    assert "1 / 0" in page.select_one("article div.cell_input").get_text()
    assert not page.select("article div.cell_output")
    assert "Executing notebook" not in build.output


def test_the_real_sites_notebook_posts_are_listed_with_their_figures(real_site):
    feed = feedparser.parse(real_site.text("atom.xml"))
    titles = {e.link.rsplit("/", 2)[-2]: e for e in feed.entries}
    home = real_site.html("").get_text(" ")
    for slug in ("bradley-terry-mm", "hmc-gaussian-notebook"):
        assert slug in titles, sorted(titles)
        page = real_site.html(f"posts/2025/{slug}/")
        assert page.select("article div.cell_output img"), slug
        assert page.select("article figure span.caption-number"), slug
        assert not page.select("article div.output.error, article div.output.traceback"), slug
        assert titles[slug].title in home
    assert not (real_site.outdir / "prf-prf").exists()  # sphinx-proof's index page is off
