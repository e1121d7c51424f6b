"""sphinx-design in posts: grids, cards, dropdowns and tabs build strictly, keep their math typeset
at build time, and need nothing the Content-Security-Policy refuses."""

from __future__ import annotations

from bs4 import BeautifulSoup
from conftest import post

from deepdive.site.csp import script_hashes

DESIGN = 'extensions.append("sphinx_design")\nmyst_enable_extensions.append("colon_fence")\n'

# Written the way ABlog + sphinx-design blogs write them: colon fences, a grid of link cards, a
# collapsed derivation and a tab set of equivalent snippets.
BODY = r"""
A short tour of the two estimators.

::::{grid} 1 2 2 2
:gutter: 3

:::{grid-item-card} Score-function estimator
:link: score
:link-type: ref

Unbiased, works for discrete $z$, high variance.
:::

:::{grid-item-card} Reparameterisation
Low variance, needs a differentiable sampler $z = g_\phi(\epsilon)$.
:::
::::

(score)=
## The score-function estimator

:::{dropdown} Derivation of the score-function identity
Since $\nabla_\phi q_\phi(z) = q_\phi(z)\,\nabla_\phi \log q_\phi(z)$,

$$
\nabla_\phi \mathbb{E}_{q_\phi}[f(z)] = \mathbb{E}_{q_\phi}\left[f(z)\,\nabla_\phi \log q_\phi(z)\right].
$$
:::

::::{tab-set}
:sync-group: framework

:::{tab-item} NumPy
:sync: numpy
```python
grad = np.mean(f(z) * score(z), axis=0)
```
:::

:::{tab-item} JAX
:sync: jax
```python
grad = jax.grad(lambda phi: surrogate(phi, z))(phi)
```
:::
::::
"""


def test_grids_cards_dropdowns_and_tabs_build_strictly(built_site):
    build = built_site(
        {"posts/2024/estimators.md": post(title="Two estimators", body=BODY)}, DESIGN
    )
    page = build.html("posts/2024/estimators/")
    cards = page.select(".sd-row .sd-card")
    assert [c.select_one(".sd-card-title").get_text(strip=True) for c in cards] == [
        "Score-function estimator",
        "Reparameterisation",
    ]
    assert cards[0].select_one("a.sd-stretched-link")["href"] == "#score"
    dropdown = page.select_one("details.sd-dropdown")
    assert dropdown.select_one("summary").get_text(" ", strip=True).startswith("Derivation")
    assert not dropdown.has_attr("open")  # a derivation stays folded until the reader asks
    labels = page.select(".sd-tab-set > label.sd-tab-label")
    assert [label.get_text(strip=True) for label in labels] == ["NumPy", "JAX"]
    assert [label["data-sync-id"] for label in labels] == ["numpy", "jax"]
    inputs = page.select(".sd-tab-set > input[type=radio]")
    assert len(inputs) == 2
    # Valid HTML: the radio input, not its label, names the panel it shows.
    assert not any(label.has_attr("aria-controls") for label in labels)
    for radio, label in zip(inputs, labels, strict=True):
        assert label["for"] == radio["id"]
        panel = page.find(id=radio["aria-controls"])
        assert "sd-tab-content" in panel["class"] and panel.find_previous_sibling("label") is label


def test_math_inside_a_dropdown_and_a_card_is_typeset_at_build_time(built_site):
    build = built_site(
        {"posts/2024/estimators.md": post(title="Two estimators", body=BODY)}, DESIGN
    )
    page = build.html("posts/2024/estimators/")
    dropdown = page.select_one("details.sd-dropdown")
    assert dropdown.select(".katex-display .katex-html")
    assert "$" not in visible_text(dropdown) and "\\nabla" not in visible_text(dropdown)
    card = page.select(".sd-card")[1]
    assert card.select_one(".katex") and "\\phi" not in visible_text(card)


def visible_text(element) -> str:
    """The text a reader sees: KaTeX's TeX annotations (inside MathML) left out."""
    element = BeautifulSoup(str(element), "lxml")
    for annotation in element.select("annotation"):
        annotation.decompose()
    return element.get_text(" ")


def test_the_tab_script_is_a_site_file_and_the_policy_needs_no_new_hash(build_site):
    design = build_site(
        {
            "posts/2024/estimators.md": post(title="Two estimators", body=BODY),
            "posts/2024/plain.md": post(title="Plain"),
        },
        DESIGN,
    )
    assert design.returncode == 0, design.output
    page = design.html("posts/2024/estimators/")
    script = page.select_one('script[src*="design-tabs.js"]')
    assert script is not None and not script["src"].startswith(("http:", "https:", "//"))
    assert (design.outdir / "_static" / "design-tabs.js").is_file()
    assert page.select_one('link[href*="sphinx-design.min.css"]') is not None
    policy = page.select_one('meta[http-equiv="Content-Security-Policy"]')["content"]
    assert "script-src 'self'" in policy
    # sphinx-design adds no inline script: a page with tabs has as many as one without
    hashes = script_hashes(design.text("posts/2024/estimators/index.html"))
    assert len(hashes) == len(script_hashes(design.text("posts/2024/plain/index.html")))
    assert all(hashed in policy for hashed in hashes)


# A derivation folded away, and nothing else of sphinx-design.
FOLDED = """
The bound follows from Jensen's inequality.

:::{dropdown} The one-line proof
$\\log \\mathbb{E}[X] \\ge \\mathbb{E}[\\log X]$ because $\\log$ is concave.
:::
"""

# A post whose excerpt (the text before `<!-- more -->`) is a grid of cards.
CARDS_FIRST = """
::::{grid} 2
:::{grid-item-card} Part one
Priors.
:::
:::{grid-item-card} Part two
Posteriors.
:::
::::

<!-- more -->

The rest of the post.
"""


def links(page) -> tuple[bool, bool]:
    """Whether ``page`` links sphinx-design's stylesheet, and its tabs script."""
    return (
        page.select_one('link[href*="sphinx-design.min.css"]') is not None,
        page.select_one('script[src*="design-tabs.js"]') is not None,
    )


def test_sphinx_designs_stylesheet_and_tab_script_load_only_where_a_page_uses_them(build_site):
    build = build_site(
        {
            "posts/2024/estimators.md": post("2024-03-03", "Two estimators", BODY),
            "posts/2024/jensen.md": post("2024-03-02", "Jensen's gap", FOLDED),
            "posts/2024/plain.md": post("2024-03-01", "Plain"),
            "posts/2023/series-overview.md": post(
                "2023-06-01", "A series in two parts", CARDS_FIRST
            ),
        },
        DESIGN,
    )
    assert build.returncode == 0, build.output
    assert links(build.html("posts/2024/estimators/")) == (True, True)  # cards and tabs
    assert links(build.html("posts/2024/jensen/")) == (True, False)  # a dropdown, no tabs
    assert links(build.html("posts/2024/plain/")) == (False, False)
    assert links(build.html("archive/")) == (False, False)
    # The home page lists excerpts: one of them is a grid of cards.
    home = build.html()
    assert home.select_one(".dd-teaser__excerpt .sd-card") is not None
    assert links(home) == (True, False)
    # Every other asset stays on every page.
    plain = build.html("posts/2024/plain/")
    for name in ("katex/katex.min.css", "pydata-sphinx-theme.css"):
        assert plain.select_one(f'link[href*="{name}"]') is not None
