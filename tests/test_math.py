"""Math is typeset at build time by KaTeX, served locally, with a local MathJax for the rest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import post

from deepdive.research.math import KatexServer, mathml_only

FIDELITY = Path(__file__).parent / "roots" / "math-fidelity"


def article(page: BeautifulSoup) -> BeautifulSoup:
    return page.select_one("article") or page.select_one("main")


def visible_text(element) -> str:
    """The text a reader sees: KaTeX's TeX annotations (inside MathML) left out."""
    element = BeautifulSoup(str(element), "lxml")
    for annotation in element.select("annotation"):
        annotation.decompose()
    return element.get_text(" ")


def assert_no_third_party_assets(page: BeautifulSoup) -> None:
    for script in page.select("script[src]"):
        assert "//" not in script["src"], script
    for link in page.select("link[rel=stylesheet]"):
        assert "//" not in link["href"], link


def assert_loads_mathjax(page: BeautifulSoup) -> bool:
    return any("mathjax" in script["src"].lower() for script in page.select("script[src]"))


def test_inline_and_display_math_are_katex_markup_with_local_css_and_no_script(build_site):
    build = build_site(
        {
            "posts/a.md": post(
                "2024-03-01",
                "Calculus",
                r"""
            Inline $\int_0^1 x^2 \, dx = \tfrac{1}{3}$ and $\alpha + \beta$.

            $$
            \sum_{n=1}^\infty \frac{1}{n^2} = \frac{\pi^2}{6}
            $$
        """,
            ),
        }
    )
    assert build.returncode == 0, build.output
    page = build.html("posts/a/")
    body = article(page)
    inline = body.select("span.math")
    assert len(inline) == 2
    for span in inline:
        assert span.select_one(".katex .katex-mathml math") is not None
        assert span.select_one(".katex .katex-html") is not None
    display = body.select_one("div.math")
    assert display.select_one(".katex-display .katex math[display=block]") is not None
    text = visible_text(body)
    assert "$" not in text and "\\(" not in text and "\\[" not in text and "\\frac" not in text
    # No typesetting in the browser: no MathJax on this page, only the keyboard-access helper.
    assert not assert_loads_mathjax(page)
    math_scripts = [s["src"] for s in page.select("script[src]") if "math" in s["src"].lower()]
    assert [src.split("?")[0] for src in math_scripts] == ["../../_static/deepdive-math.js"]
    assert_no_third_party_assets(page)
    # KaTeX's stylesheet and every font it names are served from the site itself.
    hrefs = [link["href"].split("?")[0] for link in page.select("link[rel=stylesheet]")]
    assert "../../_static/katex/katex.min.css" in hrefs
    css = build.text("_static/katex/katex.min.css")
    fonts = re.findall(r"url\(([^)]+)\)", css)
    assert fonts and all(font.endswith(".woff2") for font in fonts)
    for font in fonts:
        assert (build.outdir / "_static" / "katex" / font).is_file(), font
    assert "0 fell back to MathJax" in build.output


def test_a_short_formula_is_glued_to_the_punctuation_after_it_a_long_one_keeps_its_breaks(
    build_site,
):
    body = (
        "Player $j$, then $(x)$). A sum $a = b + c + d + e$, and a word after $y$ alone.\n\n"
        'In a quote: "$z$" and $k$…'
    )
    build = build_site({"posts/p.md": post(body=body)})
    assert build.returncode == 0, build.output
    paragraphs = [p for p in build.html("posts/p/").select(".bd-article p") if p.select(".math")]
    glued = [
        (glue.select_one(".math annotation").get_text(), glue.contents[-1].get_text())
        for glue in build.html("posts/p/").select(".bd-article span.dd-math-glue")
    ]
    # Every closing mark right after the formula, the closing quote MyST made curly too.
    assert glued == [("j", ","), ("(x)", ")."), ("z", "”"), ("k", "…")]
    # Four line-break groups (after "=" and each "+"): left free to break, comma and all.
    text = paragraphs[0].get_text()
    assert ", and a word after" in text and "alone." in text
    long = next(m for m in paragraphs[0].select("span.math") if "a = b" in m.get_text())
    assert long.parent.name == "p"


