"""``make import SRC=...``: a Nikola, Jekyll or ABlog blog comes over, builds strict, and its old
addresses redirect to the new pages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, makefile_command, sphinx_build, write_site

FIXTURES = ROOT / "tests" / "fixtures" / "import"
# Imported notebooks are marked not to run; the site itself needs myst-nb to read them, and
# sphinx-design and colon fences (as the real site's conf.py has them) for ABlog blogs' grids,
# cards, dropdowns and tabs.
CONF = """
extensions[0] = "myst_nb"
extensions.append("sphinx_design")
myst_enable_extensions.append("colon_fence")
"""


def run_import(site: Path, kind: str) -> subprocess.CompletedProcess:
    """``python -m deepdive.tools.importer`` run in ``site``, as ``make import`` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "deepdive.tools.importer", str(FIXTURES / kind), "--dest", "posts"],
        cwd=site,
        capture_output=True,
        text=True,
    )


def imported_site(tmp_path: Path, kind: str) -> tuple[Path, str]:
    site = write_site(tmp_path / "site", {}, CONF)
    result = run_import(site, kind)
    assert result.returncode == 0, result.stderr
    return site, result.stdout


def archive_titles(build) -> set[str]:
    return {a.get_text(" ", strip=True) for a in build.html("archive/").select("main a")}


def redirect_target(build, old: str) -> str:
    """The site path the redirect page at ``old`` sends a reader to."""
    refresh = build.html(old).find("meta", attrs={"http-equiv": "refresh"})
    assert refresh is not None, f"{old} is not a redirect page"
    relative = refresh["content"].split("url=", 1)[1]
    return urljoin("https://site/" + old, relative).removeprefix("https://site/")


def assert_every_formula_typeset(build) -> None:
    """No page of the site (posts, and listings with their excerpts) shows TeX: each formula is
    KaTeX's HTML, made at build time (KaTeX keeps the source only in its hidden ``annotation``,
    which readers do not see)."""
    pages = sorted(
        page
        for page in build.outdir.rglob("*.html")
        if not page.relative_to(build.outdir).parts[0].startswith("_")
    )
    assert pages
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        for hidden in soup.select("annotation, script, style"):
            hidden.decompose()
        text = soup.get_text(" ")
        for raw in (":math:", "\\(", "\\[", "$$", "\\begin{", "\\frac"):
            assert raw not in text, f"{page}: {raw} left untypeset"


# -- Jekyll ---------------------------------------------------------------------------------------


