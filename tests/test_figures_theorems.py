"""Figures, tables and theorems: numbered per post, referenced by number, strict-build safe."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import post, sphinx_build, write_site

CONF = """
extensions = ["myst_parser", "deepdive", "sphinx_copybutton", "sphinx_proof"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
numfig = True
"""

FIRST = """
First paragraph.

:::{prf:definition} Strength
:label: def-strength

A *strength* is a positive number $\\pi_i$.
:::

:::{prf:theorem}
An unlabelled theorem.
:::

:::{prf:theorem} Monotone ascent
:label: thm-ascent

The log-likelihood never decreases.
:::

:::{prf:proof}
Minorize, then maximize.
:::

:::{prf:proof}
A second proof.
:::

```{figure} plot.png
:name: fig-first

The first figure.
```

```{figure} plot.png
:name: fig-second

The second figure.
```

:::{table} Wins
:name: tbl-wins

| a | b |
|---|---|
| 1 | 2 |
:::

See {numref}`fig-second`, {numref}`tbl-wins`, {prf:ref}`thm-ascent` and {prf:ref}`def-strength`.
"""

SECOND = """
First paragraph.

:::{prf:theorem}
Another unlabelled theorem.
:::

:::{prf:lemma} Minorizer
:label: lem-minorizer

A lemma.
:::

```{figure} plot.png
:name: fig-other

A figure in another post.
```

See {numref}`fig-other`, {prf:ref}`lem-minorizer`, and in the first post
{numref}`fig-second` and {prf:ref}`thm-ascent`.
"""


def files(**extra: str) -> dict[str, str]:
    return {
        "posts/2024/first.md": post("2024-01-10", "First", FIRST),
        "posts/2024/second.md": post("2024-02-10", "Second", SECOND),
        "posts/2024/plot.png": "not really a png",
        **extra,
    }


@pytest.fixture(scope="module", params=["serial", "parallel"])
def site(request, tmp_path_factory):
    """The two posts, built strictly once on one process and once with ``-j 2``."""
    srcdir = write_site(tmp_path_factory.mktemp(request.param) / "site", files(), CONF)
    build = sphinx_build(srcdir, None, *(["-j", "2"] if request.param == "parallel" else []))
    assert build.returncode == 0, build.output
    return build


def captions(soup) -> list[str]:
    return [c.get_text(" ", strip=True) for c in soup.select("article span.caption-number")]


def links(soup) -> dict[str, str]:
    return {
        a.get_text(strip=True): a["href"] for a in soup.select("article p a.reference.internal")
    }


def test_figures_tables_and_theorems_are_numbered_from_one_in_each_post(site):
    first, second = site.html("posts/2024/first/"), site.html("posts/2024/second/")
    assert captions(first) == [
        "Definition 1",
        "Theorem 1",
        "Theorem 2",
        "Fig. 1",
        "Fig. 2",
        "Table 1",
    ]
    assert captions(second) == ["Theorem 1", "Lemma 1", "Fig. 1"]


def test_references_show_the_number_and_link_to_the_block(site):
    assert links(site.html("posts/2024/first/")) == {
        "Fig. 2": "#fig-second",
        "Table 1": "#tbl-wins",
        "Theorem 2": "#thm-ascent",
        "Definition 1": "#def-strength",
    }
    assert links(site.html("posts/2024/second/")) == {
        "Fig. 1": "#fig-other",
        "Lemma 1": "#lem-minorizer",
        "Fig. 2": "../first/#fig-second",
        "Theorem 2": "../first/#thm-ascent",
    }


def test_blocks_have_titles_and_unique_ids(site):
    first = site.html("posts/2024/first/")
    theorem = first.select_one("#thm-ascent")
    assert (
        theorem.select_one(".admonition-title").get_text(" ", strip=True)
        == "Theorem 2 (Monotone ascent)"
    )
    proofs = first.select("article div.proof.dd-proof")
    assert [p.get_text(" ", strip=True) for p in proofs] == [
        "Proof. Minorize, then maximize.",
        "Proof. A second proof.",
    ]
    ids = Counter(element["id"] for element in first.select("[id]"))
    assert [i for i, n in ids.items() if n > 1] == []


def test_sphinx_proof_styles_are_served_by_the_site(site):
    page = site.html("posts/2024/first/")
    sheets = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    assert any(h.startswith("../../../_static/proof.css") for h in sheets), sheets
    assert any(h.startswith("../../../_static/deepdive-pages.css") for h in sheets), sheets
    assert "div.admonition.dd-proof" in (site.outdir / "_static" / "deepdive-pages.css").read_text()
    assert (site.outdir / "_static" / "proof.css").is_file()
    assert not [h for h in sheets if "://" in h or h.startswith("//")]


def test_an_unknown_reference_is_a_located_warning(build_site):
    bad = post(
        "2024-03-10", "Bad", "Text.\n\nSee {prf:ref}`thm-missing` and {numref}`fig-missing`.\n"
    )
    build = build_site(files(**{"posts/2024/bad.md": bad}), CONF)
    assert build.returncode == 1
    assert "bad.md:8: WARNING: prf:ref reference target not found: thm-missing" in build.output
    assert "fig-missing" in build.output
    assert "Traceback" not in build.output


def test_a_label_used_in_two_posts_is_a_warning_naming_both(build_site):
    copy = post("2024-03-10", "Copy", ":::{prf:theorem}\n:label: thm-ascent\n\nAgain.\n:::\n")
    build = build_site(files(**{"posts/2024/copy.md": copy}), CONF, "-j", "2")
    assert build.returncode == 1
    assert "duplicate label `thm-ascent`" in build.output
    assert "first.md" in build.output and "copy.md" in build.output
    assert "Traceback" not in build.output


def test_numbers_survive_an_incremental_build(make_site):
    srcdir = make_site(files(), CONF)
    assert sphinx_build(srcdir).returncode == 0
    second = srcdir / "posts/2024/second.md"
    second.write_text(second.read_text() + "\nOne more line.\n")
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert captions(build.html("posts/2024/first/"))[-3:] == ["Fig. 1", "Fig. 2", "Table 1"]
    assert links(build.html("posts/2024/second/"))["Fig. 2"] == "../first/#fig-second"