def test_numbered_equations_have_ids_and_eq_references_link_to_them_within_and_across_posts(
    build_site,
):
    build = build_site(
        {
            "posts/a.md": post(
                "2024-03-01",
                "Energy",
                r"""
            $$
            E = mc^2
            $$ (einstein)

            $$
            F = ma
            $$ (newton)

            By {eq}`newton`, and see {eq}`bayes` in the other post.
        """,
            ),
            "posts/b.md": post(
                "2024-03-02",
                "Bayes",
                r"""
            $$
            p(\theta \mid x) \propto p(x \mid \theta) \, p(\theta)
            $$ (bayes)

            Compare {eq}`einstein`.
        """,
            ),
        }
    )
    assert build.returncode == 0, build.output
    a = build.html("posts/a/")
    einstein = a.select_one("div.math#equation-einstein")
    newton = a.select_one("div.math#equation-newton")
    assert einstein.select_one("span.eqno").get_text(strip=True).startswith("(1)")
    assert newton.select_one("span.eqno").get_text(strip=True).startswith("(2)")
    assert newton.select_one("span.eqno a.headerlink")["href"] == "#equation-newton"
    assert newton.select_one(".katex") is not None
    refs = {link.get_text(strip=True): link["href"] for link in article(a).select("p a.reference")}
    assert refs == {"(2)": "#equation-newton", "(1)": "../b/#equation-bayes"}
    b = build.html("posts/b/")
    assert b.select_one("div.math#equation-bayes span.eqno").get_text(strip=True).startswith("(1)")
    assert article(b).select_one("p a.reference")["href"] == "../a/#equation-einstein"


def test_site_macros_from_conf_apply_to_katex(build_site):
    build = build_site(
        {
            "posts/a.md": post(
                "2024-03-01",
                "Macros",
                r"""
            A vector $x \in \R^n$ with norm $\norm{x}$, and $\argmax_x f(x)$.
        """,
            )
        },
        conf=r"""
        deepdive_math_macros = {
            "\\R": "\\mathbb{R}",
            "\\argmax": "\\operatorname*{argmax}",
            "\\norm": "\\left\\lVert #1 \\right\\rVert",
        }
        """,
    )
    assert build.returncode == 0, build.output
    maths = article(build.html("posts/a/")).select("span.math math")
    assert maths[0].select_one('mi[mathvariant="double-struck"]').get_text() == "R"
    assert "∥" in maths[1].get_text()
    assert maths[2].select_one("mi").get_text() == "argmax" or "argmax" in maths[2].get_text()


@pytest.mark.parametrize(
    "macros",
    ["['R']", '{"R": "\\\\mathbb{R}"}', '{"\\\\R": 1}'],
    ids=["not-a-dict", "no-backslash", "body-not-text"],
)
def test_invalid_macros_fail_naming_the_option(build_site, macros):
    build = build_site({}, conf=f"deepdive_math_macros = {macros}\n")
    assert build.returncode != 0
    assert "deepdive_math_macros" in build.output


def test_amsmath_environments_cases_and_matrices(build_site):
    build = build_site(
        {
            "posts/a.md": post(
                "2024-03-01",
                "Environments",
                r"""
            \begin{align}
            a &= b + c \\
            d &= e
            \end{align}

            $$
            f(x) = \begin{cases} x & x \ge 0 \\ -x & x < 0 \end{cases}, \qquad
            \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}
            $$ (cases)

            \begin{align*}
            u &= v
            \end{align*}
        """,
            ),
        }
    )
    assert build.returncode == 0, build.output
    body = article(build.html("posts/a/"))
    align, cases, starred = body.select("div.math")
    assert align.select_one("math mtable") is not None
    # Sphinx numbers the numbered environment once; KaTeX adds no numbers of its own.
    assert align.select_one("span.eqno").get_text(strip=True).startswith("(1)")
    assert align.select_one(".eqn-num") is None
    assert cases.select_one("span.eqno").get_text(strip=True).startswith("(2)")
    fences = [mo.get_text() for mo in cases.select("math mo[fence=true]")]
    assert "{" in fences and "(" in fences and ")" in fences
    assert starred.select_one("span.eqno") is None
    assert "0 fell back to MathJax" in build.output