def test_make_import_runs_the_importer_into_the_sites_posts_folder(tmp_path):
    """The real Makefile's `make import SRC=...` (its command, from ``make -n``), run in a site."""
    command = makefile_command("import", "deepdive.tools.importer", f"SRC={FIXTURES / 'jekyll'}")
    site = write_site(tmp_path / "site", {}, CONF)
    result = subprocess.run(command, cwd=site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (site / "posts/2019/kalman-filter.md").is_file()
    assert "jekyll" in result.stdout.lower()


def test_a_jekyll_blog_imports_with_this_sites_front_matter(tmp_path):
    site, report = imported_site(tmp_path, "jekyll")
    kalman = (site / "posts/2019/kalman-filter.md").read_text(encoding="utf-8")
    assert kalman.startswith(
        "---\ndate: 2019-03-04T10:00:00+01:00\ntags: [kalman, state-space]\n"
        "category: Estimation\nredirect: /estimation/2019/03/04/kalman-filter.html\n---\n"
        "# A Kalman filter on one page\n"
    )
    assert "layout" not in kalman and "{%" not in kalman and "site.baseurl" not in kalman
    assert "```python\ngain = p / (p + r)\n```" in kalman
    assert "![The gain over time](kalman-filter/kalman-gain.png)" in kalman
    assert (site / "posts/2019/kalman-filter/kalman-gain.png").is_file()
    # kramdown writes inline math as $$…$$ too; display equations stay on lines of their own.
    assert "variance $p$ and noise variance $r$ the gain is $p/(p+r)$" in kalman
    assert "$$\nK_k = P_{k|k-1}" in kalman
    least = (site / "posts/2019/least-squares.md").read_text(encoding="utf-8")
    assert "tags: [regression, linear-algebra]" in least  # `Linear Algebra` is that tag already
    assert "[the Kalman post](kalman-filter.md)" in least
    bias = (site / "posts/2019/bias-variance.md").read_text(encoding="utf-8")
    assert "redirect: /notes/bias-variance/" in bias  # its own permalink wins
    assert "draft: true" in (site / "posts/2021/moving-average.md").read_text(encoding="utf-8")
    assert "6 posts came over from the Jekyll blog" in report
    assert "10 kramdown inline `$$…$$` formulas written as `$…$`" in report
    assert "5 excerpt markers normalised to `<!-- more -->`" in report


def test_the_report_lists_what_jekyll_could_not_convert_at_file_and_line(tmp_path):
    _, report = imported_site(tmp_path, "jekyll")
    assert (
        "jekyll/_posts/2020-01-15-fourier-uncertainty.md:14: the Liquid tag "
        '{% include figure.html src="/assets/img/chirp.png" caption="A chirp" %} cannot be '
        "converted" in report
    )
    assert 'deepdive_feed_aliases = {"feed.xml": "atom.xml"}' in report


def test_an_imported_jekyll_blog_builds_strict_and_its_old_addresses_redirect(tmp_path):
    site, _ = imported_site(tmp_path, "jekyll")
    build = sphinx_build(site)
    assert build.returncode == 0, build.output[-3000:]
    titles = archive_titles(build)
    for title in (
        "A Kalman filter on one page",
        "Least squares, three ways",
        "Bias and variance of an estimator",
        "Time and frequency cannot both be sharp",
        "The sampling theorem",
    ):
        assert title in titles
    assert "A moving average is a low-pass filter" not in titles  # published: false
    old = build.html("estimation/2019/03/04/kalman-filter.html")
    assert old.find("meta", attrs={"http-equiv": "refresh"})["content"] == (
        "0; url=../../../../posts/2019/kalman-filter/"
    )
    assert "url=../../posts/2019/bias-variance/" in build.text("notes/bias-variance/index.html")
    page = build.text("posts/2019/kalman-filter/index.html")
    assert 'class="katex"' in page
    assert_every_formula_typeset(build)


def test_importing_twice_overwrites_nothing_and_says_so(tmp_path):
    site, _ = imported_site(tmp_path, "jekyll")
    edited = site / "posts/2019/kalman-filter.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nAn author's edit.\n", "utf-8")
    again = run_import(site, "jekyll")
    assert again.returncode == 0, again.stderr
    assert "0 posts came over" in again.stdout
    assert "posts/2019/kalman-filter.md (from 2019-03-04-kalman-filter.md)" in again.stdout
    assert edited.read_text(encoding="utf-8").endswith("An author's edit.\n")


def test_a_folder_that_is_no_blog_is_one_clear_line(tmp_path):
    site = write_site(tmp_path / "site", {})
    (tmp_path / "notes").mkdir()
    result = run_import(site, str(tmp_path / "notes"))
    assert result.returncode == 1
    assert "is not a blog this can import" in result.stderr and "Traceback" not in result.stderr


# -- Nikola ---------------------------------------------------------------------------------------


