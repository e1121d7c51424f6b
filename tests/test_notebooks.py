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


def test_notebook_posts_run_at_build_time_and_show_their_outputs(built_site):
    build = built_site(
        {"posts/2024/squares.md": TEXT_POST, "posts/2024/cubes.ipynb": ipynb_post()}, CONF
    )
    # The kernels talk over Unix sockets: ipykernel has no unencrypted TCP port to warn about.
    assert "WARNING" not in build.output, build.output
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


def test_a_kernel_runs_quietly_when_the_temporary_folder_has_a_long_path(nb_site, tmp_path):
    # A Unix socket's path has room for about 100 bytes; a long TMPDIR must not stop the kernel.
    temporary = tmp_path / ("long-temporary-folder-name-" * 4)
    temporary.mkdir()
    build = sphinx_build(
        nb_site({"posts/2024/squares.md": TEXT_POST}), env={"TMPDIR": str(temporary)}
    )
    assert build.returncode == 0, build.output
    assert "WARNING" not in build.output, build.output
    assert "sum of squares 30" in build.html("posts/2024/squares/").get_text()
    assert list(temporary.iterdir()) == []


def test_notebook_posts_are_listed_and_in_the_feed_like_any_post(built_site):
    build = built_site(
        {"posts/2024/squares.md": TEXT_POST, "posts/2024/cubes.ipynb": ipynb_post()}, CONF
    )
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


# A notebook as an ABlog + myst-nb author saves it after running it on their own machine: it
# imports a helper module of their old repository, and every code cell carries its outputs.
TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def run_notebook(stored_outputs: bool = True, front: str = "") -> str:
    """A Jupyter notebook post whose code needs a module this machine does not have."""

    def code(index: int, source: str, outputs: list[dict]) -> dict:
        return {
            "cell_type": "code",
            "metadata": {},
            "id": f"c{index}",
            "execution_count": index if stored_outputs else None,
            "outputs": outputs if stored_outputs else [],
            "source": source.splitlines(keepends=True),
        }

    cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "id": "m1",
            "source": f"---\ndate: 2023-11-20\ntags: [sgd, experiments]\n{front}---\n".splitlines(
                keepends=True
            ),
        },
        {
            "cell_type": "markdown",
            "metadata": {},
            "id": "m2",
            "source": ["# Learning-rate sweep\n", "\n", "Five runs of SGD on the same problem.\n"],
        },
        code(1, "from lab_utils import load_runs\n\nruns = load_runs('sweep-2023-11')", []),
        code(
            2,
            "for run in runs:\n    print(run.lr, round(run.final_loss, 3))",
            [{"name": "stdout", "output_type": "stream", "text": ["0.1 0.412\n", "0.03 0.287\n"]}],
        ),
        code(
            3,
            "best = min(runs, key=lambda r: r.final_loss)\nbest.lr",
            [
                {
                    "output_type": "execute_result",
                    "execution_count": 3,
                    "metadata": {},
                    "data": {"text/plain": ["0.03"]},
                }
            ],
        ),
        code(
            4,
            "plot_losses(runs)",
            [{"output_type": "display_data", "metadata": {}, "data": {"image/png": TINY_PNG}}],
        ),
    ]
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "cells": cells,
        }
    )


def test_a_notebook_saved_with_its_outputs_is_published_as_saved(nb_site):
    build = sphinx_build(nb_site({"posts/2023/lr-sweep.ipynb": run_notebook()}))
    assert build.returncode == 0, build.output
    assert "Executing notebook" not in build.output
    page = build.html("posts/2023/lr-sweep/")
    outputs = page.select("article div.cell_output")
    assert "0.1 0.412" in outputs[0].get_text() and "0.03 0.287" in outputs[0].get_text()
    assert outputs[1].get_text(strip=True) == "0.03"
    image = outputs[2].select_one("img")
    assert (build.outdir / "posts/2023/lr-sweep" / image["src"]).resolve().is_file()
    assert "from lab_utils import load_runs" in page.select_one("article div.cell_input").get_text()
    assert "Learning-rate sweep" in build.html("archive/").get_text()


def test_a_notebook_without_outputs_is_run_and_a_failing_cell_is_one_readable_error(nb_site):
    build = sphinx_build(nb_site({"posts/2023/lr-sweep.ipynb": run_notebook(stored_outputs=False)}))
    assert build.returncode == 1
    assert (
        "lr-sweep.ipynb: ERROR: code cell 1 (cell 3 of the notebook), line 1 of the cell: "
        "`from lab_utils import load_runs` raised ModuleNotFoundError: No module named 'lab_utils'"
    ) in build.output
    assert "Traceback" not in build.output


def test_an_author_can_ask_for_a_notebook_with_outputs_to_run(nb_site):
    front = "mystnb:\n  execution_mode: force\n"
    build = sphinx_build(nb_site({"posts/2023/lr-sweep.ipynb": run_notebook(front=front)}))
    assert build.returncode == 1
    assert "No module named 'lab_utils'" in build.output
    assert "Traceback" not in build.output


def test_a_site_that_forces_execution_runs_notebooks_with_outputs_too(make_site):
    srcdir = make_site(
        {"posts/2023/lr-sweep.ipynb": run_notebook()},
        CONF.replace('nb_execution_mode = "cache"', 'nb_execution_mode = "force"'),
    )
    build = sphinx_build(srcdir)
    assert build.returncode == 1
    assert "No module named 'lab_utils'" in build.output