def test_tex_only_mathjax_can_typeset_falls_back_to_local_mathjax_and_is_counted(build_site):
    # KaTeX has no multline environment (nor \bbox); MathJax 3 has both.
    build = build_site(
        {
            "posts/a.md": post(
                "2024-03-01",
                "Long",
                r"""
                Plain $x$ first.

                \begin{multline}
                \R \ni a + b + c \\
                + d + e
                \end{multline}

                And $\bbox[yellow]{y}$.
            """,
            ),
            "posts/b.md": post("2024-03-02", "Short", "Only $z$ here."),
        },
        conf='deepdive_math_macros = {"\\\\R": "\\\\mathbb{R}"}\n',
    )
    assert build.returncode == 0, build.output
    page = build.html("posts/a/")
    fallbacks = article(page).select(".dd-math--fallback")
    assert [f.name for f in fallbacks] == ["div", "span"]
    multline = fallbacks[0]
    assert multline.select_one("math[display=block] mtable") is not None
    assert multline.select_one("span.eqno").get_text(strip=True).startswith("(1)")
    # The site macro reached MathJax too.
    assert multline.select_one('mi[mathvariant="double-struck"]').get_text() == "R"
    assert "\\begin" not in visible_text(multline)
    # The page loads the locally served MathJax, and only this page does.
    sources = [script["src"].split("?")[0] for script in page.select("script[src]")]
    assert "../../_static/mathjax/mml-chtml.js" in sources
    assert any(src.startswith("../../_static/deepdive-mathjax.js") for src in sources)
    assert_no_third_party_assets(page)
    assert not assert_loads_mathjax(build.html("posts/b/"))
    assert (build.outdir / "_static/mathjax/mml-chtml.js").is_file()
    assert (
        build.outdir / "_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff"
    ).is_file()
    # One info line, not a warning.
    assert "2 fell back to MathJax (posts/a)" in build.output
    assert "WARNING" not in build.output


def test_tex_that_neither_engine_can_typeset_warns_with_file_and_line(build_site):
    build = build_site(
        {
            "posts/bad.md": post(
                "2024-03-01",
                "Broken",
                r"""
            Fine $x$.

            Broken $\frac{1}{$ here.

            $$
            \undefinedmacro{x}
            $$
        """,
            ),
        }
    )
    assert build.returncode != 0
    warnings = [
        line
        for line in build.output.splitlines()
        if "math cannot be typeset" in line and ": WARNING: " in line
    ]
    assert len(warnings) == 2, build.output
    assert re.search(
        r"posts/bad\.md:9: WARNING: math cannot be typeset: Missing close brace", warnings[0]
    )
    assert re.search(
        r"posts/bad\.md:11: WARNING: .*Undefined control sequence \\undefinedmacro", warnings[1]
    )
    assert "deepdive_math_macros" in warnings[1]
    assert "in `\\undefinedmacro{x}`" in warnings[1]  # as written, not as Python's repr
    assert warnings[0].endswith("[deepdive.math]")


def test_a_broken_formula_inside_a_paragraph_is_reported_at_its_own_line(build_site):
    body = (
        "Fine $x$ on the paragraph's first line,\n"
        "$\\frac{1}{$ broken on its second,\n"
        "fine $x$ again on its third,\n"
        "and broken $\\frac{1}{$ once more on its fourth.\n"
        "\n"
        "- a list item\n"
        "  continued with $\\sqrt{$ on its second line\n"
    )
    text = post(title="Broken", body=body)
    build = build_site({"posts/bad.md": text})
    assert build.returncode != 0
    lines = text.splitlines()
    expected = [
        next(n for n, line in enumerate(lines, 1) if line.startswith(start))
        for start in ("$\\frac{1}{$ broken", "and broken", "  continued")
    ]
    found = [
        int(m.group(1))
        for m in re.finditer(r"posts/bad\.md:(\d+): WARNING: math cannot be typeset", build.output)
    ]
    assert found == expected, build.output