def test_a_nikola_blog_imports_as_rst_with_comment_metadata_converted(tmp_path):
    site, report = imported_site(tmp_path, "nikola")
    post = (site / "posts/2017/gamblers-fallacy.rst").read_text(encoding="utf-8")
    assert post.startswith(
        ":date: 2017-01-27T09:05:00-05:00\n"
        ":tags: probability, Gambler's Fallacy\n"  # Nikola's `mathjax` switch tag is dropped
        ":category: Probability\n"
        ":description: Why a run of heads says nothing about the next flip, and when it does.\n"
        ":redirect: /posts/gamblers-fallacy/\n\n"
        "======================================\n"
        "The Gambler's Fallacy and the Hot Hand\n"
    )
    assert ".. raw:: html\n\n   <!-- more -->" in post and "TEASER_END" not in post
    assert ".. image:: gamblers-fallacy/coin-runs.png" in post
    assert ":download:`this table <gamblers-fallacy/flips.csv>`" in post
    assert (site / "posts/2017/gamblers-fallacy/coin-runs.png").is_file()
    assert (site / "posts/2017/gamblers-fallacy/flips.csv").is_file()
    lln = (site / "posts/2017/law-of-large-numbers.rst").read_text(encoding="utf-8")
    assert ":doc:`/posts/2017/gamblers-fallacy`" in lln
    draft = (site / "posts/2018/regression-to-the-mean.rst").read_text(encoding="utf-8")
    assert ":draft: true" in draft
    assert "12 posts came over from the Nikola blog" in report
    assert "9 `.. TEASER_END` markers became the excerpt marker" in report
    assert "12 dates converted to ISO 8601" in report


def test_nikola_markdown_posts_come_over_as_markdown_with_math_and_files(tmp_path):
    site, report = imported_site(tmp_path, "nikola")
    birthday = (site / "posts/2017/birthday-problem.md").read_text(encoding="utf-8")
    assert birthday.startswith(
        "---\ndate: 2017-06-12T20:15:00-04:00\ntags: [probability, counting]\n"
        "category: Probability\n"
        "description: Why 23 people are enough for an even chance of a shared birthday.\n"
        "redirect: /posts/birthday-problem/\n---\n"
        "# Twenty-three people and a shared birthday\n"
    )
    assert "<!-- more -->" in birthday and "TEASER_END" not in birthday
    assert "With $n$ people" in birthday and "\\\\(" not in birthday
    assert "$$ P(\\text{match}) \\approx 1 - e^{-n(n-1)/730}, $$" in birthday
    benford = (site / "posts/2018/benford.md").read_text(encoding="utf-8")  # metadata in .meta
    assert "tags: [probability, Benford's law]" in benford
    assert "![Leading-digit shares under Benford's law](benford/benford.png)" in benford
    assert "{download}`table of the values <benford/benford-table.csv>`" in benford
    assert (site / "posts/2018/benford/benford.png").is_file()
    assert (site / "posts/2018/benford/benford-table.csv").is_file()
    assert "2 `<!-- TEASER_END -->` markers became the excerpt marker" in report


def test_a_nikola_notebook_keeps_its_outputs_and_is_not_executed(tmp_path):
    site, _ = imported_site(tmp_path, "nikola")
    notebook = json.loads((site / "posts/2018/coin-runs-notebook.ipynb").read_text("utf-8"))
    front = "".join(notebook["cells"][0]["source"])
    assert front.startswith("---\ndate: 2018-05-14T13:20:00-04:00\n")
    assert "redirect: /posts/coin-runs-notebook/\n" in front
    assert "mystnb: {execution_mode: 'off'}\n" in front
    assert front.endswith("---\n# Longest Runs of Heads, Simulated\n")
    outputs = notebook["cells"][2]["outputs"]
    assert outputs[0]["text"] == ["longest run: 7\n"]


def test_the_report_lists_what_nikola_could_not_convert_at_file_and_line(tmp_path):
    site, report = imported_site(tmp_path, "nikola")
    assert (
        "nikola/posts/allais-paradox.rst:16: Nikola's `youtube` directive has no equivalent here"
        in report
    )
    assert "nikola/posts/prospect-theory.rst:19: the Nikola shortcode {{% raw %}}" in report
    assert "nikola/posts/secretary-problem.rst:22: the raw-HTML substitution |tracker|" in report
    allais = (site / "posts/2017/allais-paradox.rst").read_text(encoding="utf-8")
    assert ".. NOT IMPORTED youtube:: dQw4w9WgXcQ" in allais  # a comment: the post still builds


def test_an_imported_nikola_blog_builds_strict_and_its_old_addresses_redirect(tmp_path):
    site, _ = imported_site(tmp_path, "nikola")
    build = sphinx_build(site)
    assert build.returncode == 0, build.output[-3000:]
    titles = archive_titles(build)
    assert len([t for t in titles if t]) >= 9
    assert "The Gambler’s Fallacy and the Hot Hand" in titles
    old = build.html("posts/gamblers-fallacy/")
    assert old.find("meta", attrs={"http-equiv": "refresh"})["content"] == (
        "0; url=../2017/gamblers-fallacy/"
    )
    page = build.text("posts/2017/gamblers-fallacy/index.html")
    assert 'class="katex' in page
    assert_every_formula_typeset(build)


# -- ABlog ----------------------------------------------------------------------------------------


# The ABlog blog's posts, where `make import` puts them, and their titles.
ABLOG_POSTS = {
    "blog/huffman-codes": (
        "posts/2022/huffman-codes",
        "Huffman codes are within one bit of the entropy",
    ),
    "blog/kraft-inequality": (
        "posts/2022/kraft-inequality",
        "The Kraft inequality, by counting leaves",
    ),
    "blog/entropy-of-a-die": ("posts/2023/entropy-of-a-die", "The entropy of a loaded die"),
    "blog/kl-divergence": ("posts/2023/kl-divergence", "KL divergence is not a distance"),
    "blog/mutual-information": ("posts/2023/mutual-information", "Mutual information"),
    "blog/channel-capacity": (
        "posts/2023/channel-capacity",
        "Capacity of a binary symmetric channel",
    ),
    "blog/typical-set": ("posts/2023/typical-set", "Counting the typical set"),
    "blog/gaussian-channels": (
        "posts/2023/gaussian-channels",
        "Water-filling over parallel Gaussian channels",
    ),
    "blog/rate-distortion": ("posts/2024/rate-distortion", "Rate–distortion for a fair coin"),
    "blog/fano-inequality": (
        "posts/2024/fano-inequality",
        "Fano’s inequality, with a number in it",
    ),
}
# The addresses the posts' own `redirect:` named on the old blog.
ABLOG_REDIRECTS = {
    "blog/kl-not-distance": "posts/2023/kl-divergence",
    "blog/kraft": "posts/2022/kraft-inequality",
    "blog/awgn-capacity": "posts/2023/gaussian-channels",
    "blog/aep": "posts/2023/typical-set",
}


@pytest.fixture(scope="module")
def ablog_import(tmp_path_factory):
    """The ABlog fixture blog imported into a small site, and the import's report."""
    return imported_site(tmp_path_factory.mktemp("ablog"), "ablog")


@pytest.fixture(scope="module")
def ablog_build(ablog_import):
    """The imported ABlog blog built strict."""
    build = sphinx_build(ablog_import[0])
    assert build.returncode == 0, build.output[-3000:]
    return build


def test_an_ablog_blog_imports_with_its_front_matter_normalised(ablog_import):
    site, report = ablog_import
    die = (site / "posts/2023/entropy-of-a-die.md").read_text(encoding="utf-8")
    assert die.startswith(
        "---\ndate: 2023-03-02\ntags: [entropy, dice]\ncategory: Information theory\n"
        "author: Mei Chen\nlocation: Leiden\n"
        "redirect: [/blog/entropy-of-a-die.html, /blog/entropy-of-a-die/]\n---\n"
        "# The entropy of a loaded die\n"
    )
    kl = (site / "posts/2023/kl-divergence.md").read_text(encoding="utf-8")
    assert "{post}" not in kl
    assert "/blog/kl-not-distance]" in kl  # its own `:redirect:` is kept
    kraft = (site / "posts/2022/kraft-inequality.md").read_text(encoding="utf-8")
    assert "author: Mei Chen and Tomás Ruiz\nexcerpt: 1\n" in kraft
    assert "tags: [compression, prefix codes]\n" in kraft
    rate = (site / "posts/2024/rate-distortion.md").read_text(encoding="utf-8")
    assert rate.startswith("---\ndate: 2024-02-09\ntags: [rate-distortion, entropy]\n")
    assert "# Rate–distortion for a fair coin\n\nTo describe fair coin flips" in rate
    fano = (site / "posts/2024/fano-inequality.rst").read_text(encoding="utf-8")
    assert fano.startswith(":date: 2024-05-21\n:tags: entropy, estimation\n")
    assert ".. post::" not in fano and ".. dropdown:: Where the inequality comes from" in fano
    notebook = json.loads((site / "posts/2023/channel-capacity.ipynb").read_text("utf-8"))
    assert "blogpost" not in notebook["metadata"]
    assert "".join(notebook["cells"][0]["source"]).startswith("---\ndate: 2023-08-21\n")
    assert not (site / "posts/2023/index.md").exists()  # the blog's pages are not posts
    assert not list(site.glob("posts/*/about.md"))
    assert "10 posts came over from the ABlog blog" in report
    assert "10 dates converted to ISO 8601" in report
    assert 'deepdive_feed_aliases = {"blog/atom.xml": "atom.xml"}' in report