def test_tex_in_a_message_is_shown_as_written(build_site):
    build = build_site({"posts/bad.md": post(body="Broken $\\frac{a}{\\alpha$ here.\n")})
    assert build.returncode != 0
    assert "in `\\frac{a}{\\alpha`" in build.output
    assert "\\\\frac" not in build.output and "\\\\alpha" not in build.output


def test_missing_katex_fails_and_says_to_run_make_html(build_site, tmp_path):
    empty = tmp_path / "no-node-modules"
    empty.mkdir()
    build = build_site({"posts/a.md": post(body="$x$")}, env={"DEEPDIVE_NODE_MODULES": str(empty)})
    assert build.returncode != 0
    assert "KaTeX is not installed" in build.output and "make html" in build.output


def test_the_node_process_is_running_before_the_first_post_is_read(build_site):
    """An author's one-post edit reads one post; its equations should not wait for Node to start."""
    probe = """
import deepdive.research.math


def _check(app, env, docnames):
    server = deepdive.research.math._state.server
    running = server is not None and server._process.poll() is None
    print(f"node running before reading: {running}")


def setup(app):
    app.connect("env-before-read-docs", _check)
"""
    build = build_site({"posts/p.md": post("2024-03-01", "P", "$$a^2$$\n")}, probe)
    assert build.returncode == 0, build.output
    assert "node running before reading: True" in build.output


NODE_PROBE = """
import deepdive.research.math


def _check(app, env):
    print(f"node started: {deepdive.research.math._state.server is not None}")


def setup(app):
    app.connect("env-updated", _check)
"""


def test_a_build_that_reads_no_formula_starts_no_node_process(build_site):
    words = {"posts/a.md": post(title="Words", body="Only words.\n")}
    build = build_site(words, NODE_PROBE)
    assert build.returncode == 0, build.output
    assert "node started: False" in build.output
    build = build_site(
        {**words, "posts/b.md": post(title="Sums", body="A sum, $a + b$.\n")}, NODE_PROBE
    )
    assert build.returncode == 0, build.output
    assert "node started: True" in build.output
    assert "1 equations typeset by KaTeX" in build.output


def test_parallel_build_typesets_every_post(build_site):
    files = {
        f"posts/p{i}.md": post(
            f"2024-03-{i + 1:02d}",
            f"Post {i}",
            f"$$\na_{{{i}}} = {i}^2\n$$ (eq{i})\n\nSee {{eq}}`eq{(i + 1) % 12}`.",
        )
        for i in range(12)
    }
    build = build_site(files, "", "-j", "2")
    assert build.returncode == 0, build.output
    for i in range(12):
        page = build.html(f"posts/p{i}/")
        assert page.select_one(f"div.math#equation-eq{i} .katex math") is not None
    assert "12 equations typeset by KaTeX" in build.output


def test_fidelity_page_of_famous_equations_renders_with_no_fallback_and_no_error(build_site):
    source = (FIDELITY / "posts" / "fidelity.md").read_text(encoding="utf-8")
    build = build_site({"posts/fidelity.md": source}, conf=(FIDELITY / "conf_extra.py").read_text())
    assert build.returncode == 0, build.output
    assert "WARNING" not in build.output
    assert re.search(
        r"deepdive: \d+ equations typeset by KaTeX at build time; 0 fell back", build.output
    )
    body = article(build.html("posts/fidelity/"))
    display = body.select("div.math")
    assert len(display) >= 40
    assert len(body.select("span.math")) >= 15
    assert not body.select(".dd-math--fallback, .dd-math--error, .katex-error")
    for element in display + body.select("span.math"):
        assert element.select_one(".katex math") is not None, element
    numbered = {div["id"] for div in display if div.get("id", "").startswith("equation-")}
    assert {"equation-schrodinger", "equation-elbo", "equation-attention"} <= numbered
    text = visible_text(body)
    assert "$" not in text and "\\begin" not in text and "\\frac" not in text