def test_an_ablog_notebook_with_metadata_front_matter_keeps_its_outputs_unrun(ablog_import):
    site, _ = ablog_import
    notebook = json.loads((site / "posts/2023/typical-set.ipynb").read_text("utf-8"))
    assert set(notebook["metadata"]) == {"kernelspec", "language_info"}
    front = "".join(notebook["cells"][0]["source"])
    assert front.startswith(
        "---\ndate: 2023-09-12\ntags: [entropy, typical sequences]\n"
        "category: Information theory\nauthor: Mei Chen\n"
        "redirect: [/blog/typical-set.html, /blog/typical-set/, /blog/aep]\n"
        "mystnb: {execution_mode: 'off'}\n---\n# Counting the typical set\n"
    )
    assert notebook["cells"][1]["source"] == [
        "from infokit.sources import bernoulli_entropy, typical_set"
    ]  # infokit is not installed here: running the notebook would fail


def test_an_imported_ablog_blog_builds_strict_with_every_post_on_the_archive(ablog_build):
    titles = archive_titles(ablog_build)
    for _, title in ABLOG_POSTS.values():
        assert title in titles
    assert "About" not in titles and "Lab Notebook" not in titles
    assert_every_formula_typeset(ablog_build)


def test_every_old_address_of_an_ablog_post_redirects_to_its_new_page(ablog_build):
    for old, (new, _) in ABLOG_POSTS.items():
        assert redirect_target(ablog_build, old + ".html") == new + "/"
        assert redirect_target(ablog_build, old + "/") == new + "/"
    for old, new in ABLOG_REDIRECTS.items():
        assert redirect_target(ablog_build, old + "/") == new + "/"


def test_an_imported_notebook_is_published_from_its_stored_outputs(ablog_build):
    page = ablog_build.html("posts/2023/typical-set/")
    text = page.select_one("article").get_text(" ", strip=True)
    assert "H(0.1) = 0.4690 bits, nH = 46.9 bits" in text
    assert "eps=0.1: ones in 7..13, log2|A| = 52.89, P(A) = 0.759" in text
    assert "ModuleNotFoundError" not in text
    assert page.select(".katex")


def test_sphinx_design_in_imported_posts_is_rendered_with_its_math_typeset(ablog_build):
    huffman = ablog_build.html("posts/2022/huffman-codes/")
    labels = huffman.select(".sd-tab-set > label.sd-tab-label")
    assert [label.get_text(strip=True) for label in labels] == ["Python", "By hand"]
    channels = ablog_build.html("posts/2023/gaussian-channels/")
    cards = channels.select(".sd-row .sd-card")
    assert [c.select_one(".sd-card-title").get_text(strip=True) for c in cards] == [
        "One channel",
        "Parallel channels",
    ]
    assert cards[0].select(".katex-display")
    assert cards[1].select_one("a.sd-stretched-link")["href"] == "#water-filling"
    for page in ("posts/2024/rate-distortion/", "posts/2024/fano-inequality/"):
        dropdown = ablog_build.html(page).select_one("details.sd-dropdown")
        assert dropdown is not None and dropdown.select(".katex")
        assert not dropdown.has_attr("open")