def test_mathml_only_keeps_just_the_math_elements():
    server = KatexServer({"\\R": "\\mathbb{R}"})
    try:
        inline, display = server.typeset([("x \\in \\R", False), ("\\frac{a}{b}", True)])
    finally:
        server.close()
    fragment = (
        f'<p>Let <span class="math notranslate nohighlight">{inline["html"]}</span> be.</p>\n'
        f'<div class="math notranslate nohighlight" id="equation-f"><span class="eqno">(1)</span>'
        f"{display['html']}</div>\n<p>After &amp; more.</p>"
    )
    reduced = BeautifulSoup(mathml_only(fragment), "lxml")
    assert not reduced.select(".katex, .katex-html, .katex-mathml, .katex-display")
    first, second = reduced.select("math")
    assert first.parent.name == "span" and first.select_one('mi[mathvariant="double-struck"]')
    assert second["display"] == "block" and second.select_one("mfrac")
    assert second.parent.get("id") == "equation-f"
    assert reduced.select_one("span.eqno").get_text() == "(1)"
    assert reduced.get_text(" ", strip=True).startswith("Let")
    assert "be." in reduced.get_text() and "After & more." in reduced.get_text()
    # Markup without KaTeX passes through untouched.
    assert mathml_only("<p>No math.</p>") == "<p>No math.</p>"


def test_one_batch_of_thousands_of_distinct_equations_comes_back_whole_and_in_order():
    # How long typesetting takes is measured by `make bench`, not asserted here.
    items = [
        (f"\\sum_{{k=1}}^{{{n}}} \\frac{{x_k^{{{n}}}}}{{k!}} + \\alpha_{{{n}}}", n % 2 == 0)
        for n in range(2000)
    ]
    server = KatexServer({})
    try:
        results = server.typeset(items)
    finally:
        server.close()
    assert len(results) == len(items)
    assert all("html" in result for result in results)
    assert len({result["html"] for result in results}) == len(items)
    assert ">1999<" in results[-1]["html"] and ">1998<" not in results[-1]["html"]


def test_a_new_katex_version_typesets_every_equation_again(make_site, tmp_path):
    from conftest import sphinx_build

    srcdir = make_site({"posts/a.md": post(body="$x$"), "posts/b.md": post("2024-03-02", "B")})
    first = sphinx_build(srcdir)
    assert first.returncode == 0, first.output
    # The same KaTeX under another version number: the math-bearing pages are read again.
    real = Path(__file__).resolve().parents[1] / "node_modules"
    upgraded = tmp_path / "node_modules"
    (upgraded / "katex").mkdir(parents=True)
    (upgraded / "mathjax").symlink_to(real / "mathjax")
    for entry in (real / "katex").iterdir():
        if entry.name != "package.json":
            (upgraded / "katex" / entry.name).symlink_to(entry)
    manifest = (real / "katex" / "package.json").read_text()
    (upgraded / "katex" / "package.json").write_text(
        re.sub(r'"version": "[^"]+"', '"version": "99.0.0"', manifest, count=1)
    )
    second = sphinx_build(srcdir, None, env={"DEEPDIVE_NODE_MODULES": str(upgraded)})
    assert second.returncode == 0, second.output
    assert re.findall(r"reading sources\.\.\. \[[^\]]+\] (\S+)", second.output) == ["posts/a"]
    third = sphinx_build(srcdir, None, env={"DEEPDIVE_NODE_MODULES": str(upgraded)})
    assert re.findall(r"reading sources\.\.\. \[[^\]]+\] (\S+)", third.output) == []
